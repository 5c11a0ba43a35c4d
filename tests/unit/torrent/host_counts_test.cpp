#include "torrent/host_counts.hpp"

#include <gtest/gtest.h>

namespace tessera::detail {
namespace {

namespace ip = boost::asio::ip;

ip::address addr(const char* text) { return ip::make_address(text); }

TEST(HostCounts, AnIpv4MappedAddressIsItsIpv4Address) {
  EXPECT_EQ(host_address(addr("::ffff:10.1.2.3")), addr("10.1.2.3"));
  EXPECT_EQ(host_address(addr("10.1.2.3")), addr("10.1.2.3"));
  EXPECT_EQ(host_address(addr("2001:db8::1")), addr("2001:db8::1"));
  host_counts c;
  c.add(addr("::ffff:10.1.2.3"));
  EXPECT_EQ(c.on_host(addr("10.1.2.3")), 1);
  EXPECT_EQ(c.on_subnet(addr("10.1.2.99")), 1);
  c.remove(addr("10.1.2.3"));
  EXPECT_EQ(c.on_host(addr("::ffff:10.1.2.3")), 0);
  EXPECT_EQ(c.total(), 0);
}

TEST(HostCounts, SubnetsAreIpv4Slash24AndIpv6Slash64) {
  EXPECT_EQ(subnet_of(addr("192.0.2.1")), subnet_of(addr("192.0.2.254")));
  EXPECT_NE(subnet_of(addr("192.0.2.1")), subnet_of(addr("192.0.3.1")));
  EXPECT_EQ(subnet_of(addr("2001:db8:1:2::1")), subnet_of(addr("2001:db8:1:2:ffff:ffff:ffff:ffff")));
  EXPECT_NE(subnet_of(addr("2001:db8:1:2::1")), subnet_of(addr("2001:db8:1:3::1")));
  // An IPv4 /24 never equals an IPv6 /64 that starts with the same bytes.
  EXPECT_NE(subnet_of(addr("32.1.13.1")), subnet_of(addr("2001:d00::1")));
}

TEST(HostCounts, RoomPerHostAndPerSubnet) {
  host_counts c;
  c.add(addr("198.51.100.1"));
  c.add(addr("198.51.100.1"));
  c.add(addr("198.51.100.2"));
  EXPECT_EQ(c.on_host(addr("198.51.100.1")), 2);
  EXPECT_EQ(c.on_subnet(addr("198.51.100.200")), 3);
  EXPECT_FALSE(c.has_room(addr("198.51.100.1"), 2, 10)) << "the host holds its cap";
  EXPECT_TRUE(c.has_room(addr("198.51.100.3"), 2, 10));
  EXPECT_FALSE(c.has_room(addr("198.51.100.3"), 2, 3)) << "the subnet holds its cap";
  EXPECT_TRUE(c.has_room(addr("198.51.101.1"), 2, 3)) << "another /24";
  EXPECT_TRUE(c.has_room(addr("198.51.100.1"), 0, 0)) << "0: no cap";
  c.remove(addr("198.51.100.1"));
  EXPECT_TRUE(c.has_room(addr("198.51.100.1"), 2, 10));
  c.remove(addr("203.0.113.9"));  // never added: ignored
  EXPECT_EQ(c.total(), 2);
}

}  // namespace
}  // namespace tessera::detail
