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

/// What a web interface file is served from: its bytes, Content-Type and ETag (web_assets.hpp).
struct web_ui_file {
  std::string_view body;
  std::string_view content_type;
  std::string_view etag;
};

/// The reply for a GET (or, `head`, a HEAD) of `file`: 304 with no body when `if_none_match`
/// (the request's If-None-Match header) matches the file's ETag, else 200 with the bytes (HEAD:
/// http_reply::omit_body). Both carry common_headers() with X-Frame-Options: DENY and
/// Content-Security-Policy: web_ui_csp in place of the usual values, and ETag,
/// Cache-Control: no-cache (the browser revalidates each use: a daemon upgrade shows at once),
/// X-Content-Type-Options: nosniff and Referrer-Policy: no-referrer.
http_reply web_ui_file_reply(const web_ui_file& file, bool head,
                             std::optional<std::string_view> if_none_match, std::time_t now);

}  // namespace tessera::rpc
