// A synchronous client of Transmission's RPC (3.00, rpc-version 16, the legacy
// {method, arguments, tag} protocol) over HTTP/1.1 or HTTPS, for the `tessera` verbs that drive
// a daemon. Beast and Asio stay in rpc_client.cpp: this header names only Boost.JSON.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "discovery/http_url.hpp"
#include "tessera/result.hpp"

namespace tessera::cli {

/// The default daemon: Transmission's default RPC address (checklist H1).
inline constexpr std::string_view default_rpc_url = "http://127.0.0.1:9091/transmission/rpc";

/// What the client needs from an RPC URL (discovery/http_url.hpp).
using rpc_url = detail::http_url;

/// Parses an http:// or https:// URL. Errors (a one-line message naming the URL): not a URL,
/// another scheme, no host, port 0. Pure; any thread.
result<rpc_url, std::string> parse_rpc_url(std::string_view url);

/// User and password for HTTP basic auth (RFC 7617).
struct rpc_credentials {
  std::string user;
  std::string password;
  /// True: sent with the first request. False: sent only after the server answers 401 with a
  /// `WWW-Authenticate: Basic` challenge, as curl (and so transmission-remote) does by default.
  bool up_front = true;
};

/// How a client talks to its daemon.
struct rpc_options {
  std::string url{default_rpc_url};
  std::optional<rpc_credentials> credentials;
  /// Bound on each HTTP exchange: resolve, connect, TLS handshake, send and read the reply.
  /// transmission-remote waits 60 s (checklist H18): a torrent-add of a URL makes the daemon
  /// fetch it before it answers.
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  /// Largest reply body accepted (bytes); a torrent-get of files and peers of big torrents can
  /// run to megabytes.
  std::size_t max_reply_bytes = 64u << 20;
};

/// One RPC call's failure: the message to print after "tessera: error: ". `result` holds the
/// daemon's `result` text when the call reached it and it answered something else than
/// "success" (e.g. "invalid or corrupt torrent file"); empty for HTTP and network failures.
struct rpc_error {
  std::string message;
  std::string result;
};

/// A client bound to one daemon. Not copyable (it owns its I/O context); movable. Calls are
/// blocking; one thread at a time. The X-Transmission-Session-Id learned from a 409 is kept for
/// later calls (checklist H6, H7).
class rpc_client {
 public:
  /// A client for `options` (the URL is parsed here, nothing is sent). Without
  /// options.credentials, a user and password written in the URL are used, sent up front.
  /// Errors: those of parse_rpc_url, prefixed with "--rpc: ".
  static result<rpc_client, std::string> create(rpc_options options);

  /// Moves the connection state (session id, credentials) along; the moved-from client is unusable.
  rpc_client(rpc_client&&) noexcept;
  rpc_client& operator=(rpc_client&&) noexcept;
  ~rpc_client();

  /// Sends `{"method": method, "arguments": arguments, "tag": n}` and returns the reply's
  /// `arguments` object ({} when the reply has none) when `result` is "success".
  ///
  /// HTTP: one connection per exchange (`Connection: close`); a 409 with
  /// X-Transmission-Session-Id is answered by resending with that id, at most 3 times; a 401
  /// with a `WWW-Authenticate: Basic` challenge is answered once with the credentials when the
  /// client has some and has not sent them yet, otherwise it fails with a message that says how
  /// to give credentials, that they were refused, or that the scheme asked for is not Basic;
  /// 403 and 421 say why the daemon refuses (whitelists); any other status than 200 fails with
  /// its code and reason. A reply that is not a JSON object with a string `result`, or whose
  /// tag differs from the one sent, fails; a `result` other than "success" fails with
  /// rpc_error::result set to it. Errors are never thrown.
  result<boost::json::object, rpc_error> call(std::string_view method, boost::json::object arguments = {});

  /// The URL this client talks to, as given.
  const std::string& url() const;

 private:
  struct impl;
  explicit rpc_client(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace tessera::cli
