#include "rpc/rpc_version.hpp"
#include "rpc/http_replies.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace tessera::rpc {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

constexpr std::string_view html_type = "text/html; charset=UTF-8";

/// A reply with the common headers and an HTML body "<h1>status: reason</h1>" + `text`.
http_reply html(unsigned status, std::string_view reason, std::string_view text, std::time_t now) {
  http_reply r;
  r.status = status;
  r.headers = common_headers(now);
  r.headers.emplace_back("Content-Type", html_type);
  r.body = "<html><head><title>" + std::to_string(status) + ": " + std::string(reason) +
           "</title></head><body><h1>" + std::to_string(status) + ": " + std::string(reason) +
           "</h1>" + std::string(text) + "</body></html>";
  return r;
}

}  // namespace

std::string_view http_reply::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

std::string http_date(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  // strftime's %a and %b follow the C locale only if the process has not changed it: spell
  // them out so the header is right under any locale.
  static constexpr std::array<const char*, 7> days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7],
                tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string_view mime_type_for(std::string_view file_name) {
  const auto dot = file_name.rfind('.');
  const auto slash = file_name.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return "application/octet-stream";
  }
  const auto ext = file_name.substr(dot + 1);
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 9> types{{
      {"css", "text/css"},
      {"html", "text/html"},
      {"ico", "image/vnd.microsoft.icon"},
      {"js", "application/javascript"},
      {"png", "image/png"},
      {"svg", "image/svg+xml"},
      {"json", "application/json"},
      {"woff2", "font/woff2"},
      {"gif", "image/gif"},
  }};
  for (const auto& [e, type] : types) {
    if (iequals(ext, e)) return type;
  }
  return "application/octet-stream";
}

std::vector<std::pair<std::string, std::string>> common_headers(std::time_t now) {
  return {
      {"Server", "Transmission"},
      {"Date", http_date(now)},
      {"X-Frame-Options", "SAMEORIGIN"},
      {"Content-Security-Policy", "frame-ancestors 'self'"},
  };
}

http_reply reply_for(const gate_decision& decision, std::string_view session_id,
                     std::time_t now) {
  switch (decision.outcome) {
    case gate_outcome::locked_out:
      return html(403, "Forbidden",
                  "<p>Too many failed login attempts from your address. Try again later.</p>",
                  now);
    case gate_outcome::address_refused:
      return html(403, "Forbidden",
                  "<p>Unauthorized IP Address.</p><p>Either disable the IP address whitelist or "
                  "add your address to it.</p><p>If you're editing settings.json, see the "
                  "'rpc-whitelist' and 'rpc-whitelist-enabled' entries.</p>",
                  now);
    case gate_outcome::unauthorized: {
      http_reply r = html(401, "Unauthorized", "<p>Unauthorized User</p>", now);
      r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"Transmission\"");
      return r;
    }
    case gate_outcome::unauthorized_quiet:
      return html(401, "Unauthorized", "<p>Unauthorized User</p>", now);
    case gate_outcome::origin_refused:
      return html(403, "Forbidden",
                  "<p>The event stream is read only by pages of this server (the Origin header "
                  "names another site).</p>",
                  now);
    case gate_outcome::events_bad_method: {
      http_reply r = html(405, "Method Not Allowed", "<p>The event stream takes a GET.</p>", now);
      r.headers.emplace_back("Allow", "GET");
      return r;
    }
    case gate_outcome::redirect: {
      http_reply r = html(301, "Moved Permanently",
                          "<p>See <a href=\"" + decision.location + "\">" + decision.location +
                              "</a>.</p>",
                          now);
      r.headers.emplace_back("Location", decision.location);
      return r;
    }
    case gate_outcome::web_bad_method: {
      http_reply r = html(405, "Method Not Allowed", "<p>Only GET is allowed here.</p>", now);
      r.headers.emplace_back("Allow", "GET");
      return r;
    }
    case gate_outcome::ui_bad_method: {
      http_reply r = html(405, "Method Not Allowed", "<p>Only GET and HEAD are allowed here.</p>",
                          now);
      r.headers.emplace_back("Allow", "GET, HEAD");
      return r;
    }
    case gate_outcome::rpc_bad_method: {
      http_reply r = html(405, "Method Not Allowed",
                          "<p>The RPC takes a POST with a JSON body.</p>", now);
      r.headers.emplace_back("Allow", "POST");
      return r;
    }
    case gate_outcome::host_refused:
      return html(421, "Misdirected Request",
                  "<p>Transmission received your request, but the hostname was unrecognized.</p>"
                  "<p>To fix this, choose one of the following options:<ul><li>Enable password "
                  "authentication, then any hostname is allowed.</li><li>Add the hostname you "
                  "want to use to the whitelist in settings.</li></ul></p><p>If you're editing "
                  "settings.json, see the 'rpc-host-whitelist' and "
                  "'rpc-host-whitelist-enabled' entries.</p><p>This requirement has been added "
                  "to help prevent <a href=\"https://en.wikipedia.org/wiki/DNS_rebinding\">DNS "
                  "Rebinding</a> attacks.</p>",
                  now);
    case gate_outcome::session_conflict: {
      http_reply r = html(
          409, "Conflict",
          "<p>Your request had an invalid session-id header.</p><p>To fix this, follow these "
          "steps:<ol><li> When reading a response, get its X-Transmission-Session-Id header and "
          "remember it<li> Add the updated header to your outgoing requests<li> When you get "
          "this 409 error message, resend your request with the updated header</ol></p><p>This "
          "requirement has been added to help prevent <a "
          "href=\"https://en.wikipedia.org/wiki/Cross-site_request_forgery\">CSRF</a> "
          "attacks.</p><p><code>X-Transmission-Session-Id: " +
              std::string(session_id) + "</code></p>",
          now);
      r.headers.emplace_back("X-Transmission-Session-Id", session_id);
      return r;
    }
    case gate_outcome::web_not_found:
    case gate_outcome::not_found:
    case gate_outcome::web_file:
    case gate_outcome::ui_file:
    case gate_outcome::rpc:
    case gate_outcome::events:
      break;
  }
  return html(404, "Not Found", "<p>The requested resource was not found.</p>", now);
}

