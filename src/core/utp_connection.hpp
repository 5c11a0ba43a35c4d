// One uTP connection (BEP 29) as a pure state machine, sans I/O: the transport hands it decoded
// packets, the application's writes and reads, and ticks, each with the current time; it answers
// with datagrams to send, readable bytes, its state and when it next wants a tick. No socket, no
// clock, no random numbers (the caller draws connection ids and initial sequence numbers).
//
// Sequence numbers are 16-bit and wrap; every comparison is modulo 2^16 (core/utp_packet.hpp).
// Control loops (RTT/timeout, LEDBAT, path MTU): core/utp_congestion.hpp.
//
// Not thread-safe: owned by one strand (the session's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include "core/utp_congestion.hpp"
#include "core/utp_packet.hpp"

namespace tessera::detail {

/// Settings of one connection. Sizes in bytes; defaults suit a BitTorrent peer connection.
struct utp_config {
  /// Most bytes held for the application: unread in-order bytes plus out-of-order packets. The
  /// window we advertise is what is left of it.
  std::size_t receive_buffer = 1024 * 1024;
  /// Most bytes written by the application and not yet acknowledged (write accepts up to this).
  std::size_t send_buffer = 1024 * 1024;
  /// The congestion window's ceiling (bytes in flight), whatever the peer advertises.
  std::int64_t max_cwnd = 1024 * 1024;
  /// LEDBAT target queueing delay (BEP 29 and RFC 6817: 100 ms).
  utp_duration target_delay{100'000};
  /// UDP payload sizes: the path MTU search runs between these (utp_packet_floor/ceiling).
  std::size_t packet_floor = 1200;
  std::size_t packet_ceiling = 1472;
  /// Retransmission timeouts in a row (no acknowledgement between) before the connection is
  /// timed_out; with the doubling from >= 500 ms, 6 take at least 31.5 s (a SYN: 63 s from 1 s).
  int max_timeouts = 6;
  /// An ST_STATE is sent when nothing has been sent for this long, so NATs keep the mapping.
  utp_duration keepalive{29'000'000};
};

/// A datagram to send to the peer, ready for the UDP socket.
struct utp_datagram {
  std::vector<std::uint8_t> bytes;
  /// A path MTU probe: send it with don't-fragment (IP_PMTUDISC_PROBE / IPV6_DONTFRAG), so a
  /// path that cannot carry it drops it. Other datagrams may be fragmented by IP.
  bool probe = false;
};

/// One connection's state machine.
///
/// Connect: `connect` sends ST_SYN with connection_id = recv_id (BEP 29: the initiator receives
/// on recv_id and sends on recv_id + 1). Accept: `accept` takes the peer's SYN, receives on its
/// connection_id + 1, sends on its connection_id, and answers with ST_STATE. Data flows in
/// ST_DATA packets of at most packet_size() bytes, each acknowledged by the peer's ack_nr (and
/// selective ACKs); close() sends ST_FIN after all written data, and the connection is closed
/// once both FINs are through and ours is acknowledged.
///
/// Bounds on what the peer sends (docs/hardening.md, "uTP"): packets for another connection id,
/// acknowledgements of sequence numbers never sent, data beyond the reorder window or the receive
/// buffer, and data past the peer's FIN are dropped (data is acknowledged again so the peer
/// learns our state); the peer's wnd_size only ever lowers what our congestion window allows;
/// selective ACK bits count only for packets in flight.
///
/// The initiator learns the acceptor's first sequence number from the acceptor's ST_STATE only
/// (data reordered ahead of it would be ambiguous), so the acceptor sends no data until a packet
/// after the SYN shows that ST_STATE arrived; the initiator always sends one (data, or an
/// ST_STATE when it has nothing to say).
class utp_connection {
 public:
  enum class state {
    syn_sent,   ///< SYN sent, waiting for the peer's ST_STATE
    connected,  ///< data flows (also after the peer's FIN, until we close)
    /// close() called: our FIN sent. The peer may still send until its own FIN; a peer that never
    /// sends one leaves us here (keepalives go on), so the transport bounds how long it waits.
    fin_sent,
    /// both FINs through and ours acknowledged, or abort(). A closed connection still answers
    /// the peer's data or FIN sent again (our last ack may have been lost), so the transport
    /// keeps it for a while (two timeouts, say) before it forgets the connection id.
    closed,
    reset,      ///< the peer sent ST_RESET
    timed_out,  ///< max_timeouts retransmission timeouts in a row
  };

