// Transmission's RPC methods (3.00, rpc-version 16) as a plain function from a request body to a
// reply body, over the daemon's session (shared/ARCHITECTURE.md: "the RPC methods as plain
// functions from a JSON request to a JSON reply"; unit-tested and fuzzed with no socket).
// Envelope (shared/transmission-rpc.md §2): {"method", "arguments", "tag"} in,
// {"result": "success" | <error text>, "arguments": {...}, "tag": <same integer>} out; the
// `arguments` object is always present, an integer `tag` is echoed (0 included), JSON integers
// are written without a fraction. Malformed input of any kind is a reply with an error `result`,
// never an exception. Methods and fields: docs/rpc.md.
#pragma once

#include <boost/json/object.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "rpc/torrent_daemon.hpp"

namespace tessera::rpc {

/// Reply bodies and requests beyond this are refused (the HTTP front bounds the body anyway).
inline constexpr std::size_t max_request_bytes = 128u << 20;

class rpc_methods {
 public:
  /// `session_id`: the HTTP front's current X-Transmission-Session-Id (session-get's
  /// `session-id`). `on_close`: what session-close does (the daemon stops; called after the
  /// reply is built, from the calling thread).
  rpc_methods(torrent_daemon& daemon, std::function<std::string()> session_id, std::function<void()> on_close);

  /// Runs one request. Takes the daemon's mutex for the whole request. Any thread.
  std::string handle(std::string_view body);

  /// What session-get answers for `version` ("3.00 (tessera <ver>)").
  static std::string version_string();
  /// tessera's own version ("0.1.0"), as the event stream's hello names it.
  static std::string tessera_version();

 private:
  torrent_daemon& d_;
  std::function<std::string()> session_id_;
  std::function<void()> on_close_;
};

/// The context each method gets.
struct method_context {
  torrent_daemon& d;
  const boost::json::object& args;
  boost::json::object& reply;  ///< the reply's `arguments`
  std::function<std::string()>& session_id;
  bool close_requested = false;
  /// torrent-add by http(s) URL: the .torrent fetched before the daemon's mutex was taken.
  std::optional<result<std::string, std::string>> fetched;
};

/// True when `s` starts with `prefix`, ASCII case ignored.
bool starts_with_nocase(std::string_view s, std::string_view prefix);

/// Each method returns "success" or Transmission's error text (methods_*.cpp).
std::string torrent_get(method_context& c);
std::string torrent_set(method_context& c);
std::string torrent_action(method_context& c, std::string_view method);  // start, start-now, stop, verify, reannounce
std::string torrent_remove(method_context& c);
std::string torrent_set_location(method_context& c);
std::string torrent_rename_path(method_context& c);
std::string torrent_add(method_context& c);
std::string queue_move(method_context& c, std::string_view method);
std::string session_get(method_context& c);
std::string session_set(method_context& c);
std::string session_stats(method_context& c);
std::string free_space(method_context& c);

}  // namespace tessera::rpc
