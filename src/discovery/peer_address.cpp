#include "discovery/peer_address.hpp"

#include <cstdint>

namespace tessera::detail {

namespace ip = boost::asio::ip;

namespace {

std::uint32_t v4_bits(const ip::address_v4& a) { return a.to_uint(); }

bool in_v4(std::uint32_t bits, std::uint32_t net, int prefix) {
  const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  return (bits & mask) == (net & mask);
}

}  // namespace

ip::address unmapped(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

bool is_loopback_address(const ip::address& a) { return unmapped(a).is_loopback(); }

bool is_local_network_address(const ip::address& address) {
  const ip::address a = unmapped(address);
  if (a.is_unspecified() || a.is_loopback()) return true;
  if (a.is_v4()) {
    const std::uint32_t b = v4_bits(a.to_v4());
    return in_v4(b, 0x00000000, 8) ||   // 0.0.0.0/8: this host
           in_v4(b, 0x0A000000, 8) ||   // 10.0.0.0/8
           in_v4(b, 0xAC100000, 12) ||  // 172.16.0.0/12
           in_v4(b, 0xC0A80000, 16) ||  // 192.168.0.0/16
           in_v4(b, 0xA9FE0000, 16) ||  // 169.254.0.0/16 link-local
           in_v4(b, 0x64400000, 10);    // 100.64.0.0/10 carrier-grade NAT
  }
  const auto b = a.to_v6().to_bytes();
  return (b[0] & 0xFE) == 0xFC ||                   // fc00::/7 unique local
         (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) ||  // fe80::/10 link-local
         (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0);    // fec0::/10 site-local (deprecated)
}

bool is_dialable_peer(const ip::tcp::endpoint& ep, bool loopback_allowed) {
  if (ep.port() == 0) return false;
  const ip::address a = unmapped(ep.address());
  if (a.is_unspecified() || a.is_multicast()) return false;
  if (a.is_v4()) {
    const std::uint32_t b = v4_bits(a.to_v4());
    if (b == 0xFFFFFFFF) return false;           // limited broadcast
    if (in_v4(b, 0x00000000, 8)) return false;   // "this network": never a destination
  }
  if (a.is_loopback() && !loopback_allowed) return false;
  return true;
}

}  // namespace tessera::detail
