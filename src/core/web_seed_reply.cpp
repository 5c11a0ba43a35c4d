// BEP 19 web seed replies: the status line and headers judged, the body cut (web_seed_reply.hpp).
#include "core/web_seed_reply.hpp"

#include <algorithm>
#include <charconv>

namespace tessera::detail {

namespace {

bool is_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

std::optional<std::pair<std::int64_t, std::int64_t>> parse_content_range(std::string_view v) {
  if (!v.starts_with("bytes ")) return std::nullopt;
  v.remove_prefix(6);
  const char* const end = v.data() + v.size();
  std::int64_t first = 0, last = 0;
  auto [p1, e1] = std::from_chars(v.data(), end, first);
  if (e1 != std::errc{} || p1 == end || *p1 != '-') return std::nullopt;
  auto [p2, e2] = std::from_chars(p1 + 1, end, last);
  if (e2 != std::errc{} || first < 0 || last < first) return std::nullopt;
  return std::pair{first, last};
}

web_seed_reply_plan plan_web_seed_reply(const web_seed_reply_head& head, const web_seed_ask& ask) {
  web_seed_reply_plan plan;
  const unsigned status = head.status;
  if (is_redirect(status)) {
    if (!head.location || head.location->empty()) {
      plan.verdict = web_seed_verdict::bad_status;
      return plan;
    }
    plan.verdict = web_seed_verdict::redirect;
    plan.location = std::string(*head.location);
    return plan;
  }
  if (status == 503) {
    plan.verdict = web_seed_verdict::unavailable;
    if (head.retry_after) {
      std::int64_t secs = 0;
      const auto v = *head.retry_after;
      if (auto [p, e] = std::from_chars(v.data(), v.data() + v.size(), secs); e == std::errc{} && secs >= 0) {
        plan.retry_after = std::chrono::seconds(std::min(secs, max_retry_after_seconds));
      }
    }
    return plan;
  }
  const auto& cl = head.content_length;
  if (status == 206) {
    if (cl && (*cl > static_cast<std::uint64_t>(INT64_MAX) || static_cast<std::int64_t>(*cl) != ask.length)) {
      plan.verdict = web_seed_verdict::bad_length;
      plan.detail = "206 with Content-Length " + std::to_string(*cl) + ", asked " + std::to_string(ask.length);
      return plan;
    }
    if (head.content_range) {
      auto r = parse_content_range(*head.content_range);
      if (!r || r->first != ask.file_offset || r->second != ask.file_offset + ask.length - 1) {
        plan.verdict = web_seed_verdict::bad_length;
        plan.detail = "Content-Range " + std::string(*head.content_range);
        return plan;
      }
    }
    plan.verdict = web_seed_verdict::body;
    return plan;
  }
  if (status == 200) {
    // The server ignored the Range: the whole file follows; the range is cut out of it.
    if (cl && (*cl > static_cast<std::uint64_t>(INT64_MAX) || static_cast<std::int64_t>(*cl) != ask.file_size)) {
      plan.verdict = web_seed_verdict::bad_length;
      plan.detail = "200 with Content-Length " + std::to_string(*cl) + ", file is " + std::to_string(ask.file_size);
      return plan;
    }
    plan.verdict = web_seed_verdict::body;
    plan.skip = ask.file_offset;
    return plan;
  }
  plan.verdict = status == 404 || status == 410 ? web_seed_verdict::not_found : web_seed_verdict::bad_status;
  plan.detail = "HTTP " + std::to_string(status);
  return plan;
}

std::int64_t web_seed_next_read(std::int64_t skip_left, std::int64_t got, std::int64_t length, std::int64_t chunk) {
  if (skip_left > 0) return std::min(chunk, skip_left);
  return got < length ? std::min(chunk, length - got) : 0;
}

}  // namespace tessera::detail
