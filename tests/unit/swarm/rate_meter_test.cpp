#include "swarm/rate_meter.hpp"

#include <gtest/gtest.h>

namespace tessera::detail {
namespace {

using namespace std::chrono_literals;
using tp = rate_meter::clock::time_point;

const tp t0 = tp{} + 1000s;

TEST(RateMeter, FreshMeterReadsZero) {
  rate_meter m(t0);
  EXPECT_EQ(m.rate(t0), 0);
  EXPECT_EQ(m.rate(t0 + 3s), 0);
  EXPECT_EQ(m.total(), 0);
}

TEST(RateMeter, SteadyTransferReadsItsRate) {
  rate_meter m(t0, 5s, 10);
  // 100 KiB every 100 ms = 1,024,000 bytes/s, for 10 s.
  for (int i = 1; i <= 100; ++i) m.add(100 * 1024, t0 + i * 100ms);
  const auto r = m.rate(t0 + 10s);
  EXPECT_NEAR(static_cast<double>(r), 1'024'000.0, 1'024'000.0 * 0.12);
  EXPECT_EQ(m.total(), 100 * 100 * 1024);
}

TEST(RateMeter, YoungTransferIsNotUnderReported) {
  rate_meter m(t0, 5s, 10);
  // 1 MB/s for the first 2 s only: the rate divides by 2 s, not by the 5 s window.
  for (int i = 1; i <= 20; ++i) m.add(100'000, t0 + i * 100ms);
  EXPECT_NEAR(static_cast<double>(m.rate(t0 + 2s)), 1'000'000.0, 100'000.0);
}

TEST(RateMeter, OldBytesLeaveTheWindow) {
  rate_meter m(t0, 5s, 10);
  m.add(5'000'000, t0 + 100ms);
  EXPECT_GT(m.rate(t0 + 1s), 0);
  EXPECT_EQ(m.rate(t0 + 6s), 0);    // the bucket is outside the window now
  m.add(1000, t0 + 20s);            // a long gap: old slots are cleared on the way
  // 1000 bytes over the window's complete buckets (4.5 s here): about 222 bytes/s.
  EXPECT_GE(m.rate(t0 + 20s), 200);
  EXPECT_LE(m.rate(t0 + 20s), 250);
  EXPECT_EQ(m.total(), 5'001'000);
}

TEST(RateMeter, RateFallsWhenTransferStops) {
  rate_meter m(t0, 4s, 8);
  for (int i = 1; i <= 40; ++i) m.add(50'000, t0 + i * 100ms);  // 500 KB/s for 4 s
  const auto busy = m.rate(t0 + 4s);
  const auto later = m.rate(t0 + 6s);
  EXPECT_NEAR(static_cast<double>(busy), 500'000.0, 60'000.0);
  EXPECT_LT(later, busy);
  EXPECT_GT(later, 0);
}

TEST(RateMeter, SingleBurstIsBoundedByOneBucketWidth) {
  rate_meter m(t0, 5s, 10);  // 500 ms buckets
  m.add(16384, t0);
  EXPECT_EQ(m.rate(t0), 16384 * 2);  // divided by 0.5 s, never by zero
}

TEST(RateMeter, NegativeBytesAndEarlierTimesAreHarmless) {
  rate_meter m(t0, 5s, 10);
  m.add(-100, t0 + 1s);
  m.add(1000, t0 + 2s);
  m.add(1000, t0 + 1s);  // earlier than the latest time: counted at the latest
  EXPECT_EQ(m.total(), 2000);
  EXPECT_GT(m.rate(t0 + 2s), 0);
}

}  // namespace
}  // namespace tessera::detail
