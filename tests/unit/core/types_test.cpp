// Tests for the shared strong types: sha1_hash hex/bytes conversions, peer ids, strong indexes.
#include "tessera/types.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <unordered_set>

namespace tessera {
namespace {

TEST(Sha1Hash, HexRoundTripIsLowercase) {
  const std::string hex = "0123456789abcdef0123456789abcdef01234567";
  auto h = sha1_hash::from_hex(hex);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->bytes[0], 0x01);
  EXPECT_EQ(h->bytes[19], 0x67);
  EXPECT_EQ(h->to_hex(), hex);
}

TEST(Sha1Hash, FromHexAcceptsUppercase) {
  auto h = sha1_hash::from_hex("ABCDEF0123456789ABCDEF0123456789ABCDEF01");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->to_hex(), "abcdef0123456789abcdef0123456789abcdef01");
}

TEST(Sha1Hash, FromHexRejectsWrongLengthOrDigits) {
  EXPECT_FALSE(sha1_hash::from_hex(""));
  EXPECT_FALSE(sha1_hash::from_hex(std::string(39, 'a')));
  EXPECT_FALSE(sha1_hash::from_hex(std::string(41, 'a')));
  EXPECT_FALSE(sha1_hash::from_hex(std::string(39, 'a') + "g"));
  EXPECT_FALSE(sha1_hash::from_hex(std::string(38, 'a') + " a"));
}

TEST(Sha1Hash, BytesRoundTrip) {
  std::string raw(20, '\0');
  for (int i = 0; i < 20; ++i) raw[i] = static_cast<char>(0xf0 + i % 16);
  auto h = sha1_hash::from_bytes(raw);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->to_bytes(), raw);
  EXPECT_FALSE(sha1_hash::from_bytes(raw.substr(1)));
  EXPECT_FALSE(sha1_hash::from_bytes(raw + "x"));
}

TEST(Sha1Hash, ZeroAndOrdering) {
  sha1_hash zero;
  EXPECT_TRUE(zero.is_zero());
  EXPECT_EQ(zero.to_hex(), std::string(40, '0'));
  sha1_hash one;
  one.bytes[19] = 1;
  EXPECT_FALSE(one.is_zero());
  EXPECT_LT(zero, one);
  std::unordered_set<sha1_hash> set{zero, one, zero};
  EXPECT_EQ(set.size(), 2u);
}

TEST(PeerId, HasAzureusStylePrefixAndAlphanumericTail) {
  peer_id id = make_peer_id();
  const std::string s = id.to_bytes();
  ASSERT_EQ(s.size(), 20u);
  EXPECT_EQ(s.substr(0, 8), "-TS0001-");
  for (std::size_t i = 8; i < 20; ++i)
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(s[i]))) << "byte " << i << ": " << int(s[i]);
}

TEST(PeerId, UsesGivenVersion) {
  EXPECT_EQ(make_peer_id("0102").to_bytes().substr(0, 8), "-TS0102-");
  // Short versions are padded, long ones cut, so the prefix always stays 8 bytes.
  EXPECT_EQ(make_peer_id("1").to_bytes().substr(0, 8), "-TS1000-");
  EXPECT_EQ(make_peer_id("123456").to_bytes().substr(0, 8), "-TS1234-");
}

TEST(PeerId, IsFreshEachTime) {
  std::set<peer_id> ids;
  for (int i = 0; i < 50; ++i) ids.insert(make_peer_id());
  EXPECT_EQ(ids.size(), 50u);  // 62^12 possibilities: a collision means the tail is not random
}

TEST(StrongIndex, ComparesAndIncrements) {
  piece_index p{3};
  EXPECT_EQ((p++).value, 3);
  EXPECT_EQ(p.value, 4);
  EXPECT_EQ((++p).value, 5);
  EXPECT_LT(piece_index{1}, piece_index{2});
  EXPECT_EQ(std::hash<piece_index>{}(piece_index{7}), std::hash<std::int32_t>{}(7));
  static_assert(!std::is_convertible_v<piece_index, file_index>);
  static_assert(!std::is_convertible_v<std::int32_t, piece_index>);
}

}  // namespace
}  // namespace tessera
