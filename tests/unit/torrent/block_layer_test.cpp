// torrent/block_layer: the request for one piece's block hashes and its verification against the
// piece layer, the blame of differing blocks, and the seeder's answer from pieces' block hashes.
#include "torrent/block_layer.hpp"

#include <gtest/gtest.h>

#include "../support/v2_test_torrent.hpp"

namespace tessera::detail {
namespace {

using test_support::make_v2_torrent;
using test_support::random_bytes;
using test_support::sha256_blocks;

/// The file's full tree from its blocks (what an honest peer answers from).
merkle::tree_layers full_tree(std::span<const std::uint8_t> data) {
  const auto blocks = sha256_blocks(data);
  return merkle::tree_layers(blocks, 0, merkle::tree_height(static_cast<std::int64_t>(blocks.size())));
}

void expect_blocks_verify(std::int64_t piece_length, std::size_t file_size) {
  const auto data = random_bytes(file_size, 7);
  auto t = make_v2_torrent({data}, piece_length, false, true);
  v2_hash_store store(t.ti);
  ASSERT_EQ(store.files().size(), 1u);
  const auto& f = store.files()[0];
  const auto tree = full_tree(data);
  for (std::int32_t p = 0; p < f.num_pieces; ++p) {
    auto r = block_hashes_request(f, piece_index{p}, piece_length);
    ASSERT_TRUE(r);
    EXPECT_EQ(uncle_count(*r), 0);
    auto hashes = answer_request(*r, tree);
    ASSERT_TRUE(hashes);
    auto v = verify_hashes({*r, *hashes}, f.num_blocks, f.pieces_root, store.node_lookup(f.pieces_root));
    ASSERT_TRUE(v) << "piece " << p << ": " << v.error().message();
    const auto begin = static_cast<std::size_t>(p * piece_length);
    const auto n = std::min<std::size_t>(static_cast<std::size_t>(piece_length), data.size() - begin);
    EXPECT_EQ(piece_blocks_of(f, piece_index{p}, piece_length, *r, v->base),
              sha256_blocks(std::span(data).subspan(begin, n)));
  }
}

TEST(BlockLayer, BlockHashesOfEachPieceVerifyAgainstThePieceLayer) {
  expect_blocks_verify(64 * 1024, 5 * 64 * 1024 + 20000);  // 4 blocks a piece, a short last piece
}

TEST(BlockLayer, OneBlockPiecesAskForAPairUnderAVerifiedNode) {
  expect_blocks_verify(16 * 1024, 9 * 16 * 1024 + 5);
}

TEST(BlockLayer, AOnePieceFileFoldsToItsRoot) {
  expect_blocks_verify(256 * 1024, 3 * 16 * 1024 + 1);  // 4 leaves, no piece layer
}

TEST(BlockLayer, AOneBlockFileNeedsNoRequest) {
  auto t = make_v2_torrent({random_bytes(1000, 3)}, 64 * 1024, false, true);
  v2_hash_store store(t.ti);
  EXPECT_FALSE(block_hashes_request(store.files()[0], piece_index{0}, 64 * 1024));
}

TEST(BlockLayer, BlameNamesTheSendersOfDifferingBlocksOnce) {
  std::vector<sha256_hash> expected(5), received(5);
  for (std::size_t i = 0; i < 5; ++i) expected[i].bytes[0] = received[i].bytes[0] = static_cast<std::uint8_t>(i);
  const std::vector<peer_key> senders{1, 2, 3, 2, 1};
  EXPECT_TRUE(blame_blocks(received, senders, expected).empty());
  received[1].bytes[1] = 9;
  received[3].bytes[1] = 9;
  EXPECT_EQ(blame_blocks(received, senders, expected), (std::vector<peer_key>{2}));
  received[4].bytes[1] = 9;
  EXPECT_EQ(blame_blocks(received, senders, expected), (std::vector<peer_key>{2, 1}));
  // A block past the expected ones proves nothing.
  EXPECT_EQ(blame_blocks(received, senders, std::span(expected).first(2)), (std::vector<peer_key>{2}));
}

TEST(BlockLayer, TheSeedersAnswerFromPiecesEqualsTheFullTrees) {
  constexpr std::int64_t piece_length = 64 * 1024;  // piece layer 2
  const auto data = random_bytes(6 * piece_length + 3000, 11);  // 7 pieces, 25 blocks, height 5
  auto t = make_v2_torrent({data}, piece_length, false, true);
  v2_hash_store store(t.ti);
  const auto& f = store.files()[0];
  const auto* piece_tree = store.tree(f.pieces_root);
  ASSERT_NE(piece_tree, nullptr);
  const auto tree = full_tree(data);
  const auto blocks = sha256_blocks(data);
  int checked = 0;
  for (int base = 0; base < 2; ++base) {
    for (int length = 2; length <= 8; length *= 2) {
      for (int proof = 0; base + proof < 5; ++proof) {
        for (int index = 0; (index + length) << base <= 32; index += length) {
          const hash_request r{f.pieces_root, base, index, length, proof};
          if (check_request(r, f.num_blocks)) continue;
          const auto span = pieces_for_block_request(r, f.num_blocks, 2);
          if (span.count == 0) continue;
          const auto first_block = span.first * 4;
          const auto end = std::min<std::int64_t>((span.first + span.count) * 4, f.num_blocks);
          const auto mine = std::span(blocks).subspan(static_cast<std::size_t>(first_block),
                                                      static_cast<std::size_t>(end - first_block));
          auto got = answer_block_request(r, f.num_blocks, *piece_tree, first_block, mine);
          ASSERT_TRUE(got) << base << " " << index << " " << length << " " << proof << ": " << got.error().message();
          EXPECT_EQ(*got, *answer_request(r, tree)) << base << " " << index << " " << length << " " << proof;
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 50);
}

TEST(BlockLayer, TheSeedersAnswerNeedsTheBlocksItCovers) {
  constexpr std::int64_t piece_length = 64 * 1024;
  const auto data = random_bytes(4 * piece_length, 12);
  auto t = make_v2_torrent({data}, piece_length, false, true);
  v2_hash_store store(t.ti);
  const auto& f = store.files()[0];
  const auto blocks = sha256_blocks(data);
  const hash_request r{f.pieces_root, 0, 4, 4, 3};  // piece 1's blocks, uncles to the root's child
  const auto span = pieces_for_block_request(r, f.num_blocks, 2);
  EXPECT_EQ(span.first, 1);
  EXPECT_EQ(span.count, 1);
  // Piece 2's blocks instead of piece 1's.
  auto wrong = answer_block_request(r, f.num_blocks, *store.tree(f.pieces_root), 8, std::span(blocks).subspan(8, 4));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error(), hash_errc::unavailable);
  // At or above the piece layer is the tree's job, not this one's.
  const hash_request high{f.pieces_root, 2, 0, 2, 0};
  EXPECT_EQ(answer_block_request(high, f.num_blocks, *store.tree(f.pieces_root), 0, blocks).error(), hash_errc::unavailable);
}

}  // namespace
}  // namespace tessera::detail
