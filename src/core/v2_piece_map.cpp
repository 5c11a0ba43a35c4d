#include "core/v2_piece_map.hpp"

#include <algorithm>
#include <span>

namespace tessera::detail {

v2_piece_map::v2_piece_map(const torrent_info& ti) : ti_(ti) {
  for (std::size_t i = 0; i < ti.files.size(); ++i)
    if (!ti.files[i].pad && ti.files[i].size > 0) data_files_.push_back(static_cast<int>(i));
}

v2_piece v2_piece_map::at(int p) const {
  v2_piece out;
  if (p < 0 || p >= ti_.num_pieces() || ti_.piece_length <= 0) return out;
  const std::int64_t start = std::int64_t{p} * ti_.piece_length;
  // The last data file starting at or before the piece's start.
  auto it = std::upper_bound(data_files_.begin(), data_files_.end(), start,
                             [&](std::int64_t s, int f) { return s < ti_.files[static_cast<std::size_t>(f)].offset; });
  if (it == data_files_.begin()) return out;
  const int f = *std::prev(it);
  const file_entry& fe = ti_.files[static_cast<std::size_t>(f)];
  if (start >= fe.offset + fe.size) return out;  // the piece starts in padding
  out.file = f;
  out.piece_in_file = (start - fe.offset) / ti_.piece_length;
  out.bytes = std::min(ti_.piece_length, fe.offset + fe.size - start);
  if (fe.offset % ti_.piece_length != 0) return out;  // not a v2 layout: no v2 piece
  std::span<const sha256_hash> layer;
  if (auto l = ti_.piece_layers.find(fe.pieces_root); l != ti_.piece_layers.end()) layer = l->second;
  out.target = v2_target(fe.pieces_root, layer, fe.size, ti_.piece_length, out.piece_in_file);
  return out;
}

}  // namespace tessera::detail
