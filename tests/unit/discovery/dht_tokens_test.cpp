// announce_peer tokens (BEP 5): bound to the requester's address, valid across one rotation.
#include <gtest/gtest.h>

#include "discovery/dht/tokens.hpp"

namespace tessera::detail::dht {
namespace {

using namespace std::chrono_literals;
const clock::time_point t0 = clock::time_point{} + 1000h;

peer_endpoint ip(std::uint8_t a, std::uint16_t port = 1) {
  peer_endpoint e;
  e.addr = {192, 168, 0, a};
  e.port = port;
  return e;
}

TEST(DhtTokens, TokenVerifiesForSameAddressAnyPort) {
  token_issuer t(t0);
  auto tok = t.make(ip(1, 1000), t0);
  EXPECT_EQ(tok.size(), token_length);
  EXPECT_TRUE(t.verify(tok, ip(1, 2000), t0 + 1s));
  EXPECT_FALSE(t.verify(tok, ip(2, 1000), t0 + 1s));
}

TEST(DhtTokens, PreviousSecretStillAcceptedThenExpires) {
  token_issuer t(t0);
  auto tok = t.make(ip(1), t0);
  EXPECT_TRUE(t.verify(tok, ip(1), t0 + 4min));
  EXPECT_TRUE(t.verify(tok, ip(1), t0 + 6min));    // one rotation: previous secret
  auto newer = t.make(ip(1), t0 + 6min);
  EXPECT_NE(newer, tok);
  EXPECT_FALSE(t.verify(tok, ip(1), t0 + 11min));  // two rotations: gone
  EXPECT_TRUE(t.verify(newer, ip(1), t0 + 11min));
}

TEST(DhtTokens, LongIdleInvalidatesEverything) {
  token_issuer t(t0);
  auto tok = t.make(ip(1), t0);
  EXPECT_FALSE(t.verify(tok, ip(1), t0 + 10min));
}

TEST(DhtTokens, RejectsForgedAndMalformedTokens) {
  token_issuer t(t0);
  auto tok = t.make(ip(1), t0);
  auto forged = tok;
  forged[0] = static_cast<char>(forged[0] ^ 1);
  EXPECT_FALSE(t.verify(forged, ip(1), t0));
  EXPECT_FALSE(t.verify("", ip(1), t0));
  EXPECT_FALSE(t.verify(tok + "x", ip(1), t0));
  token_issuer other(t0);
  EXPECT_FALSE(other.verify(tok, ip(1), t0));
}

// The secrets come wholly from the random source (OpenSSL's CSPRNG in production): issuers fed
// the same bytes agree, issuers fed different bytes do not, and each secret takes 16 bytes.
TEST(DhtTokens, SecretsComeFromTheRandomSource) {
  std::size_t drawn = 0;
  auto constant = [&drawn](std::uint8_t v) {
    return [&drawn, v](std::span<std::uint8_t> out) {
      drawn += out.size();
      for (auto& b : out) b = v;
    };
  };
  token_issuer a(t0, constant(1));
  token_issuer b(t0, constant(1));
  token_issuer c(t0, constant(2));
  EXPECT_EQ(drawn, 3u * 2u * 16u);  // current and previous secret of each issuer
  EXPECT_EQ(a.make(ip(1), t0), b.make(ip(1), t0));
  EXPECT_NE(a.make(ip(1), t0), c.make(ip(1), t0));
}

TEST(DhtTokens, DefaultSourceGivesEachIssuerItsOwnSecret) {
  token_issuer a(t0);
  token_issuer b(t0);
  EXPECT_NE(a.make(ip(1), t0), b.make(ip(1), t0));
}

TEST(DhtTokens, Ipv6AddressesAreDistinct) {
  token_issuer t(t0);
  peer_endpoint a;
  a.v6 = true;
  a.addr[15] = 1;
  peer_endpoint b = a;
  b.addr[15] = 2;
  auto tok = t.make(a, t0);
  EXPECT_TRUE(t.verify(tok, a, t0));
  EXPECT_FALSE(t.verify(tok, b, t0));
}

}  // namespace
}  // namespace tessera::detail::dht
