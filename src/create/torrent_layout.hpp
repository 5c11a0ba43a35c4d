// Where each file of a torrent being created sits in its byte stream: the BEP 47 padding of hybrid
// torrents, the piece alignment of v2 files, the piece count. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "create/file_scan.hpp"
#include "tessera/create_torrent.hpp"
#include "tessera/result.hpp"

namespace tessera::detail {

/// One entry of the layout: a file, or (hybrid) a padding file.
struct layout_entry {
  std::vector<std::string> path;  ///< relative to the root; {".pad", "<size>"} for padding
  std::int64_t size = 0;          ///< bytes
  std::int64_t offset = 0;        ///< first byte in the stream (see torrent_layout::stream_size)
  bool pad = false;               ///< BEP 47 padding: zeros, never read
  bool executable = false;        ///< `attr` "x" (v2 and hybrid)
  int source = -1;                ///< index into the scanned files; -1 for padding
};

/// The torrent's files in metainfo order, over one byte stream. v1: the files back to back.
/// Hybrid: a padding entry after each non-empty file that does not end on a piece boundary
/// (libtorrent 2.0's rule, the last file included), when there is more than one file. v2: no
/// padding entries, but each non-empty file still starts on a piece boundary (the gaps are not
/// listed and not hashed), so that a file's pieces are pieces of the stream.
struct torrent_layout {
  std::vector<layout_entry> entries;
  std::int64_t piece_length = 0;
  std::int64_t stream_size = 0;  ///< end of the last entry
  std::int64_t total_file_bytes = 0;  ///< sum of the files' sizes (no padding)
  /// Pieces of the stream: ceil(stream_size / piece_length). (v1 `pieces` has one hash each.)
  std::int64_t stream_pieces() const { return (stream_size + piece_length - 1) / piece_length; }
};

/// Checks `piece_size` for `kind` (0 = auto_piece_size(total)) and returns the piece length:
/// create_errc::bad_piece_size when out of [16 KiB, 64 MiB], not a multiple of 16 KiB, or (v2,
/// hybrid) not a power of two.
result<std::int64_t, create_error> choose_piece_length(torrent_kind kind, std::int64_t piece_size, std::int64_t total);

/// Lays out `files` (already sorted) for `kind` with `piece_length` (checked). Errors:
/// create_errc::no_data when every file is empty; too_large beyond INT_MAX pieces.
result<torrent_layout, create_error> make_layout(const std::vector<scanned_file>& files, torrent_kind kind,
                                                 std::int64_t piece_length);

}  // namespace tessera::detail
