// BEP 42 node id restrictions.
#include "discovery/dht/node_id_security.hpp"

#include <cstddef>

#include "core/crc32c.hpp"

namespace tessera::detail::dht {

namespace {

constexpr std::array<std::uint8_t, 4> v4_mask{0x03, 0x0f, 0x3f, 0xff};
constexpr std::array<std::uint8_t, 8> v6_mask{0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff};

/// crc32c of the masked address with r in the top 3 bits (bits 29-31 of the IPv4 word, 61-63
/// of the IPv6 one: the top bits of the first byte, in network order).
std::uint32_t id_prefix(const peer_endpoint& ip, std::uint8_t r) {
  std::array<std::uint8_t, 8> masked{};
  const std::size_t n = ip.v6 ? v6_mask.size() : v4_mask.size();
  for (std::size_t i = 0; i < n; ++i) masked[i] = ip.addr[i] & (ip.v6 ? v6_mask[i] : v4_mask[i]);
  masked[0] |= static_cast<std::uint8_t>((r & 0x07) << 5);
  return crc32c(std::span<const std::uint8_t>(masked.data(), n));
}

}  // namespace

bool bep42_exempt(const peer_endpoint& ip) {
  const auto& a = ip.addr;
  if (!ip.v6) {
    return a[0] == 10 || a[0] == 127 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
           (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254);
  }
  bool loopback = a[15] == 1;
  for (std::size_t i = 0; i < 15; ++i) loopback = loopback && a[i] == 0;
  return loopback || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || (a[0] & 0xfe) == 0xfc;
}

sha1_hash bep42_node_id(const peer_endpoint& ip, const std::array<std::uint8_t, 20>& random) {
  sha1_hash id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = random[i];
  if (bep42_exempt(ip)) return id;
  const std::uint32_t p = id_prefix(ip, random[19] & 0x07);
  id.bytes[0] = static_cast<std::uint8_t>(p >> 24);
  id.bytes[1] = static_cast<std::uint8_t>(p >> 16);
  id.bytes[2] = static_cast<std::uint8_t>(((p >> 8) & 0xf8) | (random[2] & 0x07));
  return id;
}

bool bep42_valid(const sha1_hash& id, const peer_endpoint& ip) {
  if (bep42_exempt(ip)) return true;
  const std::uint32_t p = id_prefix(ip, id.bytes[19] & 0x07);
  return id.bytes[0] == static_cast<std::uint8_t>(p >> 24) &&
         id.bytes[1] == static_cast<std::uint8_t>(p >> 16) &&
         (id.bytes[2] & 0xf8) == ((p >> 8) & 0xf8);
}

}  // namespace tessera::detail::dht