http_reply rpc_reply(std::string json, std::string_view session_id, std::time_t now) {
  http_reply r;
  r.headers = common_headers(now);
  r.headers.emplace_back("Content-Type", "application/json; charset=UTF-8");
  r.headers.emplace_back("X-Transmission-Session-Id", session_id);
  r.body = std::move(json);
  return r;
}

http_reply file_reply(std::string content, std::string_view file_name, std::time_t now) {
  http_reply r;
  r.headers = common_headers(now);
  r.headers.emplace_back("Content-Type", mime_type_for(file_name));
  r.headers.emplace_back("Expires", http_date(now + 24 * 60 * 60));
  r.body = std::move(content);
  return r;
}

http_reply payload_too_large(std::size_t limit, std::time_t now) {
  return html(413, "Payload Too Large",
              "<p>The request body is larger than " + std::to_string(limit) + " bytes.</p>", now);
}

http_reply header_too_large(std::time_t now) {
  return html(431, "Request Header Fields Too Large", "<p>The request head is too large.</p>",
              now);
}

http_reply bad_request(std::time_t now) {
  return html(400, "Bad Request", "<p>The request is not valid HTTP.</p>", now);
}

http_reply internal_error(std::time_t now) {
  return html(500, "Internal Server Error", "<p>The request could not be handled.</p>", now);
}

http_reply event_stream_head(std::time_t now) {
  http_reply r;
  r.headers = common_headers(now);
  r.headers.emplace_back("Content-Type", "text/event-stream");
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Accel-Buffering", "no");
  return r;
}

http_reply too_many_streams(std::size_t limit, std::time_t now) {
  http_reply r = html(503, "Service Unavailable",
                      "<p>Too many event streams are open (at most " + std::to_string(limit) + ").</p>", now);
  r.headers.emplace_back("Retry-After", "2");
  return r;
}

std::string hello_event_data(std::string_view version, std::string_view session_id) {
  boost::json::object o{{"version", version}, {"rpc-version", rpc_version}, {"session-id", session_id}, {"interval", 1000}};
  return boost::json::serialize(o);
}

std::string sse_message(std::string_view name, std::uint64_t id, std::string_view data) {
  std::string out;
  out.reserve(name.size() + data.size() + 40);
  out += "event: ";
  out += name;
  out += "\nid: ";
  out += std::to_string(id);
  out += "\ndata: ";
  out += data;
  out += "\n\n";
  return out;
}

}  // namespace tessera::rpc
