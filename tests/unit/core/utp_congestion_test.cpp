// uTP control loops alone: RTT/timeout (BEP 29), LEDBAT (RFC 6817), path MTU search.
#include "core/utp_congestion.hpp"

#include <gtest/gtest.h>

namespace tessera::detail {
namespace {

using namespace std::chrono_literals;

const utp_time t0{std::chrono::seconds(100)};

TEST(UtpRtt, FollowsBep29Formulas) {
  utp_rtt r;
  EXPECT_EQ(r.timeout(), 1s);  // before any sample
  r.sample(100ms);
  EXPECT_EQ(r.rtt(), 100ms);
  EXPECT_EQ(r.rtt_var(), 50ms);
  EXPECT_EQ(r.timeout(), 500ms);  // 100 + 4 * 50 = 300, below the 500 ms floor
  r.sample(900ms);
  // delta = 100 - 900; rtt_var += (800 - 50) / 4; rtt += (900 - 100) / 8
  EXPECT_EQ(r.rtt_var(), utp_duration{50'000 + 750'000 / 4});
  EXPECT_EQ(r.rtt(), 200ms);
  EXPECT_EQ(r.timeout(), r.rtt() + 4 * r.rtt_var());
}

TEST(UtpRtt, BacksOffByDoublingUpToSixtySeconds) {
  utp_rtt r;
  r.sample(10ms);
  EXPECT_EQ(r.timeout(), 500ms);
  r.back_off();
  EXPECT_EQ(r.timeout(), 1s);
  r.back_off();
  EXPECT_EQ(r.timeout(), 2s);
  for (int i = 0; i < 20; ++i) r.back_off();
  EXPECT_EQ(r.timeout(), utp_rtt::max_timeout);
  r.sample(10ms);  // a fresh sample ends the back-off
  EXPECT_LT(r.timeout(), 1s);
}

// A window out of slow start, with a base delay of 10 ms established.
utp_ledbat steady_ledbat() {
  utp_ledbat l(100'000, 1500, 1'000'000, 100ms);
  l.on_delay_sample(10'000, t0);
  l.on_delay_sample(400'000, t0);  // 390 ms queued: ends the slow start
  l.on_ack(1500, true);
  EXPECT_FALSE(l.slow_start());
  return l;
}

TEST(UtpLedbat, ShrinksAboveTheTargetAndGrowsBelow) {
  auto l = steady_ledbat();
  std::int64_t w = l.cwnd();
  l.on_delay_sample(10'000 + 250'000, t0 + 1s);  // 250 ms queued
  EXPECT_EQ(l.queueing_delay(), 250ms);
  for (int i = 0; i < 50; ++i) l.on_ack(1500, true);
  EXPECT_LT(l.cwnd(), w);

  w = l.cwnd();
  l.on_delay_sample(10'000 + 20'000, t0 + 2s);  // 20 ms queued
  EXPECT_EQ(l.queueing_delay(), 20ms);
  for (int i = 0; i < 50; ++i) l.on_ack(1500, true);
  EXPECT_GT(l.cwnd(), w);
}

TEST(UtpLedbat, GainIsProportionalToOffTargetAndBytesAcked) {
  auto l = steady_ledbat();
  l.on_delay_sample(10'000 + 50'000, t0 + 1s);  // half the target: off_target / target = 0.5
  const double w = static_cast<double>(l.cwnd());
  l.on_ack(10'000, true);
  // 3000 * 0.5 * 10000 / w
  EXPECT_NEAR(static_cast<double>(l.cwnd()), w + 3000 * 0.5 * 10'000 / w, 1.0);
}

TEST(UtpLedbat, DoesNotGrowWhenTheSenderLeavesItUnused) {
  auto l = steady_ledbat();
  l.on_delay_sample(10'000 + 1'000, t0 + 1s);
  const auto w = l.cwnd();
  for (int i = 0; i < 50; ++i) l.on_ack(1500, false);
  EXPECT_EQ(l.cwnd(), w);
}

TEST(UtpLedbat, LossHalvesAndTimeoutCollapsesToOnePacket) {
  utp_ledbat l(100'000, 1500, 1'000'000, 100ms);
  l.on_loss();
  EXPECT_EQ(l.cwnd(), 50'000);
  l.on_timeout();
  EXPECT_EQ(l.cwnd(), 1500);
  l.on_loss();
  EXPECT_EQ(l.cwnd(), 1500);  // never below one packet
}

TEST(UtpLedbat, SlowStartDoublesUntilTheQueueBuilds) {
  utp_ledbat l(3000, 1500, 1'000'000, 100ms);
  l.on_delay_sample(10'000, t0);
  l.on_ack(3000, true);
  EXPECT_EQ(l.cwnd(), 6000);
  l.on_delay_sample(10'000 + 60'000, t0);  // above half the target: slow start ends
  l.on_ack(3000, true);
  EXPECT_FALSE(l.slow_start());
  EXPECT_EQ(l.cwnd(), 6000 + 600);  // LEDBAT from here: 3000 * (40 / 100) * (3000 / 6000)
}

TEST(UtpLedbat, StaysWithinItsBoundsWhateverThePeerReports) {
  utp_ledbat l(3000, 1500, 200'000, 100ms);
  l.on_delay_sample(1, t0);
  for (int i = 0; i < 10'000; ++i) l.on_ack(1'000'000, true);
  EXPECT_EQ(l.cwnd(), 200'000);
  l.on_delay_sample(0x7FFFFFFF, t0);  // an absurd delay: capped, the window falls to the floor
  EXPECT_EQ(l.queueing_delay(), utp_ledbat::max_queueing_delay);
  for (int i = 0; i < 10'000; ++i) l.on_ack(1'000'000, true);
  EXPECT_EQ(l.cwnd(), 1500);
}

TEST(UtpLedbat, BaseDelayIsTheMinimumOfTheLastTwoMinutes) {
  utp_ledbat l(3000, 1500, 200'000, 100ms);
  l.on_delay_sample(5'000, t0);
  l.on_delay_sample(20'000, t0 + 30s);
  EXPECT_EQ(l.base_delay(), 5'000u);
  l.on_delay_sample(20'000, t0 + 100s);
  EXPECT_EQ(l.base_delay(), 5'000u);
  l.on_delay_sample(20'000, t0 + 125s);  // the 5 ms sample is now more than 2 minutes old
  EXPECT_EQ(l.base_delay(), 20'000u);
  EXPECT_EQ(l.queueing_delay(), 0ms);
}

TEST(UtpLedbat, BaseDelayComparesModulo2To32) {
  // The peer's clock minus ours may wrap: 0xFFFFFF00 is "before" 0x100.
  utp_ledbat l(3000, 1500, 200'000, 100ms);
  l.on_delay_sample(0xFFFFFF00u, t0);
  l.on_delay_sample(0x100u, t0);
  EXPECT_EQ(l.base_delay(), 0xFFFFFF00u);
  EXPECT_EQ(l.queueing_delay(), utp_duration{0x200});
}

TEST(UtpMtuSearch, BinarySearchesBetweenFloorAndCeiling) {
  utp_mtu_search m(1200, 1472);
  std::size_t path = 1400;
  int probes = 0;
  while (auto size = m.next_probe(t0)) {
    m.on_probe_sent();
    EXPECT_FALSE(m.next_probe(t0));  // one probe at a time
    if (*size <= path) {
      m.on_probe_acked(*size, t0);
    } else {
      m.on_probe_lost(*size, t0);
    }
    ASSERT_LT(++probes, 20);
  }
  EXPECT_LE(m.packet_size(), path);
  EXPECT_GE(m.packet_size(), path - utp_mtu_search::granularity);
  EXPECT_LE(probes, 5);
}

TEST(UtpMtuSearch, SearchesAgainAfterTenMinutes) {
  utp_mtu_search m(1200, 1472);
  while (auto size = m.next_probe(t0)) {
    m.on_probe_sent();
    m.on_probe_lost(*size, t0);  // a path at the floor
  }
  EXPECT_EQ(m.packet_size(), 1200u);
  EXPECT_FALSE(m.next_probe(t0 + 9min));
  EXPECT_TRUE(m.next_probe(t0 + 10min));
}

TEST(UtpMtuSearch, FloorAndCeilingFromTheInterface) {
  EXPECT_EQ(utp_packet_floor(false), 1200u);
  EXPECT_EQ(utp_packet_floor(true), 1232u);
  EXPECT_EQ(utp_packet_ceiling(1500, false), 1472u);
  EXPECT_EQ(utp_packet_ceiling(1500, true), 1452u);
  EXPECT_EQ(utp_packet_ceiling(576, false), 1200u);  // never below the floor
  EXPECT_EQ(utp_packet_ceiling(9000, false), 8972u);
}

}  // namespace
}  // namespace tessera::detail
