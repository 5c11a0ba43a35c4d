// The disk thread pool: piece hashing, writes and reads run here, off the network thread, and
// their results are posted back to the caller's executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/bitfield.hpp"
#include "core/v2_hash_store.hpp"
#include "disk/storage.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::detail {

/// Outcome of hashing and writing one piece.
struct piece_write_result {
  piece_index piece;
  /// The piece matched the metainfo: its SHA-1 (v1), its SHA-256 merkle target (v2), or both
  /// (hybrid); see disk/piece_check.hpp.
  bool hash_passed = false;
  std::optional<storage_error> error;  ///< set when the write failed (hash_passed is then true)
  /// The piece's buffer (the `data` given to async_hash_and_write), handed back so the caller can
  /// reuse its memory for the next piece instead of allocating (and page-faulting) a new one.
  /// Its contents are unspecified.
  std::vector<std::uint8_t> buffer;
  /// SHA-1 of each 16 KiB block of the piece as hashed (the last one may be shorter), for the
  /// smart ban (torrent/smart_ban.hpp): filled when the piece failed its hash, and when it passed
  /// if async_hash_and_write was asked for them; empty otherwise, or when `data` had the wrong
  /// size.
  std::vector<sha1_hash> block_hashes;
  /// For a piece of a v2 file (v2-only or hybrid, given a v2 check): the SHA-256 of each 16 KiB
  /// block of the file's bytes in the piece (padding left out; the last may be shorter), the
  /// leaves BEP 52 `hashes` replies give, so the sender of a bad block can be named. Filled when
  /// block_hashes is.
  std::vector<sha256_hash> v2_block_hashes;
};

/// How a whole-storage job (disk_io::async_storage_job) shares its storage with other jobs.
enum class storage_access {
  /// Runs beside the storage's other jobs (resume-data save, part-file moves): the storage's own
  /// locking is enough.
  shared,
  /// Runs alone: only once every job of the same storage queued before it has finished, and
  /// before any queued after it starts (remove_files, move_files, which delete or move the files
  /// and close the descriptors the other jobs use).
  exclusive,
};

/// Progress and outcome of the start-up check of existing data.
struct check_result {
  bitfield have;                       ///< pieces present on disk with a matching hash
  std::optional<storage_error> error;  ///< a read error other than "file missing"
};

/// Ordering: jobs start in FIFO order, except that a job of a storage never starts while an
/// exclusive job of the same storage (storage_access::exclusive) runs or waits ahead of it in the
/// queue, and an exclusive job starts only when no other job of its storage is running. Jobs of
/// other storages overtake a waiting exclusive job, so one torrent's remove never stalls the
/// others. The check's tasks and the job that follows a check's last task count as jobs of the
/// checked storage.
class disk_io {
 public:
  /// Starts `threads` worker threads (at least one).
  explicit disk_io(int threads = 2);
  /// Finishes the queued hash-and-write and read jobs (so no verified piece is lost; their
  /// callbacks are posted to their executors), drops any check in progress (its `done` is never
  /// called), then joins the workers. Posting to an executor whose io_context is stopped is
  /// harmless (the handler is destroyed with the context), but that io_context must still exist:
  /// destroy disk_io before the io_context it posts to. Must not be called from a worker thread
  /// (i.e. from a disk callback running on the pool; callbacks run on `ex`, so this only matters
  /// when `ex` is a pool executor).
  ~disk_io();
  disk_io(const disk_io&) = delete;
  disk_io& operator=(const disk_io&) = delete;

