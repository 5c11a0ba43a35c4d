#include "core/piece_picker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <set>

namespace tessera::detail {
namespace {

bitfield bits_of(int size, std::initializer_list<int> set) {
  bitfield b(size);
  for (int i : set) b.set(i);
  return b;
}

bitfield all_of(int size) { return bitfield(size, true); }

block_address blk(int piece, int block) { return {piece_index{piece}, block_index{block}}; }

std::vector<block_address> pick(piece_picker& pp, const bitfield& has, int max, peer_key peer) {
  std::vector<block_address> out;
  pp.pick(has, max, peer, out);
  return out;
}

TEST(PiecePicker, LastPieceHasItsOwnBlockCount) {
  piece_picker pp(5, 4, 2, 1);
  EXPECT_EQ(pp.num_pieces(), 5);
  EXPECT_EQ(pp.blocks_in_piece(piece_index{0}), 4);
  EXPECT_EQ(pp.blocks_in_piece(piece_index{3}), 4);
  EXPECT_EQ(pp.blocks_in_piece(piece_index{4}), 2);
  // Picking only the last piece yields exactly its two blocks.
  auto got = pick(pp, bits_of(5, {4}), 10, 1);
  EXPECT_EQ(got, (std::vector{blk(4, 0), blk(4, 1)}));
}

TEST(PiecePicker, AvailabilityCountsBitfieldsHavesAndSeeds) {
  piece_picker pp(10, 2, 2, 1);
  pp.add_peer(bits_of(10, {1, 2}));
  pp.add_peer(bits_of(10, {2}));
  pp.add_have(piece_index{1});
  pp.add_peer(all_of(10));  // a seed
  EXPECT_EQ(pp.availability(piece_index{0}), 1);
  EXPECT_EQ(pp.availability(piece_index{1}), 3);
  EXPECT_EQ(pp.availability(piece_index{2}), 3);
  pp.remove_peer(all_of(10));
  pp.remove_peer(bits_of(10, {2}));
  EXPECT_EQ(pp.availability(piece_index{0}), 0);
  EXPECT_EQ(pp.availability(piece_index{1}), 2);
  EXPECT_EQ(pp.availability(piece_index{2}), 1);
}

TEST(PiecePicker, PeerThatCompletedThroughHavesCanBeRemovedWithItsFullBitfield) {
  piece_picker pp(3, 1, 1, 1);
  pp.add_peer(all_of(3));        // seed A
  pp.add_peer(bits_of(3, {0}));  // peer B, later completes
  pp.add_have(piece_index{1});
  pp.add_have(piece_index{2});
  pp.remove_peer(all_of(3));  // B leaves first
  for (int p = 0; p < 3; ++p) EXPECT_EQ(pp.availability(piece_index{p}), 1);
  pp.remove_peer(all_of(3));  // then A
  for (int p = 0; p < 3; ++p) EXPECT_EQ(pp.availability(piece_index{p}), 0);
}

TEST(PiecePicker, RarestPieceIsPickedFirst) {
  piece_picker pp(8, 1, 1, 7);
  // Every piece is on three peers except piece 5, on one.
  pp.add_peer(all_of(8));
  pp.add_peer(bits_of(8, {0, 1, 2, 3, 4, 6, 7}));
  pp.add_peer(bits_of(8, {0, 1, 2, 3, 4, 6, 7}));
  auto got = pick(pp, all_of(8), 1, 1);
  EXPECT_EQ(got, (std::vector{blk(5, 0)}));
}

TEST(PiecePicker, PicksFollowAvailabilityOrder) {
  constexpr int n = 12;
  piece_picker pp(n, 1, 1, 99);
  // Piece p is on (p % 4) + 1 non-seed peers, plus one seed for all.
  for (int copies = 1; copies <= 4; ++copies) {
    bitfield b(n);
    for (int p = 0; p < n; ++p) {
      if (p % 4 + 1 >= copies) b.set(p);
    }
    pp.add_peer(b);
  }
  pp.add_peer(all_of(n));
  auto got = pick(pp, all_of(n), n, 1);
  ASSERT_EQ(got.size(), static_cast<std::size_t>(n));
  for (std::size_t i = 1; i < got.size(); ++i) {
    EXPECT_LE(pp.availability(got[i - 1].piece), pp.availability(got[i].piece)) << i;
  }
}

TEST(PiecePicker, AvailabilityChangesReorderPicks) {
  piece_picker pp(4, 1, 1, 3);
  pp.add_peer(all_of(4));
  for (int p : {0, 1, 3}) pp.add_have(piece_index{p});
  EXPECT_EQ(pick(pp, all_of(4), 1, 1), (std::vector{blk(2, 0)}));
  pp.add_have(piece_index{2});
  pp.add_have(piece_index{2});
  pp.remove_peer(bits_of(4, {0}));  // piece 0 is now the rarest fresh piece
  EXPECT_EQ(pick(pp, all_of(4), 1, 2), (std::vector{blk(0, 0)}));
}

TEST(PiecePicker, TieBreakIsSeededRandom) {
  auto order = [](std::uint64_t seed) {
    piece_picker pp(64, 1, 1, seed);
    pp.add_peer(all_of(64));
    std::vector<int> pieces;
    for (auto b : pick(pp, all_of(64), 64, 1)) pieces.push_back(b.piece.value);
    return pieces;
  };
  EXPECT_EQ(order(5), order(5));  // reproducible
  std::set<std::vector<int>> distinct;
  for (std::uint64_t seed = 0; seed < 4; ++seed) distinct.insert(order(seed));
  EXPECT_GT(distinct.size(), 1u);  // different clients spread over different pieces
  auto sorted = order(5);
  std::ranges::sort(sorted);
  EXPECT_NE(sorted, order(5));  // not simply index order
}

TEST(PiecePicker, OnlyPiecesThePeerHasArePicked) {
  piece_picker pp(20, 2, 2, 1);
  auto has = bits_of(20, {3, 17});
  pp.add_peer(has);
  auto got = pick(pp, has, 100, 1);
  ASSERT_EQ(got.size(), 4u);
  for (auto b : got) EXPECT_TRUE(b.piece == piece_index{3} || b.piece == piece_index{17});
  EXPECT_TRUE(pick(pp, bits_of(20, {}), 10, 2).empty());
}

TEST(PiecePicker, PartialPiecesComeBeforeRarerFreshPieces) {
  piece_picker pp(4, 4, 4, 1);
  pp.add_peer(all_of(4));
  auto first = pick(pp, bits_of(4, {0}), 2, 1);  // opens piece 0: blocks 0, 1
  ASSERT_EQ(first, (std::vector{blk(0, 0), blk(0, 1)}));
  pp.add_peer(bits_of(4, {0}));  // piece 0 becomes the most common
  auto next = pick(pp, all_of(4), 2, 2);
  EXPECT_EQ(next, (std::vector{blk(0, 2), blk(0, 3)}));
}

TEST(PiecePicker, MostCompletePartialPieceFirst) {
  piece_picker pp(3, 8, 8, 1);
  pp.add_peer(all_of(3));
  pick(pp, bits_of(3, {0}), 2, 1);  // piece 0: 2 of 8 requested
  pick(pp, bits_of(3, {1}), 5, 2);  // piece 1: 5 of 8 requested
  pick(pp, bits_of(3, {2}), 1, 3);  // piece 2: 1 of 8 requested
  EXPECT_EQ(pp.num_partial(), 3);
  auto got = pick(pp, all_of(3), 4, 4);
  EXPECT_EQ(got, (std::vector{blk(1, 5), blk(1, 6), blk(1, 7), blk(0, 2)}));
}

TEST(PiecePicker, NoBlockIsHandedOutTwiceBeforeEndgame) {
  constexpr int n = 30;
  piece_picker pp(n, 5, 3, 11);
  std::vector<bitfield> peers;
  for (int i = 0; i < 6; ++i) {
    bitfield b(n);
    for (int p = 0; p < n; ++p) {
      if ((p + i) % 3 != 0) b.set(p);
    }
    pp.add_peer(b);
    peers.push_back(b);
  }
  std::set<std::pair<int, int>> seen;
  for (int round = 0; round < 100 && !pp.in_endgame(); ++round) {
    for (int i = 0; i < 6 && !pp.in_endgame(); ++i) {
      for (auto b : pick(pp, peers[i], 3, static_cast<peer_key>(i))) {
        // The call that requests the last free block may go on with endgame duplicates.
        if (!seen.insert({b.piece.value, b.block.value}).second) {
          EXPECT_TRUE(pp.in_endgame()) << b.piece.value << "/" << b.block.value;
        }
      }
    }
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>((n - 1) * 5 + 3));  // every block
  EXPECT_TRUE(pp.in_endgame());
}

TEST(PiecePicker, EndgameDuplicatesRequestsButNeverToTheSamePeer) {
  piece_picker pp(1, 3, 3, 1);
  pp.add_peer(all_of(1));
  pp.add_peer(all_of(1));
  EXPECT_FALSE(pp.in_endgame());
  auto a = pick(pp, all_of(1), 10, 1);
  EXPECT_EQ(a.size(), 3u);
  EXPECT_TRUE(pp.in_endgame());
  EXPECT_TRUE(pick(pp, all_of(1), 10, 1).empty());  // peer 1 already has them all requested
  auto b = pick(pp, all_of(1), 2, 2);
  EXPECT_EQ(b, (std::vector{blk(0, 0), blk(0, 1)}));
  auto b2 = pick(pp, all_of(1), 10, 2);
  EXPECT_EQ(b2, (std::vector{blk(0, 2)}));
  EXPECT_TRUE(pick(pp, all_of(1), 10, 2).empty());

  // Peer 2 delivers block 0 first: peer 1 must be told to cancel.
  std::vector<peer_key> others;
  EXPECT_TRUE(pp.mark_received(blk(0, 0), 2, &others));
  EXPECT_EQ(others, (std::vector<peer_key>{1}));
  // The late copy from peer 1 is not wanted.
  EXPECT_FALSE(pp.mark_received(blk(0, 0), 1, &others));
  EXPECT_TRUE(others.empty());
  // Peer 1 delivers block 1: peer 2 (the duplicate requester) gets the cancel.
  EXPECT_TRUE(pp.mark_received(blk(0, 1), 1, &others));
  EXPECT_EQ(others, (std::vector<peer_key>{2}));
  // A third peer can still duplicate block 2 only.
  EXPECT_EQ(pick(pp, all_of(1), 10, 3), (std::vector{blk(0, 2)}));
  EXPECT_TRUE(pp.mark_received(blk(0, 2), 3, &others));
  std::ranges::sort(others);
  EXPECT_EQ(others, (std::vector<peer_key>{1, 2}));
  EXPECT_TRUE(pp.all_blocks_received(piece_index{0}));
}

TEST(PiecePicker, EndgameWaitsWhileAnotherPeerHasAnUnrequestedPiece) {
  piece_picker pp(2, 1, 1, 1);
  pp.add_peer(bits_of(2, {0}));
  pp.add_peer(bits_of(2, {1}));
  pick(pp, bits_of(2, {0}), 5, 1);
  EXPECT_FALSE(pp.in_endgame());  // piece 1 is still fresh and someone has it
  EXPECT_TRUE(pick(pp, bits_of(2, {0}), 5, 2).empty());
  pp.remove_peer(bits_of(2, {1}));
  EXPECT_TRUE(pp.in_endgame());  // nobody has piece 1: it cannot hold endgame off
  EXPECT_EQ(pick(pp, bits_of(2, {0}), 5, 2), (std::vector{blk(0, 0)}));
}

TEST(PiecePicker, AbortRequestReturnsTheBlock) {
  piece_picker pp(2, 4, 4, 1);
  pp.add_peer(all_of(2));
  auto got = pick(pp, bits_of(2, {0}), 4, 1);
  ASSERT_EQ(got.size(), 4u);
  pp.abort_request(blk(0, 2), 1);
  pp.abort_request(blk(0, 2), 1);  // twice: no effect
  pp.abort_request(blk(0, 3), 7);  // not this peer's request: no effect
  EXPECT_EQ(pick(pp, bits_of(2, {0}), 4, 2), (std::vector{blk(0, 2)}));
}

TEST(PiecePicker, AbortingEveryRequestMakesThePieceFreshAgain) {
  piece_picker pp(2, 2, 2, 1);
  pp.add_peer(all_of(2));
  pick(pp, bits_of(2, {1}), 2, 1);
  EXPECT_EQ(pp.num_partial(), 1);
  pp.abort_request(blk(1, 0), 1);
  pp.abort_request(blk(1, 1), 1);
  EXPECT_EQ(pp.num_partial(), 0);
  EXPECT_FALSE(pp.in_endgame());
  EXPECT_EQ(pick(pp, bits_of(2, {1}), 2, 2).size(), 2u);
}

TEST(PiecePicker, AbortAllReturnsOnlyThatPeersBlocks) {
  piece_picker pp(3, 4, 4, 1);
  pp.add_peer(all_of(3));
  auto p1 = pick(pp, all_of(3), 6, 1);
  auto p2 = pick(pp, all_of(3), 2, 2);
  ASSERT_EQ(p1.size(), 6u);
  ASSERT_EQ(p2.size(), 2u);
  EXPECT_TRUE(pp.mark_received(p1[0], 1));
  pp.abort_all(1);
  // Peer 2's blocks stay requested; the 5 unreceived blocks of peer 1 and 4 never requested are
  // free, so a third peer gets those 9 first, none of them peer 2's.
  EXPECT_FALSE(pp.in_endgame());
  auto p3 = pick(pp, all_of(3), 9, 3);
  EXPECT_EQ(p3.size(), 9u);
  for (auto b : p3) {
    EXPECT_EQ(std::ranges::count(p2, b), 0);
    EXPECT_NE(b, p1[0]);
  }
  // Now only peer 2's two blocks are in flight elsewhere: endgame duplicates exactly those.
  EXPECT_TRUE(pp.in_endgame());
  auto dup = pick(pp, all_of(3), 100, 3);
  std::ranges::sort(dup, {}, [](block_address b) { return std::pair(b.piece, b.block); });
  std::ranges::sort(p2, {}, [](block_address b) { return std::pair(b.piece, b.block); });
  EXPECT_EQ(dup, p2);
}

TEST(PiecePicker, AbortInEndgamePromotesTheDuplicateRequester) {
  piece_picker pp(1, 1, 1, 1);
  pp.add_peer(all_of(1));
  pick(pp, all_of(1), 1, 1);
  ASSERT_EQ(pick(pp, all_of(1), 1, 2).size(), 1u);  // endgame duplicate
  pp.abort_all(1);
  // Peer 2 still has it requested: the block is not free, and delivery by 2 cancels nobody.
  EXPECT_EQ(pick(pp, all_of(1), 1, 2).size(), 0u);
  std::vector<peer_key> others{99};
  EXPECT_TRUE(pp.mark_received(blk(0, 0), 2, &others));
  EXPECT_TRUE(others.empty());
}

TEST(PiecePicker, ReceivedBlocksAreNeverPickedAgain) {
  piece_picker pp(1, 4, 4, 1);
  pp.add_peer(all_of(1));
  auto got = pick(pp, all_of(1), 4, 1);
  EXPECT_TRUE(pp.mark_received(got[0], 1));
  EXPECT_TRUE(pp.mark_received(got[1], 1));
  pp.abort_all(1);
  EXPECT_EQ(pick(pp, all_of(1), 4, 2), (std::vector{blk(0, 2), blk(0, 3)}));
  EXPECT_FALSE(pp.mark_received(got[0], 2));
}

TEST(PiecePicker, UnrequestedBlockIsAccepted) {
  piece_picker pp(2, 2, 2, 1);
  EXPECT_TRUE(pp.mark_received(blk(1, 1), 5));
  EXPECT_EQ(pp.num_partial(), 1);
  EXPECT_EQ(pick(pp, all_of(2), 1, 1), (std::vector{blk(1, 0)}));  // partial first
}

TEST(PiecePicker, CompletionAndPiecePassed) {
  piece_picker pp(2, 2, 1, 1);
  pp.add_peer(all_of(2));
  auto got = pick(pp, all_of(2), 10, 1);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_FALSE(pp.all_blocks_received(piece_index{0}));
  for (auto b : got) EXPECT_TRUE(pp.mark_received(b, 1));
  EXPECT_TRUE(pp.all_blocks_received(piece_index{0}));
  EXPECT_TRUE(pp.all_blocks_received(piece_index{1}));
  EXPECT_FALSE(pp.is_complete());
  pp.piece_passed(piece_index{0});
  pp.piece_passed(piece_index{1});
  EXPECT_TRUE(pp.is_complete());
  EXPECT_EQ(pp.num_have(), 2);
  EXPECT_EQ(pp.num_partial(), 0);
  EXPECT_TRUE(pp.have_pieces().all());
  EXPECT_FALSE(pp.in_endgame());
  EXPECT_TRUE(pick(pp, all_of(2), 10, 2).empty());
  EXPECT_FALSE(pp.mark_received(blk(0, 0), 1));
}

TEST(PiecePicker, PieceFailedMakesEveryBlockMissingAgain) {
  piece_picker pp(2, 3, 3, 1);
  pp.add_peer(all_of(2));
  for (auto b : pick(pp, bits_of(2, {0}), 3, 1)) EXPECT_TRUE(pp.mark_received(b, 1));
  ASSERT_TRUE(pp.all_blocks_received(piece_index{0}));
  pp.piece_failed(piece_index{0});
  EXPECT_FALSE(pp.all_blocks_received(piece_index{0}));
  EXPECT_FALSE(pp.have(piece_index{0}));
  EXPECT_EQ(pp.num_partial(), 0);
  EXPECT_EQ(pick(pp, bits_of(2, {0}), 10, 2), (std::vector{blk(0, 0), blk(0, 1), blk(0, 2)}));
}

TEST(PiecePicker, SetHaveRemovesThePieceFromPicking) {
  piece_picker pp(3, 1, 1, 1);
  pp.set_have(piece_index{1});
  pp.set_have(piece_index{1});
  EXPECT_EQ(pp.num_have(), 1);
  EXPECT_TRUE(pp.have(piece_index{1}));
  auto got = pick(pp, all_of(3), 10, 1);
  EXPECT_EQ(got.size(), 2u);
  for (auto b : got) EXPECT_NE(b.piece, piece_index{1});
}

TEST(PiecePicker, IsInterestingWhenThePeerHasAPieceWeLack) {
  piece_picker pp(10, 1, 1, 1);
  EXPECT_FALSE(pp.is_interesting(bits_of(10, {})));
  EXPECT_TRUE(pp.is_interesting(bits_of(10, {9})));
  pp.set_have(piece_index{9});
  EXPECT_FALSE(pp.is_interesting(bits_of(10, {9})));
  EXPECT_TRUE(pp.is_interesting(bits_of(10, {2, 9})));
  EXPECT_FALSE(pp.is_interesting(bitfield{}));  // no bitfield yet
}

TEST(PiecePicker, OutOfRangeInputIsIgnored) {
  piece_picker pp(2, 2, 2, 1);
  pp.add_have(piece_index{-1});
  pp.add_have(piece_index{2});
  pp.abort_request(blk(5, 0), 1);
  pp.abort_request(blk(0, 9), 1);
  EXPECT_FALSE(pp.mark_received(blk(2, 0), 1));
  EXPECT_FALSE(pp.mark_received(blk(0, 2), 1));
  EXPECT_FALSE(pp.mark_received(blk(0, -1), 1));
  pp.piece_failed(piece_index{7});
  pp.add_peer(bits_of(64, {0, 1, 63}));  // wrong size bitfield: only the overlap counts
  EXPECT_EQ(pp.availability(piece_index{1}), 1);
  EXPECT_EQ(pp.availability(piece_index{5}), 0);
  pp.remove_peer(bits_of(2, {0, 1}));
  pp.remove_peer(bits_of(2, {0, 1}));  // unbalanced: stays at zero
  EXPECT_EQ(pp.availability(piece_index{0}), 0);
  EXPECT_EQ(pick(pp, bits_of(1, {0}), 10, 1).size(), 2u);  // short bitfield: piece 1 not had
}

TEST(PiecePicker, CopiesAreIndependent) {
  piece_picker a(2, 1, 1, 1);
  a.add_peer(all_of(2));
  piece_picker b = a;
  pick(a, all_of(2), 2, 1);
  EXPECT_EQ(a.num_partial(), 2);
  EXPECT_EQ(b.num_partial(), 0);
}

TEST(PiecePicker, FullDownloadWithChurnFinishes) {
  // A randomized run with many peers, aborts and a failed hash: bounded, and must complete.
  constexpr int n = 64;
  piece_picker pp(n, 4, 3, 2024);
  std::vector<bitfield> peers;
  std::uint32_t x = 12345;
  auto rnd = [&x] { return x = x * 1664525u + 1013904223u, x >> 8; };
  for (int i = 0; i < 8; ++i) {
    bitfield b(n);
    for (int p = 0; p < n; ++p) {
      if (rnd() % 3 != 0 || i == 0) b.set(p);
    }
    peers.push_back(b);
    pp.add_peer(b);
  }
  std::vector<std::vector<block_address>> inflight(peers.size());
  bool failed_once = false;
  int steps = 0;
  for (; steps < 20000 && !pp.is_complete(); ++steps) {
    const auto i = rnd() % peers.size();
    auto& q = inflight[i];
    pp.pick(peers[i], 4 - static_cast<int>(q.size()), static_cast<peer_key>(i), q);
    if (q.empty()) continue;
    if (rnd() % 10 == 0) {  // choked: everything comes back
      pp.abort_all(static_cast<peer_key>(i));
      q.clear();
      continue;
    }
    const auto b = q.front();
    q.erase(q.begin());
    std::vector<peer_key> others;
    if (!pp.mark_received(b, static_cast<peer_key>(i), &others)) continue;
    for (auto o : others) {
      std::erase(inflight[o], b);
    }
    if (pp.all_blocks_received(b.piece)) {
      if (!failed_once && b.piece.value == 7) {
        failed_once = true;
        pp.piece_failed(b.piece);
      } else {
        pp.piece_passed(b.piece);
      }
    }
  }
  EXPECT_TRUE(pp.is_complete()) << "after " << steps << " steps";
  EXPECT_EQ(pp.num_partial(), 0);
}

// --- priorities, sequential ---

// Pieces of the blocks in `got`, in order of first appearance.
std::vector<int> pieces_of(const std::vector<block_address>& got) {
  std::vector<int> out;
  for (const auto& b : got) {
    if (out.empty() || out.back() != b.piece.value) out.push_back(b.piece.value);
  }
  return out;
}

TEST(PiecePickerPriority, SkippedPiecesAreNeverPickedNorInteresting) {
  piece_picker pp(4, 2, 2, 1);
  pp.set_priority(piece_index{1}, 0);
  pp.set_priority(piece_index{3}, 0);
  EXPECT_EQ(pp.priority(piece_index{1}), 0);
  EXPECT_FALSE(pp.is_interesting(bits_of(4, {1, 3})));
  EXPECT_TRUE(pp.is_interesting(bits_of(4, {1, 2})));
  auto got = pick(pp, all_of(4), 100, 1);
  EXPECT_EQ(got.size(), 4u);
  for (const auto& b : got) EXPECT_TRUE(b.piece.value == 0 || b.piece.value == 2);
  EXPECT_TRUE(pick(pp, bits_of(4, {1, 3}), 100, 2).empty());
}

TEST(PiecePickerPriority, HigherPriorityFirstAndRarestFirstInsideAPriority) {
  piece_picker pp(6, 1, 1, 7);
  // Availability: piece p is had by p+1 peers (piece 0 rarest).
  for (int p = 0; p < 6; ++p) {
    for (int k = 0; k <= p; ++k) pp.add_have(piece_index{p});
  }
  pp.set_priority(piece_index{4}, 7);
  pp.set_priority(piece_index{5}, 7);
  pp.set_priority(piece_index{3}, 6);
  pp.set_priority(piece_index{0}, 1);
  auto got = pieces_of(pick(pp, all_of(6), 6, 1));
  EXPECT_EQ(got, (std::vector{4, 5, 3, 1, 2, 0}));
}

TEST(PiecePickerPriority, PartialPiecesComeFirstHigherPriorityFirst) {
  piece_picker pp(4, 4, 4, 3);
  // Start pieces 0 and 2 (one block each), then raise 2 and a fresh piece above them.
  std::vector<block_address> out;
  pp.pick(bits_of(4, {0}), 1, 1, out);
  pp.pick(bits_of(4, {2}), 1, 1, out);
  pp.set_priority(piece_index{2}, 6);
  pp.set_priority(piece_index{3}, 7);
  auto got = pieces_of(pick(pp, all_of(4), 14, 2));  // every unrequested block, no endgame
  EXPECT_EQ(got, (std::vector{2, 0, 3, 1}));
}

TEST(PiecePickerPriority, SequentialOpensPiecesLowestIndexFirst) {
  piece_picker pp(8, 2, 2, 11);
  pp.set_sequential(true);
  // Availability must not matter: make the last pieces the rarest.
  for (int p = 0; p < 6; ++p) pp.add_have(piece_index{p});
  pp.set_priority(piece_index{2}, 0);
  auto got = pieces_of(pick(pp, all_of(8), 16, 1));
  EXPECT_EQ(got, (std::vector{0, 1, 3, 4, 5, 6, 7}));
}

TEST(PiecePickerPriority, SequentialStillFinishesPartialPiecesFirst) {
  piece_picker pp(6, 2, 2, 5);
  pp.set_sequential(true);
  std::vector<block_address> out;
  pp.pick(bits_of(6, {4}), 1, 1, out);  // piece 4, block 0 requested by peer 1
  auto got = pick(pp, all_of(6), 3, 2);
  EXPECT_EQ(got, (std::vector{blk(4, 1), blk(0, 0), blk(0, 1)}));
}

TEST(PiecePickerPriority, SequentialHonoursPrioritiesThenIndex) {
  piece_picker pp(6, 1, 1, 5);
  pp.set_sequential(true);
  pp.set_priority(piece_index{5}, 7);  // e.g. the last piece of a file, boosted
  pp.set_priority(piece_index{3}, 7);
  auto got = pieces_of(pick(pp, all_of(6), 6, 1));
  EXPECT_EQ(got, (std::vector{3, 5, 0, 1, 2, 4}));
}

TEST(PiecePickerPriority, SequentialGoesBackToAFailedPiece) {
  piece_picker pp(4, 1, 1, 5);
  pp.set_sequential(true);
  for (int p = 0; p < 3; ++p) {
    ASSERT_TRUE(pp.mark_received(blk(p, 0), 1));
    pp.piece_passed(piece_index{p});
  }
  pp.piece_failed(piece_index{1});
  EXPECT_EQ(pick(pp, all_of(4), 2, 1), (std::vector{blk(1, 0), blk(3, 0)}));
}

TEST(PiecePickerPriority, FinishedWhenEveryWantedPieceIsHadAndUnskippingUndoesIt) {
  piece_picker pp(3, 1, 1, 5);
  pp.set_priority(piece_index{2}, 0);
  EXPECT_EQ(pp.num_wanted_missing(), 2);
  for (int p = 0; p < 2; ++p) {
    ASSERT_TRUE(pp.mark_received(blk(p, 0), 1));
    pp.piece_passed(piece_index{p});
  }
  EXPECT_TRUE(pp.is_finished());
  EXPECT_FALSE(pp.is_complete());
  EXPECT_FALSE(pp.in_endgame());
  EXPECT_FALSE(pp.is_interesting(all_of(3)));
  EXPECT_TRUE(pick(pp, all_of(3), 10, 1).empty());

  pp.set_priority(piece_index{2}, 1);
  EXPECT_FALSE(pp.is_finished());
  EXPECT_EQ(pp.num_wanted_missing(), 1);
  EXPECT_TRUE(pp.is_interesting(all_of(3)));
  EXPECT_EQ(pick(pp, all_of(3), 10, 1), (std::vector{blk(2, 0)}));
  // A verified piece lowered to 0 and failing later does not count as missing.
  pp.set_priority(piece_index{0}, 0);
  pp.piece_failed(piece_index{0});
  EXPECT_EQ(pp.num_wanted_missing(), 1);
}

TEST(PiecePickerPriority, PartialPieceLoweredToZeroGetsNoMoreRequestsAndNoEndgame) {
  piece_picker pp(2, 4, 4, 5);
  std::vector<block_address> out;
  pp.pick(bits_of(2, {0}), 1, 1, out);  // piece 0 partial, 3 blocks unrequested
  pp.set_priority(piece_index{0}, 0);
  // Piece 1 is all that is wanted: four blocks, then endgame on piece 1 only.
  auto got = pick(pp, all_of(2), 10, 2);
  EXPECT_EQ(pieces_of(got), (std::vector{1}));
  EXPECT_EQ(got.size(), 4u);
  EXPECT_TRUE(pp.in_endgame());
  auto dup = pick(pp, all_of(2), 10, 3);
  EXPECT_EQ(pieces_of(dup), (std::vector{1}));
  // The block already requested for piece 0 may still arrive and be kept.
  EXPECT_TRUE(pp.mark_received(blk(0, 0), 1));
}

TEST(PiecePickerPriority, ABlockOfASkippedPieceArrivingUnrequestedIsKept) {
  // Found by fuzz_piece_picker: the request was given up after the piece was skipped (so the
  // piece went back to no list at all), then the block arrived anyway.
  piece_picker pp(3, 2, 2, 5);
  std::vector<block_address> out;
  pp.pick(all_of(3), 1, 1, out);
  ASSERT_EQ(out.size(), 1u);
  const block_address b = out[0];
  pp.set_priority(b.piece, 0);
  pp.abort_request(b, 1);
  EXPECT_EQ(pp.num_partial(), 0);
  EXPECT_TRUE(pp.mark_received(b, 1));
  EXPECT_EQ(pp.num_partial(), 1);
  EXPECT_FALSE(pp.mark_received(b, 1));  // now a duplicate
  // A skipped piece never requested at all: its block is kept as well.
  const piece_index other{b.piece.value == 0 ? 1 : 0};
  pp.set_priority(other, 0);
  EXPECT_TRUE(pp.mark_received({other, block_index{1}}, 2));
  // Neither is picked again while skipped.
  for (const auto& got : pick(pp, all_of(3), 10, 3)) {
    EXPECT_NE(got.piece, b.piece);
    EXPECT_NE(got.piece, other);
  }
}

TEST(PiecePickerPriority, AvailabilityChangesKeepAPieceInItsPriority) {
  piece_picker pp(3, 1, 1, 9);
  pp.set_priority(piece_index{1}, 7);
  pp.add_peer(bits_of(3, {0, 1, 2}));  // not a seed: size 3 all set counts as seed; use haves
  pp.add_have(piece_index{1});
  pp.add_have(piece_index{1});
  pp.remove_peer(bits_of(3, {1}));
  EXPECT_EQ(pieces_of(pick(pp, all_of(3), 1, 1)), (std::vector{1}));
  EXPECT_EQ(pp.priority(piece_index{9}), 0);
  pp.set_priority(piece_index{9}, 3);  // out of range: ignored
  pp.set_priority(piece_index{2}, 99);  // clamped
  EXPECT_EQ(pp.priority(piece_index{2}), 7);
}

}  // namespace
}  // namespace tessera::detail
