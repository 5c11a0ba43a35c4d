// BEP 6 ("Allowed Fast"): the canonical set of pieces a peer may request from us while we choke
// it, derived from its address and the torrent's info-hash so that every client computes the same
// set for the same peer (and a peer cannot get another set by reconnecting from a neighbouring
// address of its /24).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "tessera/types.hpp"

namespace tessera::detail {

/// BEP 6's allowed-fast set for the peer at IPv4 address `ipv4` (network byte order, as in
/// 80.4.4.200 -> {80, 4, 4, 200}): the address masked to its /24, followed by `info_hash`, is hashed
/// with SHA-1, and each digest hashed again for as long as needed; each digest gives five 32-bit
/// big-endian numbers, each taken modulo `num_pieces`, and a piece index not already in the set is
/// appended, until the set holds `k` pieces. Returned in generation order (the order the BEP's
/// example lists). Empty when `k` <= 0 or `num_pieces` <= 0; `k` is capped at `num_pieces` (the
/// BEP's loop would never end otherwise). Pure; cost: about k SHA-1 compressions for k well below
/// num_pieces (k near num_pieces needs more: callers keep k small, peer_connection uses 10).
///
/// IPv6 peers get no allowed-fast set from tessera (the BEP defines the algorithm for IPv4 only);
/// an IPv4-mapped IPv6 address is the caller's to convert to IPv4 first.
std::vector<piece_index> allowed_fast_set(const std::array<std::uint8_t, 4>& ipv4,
                                          const sha1_hash& info_hash, int num_pieces, int k);

}  // namespace tessera::detail
