// BEP 42 (DHT security extension): a node id is tied to the node's IP address, so that one host
// cannot pick ids next to a target info-hash and take over its lookups (a Sybil attack). The
// first 21 bits of a valid id equal those of crc32c((ip & mask) | (r << 29)) for IPv4, or
// crc32c((high 64 bits & mask) | (r << 61)) for IPv6, where r is the low 3 bits of the id's last
// byte; the rest of the id is random. Addresses of local networks are exempt (BEP 42 lists
// 10/8, 172.16/12, 192.168/16, 169.254/16 and 127/8; we add IPv6 loopback, link-local fe80::/10
// and unique-local fc00::/7). Pure.
#pragma once

#include <array>
#include <cstdint>

#include "core/compact_peer.hpp"
#include "tessera/types.hpp"

namespace tessera::detail::dht {

/// True when `ip` (the port is ignored) is in a local network, where BEP 42 does not apply.
bool bep42_exempt(const peer_endpoint& ip);

/// A node id valid for `ip` under BEP 42, built from 20 random bytes: the first 21 bits from
/// the CRC of the masked address and r = random[19] & 7, the last byte random[19], the rest
/// random. For an exempt address the id is simply `random`.
sha1_hash bep42_node_id(const peer_endpoint& ip, const std::array<std::uint8_t, 20>& random);

/// True when `id` is valid for `ip` under BEP 42, or `ip` is exempt.
bool bep42_valid(const sha1_hash& id, const peer_endpoint& ip);

}  // namespace tessera::detail::dht
