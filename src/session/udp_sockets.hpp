// The session's UDP sockets: one per address family named by the listen interface
// (session/listen_addresses), bound to the TCP listener's port as libtorrent does, each carrying
// uTP (BEP 29, its utp_socket_manager) and the DHT (BEP 5/32) demultiplexed by packet
// (swarm/udp_socket). The DHT runs on them through dht_driver::create_on; peer connections dial
// and accept uTP through utp_for()/set_accept_handler().
//
// Network thread only (the session's io_context), like every socket of the session.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>

#include "session/dht_driver.hpp"
#include "swarm/udp_socket.hpp"

namespace tessera::detail {

class udp_sockets {
 public:
  udp_sockets() = default;

  /// Opens a socket per address of listen_addresses(`listen_interface`) on `port` (the port the
  /// TCP listener bound). A family whose port is taken falls back to a port the OS picks (the
  /// DHT still works; peers then cannot reach our uTP at the advertised port) and one that
  /// cannot be opened at all is left out; both are logged. `utp` bounds each socket's uTP
  /// manager.
  static udp_sockets open(boost::asio::any_io_executor ex, std::string_view listen_interface, std::uint16_t port,
                          const utp_manager_settings& utp);

  bool empty() const { return sockets_.empty(); }
  /// For dht_driver::create_on: each socket's endpoint and a send function through it.
  std::vector<dht_socket_binding> dht_bindings() const;
  /// Where every datagram that is not uTP goes (the DHT's on_datagram), on every socket.
  void set_other_handler(const udp_socket::other_handler& h);
  /// Incoming uTP connections of every socket (after the peer confirmed its SYN).
  void set_accept_handler(const std::function<void(utp_stream)>& h);
  /// The uTP manager of the socket whose family is `peer`'s (IPv4-mapped counts as IPv4); null
  /// when there is none.
  std::shared_ptr<utp_socket_manager> utp_for(const boost::asio::ip::address& peer) const;
  /// Closes every socket (their uTP connections end; the DHT then sends into a closed socket,
  /// which fails quietly). Idempotent.
  void close();

 private:
  std::vector<std::shared_ptr<udp_socket>> sockets_;
};

}  // namespace tessera::detail
