// Where a torrent's bytes live: the public storage interface and its three backends.
//
// A torrent is one byte stream (BEP 3): its files concatenated in metainfo order, padding files
// (BEP 47) included. A storage maps ranges of that stream onto its backend. Every offset in this
// header is a torrent-relative byte offset: piece p, byte b is at p * piece_length + b.
//
// Pick a backend per torrent with add_torrent_params::storage (session.hpp): leave it empty for
// files on disk, or use blob_storage_factory() / memory_storage_factory() below, or write your own
// `storage` subclass and return it from a factory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "tessera/result.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera {

/// Why the files-on-disk backend refused a file (storage_error::ec; category "tessera.storage").
/// Each message says why, after the operation and the file's full path, e.g.
/// "open /home/u/.bashrc: exists and is not part of this download (no piece of it verifies)".
enum class storage_errc {
  /// A file is at the path of one of the torrent's files, but the torrent did not create it, no
  /// piece read from it verified, and no resume data records it as the torrent's: it is neither
  /// written into nor deleted. Allow overwriting (session_settings::overwrite_existing_files,
  /// add_torrent_params::overwrite_existing_files, `tessera --overwrite`) to replace it.
  existing_file = 1,
  /// The file's path ends in a symbolic link. Links are never followed (openat2
  /// RESOLVE_NO_SYMLINKS); with overwriting allowed the link itself is replaced by a new file
  /// and its target is left alone.
  symlink,
  /// A directory on the file's path is a symbolic link. Never followed, never replaced, even with
  /// overwriting allowed: move it away, or download elsewhere.
  symlinked_directory,
  /// The file has more than one hard link (st_nlink > 1): a write would change the other names'
  /// contents too, perhaps outside the download directory. Never written into, even with
  /// overwriting allowed.
  hard_linked,
  /// move storage: a file is already at the new place of one of the torrent's files. It is not
  /// replaced (nothing is moved) unless the torrent may overwrite existing files.
  target_exists,
};
/// The category of storage_errc (name "tessera.storage").
const std::error_category& storage_category() noexcept;
inline std::error_code make_error_code(storage_errc e) {
  return {static_cast<int>(e), storage_category()};
}

/// A failed storage operation: the OS error, which operation, and on which file. This is what puts
/// a torrent into torrent_state::error; torrent_status::error then holds message().
/// Backends refuse metainfo paths that could escape the download directory: a file path that is
/// absolute or has an empty, "." or ".." component gives op=open and ec=std::errc::invalid_argument.
/// The files-on-disk backend never follows a symlink and never writes into a file that is not the
/// torrent's own: such refusals are op=write with a storage_errc (see above). A path that names
/// something other than a regular file (a FIFO, a device) gives op=open and
/// ec=std::errc::invalid_argument.
struct storage_error {
  enum class operation {
    open,      ///< opening or creating a file (or the download directory)
    read,      ///< reading bytes
    write,     ///< writing bytes (also: the directory is not writable, the file was deleted)
    mkdir,     ///< creating a directory
    truncate,  ///< changing a file's size
    stat,      ///< asking a file's type or size
    flush,     ///< making written bytes durable (fsync/fdatasync)
    remove,    ///< deleting a file (remove with data, move storage)
    rename,    ///< moving a file (move storage)
  };
  std::error_code ec;            ///< the OS error (std::system_category) or a std::errc value
  operation op = operation::open;
  std::string path;              ///< full path of the file involved (empty when none)
  std::string message() const;   ///< e.g. "write /dl/a/b.bin: No space left on device"
};

/// "open", "read", "write", "mkdir", "truncate", "stat", "flush", "remove" or "rename".
const char* to_string(storage_error::operation op);

/// The bytes of one torrent. A backend is created for one torrent_info and keeps its own reference
/// to it.
///
/// Thread rules: the session calls initialize() once, on its network thread, before anything else.
/// After that, write(), read(), flush() and on_disk_sizes() are called from the disk pool's threads
/// (session_settings::disk_threads of them), concurrently: two calls may run at once, and two
/// concurrent write() calls, or a write() and a read(), always cover non-overlapping byte ranges (a
/// piece is written once, when verified, and never read while being written). close_all() may run
/// concurrently with any of them. So implementations must be thread-safe for non-overlapping
/// ranges; none of these calls may block for long on anything but its own I/O.
///
/// Errors: expected failures are values (storage_error), never exceptions. A write() error, or a
/// read() error while checking existing data, stops the torrent: torrent_state::error with the
/// error's message() in torrent_status::error and a torrent_error event; other torrents in the
/// session go on. A read() error while serving a peer fails that peer's request only. A flush()
/// error goes back to its caller. Missing data is not an error: read() returns a short count.
///
/// Ownership: the session holds the storage through a shared_ptr for as long as the torrent exists
/// (pending disk jobs may keep it a little longer); a factory may keep its own reference too (e.g.
/// to read the data of a memory storage afterwards).
class storage {
 public:
  virtual ~storage() = default;

