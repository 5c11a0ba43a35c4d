// Tests for the shared strong types: sha1_hash hex/bytes conversions, peer ids, strong indexes.
#include "tessera/types.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <concepts>
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

TEST(PeerId, IsNotAHash) {
  // A peer id and a v1 info-hash are both 20 bytes, but different types: neither converts to nor
  // compares with the other.
  static_assert(!std::is_convertible_v<peer_id, sha1_hash>);
  static_assert(!std::is_convertible_v<sha1_hash, peer_id>);
  static_assert(!std::equality_comparable_with<peer_id, sha1_hash>);
  static_assert(!std::equality_comparable_with<info_hash_t, sha1_hash>);
  const peer_id id = *peer_id::from_hex("2d5453303030312d6162636465666768696a6b6c");
  EXPECT_EQ(id.to_bytes(), "-TS0001-abcdefghijkl");
}

TEST(InfoHashT, HexNamesV1ElseV2) {
  const std::string h1 = "0123456789abcdef0123456789abcdef01234567";
  const std::string h2 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  info_hash_t v1{*sha1_hash::from_hex(h1), {}};
  info_hash_t v2{{}, *sha256_hash::from_hex(h2)};
  info_hash_t hybrid{v1.v1, v2.v2};
  EXPECT_EQ(v1.to_hex(), h1);
  EXPECT_EQ(v2.to_hex(), h2);
  EXPECT_EQ(hybrid.to_hex(), h1);  // a hybrid keeps its v1 name
  EXPECT_EQ(info_hash_t{}.to_hex(), "");

  EXPECT_EQ(info_hash_t::from_hex(h1), v1);
  EXPECT_EQ(info_hash_t::from_hex("0123456789ABCDEF0123456789ABCDEF01234567"), v1);
  EXPECT_EQ(info_hash_t::from_hex(h2), v2);
  EXPECT_FALSE(info_hash_t::from_hex(""));
  EXPECT_FALSE(info_hash_t::from_hex(h1.substr(1)));
  EXPECT_FALSE(info_hash_t::from_hex(h2 + "0"));
  EXPECT_FALSE(info_hash_t::from_hex(std::string(39, 'a') + "g"));
  EXPECT_EQ(info_hash_t::from_v1(v1.v1), v1);
}

TEST(InfoHashT, SameTorrent) {
  info_hash_t v1{*sha1_hash::from_hex("0123456789abcdef0123456789abcdef01234567"), {}};
  info_hash_t v2{{}, *sha256_hash::from_hex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")};
  info_hash_t hybrid{v1.v1, v2.v2};
  EXPECT_TRUE(v1.same_torrent(v1));
  EXPECT_TRUE(hybrid.same_torrent(v1));
  EXPECT_TRUE(v1.same_torrent(hybrid));
  EXPECT_TRUE(v2.same_torrent(hybrid));
  EXPECT_FALSE(v1.same_torrent(v2));  // nothing in common
  EXPECT_FALSE(info_hash_t{}.same_torrent(info_hash_t{}));
  info_hash_t other_v2 = hybrid;
  other_v2.v2.bytes[31] ^= 1;
  EXPECT_FALSE(hybrid.same_torrent(other_v2));  // same v1, different v2
}

}  // namespace
}  // namespace tessera
