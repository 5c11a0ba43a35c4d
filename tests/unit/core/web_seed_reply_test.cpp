#include "core/web_seed_reply.hpp"

#include <gtest/gtest.h>

namespace tessera::detail {
namespace {

// Bytes 100..299 of a 1000-byte file.
const web_seed_ask ask{100, 200, 1000};

web_seed_reply_head head(unsigned status) {
  web_seed_reply_head h;
  h.status = status;
  return h;
}

TEST(WebSeedContentRange, ReadsFirstAndLastIgnoringTheTotal) {
  EXPECT_EQ(parse_content_range("bytes 100-299/1000"), (std::pair<std::int64_t, std::int64_t>{100, 299}));
  EXPECT_EQ(parse_content_range("bytes 0-0/*"), (std::pair<std::int64_t, std::int64_t>{0, 0}));
  EXPECT_EQ(parse_content_range("bytes 7-9"), (std::pair<std::int64_t, std::int64_t>{7, 9}));
}

TEST(WebSeedContentRange, RejectsOtherUnitsMissingPartsReversedAndNegativeRanges) {
  EXPECT_FALSE(parse_content_range("items 0-9/10"));
  EXPECT_FALSE(parse_content_range("bytes 0"));
  EXPECT_FALSE(parse_content_range("bytes 0-"));
  EXPECT_FALSE(parse_content_range("bytes -9/10"));
  EXPECT_FALSE(parse_content_range("bytes 9-0/10"));
  EXPECT_FALSE(parse_content_range("bytes -5-3/10"));
  EXPECT_FALSE(parse_content_range("bytes 99999999999999999999-1/10"));
  EXPECT_FALSE(parse_content_range(""));
}

TEST(WebSeedReply, A206OfExactlyTheRangeIsReadWithoutSkipping) {
  auto h = head(206);
  h.content_length = 200;
  h.content_range = "bytes 100-299/1000";
  auto p = plan_web_seed_reply(h, ask);
  EXPECT_EQ(p.verdict, web_seed_verdict::body);
  EXPECT_EQ(p.skip, 0);
  // Both headers are optional (chunked replies have no Content-Length).
  EXPECT_EQ(plan_web_seed_reply(head(206), ask).verdict, web_seed_verdict::body);
}

TEST(WebSeedReply, A206OfAnotherLengthOrRangeIsBadLength) {
  auto h = head(206);
  h.content_length = 199;
  auto p = plan_web_seed_reply(h, ask);
  EXPECT_EQ(p.verdict, web_seed_verdict::bad_length);
  EXPECT_EQ(p.detail, "206 with Content-Length 199, asked 200");
  h.content_length = 200;
  h.content_range = "bytes 101-300/1000";
  p = plan_web_seed_reply(h, ask);
  EXPECT_EQ(p.verdict, web_seed_verdict::bad_length);
  EXPECT_EQ(p.detail, "Content-Range bytes 101-300/1000");
  h.content_range = "garbage";
  EXPECT_EQ(plan_web_seed_reply(h, ask).verdict, web_seed_verdict::bad_length);
  h.content_range = std::nullopt;
  h.content_length = std::uint64_t{1} << 63;  // past INT64_MAX: never equal to a length
  EXPECT_EQ(plan_web_seed_reply(h, ask).verdict, web_seed_verdict::bad_length);
}

TEST(WebSeedReply, A200IsTheWholeFileAndTheRangeIsCutOutOfIt) {
  auto h = head(200);
  h.content_length = 1000;
  auto p = plan_web_seed_reply(h, ask);
  EXPECT_EQ(p.verdict, web_seed_verdict::body);
  EXPECT_EQ(p.skip, 100);
  h.content_length = 200;  // the range's length is not the file's
  p = plan_web_seed_reply(h, ask);
  EXPECT_EQ(p.verdict, web_seed_verdict::bad_length);
  EXPECT_EQ(p.detail, "200 with Content-Length 200, file is 1000");
}

TEST(WebSeedReply, RedirectsNeedALocation) {
  for (unsigned s : {301u, 302u, 303u, 307u, 308u}) {
    auto h = head(s);
    h.location = "http://other/f";
    auto p = plan_web_seed_reply(h, ask);
    EXPECT_EQ(p.verdict, web_seed_verdict::redirect) << s;
    EXPECT_EQ(p.location, "http://other/f");
    h.location = "";
    EXPECT_EQ(plan_web_seed_reply(h, ask).verdict, web_seed_verdict::bad_status) << s;
    EXPECT_EQ(plan_web_seed_reply(head(s), ask).verdict, web_seed_verdict::bad_status) << s;
  }
  auto h = head(304);  // not a redirect to follow
  h.location = "http://other/f";
  EXPECT_EQ(plan_web_seed_reply(h, ask).verdict, web_seed_verdict::bad_status);
}

TEST(WebSeedReply, A503TakesAValidRetryAfterCappedAtADay) {
  auto h = head(503);
  EXPECT_EQ(plan_web_seed_reply(h, ask).verdict, web_seed_verdict::unavailable);
  EXPECT_FALSE(plan_web_seed_reply(h, ask).retry_after);
  h.retry_after = "120";
  EXPECT_EQ(plan_web_seed_reply(h, ask).retry_after, std::chrono::seconds(120));
  h.retry_after = "999999999";
  EXPECT_EQ(plan_web_seed_reply(h, ask).retry_after, std::chrono::seconds(max_retry_after_seconds));
  h.retry_after = "-1";
  EXPECT_FALSE(plan_web_seed_reply(h, ask).retry_after);
  h.retry_after = "Wed, 21 Oct 2015 07:28:00 GMT";  // an HTTP date is not read
  EXPECT_FALSE(plan_web_seed_reply(h, ask).retry_after);
}

TEST(WebSeedReply, OtherStatusesAreNotFoundOrBadStatus) {
  EXPECT_EQ(plan_web_seed_reply(head(404), ask).verdict, web_seed_verdict::not_found);
  EXPECT_EQ(plan_web_seed_reply(head(410), ask).verdict, web_seed_verdict::not_found);
  auto p = plan_web_seed_reply(head(500), ask);
  EXPECT_EQ(p.verdict, web_seed_verdict::bad_status);
  EXPECT_EQ(p.detail, "HTTP 500");
  EXPECT_EQ(plan_web_seed_reply(head(204), ask).verdict, web_seed_verdict::bad_status);
}

TEST(WebSeedBodyCut, SkipsThenReadsTheRangeInChunksNeverPastIt) {
  // 200 reply: drop 100 bytes, then read 200, in reads of at most 64.
  std::int64_t skip = 100, got = 0;
  std::vector<std::int64_t> reads;
  while (std::int64_t n = web_seed_next_read(skip, got, 200, 64)) {
    reads.push_back(n);
    if (skip > 0) {
      skip -= n;
    } else {
      got += n;
    }
  }
  EXPECT_EQ(reads, (std::vector<std::int64_t>{64, 36, 64, 64, 64, 8}));
  EXPECT_EQ(got, 200);
  EXPECT_EQ(web_seed_next_read(0, 200, 200, 64), 0);
}

}  // namespace
}  // namespace tessera::detail
