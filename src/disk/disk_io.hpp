// The disk thread pool: piece hashing, writes and reads run here, off the network thread, and
// their results are posted back to the caller's executor.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "core/bitfield.hpp"
#include "disk/storage.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::detail {

/// Outcome of hashing and writing one piece.
struct piece_write_result {
  piece_index piece;
  bool hash_passed = false;               ///< SHA-1 matched the metainfo
  std::optional<storage_error> error;     ///< set when the write failed (hash_passed is then true)
};

/// Progress and outcome of the start-up check of existing data.
struct check_result {
  bitfield have;                          ///< pieces present on disk with a matching hash
  std::optional<storage_error> error;     ///< a read error other than "file missing"
};

class disk_io {
 public:
  /// Starts `threads` worker threads.
  explicit disk_io(int threads = 2);
  /// Finishes queued jobs, then joins the workers.
  ~disk_io();
  disk_io(const disk_io&) = delete;
  disk_io& operator=(const disk_io&) = delete;

  /// Hashes the whole piece in `data` (its blocks assembled in memory, piece_size bytes) and,
  /// when it matches the metainfo, writes it at the piece's offset. `done` runs on `ex`.
  void async_hash_and_write(std::shared_ptr<storage> st, std::shared_ptr<const torrent_info> ti,
                            piece_index piece, std::vector<std::uint8_t> data,
                            boost::asio::any_io_executor ex,
                            std::function<void(piece_write_result)> done);

  /// Reads `length` bytes at byte `begin` of `piece` (for serving a `request`). `done` runs on `ex`
  /// with the bytes, or an error (a short read is an error here).
  void async_read(std::shared_ptr<storage> st, std::shared_ptr<const torrent_info> ti,
                  piece_index piece, std::int32_t begin, std::int32_t length,
                  boost::asio::any_io_executor ex,
                  std::function<void(result<std::vector<std::uint8_t>, storage_error>)> done);

  /// Hashes every piece already on disk. `progress(pieces_checked)` and `done` run on `ex`.
  /// Uses all workers in parallel; missing or short files simply leave their pieces unset.
  void async_check(std::shared_ptr<storage> st, std::shared_ptr<const torrent_info> ti,
                   boost::asio::any_io_executor ex, std::function<void(int)> progress,
                   std::function<void(check_result)> done);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace tessera::detail
