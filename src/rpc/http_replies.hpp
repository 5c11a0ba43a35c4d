// The HTTP front's replies as plain values: status, headers and body for each gate outcome, the
// RPC reply, the static-file reply and the transport errors (400, 413, 431, 500). Pure; the
// front turns an http_reply into a Beast response. Every reply carries the headers of
// common_headers(); none carries X-Transmission-Rpc-Version (checklist section 0: clients of
// Transmission 4.1 switch to JSON-RPC when they see it) or any CORS header (checklist H19).
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rpc/http_gate.hpp"

namespace tessera::rpc {

/// One HTTP reply. Content-Length and Connection are the transport's business, not set here.
struct http_reply {
  unsigned status = 200;
  /// Header fields in order, including Content-Type when there is a body.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// A reply to HEAD: the transport sends the headers, with the Content-Length of `body`, and
  /// not the body.
  bool omit_body = false;
  /// The value of `name` (ASCII case-insensitive), or "" when absent; for tests.
  std::string_view header(std::string_view name) const;
};

/// An RFC 9110 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") for `t`.
std::string http_date(std::time_t t);

/// The MIME type Transmission 3.00 serves a file name with (checklist H14): css text/css, html
/// text/html, ico image/vnd.microsoft.icon, js application/javascript, png image/png, else
/// application/octet-stream (extension compared case-insensitively). Also svg image/svg+xml,
/// json application/json and woff2 font/woff2, which newer web clients use.
std::string_view mime_type_for(std::string_view file_name);

/// The headers every reply starts with: Server: Transmission (as 3.00 sends it), Date,
/// X-Frame-Options: SAMEORIGIN and Content-Security-Policy: frame-ancestors 'self' (checklist H20).
std::vector<std::pair<std::string, std::string>> common_headers(std::time_t now);

/// The reply for a gate outcome other than web_file, ui_file and rpc (which need the file or the
/// handler): 403/401/301/404/405/421/409 with a short HTML body that says what to change.
/// `session_id` goes into the 409's X-Transmission-Session-Id header and body. Unexpected
/// outcomes give 404.
http_reply reply_for(const gate_decision& decision, std::string_view session_id, std::time_t now);

/// 200, Content-Type application/json; charset=UTF-8, the handler's JSON as the body, and
/// X-Transmission-Session-Id (checklist H8: saves clients a 409 round trip per call).
http_reply rpc_reply(std::string json, std::string_view session_id, std::time_t now);

/// 200 with a static file's bytes, its MIME type, and Expires 24 hours ahead (checklist H14).
http_reply file_reply(std::string content, std::string_view file_name, std::time_t now);

/// The head of the event stream's reply (docs/rpc.md, "Event stream"): 200, Content-Type
/// text/event-stream, Cache-Control: no-store, X-Accel-Buffering: no (so a proxy in front does
/// not buffer it). No body here: the front writes the messages, and Connection: close ends it.
http_reply event_stream_head(std::time_t now);
/// 503 with Retry-After: 2: `limit` event streams are open already.
http_reply too_many_streams(std::size_t limit, std::time_t now);
/// One Server-Sent Events message: "event: <name>\nid: <id>\ndata: <data>\n\n". `name` and
/// `data` must hold no line break (event_hub::publish makes sure of it).
std::string sse_message(std::string_view name, std::uint64_t id, std::string_view data);

/// The `hello` event's data: {"version":<version>,"rpc-version":17,"session-id":<id>,
/// "interval":1000} (the tick interval in ms).
std::string hello_event_data(std::string_view version, std::string_view session_id);

/// 413: the body is larger than `limit` bytes.
http_reply payload_too_large(std::size_t limit, std::time_t now);
/// 431: the request head is larger than the front accepts.
http_reply header_too_large(std::time_t now);
/// 400: the request could not be parsed as HTTP/1.x.
http_reply bad_request(std::time_t now);
/// 500: the RPC handler failed (threw); the daemon stays up.
http_reply internal_error(std::time_t now);

}  // namespace tessera::rpc
