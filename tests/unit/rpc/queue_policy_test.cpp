#include <gtest/gtest.h>

#include "rpc/queue_policy.hpp"

namespace tessera::rpc {
namespace {

queue_entry dl(int id, int pos, bool running = true) { return {id, pos, true, running, false, false}; }
queue_entry seed(int id, int pos, bool running = true) { return {id, pos, false, running, false, false}; }

TEST(QueuePolicy, QueuedFillFreeSlotsByPosition) {
  queue_limits l{true, 2, true, 1};
  auto a = choose_active({dl(1, 3, false), dl(2, 0, false), dl(3, 1, false), dl(4, 2, false), seed(5, 4, false),
                          seed(6, 5, false)},
                         l);
  EXPECT_EQ(a, (std::vector<int>{2, 3, 5}));
  // one download slot taken by a running torrent further back: only one queued one starts
  a = choose_active({dl(1, 0, false), dl(2, 1, false), dl(3, 2, true)}, l);
  EXPECT_EQ(a, (std::vector<int>{1, 3}));
}

TEST(QueuePolicy, NeverStopsARunningTorrent) {
  queue_limits l{true, 1, true, 1};  // e.g. after the size was lowered
  EXPECT_EQ(choose_active({dl(1, 0), dl(2, 1), seed(3, 2), seed(4, 3), dl(5, 4, false)}, l),
            (std::vector<int>{1, 2, 3, 4}));
}

TEST(QueuePolicy, DisabledQueueRunsEverything) {
  queue_limits l{false, 1, false, 1};
  EXPECT_EQ(choose_active({dl(1, 0), dl(2, 1), seed(3, 2), seed(4, 3)}, l), (std::vector<int>{1, 2, 3, 4}));
}

TEST(QueuePolicy, ForcedAndStalledDoNotTakeASlot) {
  queue_limits l{true, 1, false, 0};
  queue_entry forced = dl(1, 0);
  forced.forced = true;
  queue_entry stalled = dl(2, 1);
  stalled.stalled = true;
  queue_entry stalled_but_queued = dl(4, 3, false);
  stalled_but_queued.stalled = true;  // not running: its stall is old news, it waits its turn
  queue_entry forced_queued = dl(5, 4, false);
  forced_queued.forced = true;
  auto a = choose_active({forced, stalled, dl(3, 2, false), stalled_but_queued, forced_queued}, l);
  EXPECT_EQ(a, (std::vector<int>{1, 2, 3, 5}));
}

TEST(QueuePolicy, ZeroSizeQueuesEverything) {
  queue_limits l{true, 0, true, 0};
  EXPECT_TRUE(choose_active({dl(1, 0, false), seed(2, 1, false)}, l).empty());
}

}  // namespace
}  // namespace tessera::rpc
