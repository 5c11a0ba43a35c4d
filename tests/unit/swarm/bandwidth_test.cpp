// The bandwidth manager: immediate grants, fair shares between waiters, wake-ups on limit changes
// and cancellation, with a fake clock (the tick timer is set to an hour so that only the test
// drives serve()); one real-time check of the rate over half a second.
#include "swarm/bandwidth.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

namespace tessera::detail {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

struct fake_clock {
  clock_type::time_point now = clock_type::time_point{} + 1000s;
};

struct fixture {
  asio::io_context io;
  std::shared_ptr<fake_clock> clk = std::make_shared<fake_clock>();
  std::shared_ptr<bandwidth_manager> manager = std::make_shared<bandwidth_manager>(
      io.get_executor(), std::chrono::hours(1), [c = clk] { return c->now; });

  std::shared_ptr<bandwidth_channel> channel(std::int64_t rate) {
    return std::make_shared<bandwidth_channel>(rate, clk->now);
  }
  bandwidth_path path(std::shared_ptr<bandwidth_channel> t, std::shared_ptr<bandwidth_channel> s = {}) {
    return {manager, std::move(t), std::move(s)};
  }
  void advance(std::chrono::milliseconds d) { clk->now += d; }
  /// Runs what is ready (restart: an io_context that ran out of work stays stopped otherwise).
  void poll() {
    io.restart();
    io.poll();
  }
};

/// Runs r.acquire(bytes) as a coroutine; the grant lands in *out once it returns.
void start_acquire(asio::io_context& io, bandwidth_request& r, std::int64_t bytes,
                   std::shared_ptr<std::optional<std::int64_t>> out) {
  asio::co_spawn(
      io,
      [&r, bytes, out]() -> asio::awaitable<void> { *out = co_await r.acquire(bytes); },
      asio::detached);
}

std::shared_ptr<std::optional<std::int64_t>> slot() { return std::make_shared<std::optional<std::int64_t>>(); }

TEST(Bandwidth, UnlimitedPathPassesAtOnceWithoutQueueing) {
  fixture f;
  bandwidth_request r(f.io.get_executor(), f.path(f.channel(0), f.channel(0)));
  EXPECT_TRUE(r.unlimited());
  auto got = slot();
  start_acquire(f.io, r, 123456, got);
  f.poll();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, 123456);
  EXPECT_EQ(f.manager->num_waiting(), 0u);
}

TEST(Bandwidth, DefaultPathWithoutManagerIsUnlimited) {
  bandwidth_path p;
  EXPECT_TRUE(p.unlimited());
  fixture f;
  EXPECT_FALSE(f.path(f.channel(0), f.channel(1000)).unlimited());
  EXPECT_FALSE(f.path(f.channel(1000)).unlimited());
}

TEST(Bandwidth, TokensInTheBucketAreGrantedAtOnce) {
  fixture f;
  auto ch = f.channel(1000);
  f.advance(500ms);  // 500 bytes accrued
  bandwidth_request r(f.io.get_executor(), f.path(ch));
  auto got = slot();
  start_acquire(f.io, r, 10000, got);
  f.poll();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, 500);
}

TEST(Bandwidth, EmptyBucketQueuesUntilServedAfterTheClockMoves) {
  fixture f;
  auto ch = f.channel(1000);
  bandwidth_request r(f.io.get_executor(), f.path(ch));
  auto got = slot();
  start_acquire(f.io, r, 10000, got);
  f.poll();
  EXPECT_FALSE(got->has_value());
  EXPECT_TRUE(r.waiting());
  f.manager->serve();  // no time passed: nothing to give
  f.poll();
  EXPECT_FALSE(got->has_value());
  f.advance(100ms);
  f.manager->serve();
  f.poll();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, 100);
  EXPECT_FALSE(r.waiting());
}

TEST(Bandwidth, WaitersOfOneChannelShareItsTokensEvenly) {
  fixture f;
  auto ch = f.channel(3000);
  std::vector<std::unique_ptr<bandwidth_request>> reqs;
  std::vector<std::shared_ptr<std::optional<std::int64_t>>> got;
  for (int i = 0; i < 3; ++i) {
    reqs.push_back(std::make_unique<bandwidth_request>(f.io.get_executor(), f.path(ch)));
    got.push_back(slot());
    start_acquire(f.io, *reqs.back(), 1'000'000, got.back());
  }
  f.poll();
  EXPECT_EQ(f.manager->num_waiting(), 3u);
  f.advance(1000ms);
  f.manager->serve();
  f.poll();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(got[i]->has_value()) << i;
    EXPECT_EQ(**got[i], 1000) << i;
  }
}

