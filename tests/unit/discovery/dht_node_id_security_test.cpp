// BEP 42 node ids (the BEP's own test vectors), CRC-32C, and external-address voting.
#include <gtest/gtest.h>

#include "core/crc32c.hpp"
#include "discovery/dht/external_ip.hpp"
#include "discovery/dht/node_id_security.hpp"

namespace tessera::detail::dht {
namespace {

peer_endpoint ip(std::string_view s) { return *peer_endpoint::from_string(s); }

std::array<std::uint8_t, 20> random_ending_in(std::uint8_t last) {
  std::array<std::uint8_t, 20> r{};
  for (std::size_t i = 0; i < r.size(); ++i) r[i] = static_cast<std::uint8_t>(0xa5 ^ (i * 37));
  r[19] = last;
  return r;
}

TEST(Crc32c, KnownCheckValue) {
  const std::string s = "123456789";
  EXPECT_EQ(crc32c({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}), 0xE3069283u);
}

// BEP 42's table: IP, random byte, and the 21-bit prefix the id must start with.
TEST(Bep42, TestVectorsOfTheBep) {
  struct vector {
    const char* ip;
    std::uint8_t rand;
    std::uint8_t prefix[3];
  };
  const vector vectors[] = {
      {"124.31.75.21:1", 1, {0x5f, 0xbf, 0xbf}},   {"21.75.31.124:1", 86, {0x5a, 0x3c, 0xe9}},
      {"65.23.51.170:1", 22, {0xa5, 0xd4, 0x32}},  {"84.124.73.14:1", 65, {0x1b, 0x03, 0x21}},
      {"43.213.53.83:1", 90, {0xe5, 0x6f, 0x6c}},
  };
  for (const auto& v : vectors) {
    const auto id = bep42_node_id(ip(v.ip), random_ending_in(v.rand));
    EXPECT_EQ(id.bytes[0], v.prefix[0]) << v.ip;
    EXPECT_EQ(id.bytes[1], v.prefix[1]) << v.ip;
    EXPECT_EQ(id.bytes[2] & 0xf8, v.prefix[2] & 0xf8) << v.ip;
    EXPECT_EQ(id.bytes[19], v.rand) << v.ip;
    EXPECT_TRUE(bep42_valid(id, ip(v.ip))) << v.ip;
    EXPECT_FALSE(bep42_valid(id, ip("124.31.75.22:1")) && std::string(v.ip) != "124.31.75.21:1") << v.ip;
  }
}

TEST(Bep42, AnIdIsValidOnlyForItsAddress) {
  const auto id = bep42_node_id(ip("124.31.75.21:1"), random_ending_in(3));
  EXPECT_TRUE(bep42_valid(id, ip("124.31.75.21:6881")));  // the port plays no part
  EXPECT_FALSE(bep42_valid(id, ip("125.31.75.21:1")));
  auto tampered = id;
  tampered.bytes[19] ^= 0x04;  // another r
  EXPECT_FALSE(bep42_valid(tampered, ip("124.31.75.21:1")));
  const auto v6 = ip("[2001:db8:1234:5678::1]:1");
  const auto id6 = bep42_node_id(v6, random_ending_in(7));
  EXPECT_TRUE(bep42_valid(id6, v6));
  EXPECT_FALSE(bep42_valid(id6, ip("[2001:db8:1234:5679::1]:1")));
}

TEST(Bep42, LocalNetworksAreExempt) {
  sha1_hash any;
  any.bytes.fill(0x42);
  for (const char* local : {"10.1.2.3:1", "127.0.0.9:1", "172.16.0.1:1", "172.31.255.255:1",
                            "192.168.1.1:1", "169.254.3.4:1", "[::1]:1", "[fe80::1]:1", "[fd00::1]:1"}) {
    EXPECT_TRUE(bep42_exempt(ip(local))) << local;
    EXPECT_TRUE(bep42_valid(any, ip(local))) << local;
  }
  for (const char* global : {"172.32.0.1:1", "8.8.8.8:1", "192.169.0.1:1", "[2001:db8::1]:1"}) {
    EXPECT_FALSE(bep42_exempt(ip(global))) << global;
    EXPECT_FALSE(bep42_valid(any, ip(global))) << global;
  }
}

TEST(ExternalIpVoter, DecidedByDistinctVotersOnly) {
  external_ip_voter v;
  const auto ours = ip("124.31.75.21:6881");
  // One node repeating itself is one vote.
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(v.vote(ip("10.0.0.1:1"), ours));
  for (std::uint8_t i = 2; i < external_ip_voter::votes_needed; ++i) {
    EXPECT_FALSE(v.vote(ip("10.0.0." + std::to_string(i) + ":1"), ours));
  }
  const auto decided = v.vote(ip("10.0.0.99:1"), ip("124.31.75.21:7000"));
  ASSERT_TRUE(decided);
  EXPECT_EQ(decided->address_string(), "124.31.75.21");
  EXPECT_FALSE(v.vote(ip("10.0.0.100:1"), ours));  // already decided: no news
}

TEST(ExternalIpVoter, AMinorityLiarDoesNotWin) {
  external_ip_voter v;
  int decided = 0;
  for (std::uint8_t i = 1; i <= 8; ++i) {
    if (v.vote(ip("10.0.1." + std::to_string(i) + ":1"), ip("1.2.3.4:1"))) ++decided;
    if (i <= 4 && v.vote(ip("10.0.2." + std::to_string(i) + ":1"), ip("6.6.6.6:1"))) ++decided;
  }
  EXPECT_EQ(decided, 1);
  ASSERT_TRUE(v.decided());
  EXPECT_EQ(v.decided()->address_string(), "1.2.3.4");
}

}  // namespace
}  // namespace tessera::detail::dht
