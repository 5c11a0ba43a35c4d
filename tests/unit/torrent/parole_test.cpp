// Parole (parole.hpp): a failed piece is fetched again from one peer only.
#include "torrent/parole.hpp"

#include <gtest/gtest.h>

namespace tessera::detail {
namespace {

TEST(PieceParole, TheFirstPeerHandedBlocksOwnsThePieceAndOthersDoNotSeeIt) {
  piece_parole pp;
  const piece_index p{3};
  pp.add(p);
  EXPECT_TRUE(pp.contains(p));
  EXPECT_EQ(pp.owner(p), std::nullopt);
  bitfield has(8, true);
  pp.hide_owned_by_others(has, 2);
  EXPECT_TRUE(has.get(3)) << "unowned: every peer may take it";
  pp.claim(p, 1);
  pp.claim(p, 2);  // too late
  EXPECT_EQ(pp.owner(p), peer_key{1});
  pp.hide_owned_by_others(has, 2);
  EXPECT_FALSE(has.get(3));
  EXPECT_EQ(has.count(), 7);
  bitfield mine(8, true);
  pp.hide_owned_by_others(mine, 1);
  EXPECT_TRUE(mine.get(3)) << "the owner sees it";
}

TEST(PieceParole, OnlyPiecesOnParoleAreClaimed) {
  piece_parole pp;
  pp.claim(piece_index{1}, 1);
  EXPECT_FALSE(pp.contains(piece_index{1}));
  EXPECT_EQ(pp.owner(piece_index{1}), std::nullopt);
  EXPECT_TRUE(pp.empty());
}

TEST(PieceParole, AnOwnerThatStopsServingOrLeavesFreesThePiece) {
  piece_parole pp;
  pp.add(piece_index{0});
  pp.add(piece_index{1});
  pp.claim(piece_index{0}, 5);
  pp.claim(piece_index{1}, 5);
  EXPECT_FALSE(pp.release(piece_index{0}, 6));  // not the owner
  EXPECT_TRUE(pp.release(piece_index{0}, 5));
  EXPECT_EQ(pp.owner(piece_index{0}), std::nullopt);
  EXPECT_EQ(pp.owner(piece_index{1}), peer_key{5});
  pp.release_all(5);
  EXPECT_EQ(pp.owner(piece_index{1}), std::nullopt);
  EXPECT_TRUE(pp.contains(piece_index{1}));
}

TEST(PieceParole, AnotherFailureDropsTheOwnerAndAPassEndsParole) {
  piece_parole pp;
  pp.add(piece_index{2});
  pp.claim(piece_index{2}, 9);
  pp.add(piece_index{2});
  EXPECT_EQ(pp.owner(piece_index{2}), std::nullopt);
  pp.remove(piece_index{2});
  EXPECT_FALSE(pp.contains(piece_index{2}));
  EXPECT_TRUE(pp.empty());
}

}  // namespace
}  // namespace tessera::detail