TEST(Bandwidth, WaitersShareInProportionToTheirTorrentsBandwidthPriority) {
  fixture f;
  auto session_ch = f.channel(7000);
  std::vector<std::unique_ptr<bandwidth_request>> reqs;
  std::vector<std::shared_ptr<std::optional<std::int64_t>>> got;
  for (int priority : {-1, 0, 1}) {  // weights 1, 2, 4
    auto share = std::make_shared<bandwidth_share>();
    share->weight = bandwidth_share::weight_of(priority);
    auto p = f.path(f.channel(0), session_ch);
    p.share = share;
    reqs.push_back(std::make_unique<bandwidth_request>(f.io.get_executor(), p));
    got.push_back(slot());
    start_acquire(f.io, *reqs.back(), 1'000'000, got.back());
  }
  f.poll();
  ASSERT_EQ(f.manager->num_waiting(), 3u);
  f.advance(1000ms);
  f.manager->serve();
  f.poll();
  const std::int64_t expected[] = {1000, 2000, 4000};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(got[i]->has_value()) << i;
    EXPECT_EQ(**got[i], expected[i]) << i;
  }
}

TEST(Bandwidth, APathNotHonoringTheSessionSkipsItsChannelButKeepsItsOwn) {
  fixture f;
  auto session_ch = f.channel(1000);
  auto share = std::make_shared<bandwidth_share>();
  share->honors_session = false;
  auto free_path = f.path(f.channel(0), session_ch);
  free_path.share = share;
  EXPECT_TRUE(free_path.unlimited());
  bandwidth_request r(f.io.get_executor(), free_path);
  auto got = slot();
  start_acquire(f.io, r, 123456, got);
  f.poll();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, 123456);
  // Its own channel still limits it.
  auto own_path = f.path(f.channel(500), session_ch);
  own_path.share = share;
  EXPECT_FALSE(own_path.unlimited());
  f.advance(1000ms);
  bandwidth_request own(f.io.get_executor(), own_path);
  auto got_own = slot();
  start_acquire(f.io, own, 123456, got_own);
  f.poll();
  ASSERT_TRUE(got_own->has_value());
  EXPECT_EQ(**got_own, 500);
}

TEST(Bandwidth, WhatAWaiterDoesNotWantGoesToTheOthers) {
  fixture f;
  auto ch = f.channel(3000);
  bandwidth_request small(f.io.get_executor(), f.path(ch));
  bandwidth_request big1(f.io.get_executor(), f.path(ch));
  bandwidth_request big2(f.io.get_executor(), f.path(ch));
  auto g0 = slot(), g1 = slot(), g2 = slot();
  start_acquire(f.io, small, 100, g0);
  start_acquire(f.io, big1, 1'000'000, g1);
  start_acquire(f.io, big2, 1'000'000, g2);
  f.poll();
  f.advance(1000ms);
  f.manager->serve();
  f.poll();
  ASSERT_TRUE(g0->has_value() && g1->has_value() && g2->has_value());
  EXPECT_EQ(**g0, 100);
  EXPECT_EQ(**g1, 1450);
  EXPECT_EQ(**g2, 1450);
}

TEST(Bandwidth, ServedWaitersQueueBehindTheOnesStillWaiting) {
  fixture f;
  auto ch = f.channel(1000);
  bandwidth_request a(f.io.get_executor(), f.path(ch));
  bandwidth_request b(f.io.get_executor(), f.path(ch));
  auto ga = slot(), gb = slot();
  start_acquire(f.io, a, 1'000'000, ga);
  start_acquire(f.io, b, 1'000'000, gb);
  f.poll();
  // 1 byte for two waiters: the first in line takes it, the second keeps its place.
  f.advance(1ms);
  f.manager->serve();
  f.poll();
  ASSERT_TRUE(ga->has_value());
  EXPECT_FALSE(gb->has_value());
  // `a` asks again: it queues behind `b`, which gets the next byte.
  auto ga2 = slot();
  start_acquire(f.io, a, 1'000'000, ga2);
  f.poll();
  EXPECT_FALSE(ga2->has_value());
  f.advance(1ms);
  f.manager->serve();
  f.poll();
  ASSERT_TRUE(gb->has_value());
  EXPECT_EQ(**gb, 1);
  EXPECT_FALSE(ga2->has_value());
}

