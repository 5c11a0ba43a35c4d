#include "remote_json.hpp"

#include <limits>

namespace tessera::cli {

namespace json = boost::json;

std::int64_t json_int(const json::object& o, std::string_view key, std::int64_t fallback) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return fallback;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) {
    return v->as_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
               ? std::numeric_limits<std::int64_t>::max()
               : static_cast<std::int64_t>(v->as_uint64());
  }
  if (v->is_double()) {
    const double d = v->as_double();
    if (!(d > -9.2e18 && d < 9.2e18)) return fallback;  // NaN and out of range
    return static_cast<std::int64_t>(d);
  }
  return fallback;
}

double json_real(const json::object& o, std::string_view key, double fallback) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return fallback;
  if (v->is_double()) return v->as_double();
  if (v->is_int64()) return static_cast<double>(v->as_int64());
  if (v->is_uint64()) return static_cast<double>(v->as_uint64());
  return fallback;
}

std::string json_string(const json::object& o, std::string_view key, std::string_view fallback) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::string(fallback);
  return std::string(v->as_string());
}

bool json_bool(const json::object& o, std::string_view key, bool fallback) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return fallback;
  if (v->is_bool()) return v->as_bool();
  if (v->is_int64()) return v->as_int64() != 0;
  if (v->is_uint64()) return v->as_uint64() != 0;
  return fallback;
}

}  // namespace tessera::cli
