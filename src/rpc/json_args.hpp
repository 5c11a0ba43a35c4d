// Lenient readers of a Transmission RPC request's arguments, as Transmission 3.00 reads them
// (shared/transmission-rpc.md E7): an integer argument accepts a bool or a number with a
// fraction (truncated; Flood sends kB/s as floats), a bool accepts 0/1 and "true"/"false", a real
// accepts an integer or a numeric string. A missing key or a value of another shape reads as
// std::nullopt: the caller ignores the argument, never fails on it (E8). Pure.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::rpc {

std::optional<std::int64_t> arg_int(const boost::json::object& args, std::string_view key);
std::optional<bool> arg_bool(const boost::json::object& args, std::string_view key);
std::optional<double> arg_real(const boost::json::object& args, std::string_view key);
std::optional<std::string> arg_string(const boost::json::object& args, std::string_view key);
/// A list of integers (non-integers in it are skipped); nullopt when the key is not a list.
std::optional<std::vector<std::int64_t>> arg_int_list(const boost::json::object& args, std::string_view key);
/// A list of strings (other items skipped); nullopt when the key is not a list.
std::optional<std::vector<std::string>> arg_string_list(const boost::json::object& args, std::string_view key);

/// The same readers on a bare value.
std::optional<std::int64_t> as_int(const boost::json::value& v);
std::optional<bool> as_bool(const boost::json::value& v);
std::optional<double> as_real(const boost::json::value& v);

}  // namespace tessera::rpc
