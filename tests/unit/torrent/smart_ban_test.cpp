// The smart ban's bookkeeping (smart_ban.hpp): a piece built from an honest and a lying peer's
// blocks, failing as often as the liar likes, names only the liar once it passes.
#include "torrent/smart_ban.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tessera::detail {
namespace {

using address = smart_ban::address;
using sender = std::optional<address>;

const address honest = boost::asio::ip::make_address("10.0.0.1");
const address liar = boost::asio::ip::make_address("10.0.0.2");
const address other = boost::asio::ip::make_address("2001:db8::7");

sha1_hash h(std::uint8_t v) {
  sha1_hash x;
  x.bytes.fill(v);
  return x;
}

/// The verified blocks of a 4-block piece: hashes 1..4.
const std::vector<sha1_hash> good = {h(1), h(2), h(3), h(4)};

TEST(SmartBan, OnlyTheSenderOfADifferingBlockIsNamedWhenThePiecePasses) {
  smart_ban sb;
  const piece_index p{5};
  // Blocks 0 and 2 from the honest peer (right), 1 and 3 from the liar (wrong).
  EXPECT_TRUE(sb.on_piece_failed(p, std::vector{h(1), h(9), h(3), h(8)},
                                 std::vector<sender>{honest, liar, honest, liar})
                  .empty());
  EXPECT_TRUE(sb.has_records(p));
  EXPECT_EQ(sb.num_records(), 4u);
  EXPECT_EQ(sb.on_piece_passed(p, good), std::vector<address>{liar});
  EXPECT_FALSE(sb.has_records(p));
  EXPECT_EQ(sb.num_records(), 0u);
}

TEST(SmartBan, RepeatedFailuresCausedByTheLiarNeverNameTheHonestPeer) {
  smart_ban sb;
  const piece_index p{0};
  // The liar sends the same wrong block 1 each time; the honest peer sends the others, and also
  // block 1 once (rightly) while the liar's wrong block 3 fails that round.
  for (int round = 0; round < 10; ++round) {
    std::vector<sender> from = {honest, liar, honest, honest};
    std::vector<sha1_hash> got = {h(1), h(9), h(3), h(4)};
    if (round == 4) {
      from = {honest, honest, honest, liar};
      got = {h(1), h(2), h(3), h(8)};
    }
    EXPECT_TRUE(sb.on_piece_failed(p, got, from).empty()) << "round " << round;
  }
  EXPECT_EQ(sb.num_records(), 6u);  // one per (block, sender); repeats add nothing
  EXPECT_EQ(sb.on_piece_passed(p, good), std::vector<address>{liar});
}

TEST(SmartBan, APeerSendingTwoVersionsOfOneBlockIsNamedAtTheFailure) {
  smart_ban sb;
  const piece_index p{1};
  EXPECT_TRUE(sb.on_piece_failed(p, std::vector{h(1), h(9)}, std::vector<sender>{honest, liar}).empty());
  EXPECT_EQ(sb.on_piece_failed(p, std::vector{h(1), h(7)}, std::vector<sender>{honest, liar}),
            std::vector<address>{liar});
}

TEST(SmartBan, UnknownSendersAndMissingHashesProveNothing) {
  smart_ban sb;
  const piece_index p{2};
  EXPECT_TRUE(sb.on_piece_failed(p, std::vector{h(9), h(9)}, std::vector<sender>{std::nullopt, std::nullopt}).empty());
  EXPECT_FALSE(sb.has_records(p));
  EXPECT_TRUE(sb.on_piece_failed(p, std::vector<sha1_hash>{}, std::vector<sender>{liar, liar}).empty());
  EXPECT_FALSE(sb.has_records(p));
  // A pass without block hashes (or a shorter list) names nobody for the blocks it lacks.
  sb.on_piece_failed(p, std::vector{h(1), h(9)}, std::vector<sender>{honest, liar});
  EXPECT_TRUE(sb.on_piece_passed(p, std::vector{h(1)}).empty());
  EXPECT_FALSE(sb.has_records(p));
}

TEST(SmartBan, PiecesArePassedApartAndEachSenderIsNamedOnce) {
  smart_ban sb;
  sb.on_piece_failed(piece_index{1}, std::vector{h(9), h(9), h(3)}, std::vector<sender>{liar, liar, other});
  sb.on_piece_failed(piece_index{2}, std::vector{h(1), h(2)}, std::vector<sender>{other, honest});
  EXPECT_EQ(sb.on_piece_passed(piece_index{1}, good), std::vector<address>{liar});
  EXPECT_TRUE(sb.has_records(piece_index{2}));
  EXPECT_TRUE(sb.on_piece_passed(piece_index{2}, good).empty());
}

TEST(SmartBan, RecordsAreBoundedOldestFailureFirst) {
  smart_ban sb(6);
  for (int p = 0; p < 3; ++p) {
    sb.on_piece_failed(piece_index{p}, std::vector{h(1), h(9)}, std::vector<sender>{honest, liar});
  }
  EXPECT_EQ(sb.num_records(), 6u);
  sb.on_piece_failed(piece_index{3}, std::vector{h(1), h(9)}, std::vector<sender>{honest, liar});
  EXPECT_EQ(sb.num_records(), 6u);
  EXPECT_FALSE(sb.has_records(piece_index{0}));  // failed first, dropped first
  EXPECT_TRUE(sb.has_records(piece_index{1}));
  EXPECT_TRUE(sb.has_records(piece_index{3}));
  // A failure again makes a piece the newest.
  sb.on_piece_failed(piece_index{1}, std::vector{h(1), h(9)}, std::vector<sender>{honest, liar});
  sb.on_piece_failed(piece_index{4}, std::vector{h(1), h(9)}, std::vector<sender>{honest, liar});
  EXPECT_FALSE(sb.has_records(piece_index{2}));
  EXPECT_TRUE(sb.has_records(piece_index{1}));
  EXPECT_LE(sb.num_records(), sb.max_records());
}

TEST(SmartBan, OnePieceOverTheBoundKeepsOnlyItsLatestFailure) {
  smart_ban sb(4);
  const std::vector<address> many = {boost::asio::ip::make_address("10.0.1.1"),
                                     boost::asio::ip::make_address("10.0.1.2"),
                                     boost::asio::ip::make_address("10.0.1.3")};
  for (const auto& a : many) {
    sb.on_piece_failed(piece_index{0}, std::vector{h(9), h(9)}, std::vector<sender>{a, a});
    EXPECT_LE(sb.num_records(), 4u);
  }
  EXPECT_EQ(sb.num_records(), 2u);
  EXPECT_EQ(sb.on_piece_passed(piece_index{0}, good), std::vector<address>{many.back()});
}

TEST(SmartBan, ClearForgetsEverything) {
  smart_ban sb;
  sb.on_piece_failed(piece_index{0}, std::vector{h(9)}, std::vector<sender>{liar});
  sb.clear();
  EXPECT_EQ(sb.num_records(), 0u);
  EXPECT_FALSE(sb.has_records(piece_index{0}));
  EXPECT_TRUE(sb.on_piece_passed(piece_index{0}, good).empty());
}

}  // namespace
}  // namespace tessera::detail
