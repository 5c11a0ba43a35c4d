#include "disk/piece_check.hpp"

#include <algorithm>

#include "core/piece_verify.hpp"
#include "tessera/hasher.hpp"

namespace tessera::detail {

bool piece_matches(const torrent_info& ti, piece_index p, std::span<const std::uint8_t> data,
                   const std::optional<v2_piece_check>& v2) {
  if (p.value < 0 || p.value >= ti.num_pieces()) return false;
  const bool has_v1 = !ti.piece_hashes().empty();
  if (has_v1 && sha1(std::as_bytes(data)) != ti.piece_hashes()[static_cast<std::size_t>(p.value)]) return false;
  if (!v2) return has_v1;
  const auto n = static_cast<std::size_t>(v2->file_bytes);
  if (v2->file_bytes <= 0 || n > data.size()) return false;
  // Padding is zeros: the v1 hash covers it in a hybrid; in a v2-only torrent only this does.
  if (!has_v1 && !std::all_of(data.begin() + static_cast<std::ptrdiff_t>(n), data.end(),
                              [](std::uint8_t b) { return b == 0; })) {
    return false;
  }
  v2_piece_hasher h(ti.piece_length());
  h.update(data.first(n));
  return h.finish(v2->target);
}

}  // namespace tessera::detail
