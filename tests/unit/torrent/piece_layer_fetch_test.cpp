// torrent/piece_layer_fetch: the requests that fetch a v2 magnet's piece layers, checked against
// replies built from the full trees (what a seeder answers), and who is asked for what.
#include "torrent/piece_layer_fetch.hpp"

#include <gtest/gtest.h>

#include "../support/v2_test_torrent.hpp"

namespace tessera::detail {
namespace {

using test_support::make_v2_torrent;
using test_support::random_bytes;
using test_support::sha256_blocks;

constexpr std::int64_t one_block_pieces = 16 * 1024;

TEST(PieceLayerFetch, RequestsCoverTheLayerInRunsWithProofsToTheRoot) {
  // 40 pieces of one block: piece layer = layer 0, tree height 6 (64 leaves).
  const auto r = piece_layer_requests(sha256_hash{}, 40, 40, 0, 8);
  ASSERT_EQ(r.size(), 5u);
  for (std::size_t i = 0; i < r.size(); ++i) {
    EXPECT_EQ(r[i].base_layer, 0);
    EXPECT_EQ(r[i].index, static_cast<std::int32_t>(8 * i));
    EXPECT_EQ(r[i].length, 8);
    EXPECT_EQ(r[i].proof_layers, 5);  // the root's children are at layer 5
    EXPECT_FALSE(check_request(r[i], 40));
  }
  // A layer narrower than max_hashes: one request of the layer's width, no uncle.
  const auto whole = piece_layer_requests(sha256_hash{}, 40, 40, 0, 512);
  ASSERT_EQ(whole.size(), 1u);
  EXPECT_EQ(whole[0].length, 64);
  EXPECT_EQ(uncle_count(whole[0]), 0);
  // One piece: no layer to fetch.
  EXPECT_TRUE(piece_layer_requests(sha256_hash{}, 4, 1, 2, 512).empty());
}

TEST(PieceLayerFetch, RepliesFromTheFullTreeVerifyAndCompleteTheStore) {
  const std::vector<std::vector<std::uint8_t>> files{random_bytes(40 * one_block_pieces - 100, 1),
                                                     random_bytes(3 * one_block_pieces, 2),
                                                     random_bytes(40 * one_block_pieces - 100, 1)};
  auto full = make_v2_torrent(files, one_block_pieces, false, true);
  auto magnet = make_v2_torrent(files, one_block_pieces, false, false);
  v2_hash_store store(magnet.ti);
  EXPECT_FALSE(store.all_layers_known());
  piece_layer_fetch fetch(store, 8);
  EXPECT_EQ(fetch.remaining(), 5 + 1);  // 40 pieces in runs of 8; 3 pieces in one run of 4
  int answered = 0;
  while (auto r = fetch.next(1)) {
    const auto* f = store.file_by_root(r->pieces_root);
    ASSERT_NE(f, nullptr);
    const auto& layer = full.ti.piece_layers().at(r->pieces_root);
    merkle::tree_layers tree(layer, store.piece_layer_index(), merkle::tree_height(f->num_blocks));
    auto hashes = answer_request(*r, tree);
    ASSERT_TRUE(hashes);
    auto v = verify_hashes({*r, *hashes}, f->num_blocks, f->pieces_root, store.node_lookup(f->pieces_root));
    ASSERT_TRUE(v) << v.error().message();
    store.add_piece_layer(r->pieces_root, r->index, v->base);
    fetch.on_answered(*r);
    ++answered;
    if (answered > 100) break;
  }
  EXPECT_EQ(answered, 6);
  EXPECT_TRUE(fetch.done());
  EXPECT_TRUE(store.all_layers_known());
}

TEST(PieceLayerFetch, AFailedRequestGoesToAnotherPeer) {
  auto magnet = make_v2_torrent({random_bytes(40 * one_block_pieces, 1)}, one_block_pieces, false, false);
  v2_hash_store store(magnet.ti);
  piece_layer_fetch fetch(store, 8, 2);
  auto a = fetch.next(1);
  auto b = fetch.next(1);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->index, b->index);
  EXPECT_FALSE(fetch.next(1)) << "two in flight to peer 1 at most";
  fetch.on_failed(*a, 1);
  auto c = fetch.next(1);
  ASSERT_TRUE(c);
  EXPECT_NE(c->index, a->index) << "peer 1 failed it: not asked again";
  auto d = fetch.next(2);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->index, a->index) << "the failed request goes to the next peer first";
  fetch.peer_gone(2);
  fetch.on_failed(*b, 1);
  fetch.on_failed(*c, 1);
  // Peer 1 failed a, b and c; only the two others are left for it.
  auto e = fetch.next(1);
  ASSERT_TRUE(e);
  EXPECT_NE(e->index, a->index);
  EXPECT_NE(e->index, b->index);
  EXPECT_NE(e->index, c->index);
  fetch.forgive();
  fetch.on_answered(*e);
  int more = 0;
  while (auto r = fetch.next(3)) {
    fetch.on_answered(*r);
    ++more;
  }
  EXPECT_EQ(more, 4);
  EXPECT_TRUE(fetch.done());
}

TEST(PieceLayerFetch, NothingToFetchWithTheTorrentsLayers) {
  auto t = make_v2_torrent({random_bytes(40 * one_block_pieces, 1)}, one_block_pieces, true, true);
  v2_hash_store store(t.ti);
  piece_layer_fetch fetch(store);
  EXPECT_TRUE(fetch.done());
  EXPECT_FALSE(fetch.next(1));
}

}  // namespace
}  // namespace tessera::detail
