#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/merkle.hpp"
#include "tessera/hasher.hpp"

namespace tessera {
namespace {

TEST(Hasher, KnownDigests) {
  EXPECT_EQ(sha1("abc").to_hex(), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(sha256("abc").to_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256("").to_hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Hasher, IncrementalEqualsOneShotAndFinalResets) {
  sha256_hasher h;
  h.update("a").update(std::string("b")).update("c", 1);
  EXPECT_EQ(h.final(), sha256("abc"));
  EXPECT_EQ(h.update("abc").final(), sha256("abc"));  // final() reset the hasher
  sha1_hasher moved_from;
  moved_from.update("ab");
  sha1_hasher moved = std::move(moved_from);
  EXPECT_EQ(moved.update("c").final(), sha1("abc"));
}

TEST(Digest, HexRoundTripAndLengths) {
  auto h = sha256("x");
  EXPECT_EQ(sha256_hash::from_hex(h.to_hex()), h);
  EXPECT_EQ(sha256_hash::from_bytes(h.to_bytes()), h);
  EXPECT_FALSE(sha256_hash::from_hex(h.to_hex().substr(0, 40)));
  EXPECT_FALSE(sha1_hash::from_bytes(h.to_bytes()));
  EXPECT_TRUE(sha256_hash{}.is_zero());
}

// An independent definition: the tree over `leaves` padded with zero hashes to `width`, built
// recursively.
sha256_hash reference_root(const std::vector<sha256_hash>& leaves, std::size_t begin, std::size_t width) {
  if (width == 1) return begin < leaves.size() ? leaves[begin] : sha256_hash{};
  auto l = reference_root(leaves, begin, width / 2);
  auto r = reference_root(leaves, begin + width / 2, width / 2);
  std::string both = l.to_bytes() + r.to_bytes();
  return sha256(both);
}

std::vector<sha256_hash> blocks_of(int n) {
  std::vector<sha256_hash> v;
  for (int i = 0; i < n; ++i) v.push_back(sha256(std::to_string(i)));
  return v;
}

TEST(Merkle, PadHashes) {
  EXPECT_TRUE(merkle::pad_hash(0).is_zero());
  EXPECT_EQ(merkle::pad_hash(1), merkle::parent(sha256_hash{}, sha256_hash{}));
  EXPECT_EQ(merkle::pad_hash(3), reference_root({}, 0, 8));
}

TEST(Merkle, FileRootMatchesTheReferenceForEveryBlockCount) {
  for (int n = 1; n <= 40; ++n) {
    auto leaves = blocks_of(n);
    const std::int64_t size = std::int64_t{n} * block_size - 100;
    auto h = merkle::hash_file(leaves, size, 64 * 1024);
    EXPECT_EQ(h.pieces_root, reference_root(leaves, 0, merkle::next_power_of_two(n))) << n;
    const std::int64_t pieces = (size + 64 * 1024 - 1) / (64 * 1024);
    EXPECT_EQ(h.piece_layer.size(), size > 64 * 1024 ? static_cast<std::size_t>(pieces) : 0u) << n;
    // Each piece layer entry is the root of its 4 blocks, zero leaves past the end.
    for (std::size_t p = 0; p < h.piece_layer.size(); ++p) {
      std::vector<sha256_hash> piece(leaves.begin() + static_cast<long>(4 * p),
                                     leaves.begin() + static_cast<long>(std::min<std::size_t>(4 * p + 4, leaves.size())));
      EXPECT_EQ(h.piece_layer[p], merkle::piece_root(piece, 64 * 1024)) << n << " piece " << p;
      EXPECT_EQ(h.piece_layer[p], reference_root(leaves, 4 * p, 4)) << n << " piece " << p;
    }
    // The root over the piece layer, padded with zero-piece subtrees, is the file's root.
    if (!h.piece_layer.empty()) {
      EXPECT_EQ(merkle::root(h.piece_layer, merkle::next_power_of_two(n) / 4, 2), h.pieces_root) << n;
      EXPECT_EQ(merkle::piece_layer_root(h.piece_layer, 64 * 1024), h.pieces_root) << n;
    }
  }
}

TEST(Merkle, SingleBlockAndEmptyFiles) {
  auto one = blocks_of(1);
  EXPECT_EQ(merkle::hash_file(one, 5, block_size).pieces_root, one[0]);
  EXPECT_TRUE(merkle::hash_file({}, 0, block_size).pieces_root.is_zero());
  EXPECT_THROW(merkle::hash_file(one, 5 * block_size, block_size), std::invalid_argument);
  EXPECT_THROW(merkle::hash_file(one, 5, 3 * block_size), std::invalid_argument);
}

}  // namespace
}  // namespace tessera

namespace tessera {
namespace {

TEST(InfoHash, KindsAndTruncation) {
  info_hash_t v1{sha1("a"), {}};
  info_hash_t v2{{}, sha256("b")};
  info_hash_t hybrid{sha1("a"), sha256("b")};
  EXPECT_TRUE(v1.has_v1() && !v1.has_v2() && !v1.is_hybrid());
  EXPECT_TRUE(hybrid.is_hybrid());
  EXPECT_EQ(v2.v2_truncated().to_hex(), sha256("b").to_hex().substr(0, 40));
  EXPECT_EQ(v2.best(), v2.v2_truncated());
  EXPECT_EQ(hybrid.best(), sha1("a"));
  EXPECT_TRUE(hybrid.matches(sha1("a")) && hybrid.matches(v2.v2_truncated()));
  EXPECT_FALSE(v1.matches(v2.v2_truncated()));
  EXPECT_FALSE(info_hash_t{}.matches(sha1_hash{}));
  EXPECT_NE(std::hash<info_hash_t>{}(v1), std::hash<info_hash_t>{}(hybrid));
}

}  // namespace
}  // namespace tessera
