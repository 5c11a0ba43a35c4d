#include "torrent/piece_buffers.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tessera::detail {
namespace {

constexpr std::int32_t piece_size = 4 * block_size;

std::vector<std::uint8_t> block_of(std::uint8_t value, std::size_t size = block_size) {
  return std::vector<std::uint8_t>(size, value);
}

TEST(PieceBuffers, PieceIsActiveWhileRequestsAreOutstanding) {
  piece_buffers pb;
  piece_index p{3};
  pb.request_sent(p);
  pb.request_sent(p);
  EXPECT_TRUE(pb.is_active(p));
  EXPECT_EQ(pb.outstanding(p), 2);
  pb.request_ended(p);
  EXPECT_TRUE(pb.is_active(p));
  pb.request_ended(p);
  EXPECT_FALSE(pb.is_active(p));
  pb.request_ended(p);  // never below zero, no resurrection
  EXPECT_FALSE(pb.is_active(p));
  EXPECT_EQ(pb.num_active(), 0);
}

TEST(PieceBuffers, BufferIsAllocatedOnFirstBlockAndAssemblesBlocksAtTheirOffsets) {
  piece_buffers pb;
  piece_index p{0};
  EXPECT_EQ(pb.bytes_in_memory(), 0);
  for (int b = 0; b < 4; ++b) {
    auto data = block_of(static_cast<std::uint8_t>(b + 1));
    ASSERT_TRUE(pb.store(p, piece_size, b * block_size, data, 7));
    EXPECT_EQ(pb.bytes_in_memory(), piece_size);
  }
  auto buf = pb.take_for_hash(p);
  ASSERT_EQ(buf.size(), std::size_t(piece_size));
  for (int b = 0; b < 4; ++b) {
    EXPECT_EQ(buf[std::size_t(b) * block_size], b + 1);
    EXPECT_EQ(buf[std::size_t(b) * block_size + block_size - 1], b + 1);
  }
  EXPECT_EQ(pb.bytes_in_memory(), 0);
  EXPECT_EQ(pb.bytes_at_disk(), piece_size);
  EXPECT_TRUE(pb.is_hashing(p));
  EXPECT_FALSE(pb.is_active(p));
}

TEST(PieceBuffers, TheSenderOfEachBlockIsReturnedWhenTheHashIsDone) {
  piece_buffers pb;
  piece_index p{1};
  auto data = block_of(9);
  ASSERT_TRUE(pb.store(p, piece_size, 0, data, 1));
  ASSERT_TRUE(pb.store(p, piece_size, block_size, data, 2));
  ASSERT_TRUE(pb.store(p, piece_size, 2 * block_size, data, 1));
  EXPECT_TRUE(pb.references(1));
  EXPECT_TRUE(pb.references(2));
  EXPECT_FALSE(pb.references(3));
  (void)pb.take_for_hash(p);
  EXPECT_TRUE(pb.references(2));  // still needed for the smart ban if the hash fails
  auto who = pb.finish_hash(p);
  EXPECT_EQ(who, (std::vector<peer_key>{1, 2, 1, 0}));  // block 3 never arrived
  EXPECT_EQ(pb.bytes_at_disk(), 0);
  EXPECT_FALSE(pb.is_hashing(p));
  EXPECT_FALSE(pb.references(1));
}

TEST(PieceBuffers, ABlockStoredTwiceKeepsItsLastSender) {
  piece_buffers pb;
  piece_index p{1};
  auto data = block_of(9);
  ASSERT_TRUE(pb.store(p, piece_size, block_size, data, 1));
  ASSERT_TRUE(pb.store(p, piece_size, block_size, data, 2));
  (void)pb.take_for_hash(p);
  EXPECT_EQ(pb.finish_hash(p), (std::vector<peer_key>{0, 2, 0, 0}));
  EXPECT_FALSE(pb.references(1));
}

TEST(PieceBuffers, AShortLastPieceHasOneSenderSlotPerBlock) {
  piece_buffers pb;
  piece_index p{7};
  auto tail = block_of(3, 100);
  ASSERT_TRUE(pb.store(p, block_size + 100, block_size, tail, 5));
  (void)pb.take_for_hash(p);
  EXPECT_EQ(pb.finish_hash(p), (std::vector<peer_key>{0, 5}));
}

TEST(PieceBuffers, RefusesBlocksOutsideThePieceOrWhileHashing) {
  piece_buffers pb;
  piece_index p{2};
  auto data = block_of(1);
  EXPECT_FALSE(pb.store(p, piece_size, piece_size - 100, data, 1));
  EXPECT_FALSE(pb.store(p, piece_size, -1, data, 1));
  EXPECT_EQ(pb.bytes_in_memory(), 0);
  ASSERT_TRUE(pb.store(p, piece_size, 0, data, 1));
  (void)pb.take_for_hash(p);
  EXPECT_FALSE(pb.store(p, piece_size, block_size, data, 1));
  pb.request_sent(p);  // a late endgame request does not reopen a hashing piece
  EXPECT_FALSE(pb.is_active(p));
}

TEST(PieceBuffers, PieceWithDataStaysActiveWithoutRequests) {
  piece_buffers pb;
  piece_index p{4};
  pb.request_sent(p);
  auto data = block_of(5);
  ASSERT_TRUE(pb.store(p, piece_size, 0, data, 1));
  pb.request_ended(p);
  EXPECT_TRUE(pb.is_active(p));  // received data is kept until the piece completes
  EXPECT_EQ(pb.num_active(), 1);
}

TEST(PieceBuffers, DiscardedBuffersAreReusedUpToTheFreeListLimit) {
  piece_buffers pb(1);
  auto data = block_of(5);
  ASSERT_TRUE(pb.store(piece_index{0}, piece_size, 0, data, 1));
  ASSERT_TRUE(pb.store(piece_index{1}, piece_size, 0, data, 1));
  pb.discard(piece_index{0});
  pb.discard(piece_index{1});
  EXPECT_EQ(pb.num_free(), 1u);
  EXPECT_EQ(pb.bytes_in_memory(), 0);
  ASSERT_TRUE(pb.store(piece_index{2}, piece_size, block_size, data, 1));
  EXPECT_EQ(pb.num_free(), 0u);
  EXPECT_EQ(pb.bytes_in_memory(), piece_size);
}

TEST(PieceBuffers, UnrequestedBoundCountsBlocksOfActivePiecesNotRequested) {
  piece_buffers pb;
  auto four = [](piece_index) { return 4; };
  EXPECT_EQ(pb.unrequested_bound(four), 0);
  pb.request_sent(piece_index{0});
  pb.request_sent(piece_index{0});
  pb.request_sent(piece_index{1});
  EXPECT_EQ(pb.unrequested_bound(four), (4 - 2) + (4 - 1));
  auto data = block_of(1);
  ASSERT_TRUE(pb.store(piece_index{0}, piece_size, 0, data, 1));
  (void)pb.take_for_hash(piece_index{0});  // hashing pieces are not active
  EXPECT_EQ(pb.unrequested_bound(four), 3);
}

TEST(PieceBuffers, IdlePiecesHaveDataButNoOutstandingRequest) {
  piece_buffers pb;
  auto data = block_of(1);
  pb.request_sent(piece_index{0});  // requested, nothing received: not idle
  pb.request_sent(piece_index{1});
  ASSERT_TRUE(pb.store(piece_index{1}, piece_size, 0, data, 1));  // data and a request: not idle
  ASSERT_TRUE(pb.store(piece_index{2}, piece_size, 0, data, 1));  // data, no request: idle
  EXPECT_EQ(pb.idle_pieces(), std::vector<piece_index>{piece_index{2}});
  pb.discard(piece_index{2});
  EXPECT_TRUE(pb.idle_pieces().empty());
  EXPECT_FALSE(pb.is_active(piece_index{2}));
}

TEST(PieceBuffers, TakeForHashOfUnknownPieceIsEmpty) {
  piece_buffers pb;
  EXPECT_TRUE(pb.take_for_hash(piece_index{8}).empty());
  EXPECT_TRUE(pb.finish_hash(piece_index{8}).empty());
}

}  // namespace
}  // namespace tessera::detail
