// Tests for magnet URI parsing and building (BEP 9).
#include "tessera/magnet.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tessera {
namespace {

constexpr const char* hex = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";
// The same 20 bytes in RFC 4648 base32.
constexpr const char* b32 = "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK";
// A v2 info-hash (64 hex digits) and its BEP 52 multihash form: 0x12 sha2-256, 0x20 32 bytes.
constexpr const char* hex2 = "631a31dd0a46257d5078c0dee4e66e26f73e42ac47b5e3d0d3d1c5eb8f2e5a0b";
const std::string btmh = std::string("urn:btmh:1220") + hex2;

void expect_error(std::string_view uri, magnet_errc e) {
  auto r = parse_magnet(uri);
  ASSERT_FALSE(r) << uri;
  EXPECT_EQ(r.error(), make_error_code(e)) << uri << ": " << r.error().message();
}

TEST(Magnet, ParsesHexInfoHashAndName) {
  auto m = parse_magnet(std::string("magnet:?xt=urn:btih:") + hex + "&dn=My+File%20%C3%A9");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->info_hash.v1.to_hex(), hex);
  EXPECT_EQ(m->name, "My File \xC3\xA9");
  EXPECT_TRUE(m->trackers.empty());
}

TEST(Magnet, AcceptsUppercaseHexAndSchemeAndUrn) {
  std::string upper = hex;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto m = parse_magnet("MAGNET:?xt=URN:BTIH:" + upper);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->info_hash.v1.to_hex(), hex);
}

TEST(Magnet, ParsesBase32InfoHashInEitherCase) {
  auto upper = parse_magnet(std::string("magnet:?xt=urn:btih:") + b32);
  ASSERT_TRUE(upper);
  EXPECT_EQ(upper->info_hash.v1.to_hex(), hex);
  std::string lower = b32;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto l = parse_magnet("magnet:?xt=urn:btih:" + lower);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->info_hash, upper->info_hash);
}

TEST(Magnet, CollectsRepeatedTrackersInOrderWithoutDuplicates) {
  auto m = parse_magnet(std::string("magnet:?tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce&xt=urn:btih:") + hex +
                        "&tr=udp://127.0.0.1:6969&tr.1=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce&ws=http://127.0.0.1/f");
  ASSERT_TRUE(m);
  ASSERT_EQ(m->trackers.size(), 2u);
  EXPECT_EQ(m->trackers[0], "http://127.0.0.1:6969/announce");
  EXPECT_EQ(m->trackers[1], "udp://127.0.0.1:6969");
  ASSERT_EQ(m->web_seeds.size(), 1u);
  EXPECT_EQ(m->web_seeds[0], "http://127.0.0.1/f");
}

TEST(Magnet, ParsesPeersIncludingBracketedIpv6) {
  auto m = parse_magnet(std::string("magnet:?xt=urn:btih:") + hex +
                        "&x.pe=127.0.0.1:6881&x.pe=%5B::1%5D:6882&x.pe=[fe80::2]:1&x.pe=host.example:80");
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->peers.size(), 4u);
  EXPECT_EQ(m->peers[0], (magnet_peer{"127.0.0.1", 6881}));
  EXPECT_EQ(m->peers[1], (magnet_peer{"::1", 6882}));
  EXPECT_EQ(m->peers[2], (magnet_peer{"fe80::2", 1}));
  EXPECT_EQ(m->peers[3], (magnet_peer{"host.example", 80}));
}

TEST(Magnet, IgnoresUnknownParametersAndUrns) {
  auto m = parse_magnet(std::string("magnet:?xt=urn:sha1:abcd&foo=bar&novalue&&xt=urn:btih:") + hex + "#frag");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->info_hash.v1.to_hex(), hex);
  EXPECT_FALSE(m->info_hash.has_v2());
}

TEST(Magnet, ParsesV2OnlyMagnet) {
  auto m = parse_magnet("magnet:?xt=" + btmh + "&dn=v2");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_FALSE(m->info_hash.has_v1());
  EXPECT_EQ(m->info_hash.v2.to_hex(), hex2);
  EXPECT_EQ(m->info_hash.best().to_hex(), std::string(hex2).substr(0, 40));
  EXPECT_EQ(m->name, "v2");
}

