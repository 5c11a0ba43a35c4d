// Resume data: what a torrent knows about its download that is worth keeping across restarts
// (verified pieces, file priorities, where the files are, counters, the metadata of a magnet),
// its bencoded file format, crash-safe writing, and the start-up rule that decides which claimed
// pieces can be trusted without hashing them again.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/bitfield.hpp"
#include "tessera/result.hpp"
#include "tessera/torrent_info.hpp"
#include "tessera/types.hpp"

namespace tessera::detail {

/// Why a resume file was rejected. Category name "tessera.resume". Any of these means: ignore the
/// file and check the torrent's data in full (a corrupt resume file never stops a torrent).
enum class resume_errc {
  bencode = 1,          ///< not valid bencode (truncated, random bytes, trailing garbage)
  not_a_dictionary,     ///< the top level is not a dictionary
  not_resume_data,      ///< `file-format` missing or not "tessera resume data"
  unsupported_version,  ///< `file-version` missing or not one this code reads
  missing_field,        ///< a required key is absent
  wrong_type,           ///< a key holds a value of the wrong type
  bad_info_hash,        ///< `info-hash` not 20 bytes, `info-hash2` not 32, or neither non-zero
  bad_bitfield,         ///< `pieces` length is not ceil(num-pieces / 8), or a spare bit is set
  bad_priority,         ///< a file priority outside 0..7
  bad_file_stamp,       ///< a file stamp that is not [size, mtime s, mtime ns, inode, ctime s, ctime ns] in range
  bad_counter,          ///< a negative counter or piece count
  info_hash_mismatch,   ///< SHA-1/SHA-256 of `info` is not `info-hash`/`info-hash2`, or not the expected torrent
  bad_info,             ///< `info` is not a valid info dictionary
  piece_count_mismatch, ///< num-pieces disagrees with the torrent (or with `info`)
  file_count_mismatch,  ///< priorities, stamps or owned files given for a different number of files
  too_large,            ///< the file is larger than the reader's limit
};
const std::error_category& resume_category() noexcept;
inline std::error_code make_error_code(resume_errc e) { return {static_cast<int>(e), resume_category()}; }

/// A file's size, modification time and identity as the storage saw them (stat(2) st_size,
/// st_mtim, st_ino, st_ctim). size == -1: the file did not exist.
/// Size and mtime alone can be forged by accident (another file of the same size copied with
/// `touch -r`, or `cp -p`): the inode number tells a replaced file, and the change time, which
/// no user call can set back, tells a file rewritten in place and stamped back. Transmission and
/// libtorrent keep their own stamps for the same reason.
struct file_stamp {
  std::int64_t size = -1;       ///< bytes, or -1 when missing
  std::int64_t mtime_sec = 0;   ///< seconds since the Unix epoch
  std::int64_t mtime_nsec = 0;  ///< 0 .. 999,999,999
  std::int64_t inode = 0;       ///< st_ino (as a signed 64-bit value)
  std::int64_t ctime_sec = 0;   ///< st_ctim seconds since the Unix epoch
  std::int64_t ctime_nsec = 0;  ///< 0 .. 999,999,999
  bool operator==(const file_stamp&) const = default;
};

/// Everything the resume file holds for one torrent. Plain data; copy freely.
struct resume_data {
  /// Which torrent: `v1` is stored as `info-hash` (20 bytes, the only key of a v1 torrent, so
  /// files of v1 torrents read and write as before), `v2` as `info-hash2` (32 bytes, BEP 52).
  info_hash_t info_hash;
  /// Pieces whose hash passed, one bit per piece (BEP 3 bitfield layout). Its size is the piece
  /// count; 0 bits for a magnet whose metadata has not arrived.
  bitfield pieces;
  /// Per-file priority in metainfo order, 0 = skip .. 7 = highest (4 = normal); empty = all normal.
  std::vector<std::int8_t> file_priorities;
  std::string save_path;           ///< download directory, as given to the storage
  /// Per file (metainfo order): size, mtime, inode and ctime as seen when `pieces` was last
  /// saved; empty when unknown (then no claimed piece is trusted without hashing). A version-1
  /// file's stamps (size and mtime only) are dropped when decoded: see legacy_stamps.
  std::vector<file_stamp> file_stamps;
  /// Set by the decoder for a version-1 file, whose stamps lack the inode and the ctime: they are
  /// not used (file_stamps is empty), so every claimed piece is hashed once; the next save
  /// writes version 2.
  bool legacy_stamps = false;
  /// Per file (metainfo order): the torrent's own files (file_ownership.hpp) when saved: files it
  /// created or whose pieces verified, which it may write into and remove-with-data deletes on
  /// the next run even before a piece of them verifies. Empty: no record (a version-1 file, or a
  /// backend that does not track it); ownership then comes from the check alone.
  std::vector<bool> owned_files;
  std::int64_t uploaded = 0;         ///< payload bytes sent, all sessions together
  std::int64_t downloaded = 0;       ///< payload bytes received, all sessions together
  std::int64_t active_seconds = 0;   ///< seconds the torrent was running (not paused)
  std::int64_t seeding_seconds = 0;  ///< seconds it was running as a seed
  /// The exact bencoded `info` dictionary (for magnets, so that the metadata need not be fetched
  /// again); empty when not stored. When present its SHA-1 must equal info_hash.v1 (when set)
  /// and its SHA-256 info_hash.v2 (when set).
  std::string info_bytes;
  /// BEP 52 piece layers that did not come from the .torrent (received from peers, for a v2
  /// magnet), by pieces root, each complete (one hash per piece of its file). Untrusted when
  /// read: the torrent checks each against its root (v2_hash_store::set_piece_layer) and drops
  /// a bad one; the decoder only skips entries of the wrong shape (a key not 32 bytes, a value
  /// not a non-empty multiple of 32 bytes), so a damaged layer costs that layer alone.
  std::map<sha256_hash, std::vector<sha256_hash>> piece_layers;

