// Tests of the token bucket behind the rate limits: accrual, burst cap, waiting times, rate
// changes, and the long-run average against simulated time.
#include "core/token_bucket.hpp"

#include <gtest/gtest.h>

#include <random>

namespace tessera::detail {
namespace {

using namespace std::chrono_literals;
using tp = token_bucket::time_point;
const tp t0{};

TEST(TokenBucket, StartsEmptyAndAccruesAtTheRate) {
  token_bucket b(1000, 5000, t0);
  EXPECT_EQ(b.request(100, t0), 0);
  EXPECT_EQ(b.available(t0 + 500ms), 500);
  EXPECT_EQ(b.request(300, t0 + 500ms), 300);
  EXPECT_EQ(b.request(300, t0 + 500ms), 200);  // only what is left
  EXPECT_EQ(b.request(300, t0 + 500ms), 0);
}

TEST(TokenBucket, NeverHoldsMoreThanTheBurst) {
  token_bucket b(1000, 1500, t0);
  EXPECT_EQ(b.available(t0 + 1h), 1500);
  EXPECT_EQ(b.request(10'000, t0 + 1h), 1500);
  EXPECT_EQ(b.request(10'000, t0 + 1h), 0);
}

TEST(TokenBucket, ZeroBurstMeansOneSecondOfTheRate) {
  token_bucket b(4096, 0, t0);
  EXPECT_EQ(b.burst(), 4096);
  b.set_rate(100, t0);
  EXPECT_EQ(b.burst(), 100);
  token_bucket fixed(4096, 10, t0);
  fixed.set_rate(100, t0);
  EXPECT_EQ(fixed.burst(), 10);
}

TEST(TokenBucket, ZeroRateIsUnlimited) {
  token_bucket b(0, 0, t0);
  EXPECT_TRUE(b.unlimited());
  EXPECT_EQ(b.request(1 << 30, t0), 1 << 30);
  EXPECT_EQ(b.time_until(1 << 30, t0), 0ns);
  token_bucket neg(-5, 0, t0);
  EXPECT_TRUE(neg.unlimited());
}

TEST(TokenBucket, NegativeOrZeroRequestsGrantNothing) {
  token_bucket b(1000, 1000, t0);
  EXPECT_EQ(b.request(-10, t0 + 1s), 0);
  EXPECT_EQ(b.request(0, t0 + 1s), 0);
  EXPECT_EQ(b.available(t0 + 1s), 1000);
}

TEST(TokenBucket, FractionalBytesAccumulateWithoutLoss) {
  token_bucket b(3, 100, t0);  // one byte every 333.33 ms
  std::int64_t got = 0;
  for (int i = 1; i <= 3000; ++i) got += b.request(1, t0 + i * 1ms);  // 3 s in 1 ms steps
  EXPECT_EQ(got, 9);
}

TEST(TokenBucket, TimeUntilIsExactAndRoundedUp) {
  token_bucket b(1000, 10'000, t0);
  EXPECT_EQ(b.time_until(500, t0), 500ms);
  EXPECT_EQ(b.time_until(1, t0), 1ms);
  EXPECT_EQ(b.available(t0 + b.time_until(500, t0)), 500);
  EXPECT_EQ(b.time_until(500, t0 + 200ms), 300ms);
  token_bucket odd(3, 100, t0);
  auto w = odd.time_until(1, t0);
  EXPECT_EQ(w, 333'333'334ns);
  EXPECT_EQ(odd.available(t0 + w), 1);
  EXPECT_EQ(odd.available(t0 + w - 1ns), 0);
}

TEST(TokenBucket, TimeUntilCapsTheRequestAtTheBurst) {
  token_bucket b(1000, 200, t0);
  EXPECT_EQ(b.time_until(1'000'000, t0), 200ms);
  EXPECT_EQ(b.time_until(100, t0 + 1s), 0ns);
}

TEST(TokenBucket, ClockGoingBackwardsNeitherAddsNorRemovesTokens) {
  token_bucket b(1000, 10'000, t0);
  EXPECT_EQ(b.request(100, t0 + 1s), 100);
  EXPECT_EQ(b.available(t0 + 500ms), 900);
  EXPECT_EQ(b.request(1000, t0 + 500ms), 900);
  // Accrual resumes from the latest time seen (1 s), not from 500 ms.
  EXPECT_EQ(b.available(t0 + 1100ms), 100);
  EXPECT_EQ(b.time_until(100, t0 + 900ms), 200ms);
}

TEST(TokenBucket, RateChangeKeepsTokensAccruedAtTheOldRate) {
  token_bucket b(1000, 100'000, t0);
  b.set_rate(10, t0 + 2s);  // 2000 bytes accrued at 1000 B/s
  EXPECT_EQ(b.rate(), 10);
  EXPECT_EQ(b.available(t0 + 3s), 2010);
  b.set_rate(0, t0 + 3s);
  EXPECT_EQ(b.request(1 << 20, t0 + 3s), 1 << 20);
  b.set_rate(100, t0 + 10s);  // leaving unlimited: empty
  EXPECT_EQ(b.available(t0 + 10s), 0);
  EXPECT_EQ(b.available(t0 + 11s), 100);
}

TEST(TokenBucket, ShrinkingTheBurstDropsTheExcess) {
  token_bucket b(1000, 5000, t0);
  b.set_burst(300, t0 + 10s);
  EXPECT_EQ(b.available(t0 + 10s), 300);
}

TEST(TokenBucket, HugeElapsedTimeAndRateDoNotOverflow) {
  const std::int64_t big = std::int64_t{1} << 40;
  token_bucket b(big, big, t0);
  EXPECT_EQ(b.available(t0 + std::chrono::hours(24 * 365 * 100)), big);
}

// A sender with random chunk sizes that, when a chunk is only partly granted, keeps the rest
// outstanding and sleeps for the time the bucket says (for at most half a burst at a time, as a
// socket writing blocks would; waiting for a full burst and then oversleeping loses what overflows
// the bucket), plus some event-loop jitter. Returns the average rate over the run (or over its
// second half, when the rate changes at 10 s).
double simulated_average(std::int64_t rate, std::int64_t burst, unsigned seed,
                         std::int64_t change_rate_at_10s = 0) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::int64_t> chunk(1, 64 * 1024);
  token_bucket b(rate, burst, t0);
  tp now = t0, last_grant = t0;
  std::int64_t total = 0, outstanding = 0;
  bool changed = false;
  int steps = 0;
  while (now < t0 + 20s && steps++ < 10'000'000) {
    if (change_rate_at_10s && !changed && now >= t0 + 10s) {
      b.set_rate(change_rate_at_10s, now);
      changed = true;
      total = 0;
    }
    if (outstanding == 0) outstanding = chunk(rng);
    const std::int64_t got = b.request(outstanding, now);
    if (got > 0) last_grant = now;
    total += got;
    outstanding -= got;
    now += b.time_until(std::min(outstanding, b.burst() / 2), now) +
           std::chrono::microseconds(rng() % 2000);
  }
  const auto from = change_rate_at_10s ? t0 + 10s : t0;
  return static_cast<double>(total) / std::chrono::duration<double>(last_grant - from).count();
}

TEST(TokenBucket, LongRunAverageIsWithinOnePercentOfTheRate) {
  for (std::int64_t rate : {50'000, 1'000'000, 20'000'000}) {
    for (unsigned seed = 1; seed <= 3; ++seed) {
      double avg = simulated_average(rate, rate / 10, seed);
      EXPECT_NEAR(avg, static_cast<double>(rate), rate * 0.01) << rate << " seed " << seed;
    }
  }
}

TEST(TokenBucket, LongRunAverageFollowsARateChangedWhileRunning) {
  double avg = simulated_average(2'000'000, 0, 7, 300'000);
  EXPECT_NEAR(avg, 300'000.0, 300'000 * 0.01);
}

TEST(TokenBucket, GreedyCallerNeverExceedsRateTimesTimePlusBurst) {
  token_bucket b(10'000, 2'000, t0);
  std::int64_t total = 0;
  for (int ms = 0; ms <= 5000; ms += 7) {
    total += b.request(1'000'000, t0 + std::chrono::milliseconds(ms));
    EXPECT_LE(total, 10 * ms + 2000);
  }
  EXPECT_GE(total, 10 * 4998 - 10);
}

}  // namespace
}  // namespace tessera::detail
