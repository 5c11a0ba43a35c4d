// The upload side's read cache: whole pieces read from disk once and kept (a few, bounded in
// bytes) so the 16 KiB `request`s of a piece (BEP 3) are served from memory. A peer asks for the
// blocks of a piece one after another, so one disk job per piece replaces one per block (64 for a
// 1 MiB piece): fewer thread hand-offs, allocations and syscalls. Pure bookkeeping (no I/O, no
// clock): the torrent starts the reads and hands the results back here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "swarm/peer_connection.hpp"
#include "tessera/types.hpp"

namespace tessera::detail {

/// A request waiting for its piece's read: `length` bytes at `begin` of the piece, then `done`.
struct read_waiter {
  std::int32_t begin = 0;
  std::int32_t length = 0;
  peer_host::read_handler done;
};

/// Pieces read for upload, keyed by piece index. A piece is either being read (its waiters are
/// queued) or cached (its bytes are shared, immutable). Cached pieces beyond `max_bytes` are
/// dropped least recently used first; the newest cached piece is always kept, and pieces being
/// read are not counted (their number is bounded by the peers' reads in flight). A dropped
/// buffer stays alive while a caller holds its shared_ptr.
/// Single-threaded: used on the network thread only.
class piece_read_cache {
 public:
  using buffer = std::shared_ptr<const std::vector<std::uint8_t>>;

  /// `max_bytes`: bound on the bytes of cached pieces (at least one piece is kept regardless).
  explicit piece_read_cache(std::int64_t max_bytes) : max_bytes_(max_bytes) {}

  /// The cached bytes of `p` (and marks them most recently used), or null when `p` is not
  /// cached (absent, or still being read).
  buffer find(piece_index p);
  /// Queues `w` for the read of `p`. Returns true when no read of `p` was in flight: the caller
  /// must start one and report it with complete(). Must not be called for a cached piece.
  bool wait(piece_index p, read_waiter w);
  /// The read of `p` ended: `data` holds the piece's bytes, or is null when the read failed (then
  /// nothing is cached). Returns the waiters, in the order they were queued, for the caller to
  /// answer. Unknown `p` (e.g. after clear()): caches nothing and returns no waiters.
  std::vector<read_waiter> complete(piece_index p, buffer data);
  /// Drops every cached piece and forgets reads in flight (their waiters are destroyed unanswered,
  /// and a later complete() for them is ignored).
  void clear();

  /// Bytes of cached pieces.
  std::int64_t bytes() const { return bytes_; }
  /// Pieces cached (not counting those being read).
  int num_cached() const;
  /// Pieces being read.
  int num_pending() const;

 private:
  struct entry {
    buffer data;                       // null while being read
    std::vector<read_waiter> waiters;  // while being read
    std::uint64_t last_use = 0;
  };
  void evict(piece_index keep);

  std::int64_t max_bytes_;
  std::int64_t bytes_ = 0;
  std::uint64_t clock_ = 0;
  std::unordered_map<piece_index, entry> entries_;
};

}  // namespace tessera::detail
