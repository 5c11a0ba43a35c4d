// Test helpers for BEP 14 (LSD) tests: a free UDP port for a private group port, and a probe
// telling whether this machine delivers IPv4 multicast between loopback addresses (tests skip
// when it does not). Traffic stays on loopback: IP_MULTICAST_IF is a 127.0.0.x address.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/udp.hpp>

namespace tessera::test {

/// The BEP 14 IPv4 group.
inline const auto lsd_group_v4 = boost::asio::ip::make_address_v4("239.192.152.143");

/// A free UDP port number on 127.0.0.1, used as the group port of one test so that unit tests
/// never mix with real LSD traffic on 6771.
inline std::uint16_t free_udp_port() {
  boost::asio::io_context io;
  boost::asio::ip::udp::socket s(io, {boost::asio::ip::make_address_v4("127.0.0.1"), 0});
  return s.local_endpoint().port();
}

/// Empty when a datagram sent to the group on `port` with IP_MULTICAST_IF=`sender` reaches a
/// socket that joined the group on `receiver` within 1 s; else why not.
inline std::string loopback_multicast_problem(std::uint16_t port, const char* receiver = "127.0.0.1",
                                              const char* sender = "127.0.0.1") {
  namespace asio = boost::asio;
  using udp = asio::ip::udp;
  asio::io_context io;
  boost::system::error_code ec;
  udp::socket r(io), w(io);
  r.open(udp::v4(), ec);
  if (!ec) r.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) r.bind(udp::endpoint(lsd_group_v4, port), ec);
  if (!ec) r.set_option(asio::ip::multicast::join_group(lsd_group_v4, asio::ip::make_address_v4(receiver)), ec);
  if (ec) return std::string("cannot join the group on ") + receiver + ": " + ec.message();
  w.open(udp::v4(), ec);
  if (!ec) w.set_option(asio::ip::multicast::outbound_interface(asio::ip::make_address_v4(sender)), ec);
  if (!ec) w.set_option(asio::ip::multicast::enable_loopback(true), ec);
  if (!ec) w.send_to(asio::buffer("probe", 5), udp::endpoint(lsd_group_v4, port), 0, ec);
  if (ec) return std::string("cannot send to the group via ") + sender + ": " + ec.message();
  char buf[16];
  bool got = false;
  r.async_receive(asio::buffer(buf), [&](boost::system::error_code e, std::size_t) { got = !e; });
  io.run_for(std::chrono::seconds(1));
  return got ? "" : "a multicast datagram sent on loopback did not come back within 1 s";
}

}  // namespace tessera::test
