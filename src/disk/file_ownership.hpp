// Which files on disk are the torrent's own: the defence that keeps a download from writing into,
// or deleting, a file that was there before it (a user's ~/.bashrc that a torrent also names).
//
// A file is the torrent's own when the storage created it, when the start-up check verified a
// piece read from it, when an earlier run's resume data records it as the torrent's, or when a
// write replaced it with overwriting allowed. Only the torrent's own files are written into
// without asking, and only they are deleted by remove_files() and moved by move_files().
//
// The files-on-disk backend (file_storage.cpp) implements this; the part-file decorator forwards
// it to the storage it wraps. Other backends (blob, memory, a user's) do not: they hold no file
// a user could have placed at a torrent's path.
#pragma once

#include <vector>

#include "core/bitfield.hpp"
#include "disk/storage.hpp"

namespace tessera::detail {

/// Thread rules: every member is thread-safe and may run beside the storage's reads and writes.
class file_ownership {
 public:
  virtual ~file_ownership() = default;

  /// Per file (metainfo order): true when the file is the torrent's own (see above). Padding
  /// files are never owned (never on disk). Empty when a decorator's inner storage does not
  /// track ownership.
  virtual std::vector<bool> owned_files() const = 0;

  /// Makes file i the torrent's own for every i with files[i] (entries past the file count are
  /// ignored). Used for the resume data's record and for the files of verified pieces.
  virtual void adopt_files(const std::vector<bool>& files) = 0;

  /// With `allow`, a write that meets a file that is not the torrent's own writes into it (a
  /// symlink there is replaced by a new file, never followed) and adopts it, instead of failing
  /// with storage_errc::existing_file or storage_errc::symlink. Hard-linked files and symlinked
  /// directories are refused either way. Off by default.
  virtual void set_overwrite_existing(bool allow) = 0;

  /// For each file i with files[i]: the error the first write into it would meet now because of
  /// what is at its path (a file that is not the torrent's own, a symlink, a symlinked directory,
  /// a hard-linked file, something that is not a regular file); the first one found, in file
  /// order. Missing files and missing directories are fine (writes create them). Blocking (one
  /// stat per file): call it on a disk thread.
  virtual result<bool, storage_error> check_writable(const std::vector<bool>& files) = 0;

  /// Creates the torrent's BEP 47 symlinks (file_entry::symlink) not made yet, as a write
  /// reaching their offset would (never replacing anything at their paths). For a torrent whose
  /// every piece verified without a write (its data was already there): the check's last step
  /// calls it. (Zero-length files are left to writes, as before.) Blocking; a disk thread.
  virtual std::optional<storage_error> create_links() = 0;
};

/// The ownership side of `st`, or null when its backend does not track ownership.
inline file_ownership* ownership_of(storage& st) { return dynamic_cast<file_ownership*>(&st); }

/// Per file of `ti`: true when a piece in `pieces` holds bytes of it (padding files excluded).
/// O(pieces + files).
std::vector<bool> files_of_pieces(const torrent_info& ti, const bitfield& pieces);

/// Per file of `ti`: true when it is wanted (`file_wanted[i]`, missing entries wanted), not
/// padding, not empty, and some piece holding its bytes is missing from `have`: the files later
/// writes will go into. O(pieces + files).
std::vector<bool> files_to_write(const torrent_info& ti, const bitfield& have,
                                 const std::vector<bool>& file_wanted);

/// What the start-up check does with ownership once it knows which pieces `have` verified
/// (disk_io::async_check's `finish`): adopts the existing files those pieces were read from (not
/// pieces held in a part file, whose bytes were read from there), then checks that every file
/// still to be written can be (file_ownership::check_writable). When every piece verified, it
/// also creates the BEP 47 symlinks not there yet (create_links): a complete torrent has
/// them whether it downloaded its data or found it. Nothing to do (no error) when
/// `st` does not track ownership. Blocking; a disk thread.
std::optional<storage_error> claim_checked_files(storage& st, const torrent_info& ti,
                                                 const bitfield& have,
                                                 const std::vector<bool>& file_wanted);

}  // namespace tessera::detail
