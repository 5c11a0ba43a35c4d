// Lenient reads of fields of a daemon's JSON reply, for printing: a missing or mistyped field
// reads as the given fallback instead of failing (a daemon may lack a field; the checklist,
// E5/E6, allows integral reals written as integers and the other way round).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace tessera::cli {

/// `o[key]` as an integer: int64, uint64 (clamped) or a real (truncated); else `fallback`.
std::int64_t json_int(const boost::json::object& o, std::string_view key, std::int64_t fallback = 0);
/// `o[key]` as a real: any JSON number; else `fallback`.
double json_real(const boost::json::object& o, std::string_view key, double fallback = 0);
/// `o[key]` as a string; else `fallback`.
std::string json_string(const boost::json::object& o, std::string_view key, std::string_view fallback = "");
/// `o[key]` as a bool: a bool, or a number (non-zero = true); else `fallback`.
bool json_bool(const boost::json::object& o, std::string_view key, bool fallback = false);

}  // namespace tessera::cli
