// BEP 6 allowed-fast set: a SHA-1 chain over the peer's /24 and the info-hash.
#include "core/allowed_fast.hpp"

#include <algorithm>
#include <cstddef>

#include "tessera/hasher.hpp"

namespace tessera::detail {

std::vector<piece_index> allowed_fast_set(const std::array<std::uint8_t, 4>& ipv4,
                                          const sha1_hash& info_hash, int num_pieces, int k) {
  std::vector<piece_index> out;
  if (k <= 0 || num_pieces <= 0) return out;
  k = std::min(k, num_pieces);
  out.reserve(static_cast<std::size_t>(k));

  // The first input: the /24 of the address (the last byte zeroed), then the 20-byte info-hash.
  std::array<std::uint8_t, 24> seed{};
  std::copy_n(ipv4.begin(), 3, seed.begin());
  std::copy(info_hash.bytes.begin(), info_hash.bytes.end(), seed.begin() + 4);
  sha1_hash x = sha1(std::as_bytes(std::span(seed)));
  const auto n = static_cast<std::uint32_t>(num_pieces);
  for (;;) {
    for (std::size_t i = 0; i < 5; ++i) {
      const std::uint8_t* p = x.bytes.data() + 4 * i;
      const std::uint32_t y = (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) |
                              (std::uint32_t(p[2]) << 8) | std::uint32_t(p[3]);
      const piece_index index{static_cast<std::int32_t>(y % n)};
      if (std::find(out.begin(), out.end(), index) == out.end()) out.push_back(index);
      if (static_cast<int>(out.size()) == k) return out;
    }
    x = sha1(std::as_bytes(std::span(x.bytes)));  // the next 20 pseudo-random bytes
  }
}

}  // namespace tessera::detail
