// Peer exchange (BEP 11, ut_pex): the bencoded dictionary of peers added to and dropped from the
// sender's swarm since its last message, IPv4 (`added`, `added.f`, `dropped`) and IPv6
// (`added6`, `added6.f`, `dropped6`) in compact form. Pure codec; the swarm layer schedules the
// messages (at most one a minute) and decides whom to connect to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/compact_peer.hpp"
#include "core/extension_messages.hpp"
#include "tessera/result.hpp"

namespace tessera::detail {

/// Bits of a peer's `added.f` flag byte (BEP 11).
namespace pex_flags {
inline constexpr std::uint8_t prefers_encryption = 0x01;
inline constexpr std::uint8_t seed = 0x02;          ///< seed or upload-only
inline constexpr std::uint8_t supports_utp = 0x04;
inline constexpr std::uint8_t supports_holepunch = 0x08;
inline constexpr std::uint8_t outgoing = 0x10;      ///< the sender connected out: reachable
}  // namespace pex_flags

/// A peer from `added`/`added6` with its flag byte (0 when the sender gave none).
struct pex_peer {
  peer_endpoint endpoint;
  std::uint8_t flags = 0;
  bool operator==(const pex_peer&) const = default;
};

/// One ut_pex message; IPv4 and IPv6 peers together (peer_endpoint::v6 tells them apart).
struct pex_message {
  std::vector<pex_peer> added;
  std::vector<peer_endpoint> dropped;
  bool operator==(const pex_message&) const = default;
};

/// At most this many peers are taken from each of the four lists of one message (the rest is
/// ignored, not an error): a bound on what one peer can push into our peer list per minute.
inline constexpr std::size_t max_pex_peers_per_list = 200;

/// Parses a ut_pex payload. Peers with port 0 are skipped. A missing list is empty; a flags
/// string shorter than its list gives 0 to the peers without a byte. Errors: bad_bencode,
/// not_a_dictionary, bad_compact_peers (a list length not a multiple of 6, or 18 for IPv6).
result<pex_message> parse_pex_message(std::string_view payload);

/// Encodes `m`, splitting peers by family. Lists above max_pex_peers_per_list are cut to it.
std::string make_pex_message(const pex_message& m);

}  // namespace tessera::detail
