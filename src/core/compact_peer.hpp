// Peer and node endpoints in the "compact" wire forms shared by PEX (BEP 11), the extended
// handshake's `yourip` (BEP 10) and the DHT (BEP 5, BEP 32): 4 or 16 address bytes in network
// order followed (for an endpoint) by a 2-byte big-endian port. Pure: no sockets, no Asio; the
// swarm and discovery layers convert to their socket types at their boundary.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::detail {

/// Bytes of a compact IPv4 endpoint (address + port) and of a compact IPv6 endpoint.
inline constexpr std::size_t compact_v4_size = 6;
inline constexpr std::size_t compact_v6_size = 18;

/// An IP address and a port, without any socket library type. For IPv4 only the first 4 bytes
/// of `addr` are used and the others stay zero, so equality and ordering are well defined.
struct peer_endpoint {
  std::array<std::uint8_t, 16> addr{};  ///< network byte order
  bool v6 = false;                      ///< true: 16-byte IPv6 address; false: 4-byte IPv4
  std::uint16_t port = 0;               ///< host byte order

  auto operator<=>(const peer_endpoint&) const = default;

  /// "1.2.3.4:6881" or "[::1]:6881".
  std::string to_string() const;
  /// The address alone: "1.2.3.4" or "::1".
  std::string address_string() const;
  /// Parses a numeric "a.b.c.d:port" or "[v6]:port" (no host names); nullopt otherwise. A port
  /// of 0 is accepted here (it is a syntactically valid number); callers reject it where needed.
  static std::optional<peer_endpoint> from_string(std::string_view s);
};

/// Parses one compact endpoint: exactly 6 bytes (IPv4) or 18 bytes (IPv6), else nullopt.
std::optional<peer_endpoint> parse_compact_endpoint(std::string_view raw);
/// Appends the 6- or 18-byte compact form of `ep`.
void append_compact_endpoint(std::string& out, const peer_endpoint& ep);
/// The compact address alone (4 or 16 bytes), as in `yourip` (BEP 10).
std::string compact_address(const peer_endpoint& ep);
/// Parses a bare 4- or 16-byte address (port 0); nullopt for any other length.
std::optional<peer_endpoint> parse_compact_address(std::string_view raw);

}  // namespace tessera::detail
