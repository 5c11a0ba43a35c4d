// The replies that carry tessera's own web interface's files (/tessera/web/, docs/daemon.md "Web
// interface"): strict security headers, revalidation by ETag (304), HEAD. Pure; the front picks
// the file (embedded, or from --web-ui-dir) and sends the reply.
#pragma once

#include <ctime>
#include <optional>
#include <string_view>

#include "rpc/http_replies.hpp"

namespace tessera::rpc {

/// The Content-Security-Policy of every web interface file: only the daemon's own origin for
/// scripts, styles, images (and data: images), fetches (/tessera/rpc, /tessera/events), fonts
/// and manifests; no inline script or style, no plugin, no <base>, no form posting, no framing.
inline constexpr std::string_view web_ui_csp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";

/// True when the If-None-Match header value `if_none_match` matches `etag` (quoted): "*", or a
/// comma-separated list with an entry equal to it by the weak comparison of RFC 9110 section
/// 8.8.3.2 (a "W/" prefix is ignored on either side).
bool etag_matches(std::string_view if_none_match, std::string_view etag);

/// True when an Accept-Encoding header value admits gzip (RFC 9110 section 12.5.3): a "gzip" or
/// "x-gzip" entry whose q is not 0, or else a "*" entry whose q is not 0. No header: false.
bool accepts_gzip(std::optional<std::string_view> accept_encoding);

/// The ETag of a file's gzip representation: `etag` with "-gzip" before its closing quote (each
/// representation has its own tag, RFC 9110 section 8.8.3.3).
std::string gzip_etag(std::string_view etag);

/// What a web interface file is served from (web_assets.hpp's web_asset, or a file read from
/// --web-ui-dir with no gzip copy).
struct web_ui_file {
  std::string_view body;
  std::string_view content_type;
  std::string_view etag;
  std::string_view gzip;  ///< empty: no compressed copy
};

/// The parts of a request a web interface file's reply depends on.
struct web_ui_request {
  bool head = false;                                   ///< a HEAD (else a GET)
  std::optional<std::string_view> if_none_match;       ///< If-None-Match header
  std::optional<std::string_view> accept_encoding;     ///< Accept-Encoding header
};

/// The reply for `file`: the gzip copy (Content-Encoding: gzip, gzip_etag()) when there is one
/// and the request accepts gzip, else the bytes; 304 with no body when If-None-Match matches the
/// chosen representation's ETag, else 200 (HEAD: http_reply::omit_body). Every reply carries
/// common_headers() with X-Frame-Options: DENY and Content-Security-Policy: web_ui_csp in place of
/// the usual values, and ETag, Cache-Control: no-cache (the browser revalidates each use: a
/// daemon upgrade shows at once), X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer,
/// and Vary: Accept-Encoding when there is a gzip copy.
http_reply web_ui_file_reply(const web_ui_file& file, const web_ui_request& request,
                             std::time_t now);

}  // namespace tessera::rpc