  /// Out-of-order packets held at most (and the span a selective ACK describes). 1,024 packets
  /// need a 128-byte bitmask (max_sack_bytes).
  static constexpr std::uint16_t max_reorder_packets = 1024;
  /// Packets in flight at most, whatever the windows allow; well under 32,768 so that sequence
  /// comparisons stay unambiguous.
  static constexpr std::size_t max_in_flight = 4096;
  /// The peer's advertised window is taken as at most this.
  static constexpr std::uint32_t max_peer_window = 64 * 1024 * 1024;

  /// Opens a connection: queues the SYN (seq_nr = initial_seq). `recv_id` and `initial_seq` are
  /// the caller's random draws (BEP 29 uses seq_nr 1; any value works).
  static utp_connection connect(const utp_config& config, std::uint16_t recv_id, std::uint16_t initial_seq,
                                utp_time now);
  /// Accepts the peer's SYN (error not_a_syn if `syn` is not one): queues our ST_STATE, whose
  /// seq_nr `initial_seq` is the first sequence number of our data.
  static result<utp_connection> accept(const utp_config& config, const utp_packet& syn, std::uint16_t initial_seq,
                                       utp_time now);

  /// A packet from the peer (decoded by decode_utp_packet; `p` may view a buffer freed after the
  /// call) received at `now`.
  void on_packet(const utp_packet& p, utp_time now);
  /// Takes up to `data.size()` bytes for sending: as many as the send buffer has room for (0
  /// after close(), and in any state but syn_sent and connected). Returns the count taken.
  std::size_t write(std::span<const std::uint8_t> data, utp_time now);
  /// Moves up to `out.size()` received in-order bytes into `out`; returns how many. Reading may
  /// open the receive window, which is then advertised.
  std::size_t read(std::span<std::uint8_t> out, utp_time now);
  /// Retransmission timeouts, keepalives, window probes. Call at next_tick() (earlier is harmless).
  void on_tick(utp_time now);
  /// Sends ST_FIN once all written data is out. Further writes are refused.
  void close(utp_time now);
  /// Sends ST_RESET and ends the connection at once (state closed).
  void abort(utp_time now);

  /// The datagrams queued since the last call, in sending order.
  std::vector<utp_datagram> take_datagrams();
  /// When on_tick wants calling next; time_point::max() when never.
  utp_time next_tick() const;

  state get_state() const { return state_; }
  /// Why the connection ended (connection_reset, timed_out), else empty.
  std::error_code error() const { return error_; }
  /// In-order bytes ready for read().
  std::size_t readable() const { return recv_buf_.size(); }
  /// The peer has finished sending (its FIN arrived after all its data) and all was read.
  bool eof() const { return peer_fin_done_ && recv_buf_.empty(); }
  /// Room left in the send buffer.
  std::size_t writable() const;

  std::uint16_t recv_id() const { return recv_id_; }
  std::uint16_t send_id() const { return send_id_; }
  /// The next sequence number we send, and the last one received in order.
  std::uint16_t seq_nr() const { return seq_nr_; }
  std::uint16_t ack_nr() const { return ack_nr_; }

  // Introspection for tests and status.
  std::int64_t cwnd() const { return ledbat_.cwnd(); }
  std::int64_t bytes_in_flight() const { return cur_window_; }
  std::size_t packet_size() const { return mtu_.packet_size(); }
  const utp_rtt& rtt() const { return rtt_; }
  const utp_ledbat& ledbat() const { return ledbat_; }
  const utp_mtu_search& mtu() const { return mtu_; }
  std::uint32_t advertised_window() const;
  std::uint32_t peer_window() const { return peer_wnd_; }
  /// Counters: packets sent again after a loss was seen (SACK or 3 duplicate ACKs) and after a
  /// retransmission timeout; packets from the peer dropped as out of bounds.
  std::uint64_t fast_retransmits() const { return fast_retransmits_; }
  std::uint64_t timeout_retransmits() const { return timeouts_total_; }
  std::uint64_t dropped_packets() const { return dropped_; }
  /// Data packets taken although their ack_nr was behind the peer's earlier acknowledgements
  /// (sent again with their first header): their data counts, their acknowledgement does not.
  std::uint64_t stale_ack_packets() const { return stale_acks_; }