TEST(Bandwidth, BothChannelsMustGrantAndBothPay) {
  fixture f;
  auto torrent_ch = f.channel(1000);
  auto session_ch = f.channel(10000);
  bandwidth_request r(f.io.get_executor(), f.path(torrent_ch, session_ch));
  f.advance(1000ms);
  auto got = slot();
  start_acquire(f.io, r, 1'000'000, got);
  f.poll();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, 1000);  // the torrent's channel is the tighter one
  // The session channel paid the same 1000 bytes: 9000 left for a request through it alone.
  bandwidth_request other(f.io.get_executor(), f.path(nullptr, session_ch));
  auto got2 = slot();
  start_acquire(f.io, other, 1'000'000, got2);
  f.poll();
  ASSERT_TRUE(got2->has_value());
  EXPECT_EQ(**got2, 9000);
}

TEST(Bandwidth, RemovingALimitWakesWaitersWithTheWholeRequest) {
  fixture f;
  auto ch = f.channel(1000);
  bandwidth_request r(f.io.get_executor(), f.path(ch));
  auto got = slot();
  start_acquire(f.io, r, 50000, got);
  f.poll();
  ASSERT_FALSE(got->has_value());
  f.manager->set_rate(*ch, 0);  // no clock movement, no tick: set_rate itself serves
  f.poll();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, 50000);
  EXPECT_TRUE(r.unlimited());
}

TEST(Bandwidth, RaisingALimitAppliesToTheNextServe) {
  fixture f;
  auto ch = f.channel(1000);
  bandwidth_request r(f.io.get_executor(), f.path(ch));
  auto got = slot();
  start_acquire(f.io, r, 1'000'000, got);
  f.poll();
  f.manager->set_rate(*ch, 100'000);
  EXPECT_EQ(ch->rate(), 100'000);
  f.advance(100ms);
  f.manager->serve();
  f.poll();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, 10'000);
}

TEST(Bandwidth, CancelWakesTheWaiterWithZeroAndLeavesTheQueue) {
  fixture f;
  auto ch = f.channel(1000);
  bandwidth_request r(f.io.get_executor(), f.path(ch));
  auto got = slot();
  start_acquire(f.io, r, 1000, got);
  f.poll();
  EXPECT_EQ(f.manager->num_waiting(), 1u);
  r.cancel();
  f.poll();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, 0);
  EXPECT_EQ(f.manager->num_waiting(), 0u);
  // Cancelled for good: later requests return 0 at once.
  auto again = slot();
  start_acquire(f.io, r, 1000, again);
  f.poll();
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ(**again, 0);
}

TEST(Bandwidth, ChannelBurstIsAQuarterSecondWithABlockAtLeast) {
  EXPECT_EQ(bandwidth_channel::burst_for(0), 16 * 1024);
  EXPECT_EQ(bandwidth_channel::burst_for(1000), 16 * 1024);
  EXPECT_EQ(bandwidth_channel::burst_for(4'000'000), 1'000'000);
  fixture f;
  auto ch = f.channel(4'000'000);
  f.advance(10'000ms);  // idle for long: at most the burst is kept
  bandwidth_request r(f.io.get_executor(), f.path(ch));
  auto got = slot();
  start_acquire(f.io, r, 100'000'000, got);
  f.poll();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, 1'000'000);
}

TEST(Bandwidth, RealTimeGrantsFollowTheRate) {
  // With the real clock and the default 50 ms tick: a greedy requester gets rate x time, give or
  // take one tick.
  asio::io_context io;
  // Before the channel: its bucket fills from its construction, and the bound below must count
  // that time too (under ASan the gap is tens of microseconds, a few bytes).
  const auto start = clock_type::now();
  auto manager = std::make_shared<bandwidth_manager>(io.get_executor());
  auto ch = std::make_shared<bandwidth_channel>(200'000);
  bandwidth_request r(io.get_executor(), {manager, ch, nullptr});
  std::int64_t total = 0;
  auto finish = start;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        while (clock_type::now() < start + 600ms) total += co_await r.acquire(64 * 1024);
        finish = clock_type::now();
      },
      asio::detached);
  io.run_for(2s);
  const double seconds = std::chrono::duration<double>(finish - start).count();
  ASSERT_GE(seconds, 0.6);
  // The bucket starts empty: never more than rate x time; at most about one tick less.
  EXPECT_LE(total, static_cast<std::int64_t>(200'000 * seconds) + 1);
  EXPECT_GE(total, static_cast<std::int64_t>(200'000 * (seconds - 0.1)));
}

}  // namespace
}  // namespace tessera::detail