TEST(Magnet, ParsesHybridMagnetInEitherOrderAndCase) {
  std::string upper = btmh;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& uri : {std::string("magnet:?xt=urn:btih:") + hex + "&xt=" + btmh,
                                 "magnet:?xt.1=" + upper + "&xt.2=urn:btih:" + b32}) {
    auto m = parse_magnet(uri);
    ASSERT_TRUE(m) << uri << ": " << m.error().message();
    EXPECT_TRUE(m->info_hash.is_hybrid()) << uri;
    EXPECT_EQ(m->info_hash.v1.to_hex(), hex) << uri;
    EXPECT_EQ(m->info_hash.v2.to_hex(), hex2) << uri;
  }
}

TEST(Magnet, AcceptsTheSameV2HashTwice) {
  EXPECT_TRUE(parse_magnet("magnet:?xt=" + btmh + "&xt=" + btmh));
}

TEST(Magnet, RejectsBadBtmhValues) {
  const std::string h = hex2;
  expect_error("magnet:?xt=urn:btmh:", magnet_errc::bad_info_hash);
  expect_error("magnet:?xt=urn:btmh:1220abcd", magnet_errc::bad_info_hash);
  expect_error("magnet:?xt=urn:btmh:" + h, magnet_errc::bad_info_hash);           // no multihash prefix
  expect_error("magnet:?xt=urn:btmh:1220" + h + "00", magnet_errc::bad_info_hash);  // too long
  expect_error("magnet:?xt=urn:btmh:1220" + h.substr(1), magnet_errc::bad_info_hash);
  expect_error("magnet:?xt=urn:btmh:1220" + h.substr(1) + "g", magnet_errc::bad_info_hash);
  // Another hash function (0x13 sha2-512, 0x11 sha1) or another length is not a v2 info-hash.
  expect_error("magnet:?xt=urn:btmh:1320" + h, magnet_errc::bad_info_hash);
  expect_error("magnet:?xt=urn:btmh:1114" + h.substr(0, 40), magnet_errc::bad_info_hash);
  expect_error("magnet:?xt=urn:btmh:1240" + h + h, magnet_errc::bad_info_hash);
  // A bad btmh spoils the link even beside a good btih.
  expect_error(std::string("magnet:?xt=urn:btih:") + hex + "&xt=urn:btmh:1220abcd", magnet_errc::bad_info_hash);
}

TEST(Magnet, RejectsConflictingV2Hashes) {
  std::string other = hex2;
  other[63] = other[63] == '0' ? '1' : '0';
  expect_error("magnet:?xt=" + btmh + "&xt=urn:btmh:1220" + other, magnet_errc::conflicting_info_hash);
}

TEST(Magnet, RejectsAllZeroInfoHashes) {
  expect_error("magnet:?xt=urn:btih:" + std::string(40, '0'), magnet_errc::bad_info_hash);
  expect_error("magnet:?xt=urn:btmh:1220" + std::string(64, '0'), magnet_errc::bad_info_hash);
  expect_error("magnet:?xt=urn:btih:" + std::string(40, '0') + "&xt=" + btmh, magnet_errc::bad_info_hash);
}

TEST(Magnet, AcceptsTheSameInfoHashTwice) {
  EXPECT_TRUE(parse_magnet(std::string("magnet:?xt=urn:btih:") + hex + "&xt.1=urn:btih:" + b32));
}

TEST(Magnet, RejectsNonMagnetUris) {
  expect_error("", magnet_errc::not_magnet);
  expect_error("http://127.0.0.1/x.torrent", magnet_errc::not_magnet);
  expect_error("magnet:xt=urn:btih:", magnet_errc::not_magnet);
}

TEST(Magnet, RejectsMissingInfoHash) {
  expect_error("magnet:?dn=x", magnet_errc::missing_info_hash);
  expect_error("magnet:?", magnet_errc::missing_info_hash);
  expect_error("magnet:?xt=urn:sha1:abcd", magnet_errc::missing_info_hash);
}

TEST(Magnet, RejectsBadInfoHashes) {
  expect_error("magnet:?xt=urn:btih:", magnet_errc::bad_info_hash);
  expect_error("magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88", magnet_errc::bad_info_hash);
  expect_error("magnet:?xt=urn:btih:g12fe1c06bba254a9dc9f519b335aa7c1367a88a", magnet_errc::bad_info_hash);
  expect_error("magnet:?xt=urn:btih:YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKE1", magnet_errc::bad_info_hash);  // '1' not base32
  expect_error("magnet:?xt=urn:btih:YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKE", magnet_errc::bad_info_hash);
}

