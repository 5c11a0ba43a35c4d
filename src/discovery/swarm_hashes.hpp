// The swarms a torrent joins and the 20 bytes that name it in each (BEP 52, "Upgrade path"):
// a v1 torrent is found under its SHA-1 info-hash, a v2-only torrent under its SHA-256 info-hash
// truncated to 20 bytes, and a hybrid torrent under both, as two separate swarms: trackers, the
// DHT and LSD know nothing of the link between the two hashes, so a hybrid announces and looks up
// each one (libtorrent 2.0 does the same). Pure; internal.
#pragma once

#include <cstdint>
#include <vector>

#include "tessera/types.hpp"

namespace tessera::detail {

/// Which of a torrent's swarms (BEP 52) an address was found in; a bit set, since a hybrid-aware
/// peer may be in both. `none` is for sources that name no swarm (the user, PEX).
enum class swarm_set : std::uint8_t { none = 0, v1 = 1, v2 = 2, both = 3 };

inline constexpr swarm_set operator|(swarm_set a, swarm_set b) {
  return static_cast<swarm_set>(static_cast<std::uint8_t>(a) | static_cast<std::uint8_t>(b));
}
inline constexpr bool contains(swarm_set set, swarm_set s) {
  return (static_cast<std::uint8_t>(set) & static_cast<std::uint8_t>(s)) == static_cast<std::uint8_t>(s);
}

/// One swarm of a torrent: the 20 bytes sent to trackers, the DHT and LSD for it, and which
/// swarm it is (swarm_set::v1 or swarm_set::v2).
struct swarm_hash {
  sha1_hash hash;
  swarm_set swarm = swarm_set::v1;
  friend bool operator==(const swarm_hash&, const swarm_hash&) = default;
};

/// The swarms `ih` joins, v1 first: {v1} for a v1 torrent, {v2 truncated} for a v2-only one,
/// {v1, v2 truncated} for a hybrid; empty when `ih` has neither hash. The first is always
/// ih.best(), the torrent's primary swarm.
std::vector<swarm_hash> swarm_hashes(const info_hash_t& ih);

/// The swarm that `hash` (20 bytes a tracker reply, DHT lookup or LSD announce was for) names in
/// `ih`: v1 when it is the v1 hash, v2 when it is the truncated v2 hash, none otherwise.
swarm_set swarm_of(const info_hash_t& ih, const sha1_hash& hash);

/// The 20 bytes to put in an outgoing handshake to a peer found in `found_in`: the truncated v2
/// hash when the address was found only in the v2 swarm (a peer that may know the torrent by its
/// v2 hash alone, e.g. from a v2 magnet), otherwise ih.best(). A v1-only client knows only the v1
/// hash, and a peer seen in both swarms knows both, so v1 is the safe choice whenever the v1
/// swarm, or a source naming no swarm (the user, PEX), gave the address.
sha1_hash handshake_hash(const info_hash_t& ih, swarm_set found_in);

}  // namespace tessera::detail
