// core/piece_verify: v1 (SHA-1) and v2 (SHA-256 merkle, BEP 52) piece checks.
#include "core/piece_verify.hpp"

#include <gtest/gtest.h>

#include <random>

#include "core/merkle.hpp"

namespace tessera::detail {
namespace {

std::vector<std::uint8_t> bytes(std::size_t n, unsigned seed) {
  std::vector<std::uint8_t> out(n);
  std::mt19937 rng(seed);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

std::vector<sha256_hash> block_hashes(std::span<const std::uint8_t> data) {
  std::vector<sha256_hash> out;
  for (std::size_t at = 0; at < data.size(); at += block_size) {
    const std::size_t n = std::min<std::size_t>(block_size, data.size() - at);
    out.push_back(sha256(std::as_bytes(data.subspan(at, n))));
  }
  return out;
}

TEST(PieceVerify, V1MatchesSha1FedInAnySlices) {
  auto data = bytes(100'000, 1);
  const sha1_hash want = sha1(std::as_bytes(std::span(data)));
  v1_piece_hasher h;
  h.update(std::span(data).first(7));
  h.update(std::span(data).subspan(7));
  EXPECT_TRUE(h.finish(want));
  h.update(data);
  data[500] ^= 1;
  h.update(std::span(data).first(0));
  EXPECT_TRUE(h.finish(want));  // the reset after finish forgot nothing it should not
  h.update(data);
  EXPECT_FALSE(h.finish(want));
}

// A file of 5.5 pieces of 64 KiB: every piece against the piece layer hash_file builds.
TEST(PieceVerify, V2PiecesMatchTheFilesPieceLayer) {
  const std::int64_t piece_length = 64 * 1024;
  auto file = bytes(5 * 64 * 1024 + 30'000, 2);
  const auto tree = merkle::hash_file(block_hashes(file), static_cast<std::int64_t>(file.size()), piece_length);
  ASSERT_EQ(tree.piece_layer.size(), 6u);
  v2_piece_hasher h(piece_length);
  for (std::int64_t p = 0; p < 6; ++p) {
    auto target = v2_target(tree.pieces_root, tree.piece_layer, static_cast<std::int64_t>(file.size()), piece_length, p);
    ASSERT_TRUE(target);
    EXPECT_FALSE(target->whole_file);
    const auto begin = static_cast<std::size_t>(p * piece_length);
    const auto n = std::min<std::size_t>(static_cast<std::size_t>(piece_length), file.size() - begin);
    auto piece = std::span(file).subspan(begin, n);
    // Slices that do not line up with blocks.
    h.update(piece.first(1000));
    h.update(piece.subspan(1000));
    EXPECT_TRUE(h.finish(*target)) << p;
    auto bad = std::vector<std::uint8_t>(piece.begin(), piece.end());
    bad[n - 1] ^= 0x80;
    h.update(bad);
    EXPECT_FALSE(h.finish(*target)) << p;
  }
  EXPECT_FALSE(v2_target(tree.pieces_root, tree.piece_layer, static_cast<std::int64_t>(file.size()), piece_length, 6));
  // A layer of the wrong length cannot verify anything.
  EXPECT_FALSE(v2_target(tree.pieces_root, std::span(tree.piece_layer).first(5),
                         static_cast<std::int64_t>(file.size()), piece_length, 0));
}

// A file of one piece or less is checked against its pieces root, a tree only as wide as its
// blocks (not as the piece).
TEST(PieceVerify, V2SmallFileMatchesItsPiecesRoot) {
  const std::int64_t piece_length = 256 * 1024;
  for (std::size_t size : {1u, 16'384u, 40'000u, 262'144u}) {
    auto file = bytes(size, 3);
    const auto tree = merkle::hash_file(block_hashes(file), static_cast<std::int64_t>(size), piece_length);
    EXPECT_TRUE(tree.piece_layer.empty());
    auto target = v2_target(tree.pieces_root, {}, static_cast<std::int64_t>(size), piece_length, 0);
    ASSERT_TRUE(target);
    EXPECT_TRUE(target->whole_file);
    v2_piece_hasher h(piece_length);
    h.update(file);
    EXPECT_TRUE(h.finish(*target)) << size;
    file[0] ^= 1;
    h.update(file);
    EXPECT_FALSE(h.finish(*target)) << size;
  }
  EXPECT_FALSE(v2_target(sha256_hash{}, {}, 0, piece_length, 0));  // an empty file has no piece
}

TEST(PieceVerify, V2RefusesEmptyAndOversizedInput) {
  const std::int64_t piece_length = 16 * 1024;
  auto data = bytes(16 * 1024 + 1, 4);
  v2_piece_hasher h(piece_length);
  const v2_piece_target t{merkle::piece_root(block_hashes(std::span(data).first(16 * 1024)), piece_length), false};
  EXPECT_FALSE(h.finish(t));
  h.update(data);
  EXPECT_FALSE(h.finish(t));
  h.update(std::span(data).first(16 * 1024));
  EXPECT_TRUE(h.finish(t));
}

}  // namespace
}  // namespace tessera::detail
