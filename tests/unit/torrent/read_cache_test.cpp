#include "torrent/read_cache.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tessera::detail {
namespace {

piece_read_cache::buffer piece_of(std::uint8_t value, std::size_t size) {
  return std::make_shared<const std::vector<std::uint8_t>>(size, value);
}

read_waiter waiter(std::int32_t begin, std::vector<std::int32_t>* answered) {
  return read_waiter{begin, 16, [answered, begin](std::error_code, std::span<const std::uint8_t>) {
                       answered->push_back(begin);
                     }};
}

TEST(PieceReadCache, FirstWaiterStartsTheReadLaterOnesJoinIt) {
  piece_read_cache c(1 << 20);
  std::vector<std::int32_t> answered;
  EXPECT_TRUE(c.wait(piece_index{2}, waiter(0, &answered)));
  EXPECT_FALSE(c.wait(piece_index{2}, waiter(16, &answered)));
  EXPECT_TRUE(c.wait(piece_index{3}, waiter(32, &answered)));
  EXPECT_EQ(c.num_pending(), 2);
  EXPECT_EQ(c.find(piece_index{2}), nullptr);  // being read is not cached

  auto ws = c.complete(piece_index{2}, piece_of(7, 100));
  ASSERT_EQ(ws.size(), 2u);
  EXPECT_EQ(ws[0].begin, 0);  // in the order queued
  EXPECT_EQ(ws[1].begin, 16);
  auto buf = c.find(piece_index{2});
  ASSERT_NE(buf, nullptr);
  EXPECT_EQ(buf->size(), 100u);
  EXPECT_EQ((*buf)[99], 7);
  EXPECT_EQ(c.bytes(), 100);
  EXPECT_EQ(c.num_cached(), 1);
  EXPECT_EQ(c.num_pending(), 1);
}

TEST(PieceReadCache, FailedReadReturnsWaitersAndCachesNothing) {
  piece_read_cache c(1 << 20);
  std::vector<std::int32_t> answered;
  c.wait(piece_index{1}, waiter(0, &answered));
  auto ws = c.complete(piece_index{1}, nullptr);
  EXPECT_EQ(ws.size(), 1u);
  EXPECT_EQ(c.find(piece_index{1}), nullptr);
  EXPECT_EQ(c.num_pending(), 0);
  EXPECT_EQ(c.bytes(), 0);
  // The next request starts a fresh read.
  EXPECT_TRUE(c.wait(piece_index{1}, waiter(0, &answered)));
}

TEST(PieceReadCache, EvictsLeastRecentlyUsedBeyondTheByteBound) {
  piece_read_cache c(250);  // two 100-byte pieces fit, three do not
  std::vector<std::int32_t> answered;
  for (int p = 0; p < 2; ++p) {
    c.wait(piece_index{p}, waiter(0, &answered));
    c.complete(piece_index{p}, piece_of(static_cast<std::uint8_t>(p), 100));
  }
  ASSERT_NE(c.find(piece_index{0}), nullptr);  // piece 0 is now the most recently used
  c.wait(piece_index{5}, waiter(0, &answered));
  c.complete(piece_index{5}, piece_of(5, 100));
  EXPECT_NE(c.find(piece_index{0}), nullptr);
  EXPECT_EQ(c.find(piece_index{1}), nullptr);  // the least recently used went
  EXPECT_NE(c.find(piece_index{5}), nullptr);
  EXPECT_EQ(c.bytes(), 200);
  EXPECT_EQ(c.num_cached(), 2);
}

TEST(PieceReadCache, KeepsTheNewestPieceEvenAboveTheBound) {
  piece_read_cache c(10);
  std::vector<std::int32_t> answered;
  c.wait(piece_index{0}, waiter(0, &answered));
  c.complete(piece_index{0}, piece_of(1, 100));
  EXPECT_NE(c.find(piece_index{0}), nullptr);
  c.wait(piece_index{1}, waiter(0, &answered));
  c.complete(piece_index{1}, piece_of(2, 100));
  EXPECT_EQ(c.find(piece_index{0}), nullptr);
  EXPECT_NE(c.find(piece_index{1}), nullptr);
  EXPECT_EQ(c.bytes(), 100);
}

TEST(PieceReadCache, EvictedBufferStaysValidForItsHolder) {
  piece_read_cache c(10);
  std::vector<std::int32_t> answered;
  c.wait(piece_index{0}, waiter(0, &answered));
  c.complete(piece_index{0}, piece_of(9, 100));
  auto held = c.find(piece_index{0});
  c.wait(piece_index{1}, waiter(0, &answered));
  c.complete(piece_index{1}, piece_of(2, 100));
  ASSERT_EQ(c.find(piece_index{0}), nullptr);
  EXPECT_EQ((*held)[0], 9);
}

TEST(PieceReadCache, ClearForgetsReadsInFlightAndIgnoresTheirCompletion) {
  piece_read_cache c(1 << 20);
  std::vector<std::int32_t> answered;
  c.wait(piece_index{0}, waiter(0, &answered));
  c.wait(piece_index{1}, waiter(0, &answered));
  c.complete(piece_index{1}, piece_of(1, 100));
  c.clear();
  EXPECT_EQ(c.bytes(), 0);
  EXPECT_EQ(c.num_cached(), 0);
  EXPECT_EQ(c.num_pending(), 0);
  EXPECT_TRUE(c.complete(piece_index{0}, piece_of(0, 100)).empty());
  EXPECT_EQ(c.find(piece_index{0}), nullptr);
}

TEST(PieceReadCache, CompleteOfACachedPieceChangesNothing) {
  piece_read_cache c(1 << 20);
  std::vector<std::int32_t> answered;
  c.wait(piece_index{0}, waiter(0, &answered));
  c.complete(piece_index{0}, piece_of(1, 100));
  EXPECT_TRUE(c.complete(piece_index{0}, piece_of(2, 50)).empty());
  EXPECT_EQ(c.bytes(), 100);
  EXPECT_EQ((*c.find(piece_index{0}))[0], 1);
}

}  // namespace
}  // namespace tessera::detail
