// An HTTP(S) GET of one URL: the transport of HTTP announces (BEP 3) and of the daemon's
// torrent-add by URL. One connection per request (`Connection: close`), TLS with the system's
// certificate store and host name verification, redirects followed as redirect_policy allows
// (discovery/tracker.hpp: at most 3, never https -> http, never to a local address once a public
// server answered), the whole exchange bounded by `timeout`, the body by `max_body` bytes.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "discovery/tracker.hpp"

namespace tessera::detail {

struct http_fetch_reply {
  unsigned status = 0;  ///< the final reply's status (after redirects); any value, the caller judges
  std::string body;
};

/// Longest `cookie` http_fetch sends.
inline constexpr std::size_t max_cookie_bytes = 8192;

/// GETs `url`. With `local`, connects from that address. A non-empty `cookie` (the value of a
/// Cookie header, `name=value; name2=value2`, as Transmission's torrent-add `cookies`) goes with
/// the requests to the first URL's origin (scheme, host and port) only, never to a redirect
/// elsewhere; one over max_cookie_bytes or holding CR, LF or NUL is refused (unsupported_url).
/// Errors (tracker_error, category "tessera.tracker"): unsupported_url (not http/https, or a bad redirect target), timeout,
/// http_status ("too many redirects"), redirect_refused, a resolve/connect/TLS/read failure, and
/// a body over max_body (Beast's body_limit). Runs on the caller's executor.
boost::asio::awaitable<result<http_fetch_reply, tracker_error>>
http_fetch(std::string url, std::chrono::seconds timeout, redirect_policy policy,
           std::optional<boost::asio::ip::address> local, std::uint64_t max_body, std::string cookie = {});

}  // namespace tessera::detail