  /// Prepares the backend (e.g. checks that the download directory exists or can be created and is
  /// writable). Must not create the torrent's files: they are created lazily on first write, so a
  /// skipped file is never created. Padding files (BEP 47) are never created. An error here makes
  /// session::add_torrent fail with its ec and message.
  virtual result<bool, storage_error> initialize() = 0;

  /// Writes `data` at torrent byte `offset`, split across the files it spans (padding files are
  /// skipped). An offset/size outside [0, total_size] is op=write, ec=errc::invalid_argument.
  virtual result<bool, storage_error> write(std::int64_t offset,
                                            std::span<const std::uint8_t> data) = 0;

  /// Reads into `out` from torrent byte `offset`; padding reads as zeros. Returns the number of
  /// bytes read: less than out.size() when the range reaches past the torrent's end, or a file is
  /// missing or short (not an error; the start-up check uses it to tell which pieces exist). An
  /// offset outside [0, total_size] is op=read, ec=errc::invalid_argument.
  virtual result<std::size_t, storage_error> read(std::int64_t offset,
                                                  std::span<std::uint8_t> out) = 0;

  /// Makes every byte written so far durable (it survives a power loss) before returning; used
  /// before resume data claims pieces as verified. The default does nothing, for backends with
  /// nothing durable. Blocks for the disk: call it from a disk thread, not the network thread.
  virtual result<bool, storage_error> flush() { return true; }

  /// Closes every open file without syncing (that is flush()'s job). Reads and writes running
  /// concurrently finish on the descriptor they hold; later calls reopen files.
  virtual void close_all() = 0;

  /// For each file (index = file_index, metainfo order): how many of its bytes exist in the
  /// backend; -1 when the file does not exist. Padding files report their full size. The start-up
  /// check uses it to skip, without reading, pieces that cannot be complete. An empty vector means
  /// "unknown" (every piece is read); that is what this default returns.
  virtual std::vector<std::int64_t> on_disk_sizes() { return {}; }

  /// Deletes the torrent's data from the backend (session::remove_torrent with delete_data).
  /// Called after close_all(), with no read or write running (the disk pool runs it alone: every
  /// job of this storage queued before it has finished). Blocking. The default does nothing (a
  /// backend whose data is not the session's to delete). Files on disk: only the torrent's own
  /// files (see make_file_storage).
  virtual result<bool, storage_error> remove_files() { return true; }

  /// Moves the data so that a storage of the same kind created for `new_save_path` finds it
  /// (torrent_handle::move_storage). Called after close_all(), with no read or write running (run
  /// alone, like remove_files). Blocking. The default fails with
  /// std::errc::operation_not_supported. Files on disk: only the torrent's own files move, and a
  /// file at a target is not replaced (storage_errc::target_exists) unless overwriting is allowed.
  virtual result<bool, storage_error> move_files(const std::filesystem::path& new_save_path) {
    return unexpected{storage_error{std::make_error_code(std::errc::operation_not_supported),
                                    storage_error::operation::rename, new_save_path.string()}};
  }
  /// Renames the file or folder at `from` to `to`, both relative to the save path and differing
  /// only in their last component (torrent_handle::rename_path; see rename_torrent_path). Called
  /// like move_files: after close_all(), with no read or write running. The torrent then creates
  /// a new storage for the renamed torrent_info, so this only moves what the backend keeps under
  /// the old name. Blocking. The default does nothing and succeeds (for backends that keep no
  /// names: memory, blob). Files on disk: renamed in place beneath the save path (no symlink
  /// followed on the way), never over something already at `to` (storage_errc::target_exists);
  /// nothing at `from` is fine (nothing to rename); a file that is not the torrent's own is
  /// left where it is. A folder is renamed whole, with whatever else it holds.
  virtual result<bool, storage_error> rename_path(const std::string& from, const std::string& to) {
    (void)from;
    (void)to;
    return true;
  }
};