  /// Hashes the whole piece in `data` (its blocks assembled in memory, piece_size bytes) and,
  /// when it matches the metainfo, writes it at the piece's offset. `done` runs on `ex`.
  /// `v2` is the piece's v2 check (v2_hash_store::piece_check, a value): required for a piece of
  /// a v2-only torrent (without it the piece fails), checked beside the SHA-1 in a hybrid
  /// (piece_check.hpp, piece_matches).
  /// A piece index out of range or `data` of the wrong size gives hash_passed=false; a failed
  /// hash writes nothing. A failed piece comes back with its block_hashes, a passed one only
  /// with `hash_blocks_on_pass` (hashing each block costs a second pass over the piece, so it is
  /// done only where the smart ban needs it). Jobs run in FIFO order on any worker: two jobs may
  /// run concurrently. Thread-safe (any thread may call every async_ member).
  void async_hash_and_write(std::shared_ptr<storage> st, std::shared_ptr<const torrent_info> ti,
                            piece_index piece, std::vector<std::uint8_t> data,
                            boost::asio::any_io_executor ex,
                            std::function<void(piece_write_result)> done,
                            bool hash_blocks_on_pass = false,
                            std::optional<v2_piece_check> v2 = std::nullopt);

  /// Reads `length` bytes at byte `begin` of `piece` (for serving a `request`). `done` runs on `ex`
  /// with the bytes, or an error (a short read is an error here: op=read,
  /// ec=std::errc::no_message_available, i.e. ENODATA). A range outside the piece, or length <= 0,
  /// fails with op=read, ec=std::errc::invalid_argument and reads nothing.
  void async_read(std::shared_ptr<storage> st, std::shared_ptr<const torrent_info> ti,
                  piece_index piece, std::int32_t begin, std::int32_t length,
                  boost::asio::any_io_executor ex,
                  std::function<void(result<std::vector<std::uint8_t>, storage_error>)> done);

  /// Hashes every piece already on disk. `progress(pieces_checked)` and `done` run on `ex`.
  /// Uses all workers in parallel; missing or short files simply leave their pieces unset, and
  /// pieces that storage::on_disk_sizes() shows cannot be complete are skipped without reading.
  /// `progress` (may be empty) is posted at most every 100 ms; `done` exactly once, after every
  /// piece is checked (unless disk_io is destroyed first). Memory: one piece buffer per worker.
  /// Each worker yields to other queued jobs after every 8 MiB hashed, so writes and reads are
  /// not starved by a long check. A read error leaves that piece unset; the first one is
  /// reported in check_result::error and the check goes on.
  /// `trust` (may be empty) runs first, on a worker (it may stat files): the pieces it returns
  /// are reported present without reading them (resume data whose file stamps match).
  /// `finish` (may be empty) runs last, on a worker, with the pieces found present (it may stat
  /// files); an error it returns becomes check_result::error unless a read error came first.
  /// `v2` (may be null for a v1 torrent) gives the v2 targets of the pieces (v2_hash_store::
  /// snapshot): a v2-only piece without a known target is never found present; a hybrid piece
  /// must match both hashes when its target is known (piece_matches).
  void async_check(std::shared_ptr<storage> st, std::shared_ptr<const torrent_info> ti,
                   boost::asio::any_io_executor ex, std::function<void(int)> progress,
                   std::function<void(check_result)> done, std::function<bitfield()> trust = {},
                   std::function<std::optional<storage_error>(const bitfield&)> finish = {},
                   std::shared_ptr<const v2_piece_targets> v2 = {});

  /// Runs a whole-storage job of `st` (storage::remove_files, storage::move_files, a flush) on a
  /// worker, then `done` with its result on `ex`. `access` says whether it may run beside the
  /// storage's other jobs (see the ordering rules above). `st` may be null for a job that touches
  /// no storage (then `access` is ignored).
  void async_storage_job(std::shared_ptr<storage> st, storage_access access,
                         std::function<result<bool, storage_error>()> job,
                         boost::asio::any_io_executor ex,
                         std::function<void(result<bool, storage_error>)> done);

  /// Runs `job` on a worker, FIFO with the other jobs: CPU work on bytes from the network that
  /// must not hold up the network thread (parsing a magnet's fetched metadata). `job` posts its
  /// own result where it belongs. Like a queued write, a queued job still runs when disk_io is
  /// destroyed, so what it posts to must outlive disk_io (see ~disk_io).
  void async_run(std::function<void()> job);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace tessera::detail
