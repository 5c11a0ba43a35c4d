#include "swarm/receive_buffer.hpp"

#include <algorithm>
#include <cstring>

#include <gtest/gtest.h>

namespace tessera::detail {
namespace {

/// Copies `bytes` into the buffer as one read would.
void receive(receive_buffer& b, std::size_t whole_message, const std::vector<std::uint8_t>& bytes) {
  auto room = b.prepare(whole_message);
  ASSERT_GE(room.size(), bytes.size());
  std::copy(bytes.begin(), bytes.end(), room.begin());
  b.commit(bytes.size());
}

TEST(ReceiveBuffer, GrowsForALongMessageAndShrinksBackOnceItIsConsumed) {
  receive_buffer b(1024);
  receive(b, 0, std::vector<std::uint8_t>(100, 1));
  EXPECT_EQ(b.capacity(), 1024u);
  b.consume(40);
  auto room = b.prepare(5000);  // a 5000-byte message starts here
  EXPECT_GE(b.capacity(), 5000u);
  EXPECT_EQ(b.data().size(), 60u);  // the kept bytes moved to the front
  EXPECT_EQ(b.data()[0], 1);
  std::fill(room.begin(), room.begin() + 4940, 2);
  b.commit(4940);
  b.consume(5000);
  receive(b, 0, std::vector<std::uint8_t>(10, 3));
  EXPECT_EQ(b.capacity(), 1024u);
  ASSERT_EQ(b.data().size(), 10u);
  EXPECT_EQ(b.data()[9], 3);
}

TEST(ReceiveBuffer, StaysLargeWhileWhatItKeepsDoesNotFitTheNormalSize) {
  receive_buffer b(1024);
  auto room = b.prepare(3000);
  std::fill(room.begin(), room.begin() + 2000, 7);
  b.commit(2000);
  b.prepare(3000);
  EXPECT_GE(b.capacity(), 3000u);
  EXPECT_EQ(b.data().size(), 2000u);
}

TEST(ReceiveBuffer, SkippedBytesAreDroppedAsTheyArrive) {
  receive_buffer b(64);
  receive(b, 0, std::vector<std::uint8_t>(10, 1));
  b.consume(10);
  b.skip(100);  // the rest of a 110-byte message nobody wants
  receive(b, 0, std::vector<std::uint8_t>(64, 2));
  EXPECT_TRUE(b.data().empty());
  EXPECT_EQ(b.skipping(), 36u);
  std::vector<std::uint8_t> tail(36, 2);
  tail.push_back(9);  // the next message starts right after
  receive(b, 0, tail);
  EXPECT_EQ(b.skipping(), 0u);
  ASSERT_EQ(b.data().size(), 1u);
  EXPECT_EQ(b.data()[0], 9);
  EXPECT_EQ(b.capacity(), 64u);
}

}  // namespace
}  // namespace tessera::detail
