#include "torrent/padding.hpp"

#include <algorithm>

namespace tessera::detail {

std::vector<std::int32_t> padding_per_piece(const torrent_info& ti) {
  std::vector<std::int32_t> out;
  if (ti.piece_length() <= 0) return out;
  for (const auto& f : ti.files()) {
    if (!f.pad || f.size <= 0) continue;
    if (out.empty()) out.assign(static_cast<std::size_t>(ti.num_pieces()), 0);
    const std::int64_t begin = f.offset;
    const std::int64_t end = f.offset + f.size;
    for (std::int64_t p = begin / ti.piece_length(); p < ti.num_pieces() && p * ti.piece_length() < end; ++p) {
      const std::int64_t pb = p * ti.piece_length();
      const std::int64_t pe = pb + ti.piece_size(piece_index{static_cast<int>(p)});
      const std::int64_t overlap = std::min(pe, end) - std::max(pb, begin);
      if (overlap > 0) out[static_cast<std::size_t>(p)] += static_cast<std::int32_t>(overlap);
    }
  }
  return out;
}

std::int64_t payload_size(const torrent_info& ti) {
  std::int64_t n = 0;
  for (const auto& f : ti.files()) {
    if (!f.pad) n += f.size;
  }
  return n;
}

}  // namespace tessera::detail
