#include "swarm/send_queue.hpp"

#include <gtest/gtest.h>

namespace tessera::detail {
namespace {

using namespace std::chrono_literals;

TEST(SendQueue, BacklogCountsQueuedBytesAndTheWholeWriteInFlight) {
  send_queue q(1 << 20);
  q.queued().assign(100, 1);
  EXPECT_EQ(q.backlog(), 100u);
  q.start_write();
  EXPECT_TRUE(q.writing());
  EXPECT_FALSE(q.has_queued());
  q.queued().assign(30, 2);  // queued while the write is in flight
  EXPECT_EQ(q.backlog(), 130u);
  q.wrote(60);
  EXPECT_EQ(q.unwritten().size(), 40u);
  EXPECT_EQ(q.backlog(), 130u);  // the write's buffer is held until it ends
  q.wrote(40);
  EXPECT_FALSE(q.writing());
  EXPECT_EQ(q.backlog(), 30u);
}

TEST(SendQueue, OnlyTimeInsideASocketWriteCountsAsAStall) {
  send_queue q(1 << 20);
  const auto t0 = send_queue::clock::time_point{} + 1h;
  EXPECT_EQ(q.stalled_for(t0 + 10min), 0s);
  q.socket_write_started(t0);
  EXPECT_EQ(q.stalled_for(t0 + 5s), 5s);
  q.socket_write_ended();
  EXPECT_EQ(q.stalled_for(t0 + 10s), 0s);
}

TEST(SendQueue, ABurstsBufferIsFreedWhenItsWriteEnds) {
  send_queue q(1000);
  q.queued().assign(5000, 1);
  q.start_write();
  q.wrote(5000);
  q.queued().assign(10, 1);
  q.start_write();  // the 5000-byte buffer was freed, not swapped back
  EXPECT_LE(q.queued().capacity(), 1000u);
}

}  // namespace
}  // namespace tessera::detail
