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

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

/// False when `params` (what follows a coding's first ';') holds q=0 (0, 0.0, 0.00, 0.000).
bool q_nonzero(std::string_view params) {
  for (;;) {
    const auto semi = params.find(';');
    const std::string_view param = trim(params.substr(0, semi));
    if (param.size() >= 2 && lower(param[0]) == 'q' && param[1] == '=') {
      const std::string_view value = trim(param.substr(2));
      return !(value == "0" || value == "0." || value == "0.0" || value == "0.00" ||
               value == "0.000");
    }
    if (semi == std::string_view::npos) return true;
    params.remove_prefix(semi + 1);
  }
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

bool accepts_gzip(std::optional<std::string_view> accept_encoding) {
  if (!accept_encoding) return false;
  std::string_view list = *accept_encoding;
  std::optional<bool> gzip, any;
  for (;;) {
    const auto comma = list.find(',');
    const std::string_view entry = list.substr(0, comma);
    const auto semi = entry.find(';');
    const std::string_view coding = trim(entry.substr(0, semi));
    const bool ok = semi == std::string_view::npos || q_nonzero(entry.substr(semi + 1));
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) gzip = ok;
    if (coding == "*") any = ok;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  if (gzip) return *gzip;
  return any.value_or(false);
}

std::string gzip_etag(std::string_view etag) {
  if (etag.size() >= 2 && etag.back() == '"') {
    return std::string(etag.substr(0, etag.size() - 1)) + "-gzip\"";
  }
  return std::string(etag) + "-gzip";
}

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

http_reply web_ui_file_reply(const web_ui_file& file, const web_ui_request& request,
                             std::time_t now) {
  const bool gzip = !file.gzip.empty() && accepts_gzip(request.accept_encoding);
  const std::string etag = gzip ? gzip_etag(file.etag) : std::string(file.etag);
  http_reply r;
  r.headers = common_headers(now);
  replace_header(r, "X-Frame-Options", "DENY");
  replace_header(r, "Content-Security-Policy", web_ui_csp);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("ETag", etag);
  if (!file.gzip.empty()) r.headers.emplace_back("Vary", "Accept-Encoding");
  if (request.if_none_match && etag_matches(*request.if_none_match, etag)) {
    r.status = 304;  // RFC 9110 15.4.5: no body, no Content-Type needed
    return r;
  }
  r.headers.emplace_back("Content-Type", file.content_type);
  if (gzip) r.headers.emplace_back("Content-Encoding", "gzip");
  r.body = std::string(gzip ? file.gzip : file.body);
  r.omit_body = request.head;
  return r;
}

}  // namespace tessera::rpc
