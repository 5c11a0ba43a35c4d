// The uTP connections (BEP 29) of one UDP socket: it demultiplexes received datagrams by
// (remote endpoint, connection id), accepts SYNs, drives every connection's ticks with one timer,
// sends what the connections queue through the socket's send function, answers packets for
// unknown connections with ST_RESET, and completes the reads, writes and waits of the
// utp_streams (swarm/utp_stream.hpp) as the state machines (core/utp_connection) allow.
//
// It owns no socket: the socket owner (swarm/udp_socket.hpp) hands it every datagram that
// decodes as uTP and gives it a send function, so one UDP socket serves uTP and the DHT.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include "core/utp_connection.hpp"
#include "swarm/utp_stream.hpp"

namespace tessera::detail {

/// Bounds and timeouts of one manager (docs/hardening.md, "uTP").
struct utp_manager_settings {
  /// Each connection's buffers and control loops; packet_floor/packet_ceiling are replaced by the
  /// address family's (utp_packet_floor/utp_packet_ceiling) at construction.
  utp_config connection;
  /// Interface MTU the path MTU search starts below (the ceiling is this less IP+UDP headers).
  std::size_t interface_mtu = 1500;
  /// Connections at most, incoming and outgoing, including closing ones still held. A SYN past
  /// it is answered with ST_RESET; connect() fails with no_buffer_space.
  std::size_t max_connections = 1000;
  /// Incoming connections whose peer has not sent a packet after its SYN (a spoofed source never
  /// does). SYNs past it are dropped silently.
  std::size_t max_half_open_incoming = 64;
  /// SYNs accepted per second from one source address (a burst of as many is allowed); more are
  /// dropped silently. Sources are tracked in a table of at most max_syn_sources entries.
  double syns_per_second_per_source = 5;
  std::size_t max_syn_sources = 4096;
  /// ST_RESETs sent per second (to packets for unknown connections), all peers together.
  double resets_per_second = 50;
  /// An outgoing connect() fails with timed_out when the peer's ST_STATE has not come by then.
  std::chrono::milliseconds connect_timeout{10'000};
  /// An incoming connection not confirmed by then (no packet after the SYN) is dropped.
  std::chrono::milliseconds half_open_timeout{10'000};
  /// A closed stream whose connection has not finished closing by then (the peer never sends its
  /// FIN, or never acknowledges ours) is aborted with ST_RESET.
  std::chrono::milliseconds close_timeout{30'000};
};

/// Counters since construction (connections: now). Payload bytes are what streams wrote and read.
struct utp_manager_stats {
  std::size_t connections = 0;           ///< held now (open, closing, lingering)
  std::uint64_t outgoing_connections = 0;  ///< connect() attempts
  std::uint64_t incoming_connections = 0;  ///< accepted (confirmed) connections
  std::uint64_t payload_bytes_sent = 0;
  std::uint64_t payload_bytes_received = 0;
  std::uint64_t datagrams_sent = 0;
  std::uint64_t datagrams_received = 0;
  std::uint64_t retransmits = 0;         ///< fast and timeout retransmissions (closed + open)
  std::uint64_t resets_sent = 0;
  std::uint64_t resets_suppressed = 0;   ///< owed a RESET, over resets_per_second
  std::uint64_t syns_refused = 0;        ///< over a bound (connections, half-open, per-source)
  std::uint64_t send_failures = 0;       ///< the send function reported an error (would_block...)
  std::uint64_t acks_coalesced = 0;      ///< ST_STATEs not sent: superseded within a receive batch
};

/// One per session UDP socket (per address family); shared_ptr-owned (create()); single-threaded
/// on its executor (every call there). Connections live in the manager; a utp_stream holds a
/// handle, and a closed stream's connection is kept until its close completes (both FINs, bounded
/// by close_timeout) and then for two retransmission timeouts, to answer a FIN sent again.
class utp_socket_manager : public std::enable_shared_from_this<utp_socket_manager> {
 public:
  /// Sends one datagram. `probe`: a path MTU probe, to be sent with don't-fragment. Returns the
  /// send's error (the datagram is then lost; uTP retransmits).
  using send_function = std::function<boost::system::error_code(std::span<const std::uint8_t> bytes,
                                                                const boost::asio::ip::udp::endpoint& to, bool probe)>;
  using accept_handler = std::function<void(utp_stream)>;

  /// `local`: the socket's bound address (its family picks the packet sizes; reported by
  /// utp_stream::local_endpoint).
  static std::shared_ptr<utp_socket_manager> create(boost::asio::any_io_executor ex, utp_manager_settings settings,
                                                    boost::asio::ip::udp::endpoint local, send_function send);
  ~utp_socket_manager();
  utp_socket_manager(const utp_socket_manager&) = delete;
  utp_socket_manager& operator=(const utp_socket_manager&) = delete;

  /// Outgoing: SYN, then waits for the peer's ST_STATE (connect_timeout). Errors: timed_out (no
  /// answer: nobody there, or the SYNs were lost; an unconnected UDP socket hears no ICMP port
  /// unreachable on Linux), connection_reset (ST_RESET: nobody accepting uTP there),
  /// no_buffer_space (max_connections), operation_aborted (the manager shut down).
  boost::asio::awaitable<std::pair<boost::system::error_code, utp_stream>> connect(boost::asio::ip::udp::endpoint remote);
  /// Incoming: `h` is called (posted) once per accepted connection, after the peer's SYN and the
  /// next packet that confirms it. With no handler set, SYNs are answered with ST_RESET.
  void set_accept_handler(accept_handler h) { accept_ = std::move(h); }

  /// A datagram received from `from`. Returns false when it does not decode as uTP (the caller
  /// may hand it to another protocol); true when it was uTP (handled, or dropped by a bound).
  bool on_datagram(std::span<const std::uint8_t> bytes, const boost::asio::ip::udp::endpoint& from);
  /// A receive batch: between begin_batch() and end_batch() (the socket owner's loop over the
  /// datagrams one wake-up brings) the connections' datagrams are held, and at end_batch() each
  /// connection's are sent with every acknowledgement-only packet (ST_STATE) dropped that a later
  /// packet of the same connection supersedes (it carries a newer ack_nr, selective ACK and
  /// window). One acknowledgement per batch instead of one per data packet halves the datagrams
  /// of a bulk transfer. Nests; without a batch every datagram is sent at once.
  void begin_batch() { ++batch_depth_; }
  void end_batch();

  /// Aborts every connection (ST_RESET), fails every pending operation with operation_aborted
  /// and stops the timer. Later datagrams are ignored (returns true for uTP ones).
  void shutdown();

  utp_manager_stats stats() const;
  const utp_manager_settings& settings() const { return settings_; }
  boost::asio::any_io_executor get_executor() const { return ex_; }
  boost::asio::ip::udp::endpoint local_endpoint() const { return local_; }

 private:
  friend class utp_stream;
  struct key {
    boost::asio::ip::udp::endpoint remote;
    std::uint16_t recv_id = 0;
    bool operator==(const key&) const = default;
  };
  struct key_hash {
    std::size_t operator()(const key& k) const noexcept;
  };
  struct bucket {  // a token bucket
    double tokens = 0;
    utp_time last{};
  };

  utp_socket_manager(boost::asio::any_io_executor ex, utp_manager_settings settings,
                     boost::asio::ip::udp::endpoint local, send_function send);

  // Stream operations (utp_stream forwards here).
  void read(utp_socket_impl& s, boost::asio::mutable_buffer out, utp_stream::io_handler h);
  void write(utp_socket_impl& s, boost::asio::const_buffer in, utp_stream::io_handler h);
  void wait(utp_socket_impl& s, utp_stream::wait_handler h);
  void shutdown_send(utp_socket_impl& s);
  void close(utp_socket_impl& s);

  void on_syn(const utp_packet& p, const boost::asio::ip::udp::endpoint& from, utp_time now);
  void send_reset(const utp_packet& p, const boost::asio::ip::udp::endpoint& from, utp_time now);
  bool take_token(bucket& b, double rate, utp_time now);
  /// After any event on `s`: completes what can complete, sends its datagrams, arms the timer.
  void service(utp_socket_impl& s, utp_time now);
  void complete_ops(utp_socket_impl& s, utp_time now);
  void fail_ops(utp_socket_impl& s, boost::system::error_code ec);
  void send_datagrams(utp_socket_impl& s);
  void send_now(const utp_socket_impl& s, std::vector<utp_datagram>& datagrams);
  utp_time deadline(const utp_socket_impl& s) const;
  void arm(utp_time at);
  void on_timer();
  void forget(const key& k);
  std::uint16_t random_u16();

  boost::asio::any_io_executor ex_;
  utp_manager_settings settings_;
  boost::asio::ip::udp::endpoint local_;
  send_function send_;
  accept_handler accept_;
  boost::asio::steady_timer timer_;
  utp_time timer_at_ = utp_time::max();
  bool shut_down_ = false;
  std::unordered_map<key, std::shared_ptr<utp_socket_impl>, key_hash> connections_;
  std::size_t half_open_ = 0;
  std::unordered_map<boost::asio::ip::address, bucket, std::hash<boost::asio::ip::address>> syn_sources_;
  bucket reset_bucket_;
  utp_manager_stats stats_;
  std::uint64_t closed_retransmits_ = 0;
  int batch_depth_ = 0;
  std::vector<std::shared_ptr<utp_socket_impl>> deferred_;  // connections with datagrams held in a batch
};

}  // namespace tessera::detail
