// The event hub between the daemon's publishing threads and the front's stream connections: order,
// the bounded ring and the reset of a reader that fell out of it, the listener, the subscriber
// count, and many threads at once (run under TSan by scripts/test).
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rpc/event_hub.hpp"

namespace tessera::rpc {
namespace {

TEST(EventHub, ReadersGetTheEventsAfterTheirPositionInOrder) {
  event_hub hub;
  EXPECT_EQ(hub.newest(), 0u);
  auto empty = hub.read_after(0);
  EXPECT_FALSE(empty.reset);
  EXPECT_TRUE(empty.events.empty());
  EXPECT_EQ(empty.position, 0u);

  EXPECT_EQ(hub.publish("a", "{\"n\":1}"), 1u);
  EXPECT_EQ(hub.publish("b", "{\"n\":2}"), 2u);
  EXPECT_EQ(hub.publish("c", "{\"n\":3}"), 3u);
  EXPECT_EQ(hub.newest(), 3u);

  auto all = hub.read_after(0);
  EXPECT_FALSE(all.reset);
  ASSERT_EQ(all.events.size(), 3u);
  EXPECT_EQ(all.events[0].seq, 1u);
  EXPECT_EQ(all.events[0].name, "a");
  EXPECT_EQ(all.events[0].data, "{\"n\":1}");
  EXPECT_EQ(all.events[2].name, "c");
  EXPECT_EQ(all.position, 3u);

  auto later = hub.read_after(1);
  ASSERT_EQ(later.events.size(), 2u);
  EXPECT_EQ(later.events[0].seq, 2u);

  auto some = hub.read_after(0, 2);
  ASSERT_EQ(some.events.size(), 2u);
  EXPECT_EQ(some.position, 2u);

  auto none = hub.read_after(3);
  EXPECT_TRUE(none.events.empty());
  EXPECT_EQ(none.position, 3u);
}

TEST(EventHub, NewlinesCannotBreakTheFraming) {
  event_hub hub;
  hub.publish("x\ny", "{\"a\":\n1}\r");
  auto r = hub.read_after(0);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].name, "x y");
  EXPECT_EQ(r.events[0].data, "{\"a\": 1} ");
}

TEST(EventHub, TheRingKeepsAtMostMaxEventsAndALateReaderIsReset) {
  event_hub hub(event_hub::limits{.max_events = 4, .max_bytes = 1 << 20});
  for (int i = 1; i <= 10; ++i) hub.publish("e", std::to_string(i));
  EXPECT_EQ(hub.size(), 4u);
  // Events 7..10 are kept: a reader at 6 has lost nothing, one at 5 has lost event 6.
  auto ok = hub.read_after(6);
  EXPECT_FALSE(ok.reset);
  ASSERT_EQ(ok.events.size(), 4u);
  EXPECT_EQ(ok.events.front().data, "7");
  auto late = hub.read_after(5);
  EXPECT_TRUE(late.reset);
  ASSERT_EQ(late.events.size(), 1u);  // continues with the newest event
  EXPECT_EQ(late.events[0].data, "10");
  EXPECT_EQ(late.position, 10u);
  EXPECT_TRUE(hub.read_after(late.position).events.empty());
  hub.publish("e", "11");
  auto next = hub.read_after(late.position);
  EXPECT_FALSE(next.reset);
  ASSERT_EQ(next.events.size(), 1u);
  EXPECT_EQ(next.events[0].data, "11");
}

TEST(EventHub, TheRingKeepsAtMostMaxBytesButAlwaysTheNewestEvent) {
  event_hub hub(event_hub::limits{.max_events = 100, .max_bytes = 100});
  for (int i = 0; i < 10; ++i) hub.publish("e", std::string(29, 'x'));  // 30 bytes each
  EXPECT_EQ(hub.size(), 3u);
  EXPECT_EQ(hub.bytes(), 90u);
  hub.publish("big", std::string(500, 'y'));
  EXPECT_EQ(hub.size(), 1u);
  EXPECT_EQ(hub.bytes(), 503u);
  auto r = hub.read_after(10);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].name, "big");
  EXPECT_TRUE(hub.read_after(9).reset);
  hub.publish("e", "z");
  EXPECT_EQ(hub.size(), 1u);  // the big one no longer fits beside it
  EXPECT_EQ(hub.bytes(), 2u);
}

