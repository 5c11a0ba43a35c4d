// The session's UDP socket of one address family, shared by uTP and the DHT (as libtorrent
// shares one): bound to the listen interface and the TCP listener's port, one receive loop with a
// reused buffer, and a demultiplexer by packet. A datagram that decodes as uTP (BEP 29: version
// nibble 1, type 0-4, a 20-byte header and a valid extension chain) goes to the socket's
// utp_socket_manager; anything else (the DHT's bencoded messages start with 'd', which is no
// uTP version/type byte) to the `other` handler set by the owner.
//
// It lives in swarm (beside the uTP manager it feeds) rather than session: it needs nothing of
// the session, and the session composes it with the DHT driver.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/system/error_code.hpp>

#include "swarm/utp_socket_manager.hpp"

namespace tessera::detail {

/// Counters since open().
struct udp_socket_stats {
  std::uint64_t utp_datagrams = 0;    ///< received and handed to the uTP manager
  std::uint64_t other_datagrams = 0;  ///< received and handed to the other handler (or dropped without one)
  std::uint64_t receive_errors = 0;   ///< receive_from failures other than would_block
  std::uint64_t send_errors = 0;      ///< send_to failures (would_block: the socket buffer is full)
};

/// One UDP socket and its uTP manager. shared_ptr-owned (open()); single-threaded on its
/// executor (every call there). close() (or destruction) stops the loop, shuts the manager down
/// (its connections are reset) and closes the socket.
class udp_socket : public std::enable_shared_from_this<udp_socket> {
 public:
  using other_handler = std::function<void(std::span<const std::uint8_t> bytes, const boost::asio::ip::udp::endpoint& from)>;

  /// Largest datagram received whole (a UDP payload is at most 65,507 bytes on IPv4); longer
  /// ones are truncated by the kernel and dropped.
  static constexpr std::size_t receive_buffer_size = 65536;

  /// Opens a socket of `bind`'s family (IPv6 sockets are v6-only, so an IPv4 socket may take the
  /// same port), binds it and starts the receive loop. Errors: the open/bind error (e.g.
  /// address_in_use). Port 0 binds an ephemeral port (local_endpoint() tells which).
  static std::shared_ptr<udp_socket> open(boost::asio::any_io_executor ex, const boost::asio::ip::udp::endpoint& bind,
                                          const utp_manager_settings& utp_settings, boost::system::error_code& ec);
  ~udp_socket();
  udp_socket(const udp_socket&) = delete;
  udp_socket& operator=(const udp_socket&) = delete;

  /// Where datagrams that are not uTP go (the DHT). Without one they are counted and dropped.
  void set_other_handler(other_handler h) { other_ = std::move(h); }
  /// Sends one datagram now (non-blocking; would_block when the socket's buffer is full: the
  /// datagram is dropped, as the network might). For the DHT and the uTP manager.
  boost::system::error_code send_to(std::span<const std::uint8_t> bytes, const boost::asio::ip::udp::endpoint& to);
  /// The same with don't-fragment for this datagram (a path MTU probe): IP_MTU_DISCOVER =
  /// IP_PMTUDISC_PROBE (IPv4) or IPV6_DONTFRAG = 1 (IPv6) is set on the socket around the one
  /// send, then back to fragmenting (IP_PMTUDISC_DONT / 0). Single-threaded, so no other send
  /// sees the option. emsgsize when the datagram exceeds the interface MTU.
  boost::system::error_code send_to_dont_fragment(std::span<const std::uint8_t> bytes,
                                                  const boost::asio::ip::udp::endpoint& to);

  const std::shared_ptr<utp_socket_manager>& utp() const { return utp_; }
  boost::asio::ip::udp::endpoint local_endpoint() const { return local_; }
  udp_socket_stats stats() const { return stats_; }
  /// Stops receiving, shuts the uTP manager down, closes the socket. Idempotent.
  void close();

 private:
  udp_socket(boost::asio::any_io_executor ex);
  void start_wait();
  void on_readable();
  void set_dont_fragment(bool on);

  boost::asio::ip::udp::socket socket_;
  boost::asio::ip::udp::endpoint local_;
  std::shared_ptr<utp_socket_manager> utp_;
  other_handler other_;
  std::vector<std::uint8_t> buffer_;
  udp_socket_stats stats_;
  bool closed_ = false;
  bool v6_ = false;
};

}  // namespace tessera::detail
