#include "torrent/read_cache.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tessera::detail {
namespace {

piece_read_cache::buffer bytes_of(std::uint8_t value, std::size_t size) {
  return std::make_shared<const std::vector<std::uint8_t>>(size, value);
}

read_waiter waiter(std::int32_t begin, std::vector<std::int32_t>* answered) {
  return read_waiter{begin, 16, [answered, begin](std::error_code, std::span<const std::uint8_t>) {
                       answered->push_back(begin);
                     }};
}

constexpr read_window w100{0, 100};

// --- read_window_for -----------------------------------------------------------------------

TEST(ReadWindow, PiecesUpToTheWholePieceSizeAreReadWhole) {
  const read_window_policy policy;  // whole pieces up to 1 MiB, else 512 KiB windows
  EXPECT_EQ(read_window_for(1 << 20, 0, block_size, policy), (read_window{0, 1 << 20}));
  EXPECT_EQ(read_window_for(1 << 20, (1 << 20) - block_size, block_size, policy), (read_window{0, 1 << 20}));
  EXPECT_EQ(read_window_for(5000, 4000, 1000, policy), (read_window{0, 5000}));
}

TEST(ReadWindow, ABlockOfA64MiBPieceReadsOnlyTheAlignedWindowHoldingIt) {
  const read_window_policy policy;
  constexpr std::int32_t piece = 64 << 20;
  constexpr std::int32_t window = 512 << 10;
  EXPECT_EQ(read_window_for(piece, 0, block_size, policy), (read_window{0, window}));
  EXPECT_EQ(read_window_for(piece, window - block_size, block_size, policy), (read_window{0, window}));
  EXPECT_EQ(read_window_for(piece, 37 * window + 5 * block_size, block_size, policy),
            (read_window{37 * window, window}));
  EXPECT_EQ(read_window_for(piece, piece - block_size, block_size, policy),
            (read_window{piece - window, window}));
}

TEST(ReadWindow, TheLastWindowOfAPieceEndsWithThePiece) {
  const read_window_policy policy;
  constexpr std::int32_t piece = (3 << 20) + 1000;  // a short last piece: 6 windows and 1000 bytes
  EXPECT_EQ(read_window_for(piece, 6 * (512 << 10), 1000, policy), (read_window{6 * (512 << 10), 1000}));
}

TEST(ReadWindow, ARequestStraddlingTwoWindowsHasNoWindow) {
  const read_window_policy policy;
  EXPECT_EQ(read_window_for(4 << 20, (512 << 10) - 100, block_size, policy), std::nullopt);
}

// --- piece_read_cache ----------------------------------------------------------------------

TEST(PieceReadCache, FirstWaiterStartsTheReadLaterOnesJoinIt) {
  piece_read_cache c(1 << 20);
  std::vector<std::int32_t> answered;
  EXPECT_EQ(c.wait(piece_index{2}, w100, waiter(0, &answered)), piece_read_cache::wait_result::start_read);
  EXPECT_EQ(c.wait(piece_index{2}, w100, waiter(16, &answered)), piece_read_cache::wait_result::joined);
  EXPECT_EQ(c.wait(piece_index{3}, w100, waiter(32, &answered)), piece_read_cache::wait_result::start_read);
  EXPECT_EQ(c.num_pending(), 2);
  EXPECT_EQ(c.find(piece_index{2}, w100), nullptr);  // being read is not cached

  auto ws = c.complete(piece_index{2}, w100, bytes_of(7, 100));
  ASSERT_EQ(ws.size(), 2u);
  EXPECT_EQ(ws[0].begin, 0);  // in the order queued
  EXPECT_EQ(ws[1].begin, 16);
  auto buf = c.find(piece_index{2}, w100);
  ASSERT_NE(buf, nullptr);
  EXPECT_EQ(buf->size(), 100u);
  EXPECT_EQ((*buf)[99], 7);
  EXPECT_EQ(c.bytes(), 200);  // 100 cached + 100 being read
  EXPECT_EQ(c.bytes_in_flight(), 100);
  EXPECT_EQ(c.num_cached(), 1);
  EXPECT_EQ(c.num_pending(), 1);
}

TEST(PieceReadCache, WindowsOfOnePieceAreCachedApart) {
  piece_read_cache c(1 << 20);
  std::vector<std::int32_t> answered;
  const read_window first{0, 100}, second{100, 100};
  EXPECT_EQ(c.wait(piece_index{0}, first, waiter(0, &answered)), piece_read_cache::wait_result::start_read);
  EXPECT_EQ(c.wait(piece_index{0}, second, waiter(100, &answered)), piece_read_cache::wait_result::start_read);
  c.complete(piece_index{0}, second, bytes_of(2, 100));
  EXPECT_EQ(c.find(piece_index{0}, first), nullptr);
  ASSERT_NE(c.find(piece_index{0}, second), nullptr);
  EXPECT_EQ((*c.find(piece_index{0}, second))[0], 2);
}

TEST(PieceReadCache, FailedReadReturnsWaitersAndCachesNothing) {
  piece_read_cache c(1 << 20);
  std::vector<std::int32_t> answered;
  c.wait(piece_index{1}, w100, waiter(0, &answered));
  auto ws = c.complete(piece_index{1}, w100, nullptr);
  EXPECT_EQ(ws.size(), 1u);
  EXPECT_EQ(c.find(piece_index{1}, w100), nullptr);
  EXPECT_EQ(c.num_pending(), 0);
  EXPECT_EQ(c.bytes(), 0);
  EXPECT_EQ(c.bytes_in_flight(), 0);
  // The next request starts a fresh read.
  EXPECT_EQ(c.wait(piece_index{1}, w100, waiter(0, &answered)), piece_read_cache::wait_result::start_read);
}

TEST(PieceReadCache, EvictsLeastRecentlyUsedBeyondTheByteBound) {
  piece_read_cache c(250);  // two 100-byte windows fit, three do not
  std::vector<std::int32_t> answered;
  for (int p = 0; p < 2; ++p) {
    c.wait(piece_index{p}, w100, waiter(0, &answered));
    c.complete(piece_index{p}, w100, bytes_of(static_cast<std::uint8_t>(p), 100));
  }
  ASSERT_NE(c.find(piece_index{0}, w100), nullptr);  // piece 0 is now the most recently used
  // Room for the third read is made when it starts, not when it ends.
  EXPECT_EQ(c.wait(piece_index{5}, w100, waiter(0, &answered)), piece_read_cache::wait_result::start_read);
  EXPECT_EQ(c.find(piece_index{1}, w100), nullptr);  // the least recently used went
  EXPECT_LE(c.bytes(), 250);
  c.complete(piece_index{5}, w100, bytes_of(5, 100));
  EXPECT_NE(c.find(piece_index{0}, w100), nullptr);
  EXPECT_NE(c.find(piece_index{5}, w100), nullptr);
  EXPECT_EQ(c.bytes(), 200);
  EXPECT_EQ(c.num_cached(), 2);
}

TEST(PieceReadCache, ReadsInFlightCountAgainstTheBudgetAndTheNextOneIsRefused) {
  piece_read_cache c(250);
  std::vector<std::int32_t> answered;
  EXPECT_EQ(c.wait(piece_index{0}, w100, waiter(0, &answered)), piece_read_cache::wait_result::start_read);
  EXPECT_EQ(c.wait(piece_index{1}, w100, waiter(0, &answered)), piece_read_cache::wait_result::start_read);
  read_waiter third = waiter(7, &answered);
  EXPECT_EQ(c.wait(piece_index{2}, w100, std::move(third)), piece_read_cache::wait_result::over_budget);
  ASSERT_TRUE(third.done);  // not taken: the caller still owns it and reads the block alone
  EXPECT_EQ(third.begin, 7);
  EXPECT_EQ(c.bytes(), 200);
  EXPECT_EQ(c.bytes_in_flight(), 200);
  EXPECT_EQ(c.num_pending(), 2);
  // A waiter for a window already being read still joins it.
  EXPECT_EQ(c.wait(piece_index{1}, w100, waiter(16, &answered)), piece_read_cache::wait_result::joined);
  // Once a read ends (and is cached), the cached window gives way to a new read.
  c.complete(piece_index{0}, w100, bytes_of(0, 100));
  EXPECT_EQ(c.wait(piece_index{2}, w100, waiter(0, &answered)), piece_read_cache::wait_result::start_read);
  EXPECT_EQ(c.find(piece_index{0}, w100), nullptr);
  EXPECT_EQ(c.peak_bytes(), 200);
}

TEST(PieceReadCache, AWindowLargerThanTheBudgetIsNeverRead) {
  piece_read_cache c(10);
  std::vector<std::int32_t> answered;
  EXPECT_EQ(c.wait(piece_index{0}, w100, waiter(0, &answered)), piece_read_cache::wait_result::over_budget);
  EXPECT_EQ(c.bytes(), 0);
  EXPECT_EQ(c.num_pending(), 0);
}

TEST(PieceReadCache, ManyDistinctWindowsNeverHoldMoreThanTheBudget) {
  // A peer asking for one block of every window of every piece (the hostile pattern): whatever
  // the order of completions, bytes() never passes the budget.
  constexpr std::int64_t budget = 8 << 20;
  constexpr std::int32_t window = 512 << 10;
  piece_read_cache c(budget);
  std::vector<std::int32_t> answered;
  std::vector<std::pair<int, read_window>> pending;
  int refused = 0;
  for (int i = 0; i < 400; ++i) {
    const read_window w{(i / 4) % 128 * window, window};
    const piece_index p{i % 4};
    if (c.find(p, w)) continue;
    switch (c.wait(p, w, waiter(w.start, &answered))) {
      case piece_read_cache::wait_result::start_read: pending.emplace_back(p.value, w); break;
      case piece_read_cache::wait_result::over_budget: ++refused; break;
      case piece_read_cache::wait_result::joined: break;
    }
    EXPECT_LE(c.bytes(), budget);
    if (i % 3 == 0 && !pending.empty()) {  // complete the oldest read now and then
      auto [pp, pw] = pending.front();
      pending.erase(pending.begin());
      c.complete(piece_index{pp}, pw, bytes_of(1, static_cast<std::size_t>(window)));
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_LE(c.peak_bytes(), budget);
}

TEST(PieceReadCache, EvictedBufferStaysValidForItsHolder) {
  piece_read_cache c(150);
  std::vector<std::int32_t> answered;
  c.wait(piece_index{0}, w100, waiter(0, &answered));
  c.complete(piece_index{0}, w100, bytes_of(9, 100));
  auto held = c.find(piece_index{0}, w100);
  c.wait(piece_index{1}, w100, waiter(0, &answered));
  c.complete(piece_index{1}, w100, bytes_of(2, 100));
  ASSERT_EQ(c.find(piece_index{0}, w100), nullptr);
  EXPECT_EQ((*held)[0], 9);
}

TEST(PieceReadCache, ClearForgetsReadsInFlightAndIgnoresTheirCompletion) {
  piece_read_cache c(1 << 20);
  std::vector<std::int32_t> answered;
  c.wait(piece_index{0}, w100, waiter(0, &answered));
  c.wait(piece_index{1}, w100, waiter(0, &answered));
  c.complete(piece_index{1}, w100, bytes_of(1, 100));
  c.clear();
  EXPECT_EQ(c.bytes(), 0);
  EXPECT_EQ(c.bytes_in_flight(), 0);
  EXPECT_EQ(c.num_cached(), 0);
  EXPECT_EQ(c.num_pending(), 0);
  EXPECT_TRUE(c.complete(piece_index{0}, w100, bytes_of(0, 100)).empty());
  EXPECT_EQ(c.find(piece_index{0}, w100), nullptr);
  EXPECT_EQ(c.bytes(), 0);
}

TEST(PieceReadCache, CompleteOfACachedWindowChangesNothing) {
  piece_read_cache c(1 << 20);
  std::vector<std::int32_t> answered;
  c.wait(piece_index{0}, w100, waiter(0, &answered));
  c.complete(piece_index{0}, w100, bytes_of(1, 100));
  EXPECT_TRUE(c.complete(piece_index{0}, w100, bytes_of(2, 50)).empty());
  EXPECT_EQ(c.bytes(), 100);
  EXPECT_EQ((*c.find(piece_index{0}, w100))[0], 1);
}

TEST(PieceReadCache, AReadOfAnotherSizeThanReservedIsNotCached) {
  piece_read_cache c(1 << 20);
  std::vector<std::int32_t> answered;
  c.wait(piece_index{0}, w100, waiter(0, &answered));
  EXPECT_EQ(c.complete(piece_index{0}, w100, bytes_of(1, 5000)).size(), 1u);
  EXPECT_EQ(c.find(piece_index{0}, w100), nullptr);
  EXPECT_EQ(c.bytes(), 0);
}

}  // namespace
}  // namespace tessera::detail
