// Which file's v2 piece a piece of a v2 or hybrid torrent's byte stream is (BEP 52), and what its
// bytes are checked against. Pure; used by the data check (disk/check_files).
//
// In a v2-only or hybrid torrent every non-empty file starts at a piece boundary (torrent_info,
// "laid out as v1 files are"), so a piece of the stream holds bytes of at most one file: its first
// bytes are that file's, the rest (in the file's last piece only) padding or the stream's end.
// The v2 hash of the piece covers the file's bytes only (BEP 52: the leaves past the file's end
// are zero hashes, not hashes of zero bytes).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/piece_verify.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::detail {

/// Piece `p` of the stream seen as a piece of one file.
struct v2_piece {
  /// Index in torrent_info::files of the file whose bytes the piece holds; -1 when it holds none
  /// (only padding: never in a torrent parse_torrent accepted).
  int file = -1;
  std::int64_t piece_in_file = 0;  ///< the piece's index within that file
  /// Bytes of the file inside the piece: the piece's first `bytes` bytes (1..piece_length).
  std::int64_t bytes = 0;
  /// What those bytes hash to (v2_target): null when the torrent lacks the file's piece layer (a
  /// file of more than one piece in a torrent with no `piece layers`, e.g. a bare info
  /// dictionary), or when the file does not start at a piece boundary (no v2 piece is defined).
  std::optional<v2_piece_target> target;
};

/// The v2 view of a torrent's pieces. Built once per torrent (linear in its files); keeps a
/// reference to `ti`, which must outlive it. Immutable after construction: any threads at once.
class v2_piece_map {
 public:
  explicit v2_piece_map(const torrent_info& ti);
  /// Piece `p` (0 <= p < ti.num_pieces()) as a v2 piece: O(log files). Out of range: file -1.
  v2_piece at(int p) const;

 private:
  const torrent_info& ti_;
  std::vector<int> data_files_;  // indexes of the non-padding, non-empty files, in offset order
};

}  // namespace tessera::detail
