// Tests for the ut_pex codec (BEP 11) and compact endpoints.
#include "core/ut_pex.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tessera::detail {
namespace {

peer_endpoint ep(std::string_view s) { return *peer_endpoint::from_string(s); }

std::string compact(std::string_view s) {
  std::string out;
  append_compact_endpoint(out, ep(s));
  return out;
}

TEST(CompactPeer, ConvertsBetweenTextAndCompactForms) {
  EXPECT_EQ(compact("1.2.3.4:6881"), std::string("\x01\x02\x03\x04\x1a\xe1", 6));
  EXPECT_EQ(parse_compact_endpoint(std::string("\x01\x02\x03\x04\x1a\xe1", 6))->to_string(), "1.2.3.4:6881");
  auto v6 = parse_compact_endpoint(compact("[2001:db8::1]:443"));
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->v6);
  EXPECT_EQ(v6->to_string(), "[2001:db8::1]:443");
  EXPECT_FALSE(parse_compact_endpoint("12345"));
  EXPECT_FALSE(parse_compact_address("12345"));
  for (const char* bad : {"1.2.3.4", "1.2.3:1", "[::1:1", "::1:1", "1.2.3.4:65536", "1.2.3.4:-1", "host:1"})
    EXPECT_FALSE(peer_endpoint::from_string(bad)) << bad;
}

TEST(UtPex, ParsesBothFamiliesWithFlags) {
  const std::string added = compact("1.2.3.4:6881") + compact("5.6.7.8:1");
  const std::string added6 = compact("[::1]:2");
  const std::string payload = "d5:added12:" + added + "7:added.f2:\x02\x11" + "6:added618:" + added6 +
                              "8:added6.f1:\x04" + "7:dropped6:" + compact("9.9.9.9:9") + "8:dropped618:" +
                              compact("[::2]:3") + "e";
  auto m = parse_pex_message(payload);
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->added.size(), 3u);
  EXPECT_EQ(m->added[0], (pex_peer{ep("1.2.3.4:6881"), pex_flags::seed}));
  EXPECT_EQ(m->added[1], (pex_peer{ep("5.6.7.8:1"), pex_flags::outgoing | pex_flags::prefers_encryption}));
  EXPECT_EQ(m->added[2], (pex_peer{ep("[::1]:2"), pex_flags::supports_utp}));
  ASSERT_EQ(m->dropped.size(), 2u);
  EXPECT_EQ(m->dropped[0], ep("9.9.9.9:9"));
  EXPECT_EQ(m->dropped[1], ep("[::2]:3"));
}

TEST(UtPex, MissingListsAndShortFlagsAreLenient) {
  auto empty = parse_pex_message("de");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->added.empty());
  EXPECT_TRUE(empty->dropped.empty());
  const std::string payload = "d5:added12:" + compact("1.2.3.4:1") + compact("1.2.3.4:2") + "7:added.f1:\x01" + "e";
  auto m = parse_pex_message(payload);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->added.size(), 2u);
  EXPECT_EQ(m->added[0].flags, 1);
  EXPECT_EQ(m->added[1].flags, 0);
}

TEST(UtPex, SkipsPortZero) {
  auto m = parse_pex_message("d5:added6:" + compact("1.2.3.4:0") + "7:dropped6:" + compact("1.2.3.4:0") + "e");
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->added.empty());
  EXPECT_TRUE(m->dropped.empty());
}

TEST(UtPex, HonoursAtMostTheLimitPerList) {
  std::string added;
  for (int i = 0; i < 300; ++i) added += compact("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ":1");
  auto m = parse_pex_message("d5:added" + std::to_string(added.size()) + ":" + added + "e");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->added.size(), max_pex_peers_per_list);
}

TEST(UtPex, RejectsBadLengthsAndNonDictionaries) {
  for (const std::string& p : {std::string("d5:added5:abcdee"), std::string("d6:added66:abcdefe"),
                              std::string("d7:dropped7:abcdefge"), std::string("d8:dropped66:abcdefe")}) {
    auto m = parse_pex_message(p);
    ASSERT_FALSE(m) << p;
    EXPECT_EQ(m.error(), make_error_code(extension_errc::bad_compact_peers));
  }
  EXPECT_EQ(parse_pex_message("le").error(), make_error_code(extension_errc::not_a_dictionary));
  EXPECT_EQ(parse_pex_message("d5:added").error(), make_error_code(extension_errc::bad_bencode));
}

TEST(UtPex, BuildRoundTrips) {
  pex_message m;
  m.added = {{ep("1.2.3.4:6881"), pex_flags::seed}, {ep("[::1]:7"), 0}, {ep("127.0.0.1:2"), pex_flags::outgoing}};
  m.dropped = {ep("8.8.8.8:53"), ep("[fe80::1]:9")};
  auto back = parse_pex_message(make_pex_message(m));
  ASSERT_TRUE(back);
  // Parsing groups IPv4 before IPv6; the input above is reordered accordingly.
  pex_message expected;
  expected.added = {m.added[0], m.added[2], m.added[1]};
  expected.dropped = m.dropped;
  EXPECT_EQ(*back, expected);
}

TEST(UtPex, BuildCutsListsToTheLimit) {
  pex_message m;
  for (int i = 0; i < 250; ++i) m.added.push_back({ep("10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ":1"), 0});
  auto back = parse_pex_message(make_pex_message(m));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->added.size(), max_pex_peers_per_list);
}

}  // namespace
}  // namespace tessera::detail
