// core/v2_hash_store: the per-torrent BEP 52 hashes: places of files, targets of pieces, layers
// added from peers or resume data, verified nodes, the seeder's tree.
#include "core/v2_hash_store.hpp"

#include <gtest/gtest.h>

#include "../support/v2_test_torrent.hpp"
#include "core/piece_verify.hpp"
#include "core/torrent_info_builder.hpp"

namespace tessera::detail {
namespace {

using test_support::make_v2_torrent;
using test_support::random_bytes;

constexpr std::int64_t piece = 32 * 1024;  // two blocks a piece

// Files: 3.5 pieces, empty, 1 block (one piece), 2 pieces exactly, and a copy of the first.
std::vector<std::vector<std::uint8_t>> sample_files() {
  return {random_bytes(3 * piece + piece / 2, 1), {}, random_bytes(1000, 2), random_bytes(2 * piece, 3),
          random_bytes(3 * piece + piece / 2, 1)};
}

bool verifies(const test_support::v2_test_torrent& t, const v2_piece_check& c, piece_index p) {
  v2_piece_hasher h(t.ti.piece_length());
  h.update(std::span(t.stream).subspan(static_cast<std::size_t>(p.value * t.ti.piece_length()),
                                       static_cast<std::size_t>(c.file_bytes)));
  return h.finish(c.target);
}

TEST(V2HashStore, PlacesEveryNonEmptyFileOnItsPieces) {
  auto t = make_v2_torrent(sample_files(), piece, false);
  v2_hash_store s(t.ti);
  ASSERT_TRUE(s.has_v2());
  ASSERT_EQ(s.files().size(), 4u);  // the empty file has no pieces
  EXPECT_EQ(s.files()[0].first_piece.value, 0);
  EXPECT_EQ(s.files()[0].num_pieces, 4);
  EXPECT_EQ(s.files()[0].num_blocks, 7);
  EXPECT_EQ(s.files()[1].first_piece.value, 4);
  EXPECT_EQ(s.files()[1].num_pieces, 1);
  EXPECT_EQ(s.files()[2].first_piece.value, 5);
  EXPECT_EQ(s.files()[3].first_piece.value, 7);
  EXPECT_EQ(t.ti.num_pieces(), 11);
  EXPECT_EQ(s.file_of_piece(piece_index{6})->file.value, s.files()[2].file.value);
  EXPECT_EQ(s.file_of_piece(piece_index{11}), nullptr);
  EXPECT_EQ(s.file_of_piece(piece_index{-1}), nullptr);
  EXPECT_EQ(s.file_by_root(s.files()[3].pieces_root), &s.files()[0]);  // same content, first file
  EXPECT_EQ(s.piece_layer_index(), 1);
  EXPECT_TRUE(s.all_layers_known());
}

TEST(V2HashStore, EveryPieceVerifiesAgainstItsTargetFileBytesOnly) {
  auto t = make_v2_torrent(sample_files(), piece, false);
  v2_hash_store s(t.ti);
  auto snap = s.snapshot();
  for (int p = 0; p < t.ti.num_pieces(); ++p) {
    auto c = s.piece_check(piece_index{p});
    ASSERT_TRUE(c) << p;
    EXPECT_TRUE(verifies(t, *c, piece_index{p})) << p;
    auto sc = snap->check(piece_index{p});
    ASSERT_TRUE(sc);
    EXPECT_EQ(sc->target.expected, c->target.expected);
  }
  EXPECT_EQ(s.piece_check(piece_index{3})->file_bytes, piece / 2);  // the tail before padding
  EXPECT_TRUE(s.piece_check(piece_index{4})->target.whole_file);
  EXPECT_EQ(s.piece_check(piece_index{4})->file_bytes, 1000);
  EXPECT_FALSE(s.piece_check(piece_index{11}));
}

TEST(V2HashStore, AV1TorrentHasNoV2Files) {
  tessera::detail::torrent_info_builder b;
  b.piece_length = 16384;
  b.files.push_back(file_entry{.path = "a", .size = 100});
  b.total_size = 100;
  b.piece_hashes.resize(1);
  const torrent_info ti = std::move(b).build();
  v2_hash_store s(ti);
  EXPECT_FALSE(s.has_v2());
  EXPECT_FALSE(s.piece_check(piece_index{0}));
  EXPECT_TRUE(s.all_layers_known());
}

TEST(V2HashStore, WithoutLayersOnlyOnePieceFilesHaveTargetsUntilHashesArrive) {
  auto full = make_v2_torrent(sample_files(), piece, false);
  auto t = make_v2_torrent(sample_files(), piece, false, false);
  v2_hash_store s(t.ti);
  EXPECT_FALSE(s.all_layers_known());
  EXPECT_FALSE(s.has_target(piece_index{0}));
  EXPECT_TRUE(s.has_target(piece_index{4}));  // a one-piece file: its root is the target
  EXPECT_FALSE(s.has_target(piece_index{7}));
  auto before = s.snapshot();
  const auto& root0 = s.files()[0].pieces_root;
  const auto& layer0 = full.ti.piece_layers().at(root0);
  // Two entries, then the rest with padding past the file's end (a request's range of 8).
  auto fresh = s.add_piece_layer(root0, 0, std::span(layer0).first(2));
  std::vector<std::int32_t> got;
  for (auto p : fresh) got.push_back(p.value);
  EXPECT_EQ(got, (std::vector<std::int32_t>{0, 1, 7, 8}));  // both files with that root
  std::vector<sha256_hash> rest(layer0.begin() + 2, layer0.end());
  rest.resize(6, merkle::pad_hash(1));
  fresh = s.add_piece_layer(root0, 2, rest);
  EXPECT_EQ(fresh.size(), 4u);
  EXPECT_TRUE(s.add_piece_layer(root0, 0, layer0).empty());  // nothing new
  EXPECT_FALSE(s.all_layers_known());  // the 2-piece file still lacks its layer
  EXPECT_FALSE(before->check(piece_index{0}));  // a snapshot keeps what it saw
  ASSERT_TRUE(s.piece_check(piece_index{3}));
  EXPECT_TRUE(verifies(t, *s.piece_check(piece_index{3}), piece_index{3}));
  const auto& root2 = s.files()[2].pieces_root;
  EXPECT_EQ(s.add_piece_layer(root2, 0, full.ti.piece_layers().at(root2)).size(), 2u);
  EXPECT_TRUE(s.all_layers_known());
  // Layers received from peers are what resume data saves.
  auto saved = s.layers_to_save();
  EXPECT_EQ(saved.size(), 2u);
  EXPECT_EQ(saved.at(root0), layer0);
  EXPECT_TRUE(v2_hash_store(full.ti).layers_to_save().empty());  // from the .torrent
}

TEST(V2HashStore, SetPieceLayerChecksTheRoot) {
  auto full = make_v2_torrent(sample_files(), piece, false);
  auto t = make_v2_torrent(sample_files(), piece, false, false);
  v2_hash_store s(t.ti);
  const auto& root0 = s.files()[0].pieces_root;
  auto layer = full.ti.piece_layers().at(root0);
  auto bad = layer;
  bad[1].bytes[0] ^= 1;
  auto r = s.set_piece_layer(root0, bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error_code(metainfo_errc::piece_layer_mismatch));
  EXPECT_FALSE(s.has_target(piece_index{0}));
  EXPECT_FALSE(s.set_piece_layer(root0, std::span(layer).first(3)));
  EXPECT_FALSE(s.set_piece_layer(s.files()[1].pieces_root, layer));  // one-piece file: no layer
  auto ok = s.set_piece_layer(root0, layer);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->size(), 8u);
  EXPECT_TRUE(s.has_target(piece_index{0}));
}

TEST(V2HashStore, VerifiedNodesAndTheSeedersTree) {
  auto full = make_v2_torrent(sample_files(), piece, false);
  v2_hash_store s(full.ti);
  const auto& f0 = s.files()[0];
  const auto& layer0 = full.ti.piece_layers().at(f0.pieces_root);
  // 7 blocks: height 3; piece layer 1 has 4 nodes.
  EXPECT_EQ(s.verified_node(f0.pieces_root, {3, 0}), f0.pieces_root);
  EXPECT_EQ(s.verified_node(f0.pieces_root, {1, 2}), layer0[2]);
  EXPECT_FALSE(s.verified_node(f0.pieces_root, {1, 4}));  // outside the tree
  EXPECT_FALSE(s.verified_node(f0.pieces_root, {4, 0}));
  EXPECT_FALSE(s.verified_node(f0.pieces_root, {0, 0}));  // no block hashes known
  EXPECT_EQ(s.verified_node(f0.pieces_root, {2, 1}), merkle::parent(layer0[2], layer0[3]));
  EXPECT_EQ(s.verified_node(f0.pieces_root, {0, 7}), merkle::pad_hash(0));  // past the data
  EXPECT_FALSE(s.verified_node(sha256_hash{}, {0, 0}));
  // Block hashes of piece 1 (blocks 2, 3).
  auto blocks = test_support::sha256_blocks(std::span(full.stream).subspan(piece, piece));
  s.add_block_hashes(piece_index{1}, blocks);
  EXPECT_EQ(s.verified_node(f0.pieces_root, {0, 3}), blocks[1]);
  ASSERT_EQ(s.block_hashes(piece_index{1}).size(), 2u);
  s.add_block_hashes(piece_index{3}, blocks);  // the tail piece has one block: refused
  EXPECT_TRUE(s.block_hashes(piece_index{3}).empty());
  s.drop_block_hashes(piece_index{1});
  EXPECT_TRUE(s.block_hashes(piece_index{1}).empty());
  const std::pair<merkle::node_position, sha256_hash> extra[] = {{{0, 5}, blocks[0]}};
  s.add_verified_nodes(f0.pieces_root, extra);
  EXPECT_EQ(s.node_lookup(f0.pieces_root)({0, 5}), blocks[0]);
  // The seeder's tree answers requests for the piece layer.
  const merkle::tree_layers* tree = s.tree(f0.pieces_root);
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(tree->root(), f0.pieces_root);
  EXPECT_EQ(tree->first_layer(), 1);
  EXPECT_EQ(s.tree(f0.pieces_root), tree);  // built once
  hash_request r{f0.pieces_root, 1, 0, 4, 1};
  auto answer = answer_request(r, *tree);
  ASSERT_TRUE(answer);
  hashes_message m{r, *answer};
  auto v = verify_hashes(m, f0.num_blocks, f0.pieces_root, s.node_lookup(f0.pieces_root));
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ(v->base, std::vector<sha256_hash>(layer0.begin(), layer0.end()));
  // A one-piece file's tree is its root alone.
  const merkle::tree_layers* small = s.tree(s.files()[1].pieces_root);
  ASSERT_NE(small, nullptr);
  EXPECT_EQ(small->root(), s.files()[1].pieces_root);
  auto no_layers = make_v2_torrent(sample_files(), piece, false, false);
  EXPECT_EQ(v2_hash_store(no_layers.ti).tree(f0.pieces_root), nullptr);
}

}  // namespace
}  // namespace tessera::detail
