// BEP 19 (web seeds): the pure part of judging a web seed's HTTP reply to one ranged GET: the
// status line and headers decide whether the body is read (and how many bytes of it come before
// the range asked), and the body is read in bounded pieces that never pass the range. No I/O:
// torrent/web_seed.cpp reads the reply and calls these.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tessera::detail {

/// What one request asked of one file on the server: bytes [file_offset, file_offset + length)
/// of a file of `file_size` bytes. Expected: 0 <= file_offset, 0 < length,
/// file_offset + length <= file_size (web_seed_map's parts are).
struct web_seed_ask {
  std::int64_t file_offset = 0;
  std::int64_t length = 0;
  std::int64_t file_size = 0;
};

/// The status line and the headers of a reply that matter. The views point into the caller's
/// parsed header and are only read during plan_web_seed_reply.
struct web_seed_reply_head {
  unsigned status = 0;                          ///< 100..999 (HTTP status code)
  std::optional<std::uint64_t> content_length;  ///< Content-Length, when the reply has one
  std::optional<std::string_view> content_range;
  std::optional<std::string_view> location;
  std::optional<std::string_view> retry_after;
};

/// What to do with a reply.
enum class web_seed_verdict {
  body,         ///< read the body: `skip` bytes to drop, then the `length` bytes asked
  redirect,     ///< 301/302/303/307/308 with a Location: ask `location` instead
  unavailable,  ///< 503: try again later (after `retry_after` when the server said)
  not_found,    ///< 404 or 410: the file is not on this server
  bad_status,   ///< any other status, or a redirect without a Location
  bad_length,   ///< 200/206 whose Content-Length or Content-Range disagrees with what was asked
};

/// Retry-After is capped at this many seconds (a day).
inline constexpr std::int64_t max_retry_after_seconds = 86'400;

/// The verdict on a reply head, with what the caller needs for it.
struct web_seed_reply_plan {
  web_seed_verdict verdict = web_seed_verdict::bad_status;
  /// body: bytes of the body before the range (200, the server ignored Range: `file_offset`;
  /// 206: 0).
  std::int64_t skip = 0;
  std::string location;                             ///< redirect: the Location, never empty
  std::optional<std::chrono::seconds> retry_after;  ///< unavailable: a valid Retry-After, capped
  std::string detail;  ///< for the log: the status or the header at fault (bad_length, not_found, bad_status)
};

/// "bytes first-last/total" (RFC 9110 Content-Range; the total is not read) -> (first, last);
/// nullopt unless 0 <= first <= last.
std::optional<std::pair<std::int64_t, std::int64_t>> parse_content_range(std::string_view v);

/// Judges a reply's head against what was asked. A 206 must carry exactly `length` bytes (when
/// it says its Content-Length) of exactly the range asked (when it says its Content-Range); a
/// 200 must be the whole file (when it says its Content-Length).
web_seed_reply_plan plan_web_seed_reply(const web_seed_reply_head& head, const web_seed_ask& ask);

/// The body cut: how many bytes the next read may take, given `skip_left` bytes still to drop
/// before the range, `got` bytes of the range already received, the range's `length` and the
/// largest read `chunk` (> 0). In (0, chunk] while skip_left > 0 or got < length; never more
/// than skip_left while skipping, never more than length - got after; 0 once the range is in.
std::int64_t web_seed_next_read(std::int64_t skip_left, std::int64_t got, std::int64_t length, std::int64_t chunk);

}  // namespace tessera::detail
