// Which peer addresses from trackers, the DHT, LSD and PEX may be dialled (is_dialable_peer), and
// which addresses count as local for the tracker-redirect rule (is_local_network_address).
#include "discovery/peer_address.hpp"

#include <gtest/gtest.h>

namespace tessera::detail {
namespace {

using boost::asio::ip::make_address;
using boost::asio::ip::tcp;

tcp::endpoint ep(const char* ip, unsigned short port = 6881) { return {make_address(ip), port}; }

TEST(PeerAddress, OrdinaryAddressesAreDialable) {
  for (const char* ip : {"1.2.3.4", "10.0.0.7", "192.168.1.20", "172.16.5.5", "2001:db8::1",
                         "fd00::5", "::ffff:8.8.8.8"}) {
    EXPECT_TRUE(is_dialable_peer(ep(ip), false)) << ip;
    EXPECT_TRUE(is_dialable_peer(ep(ip), true)) << ip;
  }
}

TEST(PeerAddress, PortZeroUnspecifiedMulticastAndBroadcastAreNeverDialable) {
  EXPECT_FALSE(is_dialable_peer(ep("1.2.3.4", 0), true));
  for (const char* ip : {"0.0.0.0", "::", "0.1.2.3", "224.0.0.1", "239.192.152.143",
                         "255.255.255.255", "ff02::1", "ff15::efc0:988f", "::ffff:224.0.0.1",
                         "::ffff:0.0.0.0", "::ffff:255.255.255.255"}) {
    EXPECT_FALSE(is_dialable_peer(ep(ip), false)) << ip;
    EXPECT_FALSE(is_dialable_peer(ep(ip), true)) << ip << " (even when we are on loopback)";
  }
}

TEST(PeerAddress, LoopbackOnlyWhenWeAreOnLoopback) {
  for (const char* ip : {"127.0.0.1", "127.0.0.3", "127.200.1.2", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_FALSE(is_dialable_peer(ep(ip), false)) << ip;
    EXPECT_TRUE(is_dialable_peer(ep(ip), true)) << ip;
  }
}

TEST(PeerAddress, LocalNetworkAddressesAreThoseOfThisHostAndPrivateNetworks) {
  for (const char* ip : {"127.0.0.1", "127.9.9.9", "::1", "0.0.0.0", "::", "10.1.2.3",
                         "172.16.0.1", "172.31.255.254", "192.168.0.1", "169.254.3.4",
                         "100.64.0.1", "fc00::1", "fdff::1", "fe80::1", "fec0::1", "::ffff:192.168.1.1",
                         "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(is_local_network_address(make_address(ip))) << ip;
  }
  for (const char* ip : {"1.1.1.1", "172.15.255.255", "172.32.0.0", "192.169.0.1", "100.128.0.1",
                         "11.0.0.1", "2001:db8::1", "ff02::1", "::ffff:8.8.8.8"}) {
    EXPECT_FALSE(is_local_network_address(make_address(ip))) << ip;
  }
}

}  // namespace
}  // namespace tessera::detail
