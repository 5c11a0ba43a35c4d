// The parts of an http:// or https:// URL that an HTTP client needs to connect and send its
// request line and Host header: the HTTP tracker and torrent-add-by-URL fetches (http_fetch) and
// the `tessera` verbs' RPC client share this one reading of a URL (RFC 3986, through Boost.URL).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tessera/result.hpp"

namespace tessera::detail {

struct http_url {
  bool tls = false;          ///< https
  std::string host;          ///< host name or IP literal, IPv6 without brackets (for resolving, SNI)
  std::uint16_t port = 0;    ///< from the URL, else 80 / 443
  std::string host_header;   ///< Host: host[:port] as written in the URL (IPv6 in brackets)
  std::string target;        ///< path and query, percent-encoded as in the URL, "/" at least
  /// User and password written in the URL (`http://user:pass@host/...`), percent-decoded;
  /// nullopt without userinfo (or without a password).
  std::optional<std::string> user, password;
};

/// Why a text is not an http_url.
enum class http_url_errc {
  not_a_url,           ///< not an absolute URI
  unsupported_scheme,  ///< neither http nor https
  no_host,             ///< no authority, or an empty host
  bad_port,            ///< a port written empty or as 0
};

/// Reads `text` as an http:// or https:// URL. Pure; any thread.
result<http_url, http_url_errc> parse_http_url(std::string_view text);

}  // namespace tessera::detail
