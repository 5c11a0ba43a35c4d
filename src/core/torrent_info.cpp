// Small accessors of torrent_info; parsing lives in metainfo.cpp.
#include "tessera/torrent_info.hpp"

namespace tessera {

std::int32_t torrent_info::piece_size(piece_index p) const {
  if (p.value < 0 || p.value >= num_pieces()) return 0;
  if (p.value + 1 < num_pieces()) return static_cast<std::int32_t>(piece_length);
  return static_cast<std::int32_t>(total_size - piece_length * (num_pieces() - 1));
}

}  // namespace tessera
