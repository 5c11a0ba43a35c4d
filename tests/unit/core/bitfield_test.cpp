// Tests for the piece bitfield and its BEP 3 wire layout.
#include "core/bitfield.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tessera::detail {
namespace {

TEST(Bitfield, StartsClearOrFull) {
  bitfield none(10);
  EXPECT_EQ(none.size(), 10);
  EXPECT_TRUE(none.none());
  EXPECT_EQ(none.count(), 0);
  bitfield full(10, true);
  EXPECT_TRUE(full.all());
  EXPECT_EQ(full.count(), 10);
  EXPECT_TRUE(bitfield().empty());
}

TEST(Bitfield, HighBitOfFirstByteIsPieceZero) {
  bitfield b(16);
  b.set(0);
  b.set(piece_index{9});
  ASSERT_EQ(b.bytes().size(), 2u);
  EXPECT_EQ(b.bytes()[0], 0x80);
  EXPECT_EQ(b.bytes()[1], 0x40);
  EXPECT_TRUE(b[piece_index{0}]);
  EXPECT_TRUE(b.get(9));
  EXPECT_FALSE(b.get(1));
  b.clear(piece_index{0});
  EXPECT_EQ(b.bytes()[0], 0x00);
  EXPECT_EQ(b.count(), 1);
}

TEST(Bitfield, SpareBitsStayZeroWhenFull) {
  bitfield b(10, true);
  ASSERT_EQ(b.bytes().size(), 2u);
  EXPECT_EQ(b.bytes()[0], 0xff);
  EXPECT_EQ(b.bytes()[1], 0xc0);
  b.clear_all();
  EXPECT_TRUE(b.none());
  b.set_all();
  EXPECT_EQ(b.bytes()[1], 0xc0);
  EXPECT_EQ(b.count(), 10);
}

TEST(Bitfield, MultipleOfEightHasNoSpareByte) {
  bitfield b(8, true);
  ASSERT_EQ(b.bytes().size(), 1u);
  EXPECT_EQ(b.bytes()[0], 0xff);
}

TEST(Bitfield, AssignAcceptsWellFormedWireBytes) {
  bitfield b;
  const std::vector<std::uint8_t> wire{0xa0, 0x80};
  ASSERT_TRUE(b.assign(wire, 9));
  EXPECT_EQ(b.size(), 9);
  EXPECT_TRUE(b.get(0));
  EXPECT_FALSE(b.get(1));
  EXPECT_TRUE(b.get(2));
  EXPECT_TRUE(b.get(8));
  EXPECT_EQ(b.count(), 3);
}

TEST(Bitfield, AssignRejectsWrongLengthAndKeepsOldValue) {
  bitfield b(9);
  b.set(3);
  const bitfield before = b;
  const std::vector<std::uint8_t> too_short{0xff};
  const std::vector<std::uint8_t> too_long{0xff, 0x80, 0x00};
  EXPECT_FALSE(b.assign(too_short, 9));
  EXPECT_FALSE(b.assign(too_long, 9));
  EXPECT_EQ(b, before);
}

TEST(Bitfield, AssignRejectsSpareBitsSet) {
  bitfield b;
  const std::vector<std::uint8_t> wire{0xff, 0xc0};  // bit 9 set in a 9-bit field
  EXPECT_FALSE(b.assign(wire, 9));
  EXPECT_TRUE(b.empty());
  const std::vector<std::uint8_t> last_spare{0xff, 0x81};
  EXPECT_FALSE(b.assign(last_spare, 9));
}

TEST(Bitfield, AssignRejectsNegativeSize) {
  bitfield b;
  const std::vector<std::uint8_t> wire;
  EXPECT_FALSE(b.assign(wire, -1));
  EXPECT_TRUE(b.assign(wire, 0));
  EXPECT_TRUE(b.empty());
}

TEST(Bitfield, ResizeResetsEveryBit) {
  bitfield b(4);
  b.set(1);
  b.resize(12, true);
  EXPECT_EQ(b.size(), 12);
  EXPECT_EQ(b.count(), 12);
  EXPECT_EQ(b.bytes()[1], 0xf0);
}

TEST(Bitfield, EqualityComparesBitsAndSize) {
  bitfield a(9), b(9), c(10);
  a.set(4);
  EXPECT_NE(a, b);
  b.set(4);
  EXPECT_EQ(a, b);
  EXPECT_NE(b, c);
}

}  // namespace
}  // namespace tessera::detail
