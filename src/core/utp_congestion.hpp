// The control loops of one uTP connection (BEP 29 "congestion control", RFC 6817 LEDBAT), apart
// from its packets: the round-trip estimate and retransmission timeout, the LEDBAT congestion
// window over one-way delay samples, and the path MTU search. Pure: time is passed in.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace tessera::detail {

using utp_clock = std::chrono::steady_clock;
using utp_time = utp_clock::time_point;
using utp_duration = std::chrono::microseconds;

/// Round-trip time and retransmission timeout as BEP 29 gives them: on each sample
/// delta = rtt - sample; rtt_var += (|delta| - rtt_var) / 4; rtt += (sample - rtt) / 8;
/// timeout = max(rtt + 4 * rtt_var, 500 ms). Before the first sample the timeout is 1 s. Each
/// retransmission timeout doubles it (back_off), up to 60 s; a new sample ends the back-off.
class utp_rtt {
 public:
  static constexpr utp_duration min_timeout{500'000};
  static constexpr utp_duration initial_timeout{1'000'000};
  static constexpr utp_duration max_timeout{60'000'000};

  /// A round trip measured on a packet sent once (Karn: never on a retransmitted one).
  /// Negative samples count as 0, samples above max_timeout as max_timeout.
  void sample(utp_duration rtt);
  /// The timeout doubles (after a retransmission timeout), up to max_timeout.
  void back_off();

  utp_duration timeout() const { return timeout_; }
  utp_duration rtt() const { return rtt_; }
  utp_duration rtt_var() const { return rtt_var_; }
  bool has_sample() const { return has_sample_; }

 private:
  bool has_sample_ = false;
  utp_duration rtt_{0};
  utp_duration rtt_var_{0};
  utp_duration timeout_ = initial_timeout;
};

/// LEDBAT (RFC 6817) as BEP 29 applies it: the peer echoes, in timestamp_difference, how late our
/// packets reached it by its clock; the smallest such value over the last two minutes is the base
/// delay (the propagation delay plus the clocks' offset), and a sample minus the base is our
/// queueing delay. On each acknowledgement:
///   off_target = target - queueing delay, clamped to [-target, target]
///   cwnd += max_gain * (off_target / target) * (bytes_acked / cwnd)
/// so the window grows by up to max_gain bytes per round trip below the target and shrinks by up
/// to as much above it. Until the first loss or until the queueing delay passes half the target
/// the window grows by bytes_acked (slow start, as libtorrent does; BEP 29 has none, and without
/// it a fast link would take minutes to fill). It grows only while the sender fills it
/// (`window_limited`). A loss halves it (BEP 29's loss factor 0.5), a timeout sets it to one
/// packet; it stays within [min_cwnd, max_cwnd] bytes.
class utp_ledbat {
 public:
  /// Bytes of growth per round trip at zero queueing delay (BEP 29: 3,000).
  static constexpr double max_gain = 3000;
  /// The base delay's history: 12 buckets of 10 s, each the smallest sample in its interval.
  static constexpr int history_buckets = 12;
  static constexpr std::chrono::seconds bucket_span{10};
  /// A queueing delay above this is taken as this (a peer's clock jump, or a lie).
  static constexpr utp_duration max_queueing_delay{10'000'000};

  utp_ledbat(std::int64_t initial_cwnd, std::int64_t min_cwnd, std::int64_t max_cwnd, utp_duration target);

  /// One timestamp_difference from the peer (µs modulo 2^32; 0 means "none yet" and is ignored).
  void on_delay_sample(std::uint32_t diff_us, utp_time now);
  /// `bytes_acked` newly acknowledged (cumulative or selective). `window_limited`: the sender had
  /// more to send than the window let out since the last acknowledgement.
  void on_ack(std::int64_t bytes_acked, bool window_limited);
  /// A packet lost (fast retransmit): halve, once per window (the caller decides).
  void on_loss();
  /// A retransmission timeout: one packet.
  void on_timeout();
  /// The packet size changed (path MTU): the floor follows it.
  void set_min_cwnd(std::int64_t bytes);

  std::int64_t cwnd() const { return static_cast<std::int64_t>(cwnd_); }
  bool slow_start() const { return slow_start_; }
  /// The latest queueing delay estimate (sample - base delay); 0 before any sample.
  utp_duration queueing_delay() const { return queueing_delay_; }
  /// The base delay's raw value (µs modulo 2^32, includes the clocks' offset).
  std::optional<std::uint32_t> base_delay() const;

 private:
  double cwnd_;
  std::int64_t min_cwnd_;
  std::int64_t max_cwnd_;
  utp_duration target_;
  bool slow_start_ = true;
  utp_duration queueing_delay_{0};
  // Per-bucket minima, oldest overwritten; bucket_start_ is the start of the newest.
  std::array<std::optional<std::uint32_t>, history_buckets> history_{};
  int newest_ = 0;
  std::optional<utp_time> bucket_start_;
};

/// Path MTU discovery by probing (as packetization-layer PMTUD, RFC 8899, does over UDP): sizes
/// are whole UDP payloads. The floor is assumed to get through (1,200 bytes on IPv4, 1,232 on
/// IPv6: see utp_packet_floor); the ceiling comes from the interface MTU. A binary search sends
/// one probe at a time (a packet of the probed size, sent with don't-fragment); an acknowledged
/// probe raises the floor, a lost one lowers the ceiling below it. The search ends when the two
/// are within `granularity` bytes; it starts again from the interface's ceiling after
/// `research_interval`, in case the path changed.
class utp_mtu_search {
 public:
  static constexpr std::size_t granularity = 16;
  static constexpr std::chrono::minutes research_interval{10};

  utp_mtu_search(std::size_t floor, std::size_t ceiling);

  /// The largest size known to get through: the size of every packet that is not a probe.
  std::size_t packet_size() const { return floor_; }
  std::size_t ceiling() const { return ceiling_; }
  /// The size to probe now, if the search is on and no probe is out.
  std::optional<std::size_t> next_probe(utp_time now);
  void on_probe_sent() { probe_out_ = true; }
  void on_probe_acked(std::size_t size, utp_time now);
  void on_probe_lost(std::size_t size, utp_time now);
  bool searching() const { return ceiling_ - floor_ > granularity; }

 private:
  void maybe_done(utp_time now);
  std::size_t floor_;
  std::size_t ceiling_;
  std::size_t interface_ceiling_;
  bool probe_out_ = false;
  std::optional<utp_time> done_at_;
};

/// UDP payload sizes for the path MTU search. The floor: IPv6 guarantees 1,280-byte packets, less
/// 40 (IPv6) and 8 (UDP) = 1,232; IPv4 guarantees only 576 (68 for fragments), but 1,200-byte UDP
/// payloads cross practically every path (QUIC, RFC 9000 section 14, requires them and
/// fails a path that does not), so we start there. The ceiling: the interface MTU less the IP
/// and UDP headers (20 + 8 on IPv4, 40 + 8 on IPv6), never below the floor.
std::size_t utp_packet_floor(bool ipv6);
std::size_t utp_packet_ceiling(std::size_t interface_mtu, bool ipv6);

}  // namespace tessera::detail