TEST(Magnet, RejectsConflictingInfoHashes) {
  expect_error(std::string("magnet:?xt=urn:btih:") + hex + "&xt=urn:btih:" + std::string(40, '0'),
               magnet_errc::conflicting_info_hash);
}

TEST(Magnet, RejectsBadPercentEscapes) {
  expect_error(std::string("magnet:?xt=urn:btih:") + hex + "&dn=a%2", magnet_errc::bad_escape);
  expect_error(std::string("magnet:?xt=urn:btih:") + hex + "&dn=%zz", magnet_errc::bad_escape);
  expect_error(std::string("magnet:?xt=urn:btih:") + hex + "&tr=%", magnet_errc::bad_escape);
}

TEST(Magnet, RejectsBadPeers) {
  const std::string base = std::string("magnet:?xt=urn:btih:") + hex + "&x.pe=";
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:12a",
                          ":6881", "[::1:6881", "[nothex::1]:6881", "::1:6881", "a b:1", "[::1]:999999"})
    expect_error(base + bad, magnet_errc::bad_peer);
}

TEST(Magnet, RejectsEmptyTrackersAndWebSeeds) {
  expect_error(std::string("magnet:?xt=urn:btih:") + hex + "&tr=", magnet_errc::bad_tracker);
  expect_error(std::string("magnet:?xt=urn:btih:") + hex + "&ws=", magnet_errc::bad_tracker);
}

TEST(Magnet, RejectsOverlongUris) {
  expect_error(std::string("magnet:?xt=urn:btih:") + hex + "&dn=" + std::string(max_magnet_uri_length, 'a'),
               magnet_errc::too_long);
}

TEST(Magnet, KeepsAtMostTheListLimit) {
  std::string uri = std::string("magnet:?xt=urn:btih:") + hex;
  for (std::size_t i = 0; i < max_magnet_list_entries + 10; ++i) uri += "&tr=udp://127.0.0.1:" + std::to_string(i + 1);
  auto m = parse_magnet(uri);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->trackers.size(), max_magnet_list_entries);
}

TEST(Magnet, MakeMagnetUriRoundTrips) {
  magnet_link m;
  m.info_hash.v1 = *sha1_hash::from_hex(hex);
  m.name = "a name & more=100% + é";
  m.trackers = {"http://127.0.0.1:6969/announce?x=1&y=2", "udp://[::1]:6969"};
  m.web_seeds = {"http://127.0.0.1/seed dir/"};
  m.peers = {{"127.0.0.1", 6881}, {"::1", 6882}, {"localhost", 9}};
  const std::string uri = make_magnet_uri(m);
  EXPECT_EQ(uri.rfind(std::string("magnet:?xt=urn:btih:") + hex, 0), 0u) << uri;
  auto back = parse_magnet(uri);
  ASSERT_TRUE(back) << uri << ": " << back.error().message();
  EXPECT_EQ(*back, m) << uri;
}

TEST(Magnet, MakeMagnetUriWritesBothHashesOfAHybridAndV2Alone) {
  magnet_link m;
  m.info_hash.v1 = *sha1_hash::from_hex(hex);
  m.info_hash.v2 = *sha256_hash::from_hex(hex2);
  m.name = "hybrid";
  std::string uri = make_magnet_uri(m);
  EXPECT_EQ(uri, std::string("magnet:?xt=urn:btih:") + hex + "&xt=" + btmh + "&dn=hybrid");
  auto back = parse_magnet(uri);
  ASSERT_TRUE(back) << uri;
  EXPECT_EQ(*back, m);

  m.info_hash.v1 = {};
  uri = make_magnet_uri(m);
  EXPECT_EQ(uri, "magnet:?xt=" + btmh + "&dn=hybrid");
  back = parse_magnet(uri);
  ASSERT_TRUE(back) << uri;
  EXPECT_EQ(*back, m);
}

TEST(Magnet, ErrorsHaveCategoryAndMessages) {
  std::error_code ec = magnet_errc::bad_peer;
  EXPECT_STREQ(ec.category().name(), "tessera.magnet");
  EXPECT_NE(ec.message().find("x.pe"), std::string::npos);
}

}  // namespace
}  // namespace tessera
