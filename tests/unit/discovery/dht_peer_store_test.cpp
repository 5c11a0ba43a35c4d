// announce_peer storage (BEP 5): expiry and bounds.
#include <gtest/gtest.h>

#include "discovery/dht/peer_store.hpp"

namespace tessera::detail::dht {
namespace {

using namespace std::chrono_literals;
const clock::time_point t0 = clock::time_point{} + 1000h;

sha1_hash hash(std::uint8_t b) {
  sha1_hash h;
  h.bytes[0] = b;
  return h;
}
peer_endpoint peer(std::uint8_t a, std::uint16_t port = 6881) {
  peer_endpoint e;
  e.addr = {10, 0, 0, a};
  e.port = port;
  return e;
}

TEST(DhtPeerStore, ReturnsAnnouncedPeersNewestFirst) {
  peer_store s;
  EXPECT_TRUE(s.announce(hash(1), peer(1), t0));
  EXPECT_TRUE(s.announce(hash(1), peer(2), t0 + 1s));
  EXPECT_TRUE(s.announce(hash(2), peer(3), t0));
  auto p = s.peers(hash(1), false, 10, t0 + 2s);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0], peer(2));
  EXPECT_EQ(p[1], peer(1));
  EXPECT_EQ(s.peers(hash(1), false, 1, t0 + 2s).size(), 1u);
  EXPECT_TRUE(s.peers(hash(1), true, 10, t0 + 2s).empty());
  EXPECT_TRUE(s.peers(hash(9), false, 10, t0).empty());
}

TEST(DhtPeerStore, ReannounceRefreshesInsteadOfDuplicating) {
  peer_store s;
  s.announce(hash(1), peer(1), t0);
  s.announce(hash(1), peer(1), t0 + 20min);
  EXPECT_EQ(s.peer_count(hash(1)), 1u);
  EXPECT_EQ(s.peers(hash(1), false, 10, t0 + 40min).size(), 1u);  // 20 min after the refresh
}

TEST(DhtPeerStore, AnnouncesExpireAfterThirtyMinutes) {
  peer_store s;
  s.announce(hash(1), peer(1), t0);
  s.announce(hash(1), peer(2), t0 + 10min);
  EXPECT_EQ(s.peers(hash(1), false, 10, t0 + 29min).size(), 2u);
  EXPECT_EQ(s.peers(hash(1), false, 10, t0 + 30min).size(), 1u);
  s.expire(t0 + 30min);
  EXPECT_EQ(s.peer_count(hash(1)), 1u);
  s.expire(t0 + 40min);
  EXPECT_EQ(s.peer_count(hash(1)), 0u);
  EXPECT_EQ(s.hash_count(), 0u);
}

TEST(DhtPeerStore, PerHashLimitEvictsOldest) {
  peer_store s({30min, 3, 10});
  for (std::uint8_t i = 1; i <= 4; ++i) s.announce(hash(1), peer(i), t0 + std::chrono::seconds(i));
  EXPECT_EQ(s.peer_count(hash(1)), 3u);
  auto p = s.peers(hash(1), false, 10, t0 + 10s);
  EXPECT_EQ(std::count(p.begin(), p.end(), peer(1)), 0);
  EXPECT_EQ(std::count(p.begin(), p.end(), peer(4)), 1);
}

TEST(DhtPeerStore, HashLimitDropsNewInfoHashes) {
  peer_store s({30min, 3, 2});
  EXPECT_TRUE(s.announce(hash(1), peer(1), t0));
  EXPECT_TRUE(s.announce(hash(2), peer(1), t0));
  EXPECT_FALSE(s.announce(hash(3), peer(1), t0));
  EXPECT_TRUE(s.announce(hash(1), peer(2), t0));  // known hashes still take peers
  EXPECT_EQ(s.hash_count(), 2u);
  s.expire(t0 + 31min);
  EXPECT_TRUE(s.announce(hash(3), peer(1), t0 + 31min));
}

TEST(DhtPeerStore, HoldsBothFamiliesAndHandsOutTheOneAskedFor) {
  peer_store s;
  peer_endpoint six;
  six.v6 = true;
  six.addr[15] = 1;
  six.port = 6666;
  EXPECT_TRUE(s.announce(hash(1), peer(1, 4444), t0));
  EXPECT_TRUE(s.announce(hash(1), six, t0 + 1s));
  EXPECT_EQ(s.peer_count(hash(1)), 2u);
  auto four = s.peers(hash(1), false, 10, t0 + 2s);
  ASSERT_EQ(four.size(), 1u);
  EXPECT_EQ(four[0], peer(1, 4444));
  auto only6 = s.peers(hash(1), true, 10, t0 + 2s);
  ASSERT_EQ(only6.size(), 1u);
  EXPECT_EQ(only6[0], six);
  auto both = s.peers_any_family(hash(1), 10, t0 + 2s);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0], six) << "newest first";
  EXPECT_EQ(both[1], peer(1, 4444));
  EXPECT_EQ(s.peers_any_family(hash(1), 1, t0 + 2s).size(), 1u) << "max applies to both together";
  EXPECT_TRUE(s.peers_any_family(hash(1), 10, t0 + 31min).empty()) << "both expire";
}

}  // namespace
}  // namespace tessera::detail::dht
