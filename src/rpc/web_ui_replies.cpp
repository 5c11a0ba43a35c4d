#include "rpc/web_ui_replies.hpp"

#include <algorithm>
#include <string>

namespace tessera::rpc {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view strip_weak(std::string_view tag) {
  if (tag.starts_with("W/")) tag.remove_prefix(2);
  return tag;
}

/// Sets header `name` (compared exactly: the names come from common_headers) to `value`.
void replace_header(http_reply& r, std::string_view name, std::string_view value) {
  const auto it = std::find_if(r.headers.begin(), r.headers.end(),
                               [&](const auto& h) { return h.first == name; });
  if (it == r.headers.end()) {
    r.headers.emplace_back(name, value);
  } else {
    it->second = value;
  }
}

}  // namespace

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  if (trim(if_none_match) == "*") return true;
  const std::string_view wanted = strip_weak(etag);
  for (;;) {
    const auto comma = if_none_match.find(',');
    const std::string_view entry = trim(if_none_match.substr(0, comma));
    if (!entry.empty() && strip_weak(entry) == wanted) return true;
    if (comma == std::string_view::npos) return false;
    if_none_match.remove_prefix(comma + 1);
  }
}

http_reply web_ui_file_reply(const web_ui_file& file, bool head,
                             std::optional<std::string_view> if_none_match, std::time_t now) {
  http_reply r;
  r.headers = common_headers(now);
  replace_header(r, "X-Frame-Options", "DENY");
  replace_header(r, "Content-Security-Policy", web_ui_csp);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("ETag", file.etag);
  if (if_none_match && etag_matches(*if_none_match, file.etag)) {
    r.status = 304;  // RFC 9110 15.4.5: no body, no Content-Type needed
    return r;
  }
  r.headers.emplace_back("Content-Type", file.content_type);
  r.body = std::string(file.body);
  r.omit_body = head;
  return r;
}

}  // namespace tessera::rpc
