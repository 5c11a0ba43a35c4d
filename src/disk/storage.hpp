// Where a torrent's bytes live. The torrent is one byte stream (BEP 3); a storage maps ranges of
// it onto its backend. This is the files-on-disk backend's interface; more backends (one blob,
// memory) implement the same class later.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "tessera/result.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::detail {

/// A failed storage operation: the OS error, which operation, and on which file.
/// A file path that is absolute or has an empty, "." or ".." component is refused with
/// op=open and ec=std::errc::invalid_argument; a path that would resolve outside the download
/// directory through a symlink is refused with op=open and ec=std::errc::cross_device_link (EXDEV,
/// what openat2(RESOLVE_BENEATH) reports) or too_many_symbolic_link_levels (ELOOP). A path that
/// names something other than a regular file (a FIFO, a device) is refused with op=open and
/// ec=std::errc::invalid_argument.
struct storage_error {
  enum class operation { open, read, write, mkdir, truncate, stat };
  std::error_code ec;
  operation op = operation::open;
  std::string path;             ///< full path of the file involved (empty when none)
  std::string message() const;  ///< e.g. "write /dl/a/b.bin: No space left on device"
};

/// "open", "read", "write", "mkdir", "truncate" or "stat".
const char* to_string(storage_error::operation op);

/// "<operation> <path>: <OS message>" (the path part left out when empty): the one format of
/// every disk error message.
std::string format_io_error(const char* operation, const std::string& path, std::error_code ec);

/// The checks every backend's read() starts with: how many bytes a read of `want` bytes at torrent
/// byte `offset` can return (clamped at the end of the torrent), or an invalid_argument
/// storage_error when `offset` is outside [0, total_size].
result<std::int64_t, storage_error> readable_length(const torrent_info& ti, std::int64_t offset,
                                                    std::size_t want);

class storage {
 public:
  virtual ~storage() = default;

  /// Checks that the download directory exists or can be created and is writable. Files are
  /// created lazily on first write (so a skipped file is never created). Padding files (BEP 47)
  /// are never created.
  virtual result<bool, storage_error> initialize() = 0;

  /// Writes `data` at torrent byte `offset`, split across the files it spans (padding files are
  /// skipped). Thread-safe for non-overlapping ranges: the disk pool calls it from several threads.
  virtual result<bool, storage_error> write(std::int64_t offset,
                                            std::span<const std::uint8_t> data) = 0;

  /// Reads into `out` from torrent byte `offset`. Padding reads as zeros. Returns the number of
  /// bytes read: less than out.size() when a file is missing or short (not an error; the start-up
  /// check uses it to tell which pieces exist). Thread-safe like write().
  virtual result<std::size_t, storage_error> read(std::int64_t offset,
                                                  std::span<std::uint8_t> out) = 0;

  /// Closes every open file (flushing is the kernel's job; no fsync). Reads and writes running
  /// concurrently finish on the descriptor they hold; later calls reopen files.
  virtual void close_all() = 0;

  /// For each file (index = file_index, metainfo order): how many of its bytes exist in the
  /// backend; -1 when the file does not exist. Padding files report their full size. The start-up
  /// check uses it to skip, without reading, pieces that cannot be complete. An empty vector means
  /// "unknown" (every piece is read); that is what this default returns. Thread-safe.
  virtual std::vector<std::int64_t> on_disk_sizes() { return {}; }
};

/// Files on disk under `save_path`, laid out as in the metainfo (file_entry::path). Keeps a bounded
/// cache of open file descriptors (`max_open_files`, least recently used closed first) and uses
/// pread/pwrite. Writes bypass the page cache where they can: the 4 KiB-aligned middle of each
/// file range of at least 64 KiB goes through a second descriptor opened O_DIRECT (see
/// direct_write.hpp; on a file system that refuses O_DIRECT every write is buffered). Reads are
/// always buffered.
///
/// Layout choices:
/// - Files are sparse and never pre-allocated or truncated: a file grows as pieces are written and
///   has its final size once every piece overlapping it is written (its last byte belongs to some
///   piece). Zero-length files are created when a write touches their offset. So a partly
///   downloaded file is short on disk, which lets the start-up check skip its missing tail cheaply.
/// - Every open resolves the path beneath save_path (openat2 RESOLVE_BENEATH; where the kernel
///   lacks it, a component walk that refuses every symlink): a symlink inside the download
///   directory that points outside it is never followed. Directories are created with mode 0755,
///   files with 0644 (both less the umask).
/// - A write opens the file O_RDWR|O_CREAT; a read opens it O_RDONLY when it is not open already,
///   and a missing file reads as a short count.
/// The storage keeps its own reference to `ti`.
std::shared_ptr<storage> make_file_storage(std::shared_ptr<const torrent_info> ti,
                                           std::filesystem::path save_path,
                                           std::size_t max_open_files = 64);

}  // namespace tessera::detail
