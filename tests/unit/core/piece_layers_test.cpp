#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/bencode.hpp"
#include "core/merkle.hpp"
#include "core/piece_layers.hpp"
#include "tessera/hasher.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::detail {
namespace {

constexpr std::int64_t piece = 32 * 1024;  // two blocks per piece

std::vector<sha256_hash> blocks_of(std::int64_t size, char seed) {
  std::vector<sha256_hash> out;
  for (std::int64_t i = 0; i * block_size < size; ++i) out.push_back(sha256(std::string(1, seed) + std::to_string(i)));
  return out;
}

struct made {
  v2_file file;
  std::string layer;  // the bencoded value: concatenated hashes
};

made make(std::string path, std::int64_t size, char seed) {
  const auto h = merkle::hash_file(blocks_of(size, seed), size, piece);
  made m;
  m.file.path = std::move(path);
  m.file.length = size;
  m.file.pieces_root = h.pieces_root;
  for (const auto& x : h.piece_layer) m.layer += x.to_bytes();
  return m;
}

TEST(PieceLayers, AcceptsCorrectLayersAndSkipsSmallFiles) {
  const made big = make("big", 5 * piece + 100, 'a');  // 6 pieces: padded to 8 at the piece layer
  const made exact = make("exact", piece, 'b');        // one piece: no layer
  const made small = make("small", 10, 'c');
  bdict layers;
  layers[big.file.pieces_root.to_bytes()] = big.layer;
  std::vector<v2_file> files{big.file, exact.file, small.file};
  auto r = parse_piece_layers(bvalue(layers), files, piece);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->at(big.file.pieces_root).size(), 6u);
  EXPECT_EQ(merkle::root(r->at(big.file.pieces_root), 8, 1), big.file.pieces_root);
}

TEST(PieceLayers, IdenticalFilesShareOneLayer) {
  made one = make("one", 3 * piece, 'a');
  made two = one;
  two.file.path = "two";
  bdict layers;
  layers[one.file.pieces_root.to_bytes()] = one.layer;
  std::vector<v2_file> files{one.file, two.file};
  auto r = parse_piece_layers(bvalue(layers), files, piece);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size(), 1u);
}

TEST(PieceLayers, WrongLengthIsRefused) {
  const made big = make("big", 3 * piece, 'a');
  std::vector<v2_file> files{big.file};
  for (const std::string& value : {big.layer.substr(32), big.layer + std::string(32, '\0'), big.layer.substr(1)}) {
    bdict layers;
    layers[big.file.pieces_root.to_bytes()] = value;
    auto r = parse_piece_layers(bvalue(layers), files, piece);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), metainfo_errc::bad_piece_layers);
  }
}

TEST(PieceLayers, LayerThatDoesNotHashToItsRootIsRefused) {
  const made big = make("big", 3 * piece, 'a');
  std::string bad = big.layer;
  bad[40] ^= 1;
  bdict layers;
  layers[big.file.pieces_root.to_bytes()] = bad;
  std::vector<v2_file> files{big.file};
  auto r = parse_piece_layers(bvalue(layers), files, piece);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), metainfo_errc::piece_layer_mismatch);
}

TEST(PieceLayers, UnknownRootMissingLayerAndBadShapesAreRefused) {
  const made big = make("big", 3 * piece, 'a');
  const made other = make("other", 3 * piece, 'z');
  std::vector<v2_file> files{big.file};
  auto code = [&](const bvalue& v) {
    auto r = parse_piece_layers(v, files, piece);
    return r ? std::error_code{} : r.error();
  };
  bdict unknown;
  unknown[big.file.pieces_root.to_bytes()] = big.layer;
  unknown[other.file.pieces_root.to_bytes()] = other.layer;
  EXPECT_EQ(code(bvalue(unknown)), metainfo_errc::bad_piece_layers);
  EXPECT_EQ(code(bvalue(bdict{})), metainfo_errc::bad_piece_layers);  // big has no layer
  bdict short_key;
  short_key["abc"] = big.layer;
  EXPECT_EQ(code(bvalue(short_key)), metainfo_errc::bad_piece_layers);
  bdict not_string;
  not_string[big.file.pieces_root.to_bytes()] = bvalue(1);
  EXPECT_EQ(code(bvalue(not_string)), metainfo_errc::bad_piece_layers);
  EXPECT_EQ(code(bvalue(blist{})), metainfo_errc::bad_piece_layers);
}

}  // namespace
}  // namespace tessera::detail