  bool operator==(const resume_data&) const = default;
};

/// Encodes `rd` as a bencoded dictionary:
///   file-format "tessera resume data", file-version 2, info-hash (20 bytes, only with a v1
///   info-hash), info-hash2 (32 bytes, only with a v2 info-hash), num-pieces,
///   pieces (bitfield bytes), file-priority (list of int), save-path, file-stamps (list of
///   [size, mtime s, mtime ns, inode, ctime s, ctime ns]), owned-files (one bit per file, BEP 3
///   bitfield layout; only when owned_files is not empty), uploaded, downloaded, active-seconds,
///   seeding-seconds, piece-layers (a dictionary of pieces root -> the layer's hashes
///   concatenated, as a .torrent's `piece layers`; only when piece_layers is not empty), and info
///   (the raw info dictionary, only when info_bytes is set; spliced in byte for byte so that its
///   SHA-1 is kept).
std::string encode_resume_data(const resume_data& rd);

/// Decodes a resume file strictly: every listed key present with the right type and range (info
/// and owned-files optional), the bitfield exactly ceil(num-pieces/8) bytes with spare bits zero,
/// owned-files ceil(files/8) bytes with spare bits zero when the file count is known (from
/// `info`, or the overload below), and, when
/// `info` is present, SHA-1(info) == info-hash and SHA-256(info) == info-hash2 (each when
/// present; at least one of them must be) and info parses as a v1 info dictionary whose
/// piece and file counts agree with num-pieces, the priorities and the stamps. Unknown keys are
/// ignored (a later version may add some). Version 1 (stamps of three integers, no owned-files)
/// is still read: see resume_data::legacy_stamps. Never throws; any bad input is a resume_errc.
result<resume_data> decode_resume_data(std::string_view bytes);

/// As above, and also checks the data against the torrent it is meant for: the same torrent by
/// info_hash_t::same_torrent (a file saved with v1 alone still fits a hybrid `ti`),
/// ti.num_pieces() bits, and priorities/stamps/owned files either empty or one per file of `ti`.
result<resume_data> decode_resume_data(std::string_view bytes, const torrent_info& ti);

// --- files --------------------------------------------------------------------------------------

/// A failed file operation of the resume writer or reader.
struct file_io_error {
  enum class operation { open, create, read, write, sync, rename, sync_dir, stat };
  std::error_code ec;
  operation op = operation::open;
  std::string path;             ///< the file or directory involved
  std::string message() const;  ///< e.g. "rename /r/abc.resume: Permission denied"
};
/// "open", "create", "read", "write", "sync", "rename", "sync_dir" or "stat".
const char* to_string(file_io_error::operation op);

/// Replaces `target` with `bytes` so that after a crash (or kill -9, or power loss on a file
/// system honouring fsync) the file holds either the old or the new contents, never a mix:
/// writes a temporary file `<target>.tmp-XXXXXX` in the same directory (mode 0600: resume data
/// names paths, it is the user's business), fsyncs it, renames it over `target`, then fsyncs the
/// directory so the rename itself is durable. On a failure before the rename the temporary file is
/// removed and `target` is untouched; the error names the step. A failure of the last step
/// (op=sync_dir) leaves the new contents in place, only their durability is not promised.
/// The directory must exist. Thread-safe (a unique temporary name per call); two concurrent
/// writers of one target leave one of their contents.
result<bool, file_io_error> write_file_atomically(const std::filesystem::path& target,
                                                  std::string_view bytes);

/// Reads a whole file of at most `max_size` bytes. A missing file is op=open, ec=ENOENT (the
/// caller's cue that there is no resume data); a larger file is op=read, ec=resume_errc::too_large.
result<std::string, file_io_error> read_small_file(const std::filesystem::path& path,
                                                   std::size_t max_size = 64 << 20);

/// Stamps of `ti`'s files under `save_path`, in metainfo order, as write_file_atomically's
/// callers store them. Padding files (BEP 47, never on disk) get {size, 0, ...}. Files are looked
/// up without leaving save_path and without following symlinks (open_beneath); a missing file, a
/// symlink, or anything but a regular file gets size -1. Blocking (one stat per file): call it off the
/// session thread.
std::vector<file_stamp> read_file_stamps(const torrent_info& ti,
                                         const std::filesystem::path& save_path);

// --- the start-up rule --------------------------------------------------------------------------

/// What the start-up check may do with each piece.
struct piece_trust {
  /// Claimed by the resume data and every file it touches is unchanged: mark it have without
  /// hashing.
  bitfield trusted;
  /// Claimed by the resume data but some file it touches changed (or the data cannot say): hash
  /// it before trusting it.
  bitfield reverify;
  // Pieces in neither set were not claimed: the caller checks them the usual way (hashing those
  // whose bytes exist on disk), since pieces verified after the last save may be there.
};

/// Decides which pieces of `ti` the resume data `rd` (already decoded against `ti`) lets the
/// start-up check skip, given the files' stamps now (`current`, from read_file_stamps).
///
/// The rule: a file is unchanged when its recorded stamp and its current stamp are equal (same
/// size, same mtime and ctime to the nanosecond, same inode) and it existed then. A claimed piece is trusted when every
/// non-padding file holding any of its bytes is unchanged and is long enough to hold the piece's
/// bytes in it; a piece spanning several files therefore needs all of them unchanged. Padding
/// files never disqualify a piece (they are zeros, not on disk). When `rd` has no stamps, the
/// wrong number of stamps or of pieces, or `current` has the wrong size, nothing is trusted and
/// every claimed piece (every piece, when the piece count is wrong) is to be re-verified.
/// Pure; O(pieces + files).
piece_trust decide_trusted_pieces(const torrent_info& ti, const resume_data& rd,
                                  std::span<const file_stamp> current);

}  // namespace tessera::detail

template <>
struct std::is_error_code_enum<tessera::detail::resume_errc> : std::true_type {};
