#include "rpc/json_args.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace tessera::rpc {

namespace json = boost::json;

std::optional<std::int64_t> as_int(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    if (v.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(v.get_uint64());
  }
  if (v.is_bool()) return v.get_bool() ? 1 : 0;
  if (v.is_double()) {
    const double d = v.get_double();
    // Beyond +-2^62 a double cannot be truncated to int64 safely; such a value is no argument.
    if (!std::isfinite(d) || std::fabs(d) > 4.6e18) return std::nullopt;
    return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

std::optional<bool> as_bool(const json::value& v) {
  if (v.is_bool()) return v.get_bool();
  if (v.is_int64()) return v.get_int64() != 0;
  if (v.is_uint64()) return v.get_uint64() != 0;
  if (v.is_string()) {
    if (v.get_string() == "true") return true;
    if (v.get_string() == "false") return false;
  }
  return std::nullopt;
}

std::optional<double> as_real(const json::value& v) {
  if (v.is_double()) return std::isfinite(v.get_double()) ? std::optional<double>(v.get_double()) : std::nullopt;
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_string()) {
    const auto& s = v.get_string();
    double d = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec == std::errc() && end == s.data() + s.size() && std::isfinite(d)) return d;
  }
  return std::nullopt;
}

namespace {
const json::value* find(const json::object& args, std::string_view key) {
  auto it = args.find(key);
  return it == args.end() ? nullptr : &it->value();
}
}  // namespace

std::optional<std::int64_t> arg_int(const json::object& args, std::string_view key) {
  const auto* v = find(args, key);
  return v ? as_int(*v) : std::nullopt;
}

std::optional<bool> arg_bool(const json::object& args, std::string_view key) {
  const auto* v = find(args, key);
  return v ? as_bool(*v) : std::nullopt;
}

std::optional<double> arg_real(const json::object& args, std::string_view key) {
  const auto* v = find(args, key);
  return v ? as_real(*v) : std::nullopt;
}

std::optional<std::string> arg_string(const json::object& args, std::string_view key) {
  const auto* v = find(args, key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

std::optional<std::vector<std::int64_t>> arg_int_list(const json::object& args, std::string_view key) {
  const auto* v = find(args, key);
  if (!v || !v->is_array()) return std::nullopt;
  std::vector<std::int64_t> out;
  for (const auto& item : v->get_array()) {
    if (item.is_bool()) continue;  // a list of indices holds numbers only
    if (auto i = as_int(item)) out.push_back(*i);
  }
  return out;
}

std::optional<std::vector<std::string>> arg_string_list(const json::object& args, std::string_view key) {
  const auto* v = find(args, key);
  if (!v || !v->is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& item : v->get_array()) {
    if (item.is_string()) out.emplace_back(item.get_string());
  }
  return out;
}

}  // namespace tessera::rpc
