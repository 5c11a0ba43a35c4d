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

#include "tessera/result.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::detail {

/// A failed storage operation: the OS error, which operation, and on which file.
struct storage_error {
  enum class operation { open, read, write, mkdir, truncate, stat };
  std::error_code ec;
  operation op = operation::open;
  std::string path;      ///< full path of the file involved (empty when none)
  std::string message() const;  ///< e.g. "write /dl/a/b.bin: No space left on device"
};

class storage {
 public:
  virtual ~storage() = default;

  /// Checks that the download directory exists or can be created and is writable. Files are
  /// created lazily on first write (so a skipped file is never created). Padding files (BEP 47)
  /// are never created.
  virtual result<bool, storage_error> initialize() = 0;

  /// Writes `data` at torrent byte `offset`, split across the files it spans (padding files are
  /// skipped). Thread-safe for non-overlapping ranges: the disk pool calls it from several threads.
  virtual result<bool, storage_error> write(std::int64_t offset, std::span<const std::uint8_t> data) = 0;

  /// Reads into `out` from torrent byte `offset`. Padding reads as zeros. Returns the number of
  /// bytes read: less than out.size() when a file is missing or short (not an error; the start-up
  /// check uses it to tell which pieces exist). Thread-safe like write().
  virtual result<std::size_t, storage_error> read(std::int64_t offset, std::span<std::uint8_t> out) = 0;

  /// Closes every open file (flushing is the kernel's job; no fsync).
  virtual void close_all() = 0;
};

/// Files on disk under `save_path`, laid out as in the metainfo (file_entry::path). Keeps a bounded
/// cache of open file descriptors and uses pwrite/pread.
std::shared_ptr<storage> make_file_storage(std::shared_ptr<const torrent_info> ti,
                                           std::filesystem::path save_path);

}  // namespace tessera::detail
