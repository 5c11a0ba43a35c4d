// Checking the data of a torrent on disk against its piece hashes, as `tessera check` does: which
// pieces verify, and per file how complete it is. Reads only; nothing is created or written.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "tessera/result.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera {

/// How far a check_files run is, for a progress display.
struct check_progress {
  int pieces_done = 0;            ///< pieces hashed so far (verified or not)
  int pieces_total = 0;
  std::int64_t bytes_done = 0;    ///< bytes of the torrent's byte stream covered so far
  std::int64_t bytes_total = 0;   ///< torrent_info::total_size
};

/// Which of a torrent's hashes check_files compares (a BEP 52 hybrid carries both kinds).
enum class check_hashes {
  all,      ///< every kind the torrent has: SHA-1 (v1), SHA-256 (v2), both for a hybrid
  v1_only,  ///< SHA-1 only: a hybrid checked as its v1 half; invalid for a v2-only torrent
  /// SHA-256 only: a hybrid checked as its v2 half (a file of several pieces without its piece
  /// layer is then unverifiable, as in a v2-only torrent); invalid for a v1 torrent
  v2_only,
};

/// Options of check_files.
struct check_options {
  /// Threads hashing at once; 0: std::thread::hardware_concurrency() (at least 1); never more
  /// than there are runs. Each takes a run of consecutive whole pieces at a time (1 MiB to
  /// read_bytes of them when pieces are smaller, less only when read_bytes is) and reads it front
  /// to back in sequential reads of up to read_bytes.
  int threads = 0;
  /// Bytes per read (and per thread's buffer), at least 16 KiB: 1 MiB (4 MiB measured no
  /// faster: 1 MiB is hashed while it is still in the CPU's caches). A piece larger than this
  /// is read in several reads and hashed as it arrives, so memory is threads x read_bytes
  /// whatever the piece length.
  std::int64_t read_bytes = 1024 * 1024;
  /// Called after each run of pieces is hashed, from the hashing threads, never two calls at
  /// once; the last call has pieces_done == pieces_total (unless stopped). May be empty. Must not
  /// throw.
  std::function<void(const check_progress&)> progress;
  /// Cancellation: once stop is requested, the threads stop after their current read and
  /// check_files returns std::errc::operation_canceled.
  std::stop_token stop;
  /// Which hashes to compare; `all` unless the caller wants half the hashing of a hybrid.
  check_hashes hashes = check_hashes::all;
};

/// A file's state after the check.
enum class file_check_state {
  /// every piece holding its bytes verified (an empty file: it exists; a BEP 47 symlink: the
  /// link is there with the relative text a download gives it)
  complete,
  incomplete,  ///< present at its full size, but some piece holding its bytes failed
  short_file,  ///< present but smaller than its size in the torrent
  missing,     ///< nothing at its path, or a symbolic link (never followed)
  unreadable,  ///< opening or reading it failed, or it is not a regular file (file_check::error)
  padding,     ///< a BEP 47 padding file: zeros, never on disk, never read
  /// present at its full size, but some of its pieces have nothing to be checked against: a file
  /// of more than one piece in a v2-only torrent (or a hybrid checked with check_hashes::v2_only)
  /// without its BEP 52 piece layer (a .torrent holding a bare info dictionary); those pieces are
  /// never read; never complete (file_check::error says why)
  unverifiable,
};
/// "complete", "incomplete", "short", "missing", "unreadable", "padding", "unverifiable".
const char* to_string(file_check_state s);

/// One file's result (torrent_info::files order, padding files included).
struct file_check {
  std::string path;                 ///< file_entry::path (relative to the checked directory)
  std::int64_t size = 0;            ///< bytes, as the torrent says
  std::int64_t on_disk = -1;        ///< bytes at its path, at most `size`; -1: missing
  int pieces_total = 0;             ///< pieces holding at least one byte of it (0: empty file)
  int pieces_verified = 0;          ///< of those, the ones that verified
  std::int64_t bytes_verified = 0;  ///< its bytes inside verified pieces
  file_check_state state = file_check_state::missing;
  /// for `unreadable`: storage_error::message(); for `unverifiable`: why, and how many pieces
  std::string error;
};

/// The result of check_files.
struct check_report {
  /// per piece: its bytes on disk match its hash (a hybrid's piece: both its SHA-1 and SHA-256)
  std::vector<bool> verified;
  /// per piece: nothing to check it against (see file_check_state::unverifiable): not read, and
  /// not verified; a piece that failed is neither verified nor unverifiable
  std::vector<bool> unverifiable;
  std::vector<file_check> files;
  int pieces_verified = 0;
  int pieces_unverifiable = 0;      ///< pieces set in `unverifiable`
  int pieces_total = 0;
  std::int64_t bytes_verified = 0;  ///< bytes of the stream inside verified pieces (padding counts)
  std::int64_t bytes_total = 0;
  std::chrono::nanoseconds elapsed{0};  ///< wall time of the check
  int threads = 0;                  ///< threads used
  /// Every piece verified and every file complete (or padding): an empty file must exist too.
  bool complete() const {
    if (pieces_verified != pieces_total) return false;
    for (const auto& f : files)
      if (f.state != file_check_state::complete && f.state != file_check_state::padding) return false;
    return true;
  }
};

/// Hashes the data of `ti` found under `dir` (laid out as a download of it would be: file i at
/// dir / ti.files()[i].path) and reports which pieces and files are complete. BEP 3 v1 pieces,
/// which may span files, by SHA-1; BEP 47 padding files are zeros and never read. BEP 52: in a
/// v2-only torrent every piece is a piece of one file (its files start at piece boundaries), and
/// verifies when the SHA-256 merkle root of its 16 KiB blocks (the file's bytes only, not the
/// padding after it) is the file's piece-layer entry, or its `pieces root` for a file of one
/// piece; a file of several pieces whose layer `ti.piece_layers()` lacks is unverifiable (never
/// complete). In a hybrid torrent a piece verifies only when its SHA-1 and its SHA-256 both
/// match (the SHA-1 alone where the layer is missing); opts.hashes may pick one kind. Paths are
/// resolved beneath `dir` only, and no symbolic link is followed (a link at a file's path, or on
/// the way to it, makes the file missing), as the download's own storage does
/// (make_file_storage). Never creates, writes or truncates anything.
///
/// Blocking: runs opts.threads threads and returns when they are done. Any thread; `ti` must stay
/// valid for the call. Errors: std::errc::no_such_file_or_directory or not_a_directory for `dir`,
/// std::errc::invalid_argument when opts.hashes names a kind the torrent does not have (nothing
/// read), std::errc::operation_canceled when opts.stop was requested. A file that cannot be read
/// is not an error of the call: its pieces fail and the file is `unreadable` with the reason.
result<check_report> check_files(const torrent_info& ti, const std::filesystem::path& dir,
                                 const check_options& opts = {});

}  // namespace tessera