 private:
  struct sent_packet {
    std::uint16_t seq = 0;
    utp_type type = utp_type::data;
    std::vector<std::uint8_t> payload;
    utp_time sent_at{};
    int transmissions = 0;
    bool outstanding = false;  // counted in cur_window_: sent, not acknowledged, not deemed lost
    bool acked = false;        // selectively acknowledged
    bool fast_resent = false;  // already resent for three duplicate ACKs
    std::uint16_t sent_before = 0;  // seq_nr_ when last sent: later packets start here
    bool probe = false;        // an MTU probe (its loss is no congestion)
    std::int64_t size() const { return static_cast<std::int64_t>(utp_header_size + payload.size()); }
  };

  utp_connection(const utp_config& config, utp_time now);
  utp_header header(utp_type type, std::uint16_t seq, utp_time now) const;
  void send_packet(sent_packet& p, utp_time now);
  void send_state(utp_time now);
  void flush(utp_time now);
  bool can_send(std::int64_t size, utp_time now);
  bool ack_in_range(std::uint16_t ack) const;
  bool stale_ack_with_data(const utp_packet& p) const;
  void handle_ack(const utp_packet& p, utp_time now);
  void sacked(sent_packet& p, std::int64_t& bytes, utp_time now);
  void handle_incoming(const utp_packet& p, utp_time now);
  void mark_lost(sent_packet& p, utp_time now, bool from_timeout);
  void deliver_in_order();
  void check_closed();
  std::vector<std::uint8_t> sack_bits() const;
  sent_packet* in_flight(std::uint16_t seq);
  void end(state s, std::error_code ec);

  utp_config config_;
  state state_ = state::syn_sent;
  std::error_code error_;
  std::uint16_t recv_id_ = 0;
  std::uint16_t send_id_ = 0;

  // Sending.
  std::uint16_t seq_nr_ = 0;  // next sequence number to use
  std::deque<sent_packet> flight_;  // seq_nr of front = oldest not cumulatively acknowledged
  std::deque<std::uint8_t> send_buf_;  // written, not yet packetized
  std::int64_t cur_window_ = 0;        // bytes of outstanding packets
  std::uint32_t peer_wnd_ = 0;
  std::size_t flight_payload_ = 0;     // payload bytes of flight_
  bool close_requested_ = false;
  bool accepted_ = false;
  // The peer has our first sequence number: always for the initiator; for the acceptor, once a
  // packet after the SYN shows the initiator got our ST_STATE. Until then no data goes out, since
  // the initiator learns where our data starts from that ST_STATE alone.
  bool peer_synced_ = true;
  std::optional<std::uint16_t> fin_seq_;
  bool fin_acked_ = false;
  int dup_acks_ = 0;
  bool lost_pending_ = false;  // mark_lost ran since flush last resent every lost packet
  std::uint16_t loss_seq_ = 0;  // no window cut for losses of packets before this
  bool window_limited_ = false;
  utp_time timer_start_{};  // the retransmission timer runs from here while packets are out
  int timeouts_in_row_ = 0;
  utp_time last_send_{};
  std::optional<utp_time> zero_window_since_;  // blocked by a closed peer window since
  bool peer_window_blocked_ = false;           // this flush waited on (or probed) that window

  // Receiving.
  std::uint16_t ack_nr_ = 0;  // last in-order sequence number received
  std::deque<std::optional<std::vector<std::uint8_t>>> reorder_;  // slot i: seq ack_nr_ + 1 + i
  std::size_t reorder_bytes_ = 0;
  std::deque<std::uint8_t> recv_buf_;
  std::optional<std::uint16_t> peer_fin_seq_;
  bool peer_fin_done_ = false;
  bool ack_needed_ = false;
  std::uint32_t reply_micro_ = 0;  // our clock at the last arrival minus its timestamp
  std::uint32_t last_advertised_ = 0;

  utp_rtt rtt_;
  utp_ledbat ledbat_;
  utp_mtu_search mtu_;
  std::vector<utp_datagram> out_;

  std::uint64_t fast_retransmits_ = 0;
  std::uint64_t timeouts_total_ = 0;
  std::uint64_t dropped_ = 0;
  std::uint64_t stale_acks_ = 0;
};

}  // namespace tessera::detail
