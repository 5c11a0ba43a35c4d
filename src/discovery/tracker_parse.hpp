// Pieces shared by the HTTP (BEP 3/7/23) and UDP (BEP 15) tracker parsers: compact peer lists
// and the limits applied to values a tracker sends. Pure; internal to the discovery layer.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
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

/// Appends the peers of a compact list: `stride` 6 (BEP 23: 4-byte IPv4 + 2-byte port, network
/// order) or 18 (BEP 7: 16-byte IPv6 + port). Entries with port 0 or an unspecified address are
/// skipped, as are endpoints already in `out`. Returns false (appending nothing) when the length
/// is not a multiple of `stride`.
bool append_compact_peers(std::string_view bytes, std::size_t stride,
                          std::vector<boost::asio::ip::tcp::endpoint>& out);

/// Appends `ep` unless its port is 0, its address is unspecified, or it is already in `out`.
void append_peer(const boost::asio::ip::tcp::endpoint& ep,
                 std::vector<boost::asio::ip::tcp::endpoint>& out);

/// Percent-encodes every byte except the URL unreserved characters (A-Z a-z 0-9 - . _ ~), with
/// upper-case hex digits, as trackers expect for info_hash and peer_id.
std::string percent_encode(std::string_view bytes);

}  // namespace tessera::detail
