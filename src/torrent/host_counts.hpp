// Connections counted per host and per network, for the caps that keep one host -- or one IPv4
// /24, one IPv6 /64 -- from taking every connection slot (docs/hardening.md, "Connections per
// host"). Pure bookkeeping: no sockets, no clock.
#pragma once

#include <array>
#include <cstdint>
#include <map>

#include <boost/asio/ip/address.hpp>

namespace tessera::detail {

/// The address a per-host cap counts: an IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a
/// dual-stack socket reports for an IPv4 peer) becomes the IPv4 address; others are unchanged.
boost::asio::ip::address host_address(const boost::asio::ip::address& a);

/// The network a per-subnet cap counts: the /24 of an IPv4 address, the /64 of an IPv6 one (one
/// IPv6 host usually holds a whole /64, so its single addresses say little), after host_address.
struct subnet_key {
  bool v6 = false;
  std::array<std::uint8_t, 8> prefix{};  ///< IPv4: the first 3 bytes; IPv6: the first 8
  auto operator<=>(const subnet_key&) const = default;
};
subnet_key subnet_of(const boost::asio::ip::address& a);

/// How many connections each host and each subnet has. Every add must be matched by one remove
/// of the same address. Not thread-safe (the owner's thread only).
class host_counts {
 public:
  void add(const boost::asio::ip::address& a);
  /// Removes one count of `a`; a remove without a matching add is ignored.
  void remove(const boost::asio::ip::address& a);
  int on_host(const boost::asio::ip::address& a) const;
  int on_subnet(const boost::asio::ip::address& a) const;
  /// Whether one more connection from `a` keeps within `per_host` and `per_subnet` (a cap <= 0
  /// is no cap).
  bool has_room(const boost::asio::ip::address& a, int per_host, int per_subnet) const;
  /// Connections counted in all.
  int total() const { return total_; }

 private:
  std::map<boost::asio::ip::address, int> hosts_;
  std::map<subnet_key, int> subnets_;
  int total_ = 0;
};

}  // namespace tessera::detail
