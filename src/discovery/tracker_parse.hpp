// Pieces shared by the HTTP (BEP 3/7/23) and UDP (BEP 15) tracker parsers: compact peer lists
// and the limits applied to values a tracker sends. Pure; internal to the discovery layer.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

namespace tessera::detail {

/// Shortest re-announce interval we accept from a tracker; smaller values are raised to this.
inline constexpr std::chrono::seconds tracker_min_interval_floor{30};
/// Longest interval we accept; a tracker asking for more is clamped to one day.
inline constexpr std::chrono::seconds tracker_interval_ceiling{24 * 60 * 60};

/// `interval` from a tracker, in seconds, clamped to [30 s, 1 day] (negative or huge values
/// from a lying tracker included).
std::chrono::seconds clamp_tracker_interval(std::int64_t seconds);
/// `min interval`, in seconds, clamped to [0, 1 day].
std::chrono::seconds clamp_tracker_min_interval(std::int64_t seconds);

/// Most peers taken from one tracker reply (HTTP or UDP, IPv4 and IPv6 together); the rest of
/// the reply is ignored. 200 is libtorrent's default `num_want`: no honest tracker sends more
/// than it was asked for (we ask for session_settings::numwant, 80 by default), and a 2 MiB
/// compact list (the body limit) would otherwise be 349,525 addresses.
inline constexpr std::size_t max_peers_per_reply = 200;

/// Collects the peers of one tracker reply into `out`: skips port 0 and unspecified addresses
/// (unusable whatever the source), skips duplicates (a hash set, so a reply costs O(n)), and takes
/// at most `cap` peers. Address filtering by kind (loopback, multicast...) is the peer list's
/// (is_dialable_peer), which knows our own interface. Holds a reference to `out`.
class reply_peer_collector {
 public:
  explicit reply_peer_collector(std::vector<boost::asio::ip::tcp::endpoint>& out,
                                std::size_t cap = max_peers_per_reply);
  /// Adds `ep` unless unusable, a duplicate, or the cap is reached.
  void add(const boost::asio::ip::tcp::endpoint& ep);
  /// The cap is reached: nothing more will be taken.
  bool full() const { return out_.size() >= cap_; }

 private:
  struct endpoint_hash {
    std::size_t operator()(const boost::asio::ip::tcp::endpoint& ep) const noexcept;
  };
  std::vector<boost::asio::ip::tcp::endpoint>& out_;
  std::size_t cap_;
  std::unordered_set<boost::asio::ip::tcp::endpoint, endpoint_hash> seen_;
};

/// Adds the peers of a compact list to `out`: `stride` 6 (BEP 23: 4-byte IPv4 + 2-byte port,
/// network order) or 18 (BEP 7: 16-byte IPv6 + port). Returns false (adding nothing) when the
/// length is not a multiple of `stride`. Stops reading once `out` is full.
bool append_compact_peers(std::string_view bytes, std::size_t stride, reply_peer_collector& out);

/// Percent-encodes every byte except the URL unreserved characters (A-Z a-z 0-9 - . _ ~), with
/// upper-case hex digits, as trackers expect for info_hash and peer_id.
std::string percent_encode(std::string_view bytes);

}  // namespace tessera::detail
