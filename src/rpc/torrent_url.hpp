// torrent-add by `filename` = an http(s) URL: the daemon fetches the .torrent itself
// (shared/transmission-rpc.md §4). Blocking: runs its own io_context on the calling thread (the
// RPC front's), so other RPC requests wait; bounded to `timeout` (transmission-remote gives up
// after 60 s) and to max_torrent_url_bytes.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "tessera/result.hpp"

namespace tessera::rpc {

inline constexpr std::size_t max_torrent_url_bytes = 64u << 20;

/// The body of a 200 reply to a GET of `url`, following redirects as trackers do (at most 3,
/// never https -> http, never to a local address once a public server answered). Error: a
/// message naming the URL and what failed (status, timeout, TLS, too large, bad cookies...).
/// `cookies` (torrent-add's `cookies`, "name=value; ..."; empty: none) go to the URL's own
/// origin only, not to a redirect elsewhere (discovery/http_fetch.hpp).
result<std::string, std::string> fetch_torrent_url(const std::string& url, const std::string& cookies = {},
                                                   std::chrono::seconds timeout = std::chrono::seconds(45));

}  // namespace tessera::rpc
