// The part file: one file next to a torrent's files holding the pieces that overlap a skipped
// file, so that a skipped file is never created and a wanted file never holds bytes of a skipped
// one.
//
// Layout (all integers little-endian):
//   0   8 bytes  magic "TSPARTS1"
//   8   u32      number of pieces of the torrent
//   12  u32      piece length
//   16  u32[n]   per piece: 1 + its slot, 0 when the piece is not held
//   ... zero padding up to header_size (a multiple of 4 KiB)
//   header_size + s * piece_length: slot s, one piece's bytes at their piece-relative offsets.
// A slot's bytes are written before its index entry, so after a crash an entry names a slot that
// was written (or the start-up check, which hashes every held piece, finds it does not match).
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "disk/storage.hpp"

namespace tessera::detail {

/// What a part file's header says: which slot holds which piece.
struct part_file_index {
  std::vector<int> slot_of;     ///< per piece: its slot, or -1 when the piece is not held
  std::vector<bool> slot_used;  ///< per slot up to the highest one held: true when a piece has it
};

/// Bytes at the start of a part file for `num_pieces` pieces that hold the magic, the two sizes
/// and the index (16 + 4 * num_pieces; the header is then padded to 4 KiB).
std::int64_t part_file_index_bytes(int num_pieces);

/// Reads the first bytes of a part file meant for a torrent of `num_pieces` pieces (>= 0) of
/// `piece_length` bytes (>= 1). nullopt when `header` is shorter than
/// part_file_index_bytes(num_pieces), has another magic or names other sizes (another torrent's
/// file, or a damaged one): the caller treats the file as empty. Index entries naming no slot or
/// a slot >= num_pieces are ignored, and so is an entry naming a slot a lower piece already has.
/// Bytes past the index are ignored. Pure: part_file::load reads the bytes, this parses them.
std::optional<part_file_index> parse_part_file_header(std::span<const std::uint8_t> header,
                                                      int num_pieces, std::int64_t piece_length);

class part_file {
 public:
  /// A part file at `path` for a torrent of `num_pieces` pieces of `piece_length` bytes. Nothing
  /// is opened or created until load() or the first write().
  part_file(std::filesystem::path path, int num_pieces, std::int64_t piece_length);
  ~part_file();
  part_file(const part_file&) = delete;
  part_file& operator=(const part_file&) = delete;

  /// Reads the index of an existing file. A missing file is empty (not an error); a file whose
  /// header does not match this torrent (another torrent's, or damaged) is treated as empty and
  /// replaced by the next write. Errors: op=open/read with the OS error.
  result<bool, storage_error> load();

  /// True when piece `piece` has a slot.
  bool has(int piece) const;
  /// Pieces holding a slot, ascending.
  std::vector<int> pieces() const;
  /// True when no piece is held.
  bool empty() const;

  /// Writes `data` at byte `begin` of piece `piece`'s slot (allocated on first use, the file
  /// created with mode 0644, never following a symlink at `path`). Errors: op=open/write,
  /// invalid_argument for a range outside the piece.
  result<bool, storage_error> write(int piece, std::int64_t begin, std::span<const std::uint8_t> data);
  /// Reads from piece `piece`'s slot at byte `begin`; returns the bytes read (0 when the piece is
  /// not held; short where the slot was never written up to its end).
  result<std::size_t, storage_error> read(int piece, std::int64_t begin, std::span<std::uint8_t> out);
  /// Drops piece `piece`'s slot (its space is reused by the next new piece). When no piece is
  /// left the file is deleted.
  result<bool, storage_error> release(int piece);

  /// fdatasync when something was written since the last flush (op=flush on failure).
  result<bool, storage_error> flush();
  /// Closes the descriptor; the next call reopens it.
  void close();

  const std::filesystem::path& path() const { return path_; }
  /// Bytes before slot 0 (header and index, rounded up to 4 KiB).
  std::int64_t header_size() const { return header_size_; }

 private:
  storage_error error(storage_error::operation op, int e) const;
  // The callers hold mutex_.
  result<int, storage_error> open_locked(bool create);
  result<bool, storage_error> write_entry_locked(int piece, std::uint32_t value);

  std::filesystem::path path_;
  int num_pieces_;
  std::int64_t piece_length_;
  std::int64_t header_size_;
  mutable std::mutex mutex_;  // guards everything below; part-file I/O is rare and small
  int fd_ = -1;
  bool valid_header_ = false;       // the file on disk has our header (else rewritten on write)
  bool dirty_ = false;
  std::vector<int> slot_of_;        // per piece: slot, or -1
  std::vector<bool> slot_used_;     // per slot
};

}  // namespace tessera::detail
