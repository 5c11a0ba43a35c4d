// Conversions between the codecs' compact peer_endpoint (core/compact_peer.hpp, no Asio) and
// Asio's TCP endpoints, for the swarm layer (PEX, yourip), and an endpoint's text form.
#pragma once

#include <cstring>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "core/compact_peer.hpp"

namespace tessera::detail {

/// `ep` as a compact endpoint. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes IPv4.
inline peer_endpoint to_peer_endpoint(const boost::asio::ip::tcp::endpoint& ep) {
  peer_endpoint out;
  out.port = ep.port();
  auto a = ep.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    a = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  }
  if (a.is_v4()) {
    const auto b = a.to_v4().to_bytes();
    std::memcpy(out.addr.data(), b.data(), b.size());
  } else {
    const auto b = a.to_v6().to_bytes();
    std::memcpy(out.addr.data(), b.data(), b.size());
    out.v6 = true;
  }
  return out;
}

/// `ep` as an Asio TCP endpoint.
inline boost::asio::ip::tcp::endpoint to_tcp_endpoint(const peer_endpoint& ep) {
  if (ep.v6) {
    boost::asio::ip::address_v6::bytes_type b;
    std::memcpy(b.data(), ep.addr.data(), b.size());
    return {boost::asio::ip::address_v6(b), ep.port};
  }
  boost::asio::ip::address_v4::bytes_type b;
  std::memcpy(b.data(), ep.addr.data(), b.size());
  return {boost::asio::ip::address_v4(b), ep.port};
}

/// `ep` as text: "1.2.3.4:6881", or "[::1]:6881" for IPv6 (bracketed, as in a URL), the form of
/// add_torrent_params::peers, peer events, peer status and log lines. The address is written as
/// Asio gives it (an IPv4-mapped address stays "[::ffff:1.2.3.4]").
inline std::string endpoint_to_string(const boost::asio::ip::tcp::endpoint& ep) {
  if (ep.address().is_v6()) return "[" + ep.address().to_string() + "]:" + std::to_string(ep.port());
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace tessera::detail
