// libFuzzer target for a BEP 19 web seed's reply handling (core/web_seed_reply): a reply head
// (status, Content-Length, Content-Range, Location, Retry-After) judged against a request, then
// the body cut driven by short reads. Checked: a body is read only for a 200 of the whole file or
// a 206 of exactly the range asked; a redirect always has a Location; Retry-After stays within
// its cap; every read is in (0, chunk], never passes the bytes to skip nor the range, and the
// range ends complete.
//
// Input: status (2 bytes), header flags (1), Content-Length (8), file size (3, below 1 MiB), offset (3),
// length (3), chunk (2), then Content-Range, Location and Retry-After (each one length byte and
// its bytes), then one byte per body read saying how short it falls.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/web_seed_reply.hpp"
#include "fuzz_support.hpp"

using namespace tessera::detail;

namespace {

std::int64_t u24(tessera::fuzz::byte_reader& in) {
  const std::int64_t hi = in.u8();
  const std::int64_t mid = in.u8();
  return hi << 16 | mid << 8 | in.u8();
}

bool is_redirect(unsigned s) { return s == 301 || s == 302 || s == 303 || s == 307 || s == 308; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tessera::fuzz::byte_reader in(data, size);
  web_seed_reply_head head;
  head.status = 100 + in.u16() % 900;
  const std::uint8_t flags = in.u8();
  const std::uint64_t raw_length = in.u64();
  // A request as web_seed_map makes them: 0 <= offset, 0 < length, offset + length <= size.
  web_seed_ask ask;
  ask.file_size = 1 + u24(in) % (1 << 20);
  ask.file_offset = u24(in) % ask.file_size;
  ask.length = 1 + u24(in) % (ask.file_size - ask.file_offset);
  const std::int64_t chunk = 1 + in.u16();
  // Content-Length: absent, the range's length, the file's size, or the raw value.
  switch (flags & 3) {
    case 0: break;
    case 1: head.content_length = static_cast<std::uint64_t>(ask.length); break;
    case 2: head.content_length = static_cast<std::uint64_t>(ask.file_size); break;
    default: head.content_length = raw_length; break;
  }
  const auto cr = in.short_bytes();
  const auto loc = in.short_bytes();
  const auto ra = in.short_bytes();
  if (flags & 4) head.content_range = cr;
  if (flags & 8) head.location = loc;
  if (flags & 16) head.retry_after = ra;

  if (head.content_range) {
    if (auto r = parse_content_range(*head.content_range)) FUZZ_CHECK(0 <= r->first && r->first <= r->second);
  }

  const auto plan = plan_web_seed_reply(head, ask);
  switch (plan.verdict) {
    case web_seed_verdict::body:
      FUZZ_CHECK(head.status == 200 || head.status == 206);
      if (head.status == 206) {
        FUZZ_CHECK(plan.skip == 0);
        FUZZ_CHECK(!head.content_length || *head.content_length == static_cast<std::uint64_t>(ask.length));
        if (head.content_range) {
          auto r = parse_content_range(*head.content_range);
          FUZZ_CHECK(r && r->first == ask.file_offset && r->second == ask.file_offset + ask.length - 1);
        }
      } else {
        FUZZ_CHECK(plan.skip == ask.file_offset);
        FUZZ_CHECK(!head.content_length || *head.content_length == static_cast<std::uint64_t>(ask.file_size));
      }
      break;
    case web_seed_verdict::redirect:
      FUZZ_CHECK(is_redirect(head.status));
      FUZZ_CHECK(head.location && !plan.location.empty() && plan.location == *head.location);
      break;
    case web_seed_verdict::unavailable:
      FUZZ_CHECK(head.status == 503);
      if (plan.retry_after) {
        FUZZ_CHECK(plan.retry_after->count() >= 0 && plan.retry_after->count() <= max_retry_after_seconds);
      }
      break;
    case web_seed_verdict::not_found: FUZZ_CHECK(head.status == 404 || head.status == 410); break;
    case web_seed_verdict::bad_length: FUZZ_CHECK(head.status == 200 || head.status == 206); break;
    case web_seed_verdict::bad_status:
      FUZZ_CHECK(head.status != 200 && head.status != 206 && head.status != 503 && head.status != 404 &&
                 head.status != 410);
      break;
  }
  if (plan.verdict != web_seed_verdict::body) return 0;

  // The body: each read takes what web_seed_next_read allows, minus a shortfall from the input
  // (a read that brings fewer bytes; once the input is used up, reads are full).
  std::int64_t skip = plan.skip, got = 0;
  while (const std::int64_t want = web_seed_next_read(skip, got, ask.length, chunk)) {
    FUZZ_CHECK(want > 0 && want <= chunk);
    FUZZ_CHECK(skip > 0 ? want <= skip : want <= ask.length - got);
    const std::int64_t n = in.empty() ? want : want - std::min<std::int64_t>(want, in.u8());
    if (skip > 0) {
      skip -= n;
    } else {
      got += n;
    }
  }
  FUZZ_CHECK(skip == 0 && got == ask.length);
  return 0;
}
