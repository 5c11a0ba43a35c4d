#include "core/request_policy.hpp"

#include <gtest/gtest.h>

namespace tessera::detail {
namespace {

using namespace std::chrono_literals;

TEST(RequestPolicy, DepthIsRateTimesQueueTimeInBlocks) {
  // 1 MiB/s for 3 s = 192 blocks of 16 KiB.
  EXPECT_EQ(request_queue_depth(1 << 20, 3000ms, 2, 500), 192);
  // 10 MiB/s for 1 s = 640 blocks, capped at max.
  EXPECT_EQ(request_queue_depth(10 << 20, 1000ms, 2, 500), 500);
  // Partial blocks round down: 100 KiB/s for 1 s = 6.25 blocks.
  EXPECT_EQ(request_queue_depth(100 * 1024, 1000ms, 2, 500), 6);
}

TEST(RequestPolicy, SlowOrUnmeasuredPeerGetsTheMinimum) {
  EXPECT_EQ(request_queue_depth(0, 3000ms, 4, 500), 4);
  EXPECT_EQ(request_queue_depth(1000, 3000ms, 4, 500), 4);
  EXPECT_EQ(request_queue_depth(-5, 3000ms, 4, 500), 4);
  EXPECT_EQ(request_queue_depth(1 << 20, 0ms, 4, 500), 4);
}

TEST(RequestPolicy, PeerReqqIsAnUpperBound) {
  EXPECT_EQ(request_queue_depth(10 << 20, 3000ms, 2, 500, 250), 250);
  EXPECT_EQ(request_queue_depth(1 << 20, 1000ms, 2, 500, 250), 64);  // below reqq: unchanged
  // reqq wins over min_depth: the peer would drop the extra requests anyway.
  EXPECT_EQ(request_queue_depth(0, 1000ms, 10, 500, 5), 5);
  // A nonsensical reqq (0 or negative) is ignored.
  EXPECT_EQ(request_queue_depth(10 << 20, 3000ms, 2, 500, 0), 500);
  EXPECT_EQ(request_queue_depth(10 << 20, 3000ms, 2, 500, -1), 500);
}

TEST(RequestPolicy, DepthIsAtLeastOneAndNeverOverflows) {
  EXPECT_EQ(request_queue_depth(0, 1000ms, 0, 0), 1);
  EXPECT_EQ(request_queue_depth(std::numeric_limits<std::int64_t>::max(), 3'600'000ms, 2, 500),
            500);
  static_assert(request_queue_depth(1 << 20, 3000ms, 2, 500) == 192);  // usable at compile time
}

TEST(RequestPolicy, SnubbedOnlyWhenWaitingPastTheTimeout) {
  const auto t0 = std::chrono::steady_clock::time_point{} + 1000s;
  EXPECT_FALSE(is_snubbed(t0, t0 + 59s, 60s, 3));
  EXPECT_TRUE(is_snubbed(t0, t0 + 60s, 60s, 3));
  EXPECT_TRUE(is_snubbed(t0, t0 + 300s, 60s, 1));
  EXPECT_FALSE(is_snubbed(t0, t0 + 300s, 60s, 0));  // nothing requested: nothing owed
}

}  // namespace
}  // namespace tessera::detail
