#include "create/torrent_layout.hpp"

#include <bit>
#include <climits>

#include "tessera/types.hpp"

namespace tessera::detail {

namespace {
constexpr std::int64_t max_piece_length = 64 * 1024 * 1024;  // parse_torrent's limit
}

result<std::int64_t, create_error> choose_piece_length(torrent_kind kind, std::int64_t piece_size,
                                                       std::int64_t total) {
  if (piece_size == 0) return auto_piece_size(total);
  const bool pow2 = piece_size > 0 && std::has_single_bit(static_cast<std::uint64_t>(piece_size));
  if (piece_size < block_size || piece_size > max_piece_length || piece_size % block_size != 0 ||
      (kind != torrent_kind::v1 && !pow2)) {
    return unexpected{create_error{create_errc::bad_piece_size, {}}};
  }
  return piece_size;
}

result<torrent_layout, create_error> make_layout(const std::vector<scanned_file>& files, torrent_kind kind,
                                                 std::int64_t piece_length) {
  torrent_layout out;
  out.piece_length = piece_length;
  const bool aligned = kind != torrent_kind::v1;
  const bool padded = kind == torrent_kind::hybrid && files.size() > 1;
  std::int64_t off = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& f = files[i];
    if (aligned && f.size > 0 && off % piece_length != 0) {
      // Only v2 gets here with an unaligned offset (hybrid padded after the previous file):
      // start the file on the next piece boundary, unlisted.
      off += piece_length - off % piece_length;
    }
    out.entries.push_back(layout_entry{f.path, f.size, off, false, f.executable && kind != torrent_kind::v1,
                                       static_cast<int>(i)});
    off += f.size;
    out.total_file_bytes += f.size;
    if (padded && f.size > 0 && off % piece_length != 0) {
      const std::int64_t pad = piece_length - off % piece_length;
      out.entries.push_back(layout_entry{{".pad", std::to_string(pad)}, pad, off, true, false, -1});
      off += pad;
    }
  }
  out.stream_size = off;
  if (out.total_file_bytes == 0) return unexpected{create_error{create_errc::no_data, {}}};
  if (out.stream_pieces() > INT_MAX) return unexpected{create_error{create_errc::too_large, {}}};
  return out;
}

}  // namespace tessera::detail