/// Files on disk under `save_path`, laid out as in the metainfo (file_entry::path): the default
/// backend. Keeps a bounded cache of open file descriptors (`max_open_files`, least recently used
/// closed first) and uses pread/pwrite. Writes bypass the page cache where they can: the 4 KiB
/// aligned middle of each file range of at least 64 KiB goes through a second descriptor opened
/// O_DIRECT (on a file system that refuses O_DIRECT every write is buffered). Reads are buffered.
///
/// Layout rules:
/// - Files are sparse and never pre-allocated or truncated: a file grows as pieces are written and
///   has its final size once every piece overlapping it is written. Zero-length files are created
///   when a write touches their offset (whatever is at such a path already is left alone and is
///   not the torrent's). A partly downloaded file is short on disk, which lets the start-up check
///   skip its missing tail cheaply.
/// - Every open resolves the path beneath save_path and follows no symlink at all (openat2
///   RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS; where the kernel lacks it, a component walk that
///   refuses every symlink). save_path itself may be a symlink. Directories are created with mode
///   0755, files with 0644 (both less the umask). Only writes (and initialize) create
///   directories: reads, on_disk_sizes and flush never do, not even save_path.
/// - Files that were there before (docs/hardening.md, "Files on disk"): a file is the torrent's
///   own once this storage created it (a new file is opened O_CREAT|O_EXCL), a piece read from it
///   verified in the start-up check, the resume data records it, or a write replaced it with
///   overwriting allowed (session_settings::overwrite_existing_files). A write into any other
///   file fails with storage_errc::existing_file; a symlink at a file's path with
///   storage_errc::symlink (with overwriting allowed the link is replaced by a new file); a
///   symlinked directory with storage_errc::symlinked_directory; a file with other hard links
///   with storage_errc::hard_linked (the last two even with overwriting allowed). Existing files
///   are never truncated. remove_files() deletes, and move_files() moves, only the torrent's own.
/// - A read opens the file O_RDONLY when it is not open already; a missing file, or a symlink,
///   reads as a short count.
/// - A file deleted while open (or whose directory was removed, e.g. `rm -rf` of the download
///   directory) is never written into silently: the write that finds it unlinked fails with
///   op=write, ec=ENOENT, and nothing is re-created (pieces already verified there are gone, so
///   the torrent stops in the error state; add it again to start over). A file that cannot be
///   created because its directory is gone fails the same way (op=mkdir or open, ENOENT).
/// - flush() fdatasync()s every file written since the previous flush (op=flush on failure).
std::shared_ptr<storage> make_file_storage(std::shared_ptr<const torrent_info> ti,
                                           std::filesystem::path save_path,
                                           std::size_t max_open_files = 64);

/// The whole torrent in ONE file at `path`: byte offset in the blob = byte offset in the torrent,
/// padding included, so the blob is at most ti->total_size() bytes. For embedded uses and callers
/// that manage files themselves.
/// - The blob (and its parent directories, mode 0755) is created on the first write, mode 0644,
///   and grows sparsely; it is never truncated or pre-allocated. initialize() only checks that the
///   parent directory exists or can be created and is writable.
/// - Writes skip padding bytes and leave holes there; reads return zeros for padding.
/// - A missing blob, or one that ends inside the range, makes a short read (not an error).
///   on_disk_sizes(): per file, how many of its bytes lie before the blob's end, -1 when the blob
///   does not reach the file's start (or does not exist); padding reports its full size.
/// - A blob path that names something other than a regular file is refused (op=open,
///   errc::invalid_argument). A blob deleted while open fails the next write (op=write, ENOENT).
/// - flush() fsync()s the blob (op=flush on failure); nothing to do before the first write.
/// `path` comes from the user, not from the torrent: it is opened as given.
std::shared_ptr<storage> make_blob_storage(std::shared_ptr<const torrent_info> ti,
                                           std::filesystem::path path);

/// The torrent's bytes in memory: at most ti->total_size() bytes, allocated on the first write. For
/// tests and embedded uses. It behaves like the files-on-disk backend as seen through the
/// interface: each file "exists" once a write touched it and has the length of its furthest
/// written byte, so on_disk_sizes() and short reads tell missing tails just like sparse files do;
/// padding always reads as zeros. An allocation failure is op=write, errc::not_enough_memory (empty
/// path). flush() and close_all() do nothing; the bytes live as long as the storage object.
/// Every call takes one internal mutex.
std::shared_ptr<storage> make_memory_storage(std::shared_ptr<const torrent_info> ti);

/// What add_torrent_params::storage holds: creates the storage of a torrent from its metainfo and
/// the save path given to add_torrent. Called once per torrent on the session's network thread
/// (during add_torrent; for a magnet link once the metadata is known), so it must return quickly
/// and must not call members of session or torrent_handle. Returning null makes add_torrent fail
/// with errc::invalid_argument.
using storage_factory = std::function<std::shared_ptr<storage>(
    std::shared_ptr<const torrent_info> ti, const std::filesystem::path& save_path)>;

/// Files on disk under the save path (make_file_storage); the same as an empty factory.
storage_factory file_storage_factory();

/// One blob per torrent (make_blob_storage) at `blob_path`: when empty, "<save_path>/<info-hash
/// hex>.blob" (info_hash_t::to_hex(): v1's 40 digits, else v2's 64); when relative, relative to
/// the save path; when absolute, as given (then one factory serves one torrent only).
storage_factory blob_storage_factory(std::filesystem::path blob_path = {});

/// Every torrent in memory (make_memory_storage); the save path is not used.
storage_factory memory_storage_factory();

}  // namespace tessera

template <>
struct std::is_error_code_enum<tessera::storage_errc> : std::true_type {};
