// Tests of the compact and text forms of peer endpoints (core/compact_peer).
#include "core/compact_peer.hpp"

#include <gtest/gtest.h>

#include <string_view>

namespace tessera::detail {
namespace {

using namespace std::string_view_literals;

TEST(PeerEndpointText, ParsesNumericV4AndBracketedV6) {
  auto a = peer_endpoint::from_string("127.0.0.1:6881");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->v6);
  EXPECT_EQ(a->port, 6881);
  EXPECT_EQ(a->to_string(), "127.0.0.1:6881");
  auto b = peer_endpoint::from_string("[::1]:0");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->v6);
  EXPECT_EQ(b->port, 0);
  EXPECT_EQ(b->to_string(), "[::1]:0");
  EXPECT_FALSE(peer_endpoint::from_string("localhost:80"));
  EXPECT_FALSE(peer_endpoint::from_string("::1:80"));
  EXPECT_FALSE(peer_endpoint::from_string("127.0.0.1:65536"));
}

TEST(PeerEndpointText, ATextWithANulByteIsRejected) {
  // Found by fuzz_endpoint: inet_pton stopped at the NUL, so the bytes after it were ignored
  // and "[::ff00\0\0.1]:80" read as [::ff00]:80.
  EXPECT_FALSE(peer_endpoint::from_string("127.0.0.1\0junk:80"sv));
  EXPECT_FALSE(peer_endpoint::from_string("[::ff00\0\0.1]:80"sv));
  EXPECT_FALSE(peer_endpoint::from_string("\0:80"sv));
}

}  // namespace
}  // namespace tessera::detail
