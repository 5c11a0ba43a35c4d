// Kademlia node ids and the XOR metric (BEP 5 "Routing Table"): helpers shared by the routing
// table, lookups and the DHT node. Pure.
#pragma once

#include <chrono>
#include <cstddef>

#include "tessera/types.hpp"

namespace tessera::detail::dht {

/// The clock every DHT time parameter refers to. The pure modules never read it; dht_node does.
using clock = std::chrono::steady_clock;

/// Bytes of a node id and number of bits in it.
inline constexpr std::size_t id_bits = 160;

/// XOR distance between two ids (BEP 5: distance(A, B) = |A xor B|, compared as unsigned ints).
sha1_hash distance(const sha1_hash& a, const sha1_hash& b);

/// Number of leading zero bits of `h` (160 for the zero id).
int leading_zero_bits(const sha1_hash& h);

/// True when `a` is strictly closer to `target` than `b` under the XOR metric.
bool closer(const sha1_hash& target, const sha1_hash& a, const sha1_hash& b);

}  // namespace tessera::detail::dht