TEST(EventHub, SubscriptionsAreCountedWhileTheyLive) {
  event_hub hub;
  EXPECT_EQ(hub.subscriber_count(), 0u);
  {
    auto a = hub.subscribe();
    EXPECT_EQ(hub.subscriber_count(), 1u);
    auto b = hub.subscribe();
    EXPECT_EQ(hub.subscriber_count(), 2u);
    event_hub::subscription moved(std::move(b));
    EXPECT_EQ(hub.subscriber_count(), 2u);
    a = std::move(moved);  // a's own count is released, moved's is taken over
    EXPECT_EQ(hub.subscriber_count(), 1u);
  }
  EXPECT_EQ(hub.subscriber_count(), 0u);
}

TEST(EventHub, TheListenerIsCalledAfterEachPublishUntilRemoved) {
  event_hub hub;
  int calls = 0;
  std::uint64_t seen = 0;
  hub.set_listener([&] {
    ++calls;
    seen = hub.newest();  // the event is readable when the listener runs
  });
  hub.publish("a", "1");
  hub.publish("b", "2");
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(seen, 2u);
  hub.set_listener({});
  hub.publish("c", "3");
  EXPECT_EQ(calls, 2);
}

// Four publishing threads, three readers that wait for the listener's signal, and a subscriber
// count changed meanwhile: every reader sees consecutive seqs (or a reset) and ends at the newest.
TEST(EventHub, ManyThreadsPublishAndReadAtOnce) {
  event_hub hub(event_hub::limits{.max_events = 64, .max_bytes = 1 << 20});
  constexpr int publishers = 4, per_publisher = 2000, readers = 3;
  constexpr std::uint64_t total = publishers * per_publisher;
  std::mutex mu;
  std::condition_variable cv;
  std::uint64_t signalled = 0;
  hub.set_listener([&] {
    std::scoped_lock lk(mu);
    ++signalled;
    cv.notify_all();
  });

  std::atomic<int> failures{0};
  std::atomic<int> resets{0};
  std::vector<std::thread> threads;
  for (int r = 0; r < readers; ++r) {
    threads.emplace_back([&, r] {
      auto sub = hub.subscribe();
      std::uint64_t position = 0;
      while (position < total) {
        auto got = hub.read_after(position, r == 0 ? 3 : SIZE_MAX);  // reader 0 reads slowly
        if (got.reset) {
          ++resets;
          if (got.events.size() != 1 || got.position <= position || got.events[0].seq != got.position) ++failures;
          position = got.position;
          continue;
        }
        for (const auto& e : got.events) {
          if (e.seq != position + 1 || e.name != "e") ++failures;
          position = e.seq;
        }
        if (got.events.empty()) {
          std::unique_lock lk(mu);
          cv.wait_for(lk, std::chrono::milliseconds(50), [&] { return hub.newest() > position; });
        }
      }
      if (position != total) ++failures;
    });
  }
  for (int p = 0; p < publishers; ++p) {
    threads.emplace_back([&] {
      for (int i = 0; i < per_publisher; ++i) {
        hub.publish("e", std::to_string(i));
        if (i % 500 == 0) {
          auto extra = hub.subscribe();  // the count changes meanwhile
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(hub.newest(), total);
  EXPECT_LE(hub.size(), 64u);
  EXPECT_EQ(hub.subscriber_count(), 0u);
  std::scoped_lock lk(mu);
  EXPECT_EQ(signalled, total);
}

}  // namespace
}  // namespace tessera::rpc
