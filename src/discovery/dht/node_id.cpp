// XOR metric helpers (BEP 5).
#include "discovery/dht/node_id.hpp"

#include <bit>

namespace tessera::detail::dht {

sha1_hash distance(const sha1_hash& a, const sha1_hash& b) {
  sha1_hash out;
  for (std::size_t i = 0; i < out.bytes.size(); ++i) out.bytes[i] = a.bytes[i] ^ b.bytes[i];
  return out;
}

int leading_zero_bits(const sha1_hash& h) {
  int n = 0;
  for (auto byte : h.bytes) {
    if (byte != 0) return n + std::countl_zero(byte);
    n += 8;
  }
  return n;
}

bool closer(const sha1_hash& target, const sha1_hash& a, const sha1_hash& b) {
  for (std::size_t i = 0; i < target.bytes.size(); ++i) {
    const auto da = static_cast<std::uint8_t>(a.bytes[i] ^ target.bytes[i]);
    const auto db = static_cast<std::uint8_t>(b.bytes[i] ^ target.bytes[i]);
    if (da != db) return da < db;
  }
  return false;
}

}  // namespace tessera::detail::dht
