// The upload side's read cache. A peer asks for the 16 KiB blocks of a piece (BEP 3 `request`)
// one after another, so one disk read of a larger span replaces one per block: fewer thread
// hand-offs, allocations and syscalls. The span read is a *window*: the whole piece when it is
// small, otherwise an aligned window of the piece holding the request, so a 16 KiB request never
// costs a 64 MiB read (read_window_for). Windows being read and windows cached share one byte
// budget; when it is used up by reads in flight, the caller reads just the requested block.
// Pure bookkeeping (no I/O, no clock): the torrent starts the reads and hands the results back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "swarm/peer_connection.hpp"
#include "tessera/types.hpp"

namespace tessera::detail {

/// How the upload side sizes its disk reads (torrent_limits holds the values in use).
struct read_window_policy {
  /// Pieces up to this size are read whole: every common piece size (16 KiB .. 1 MiB), so
  /// seeding them costs one disk job per piece.
  std::int32_t whole_piece_bytes = 1 << 20;
  /// Larger pieces are read in windows of this size, aligned to a multiple of it from the piece's
  /// start (the last window of a piece may be shorter). 512 KiB is libtorrent 1.2's read cache
  /// line (read_cache_line_size, 32 blocks). Must be a positive multiple of 16 KiB.
  std::int32_t window_bytes = 512 << 10;
};

/// A span of one piece read (and cached) as a unit: `length` bytes from byte `start`.
struct read_window {
  std::int32_t start = 0;
  std::int32_t length = 0;
  bool operator==(const read_window&) const = default;
};

/// The window to read for a request of `length` bytes at `begin` of a piece of `piece_size`
/// bytes: the whole piece when piece_size <= whole_piece_bytes, else the aligned window holding
/// `begin`. nullopt when the request is not inside one window (a request that is not aligned to
/// blocks and straddles a window edge; real clients never send one): read just the request.
/// The range must be inside the piece (the connection validated it).
std::optional<read_window> read_window_for(std::int32_t piece_size, std::int32_t begin,
                                           std::int32_t length, const read_window_policy& policy);

/// A request waiting for its window's read: `length` bytes at `begin` of the piece (not of the
/// window), then `done`.
struct read_waiter {
  std::int32_t begin = 0;
  std::int32_t length = 0;
  peer_host::read_handler done;
};

/// Windows read for upload, keyed by (piece, window start). A window is either being read (its
/// waiters are queued) or cached (its bytes are shared, immutable). Budget: the bytes of cached
/// windows plus those of windows being read stay within `max_bytes`. A new read first evicts
/// cached windows, least recently used first; when reads in flight alone leave no room, wait()
/// refuses it (over_budget) and the caller reads just its block outside the cache. A dropped
/// buffer stays alive while a caller holds its shared_ptr.
/// Single-threaded: used on the network thread only.
class piece_read_cache {
 public:
  using buffer = std::shared_ptr<const std::vector<std::uint8_t>>;

  /// `max_bytes`: bound on the bytes of cached windows plus windows being read.
  explicit piece_read_cache(std::int64_t max_bytes) : max_bytes_(max_bytes) {}

  /// The cached bytes of window `w` of `p` (and marks them most recently used), or null when it is
  /// not cached (absent, or still being read).
  buffer find(piece_index p, read_window w);

  enum class wait_result {
    joined,      ///< a read of the window is in flight: `waiter` was queued on it
    start_read,  ///< `waiter` was queued and room reserved: the caller starts the read and
                 ///< reports it with complete()
    over_budget  ///< no room (reads in flight fill the budget): `waiter` was not taken
  };
  /// Queues `waiter` for the read of window `w` of `p`. `waiter` is moved from unless the result
  /// is over_budget. Must not be called for a cached window.
  wait_result wait(piece_index p, read_window w, read_waiter&& waiter);
  /// The read of window `w` of `p` ended: `data` holds its bytes, or is null when the read failed
  /// (then nothing is cached). Releases the room reserved by wait(). Returns the waiters, in the
  /// order they were queued, for the caller to answer. Unknown window (e.g. after clear()):
  /// caches nothing and returns no waiters.
  std::vector<read_waiter> complete(piece_index p, read_window w, buffer data);
  /// Drops every cached window and forgets reads in flight (their waiters are destroyed
  /// unanswered, and a later complete() for them is ignored).
  void clear();

  /// Bytes of cached windows plus windows being read (at most max_bytes()).
  std::int64_t bytes() const { return bytes_; }
  /// Bytes of windows being read.
  std::int64_t bytes_in_flight() const { return in_flight_; }
  /// Highest bytes() seen.
  std::int64_t peak_bytes() const { return peak_; }
  std::int64_t max_bytes() const { return max_bytes_; }
  /// Windows cached (not counting those being read).
  int num_cached() const;
  /// Windows being read.
  int num_pending() const;

 private:
  struct entry {
    buffer data;                       // null while being read
    std::int64_t reserved = 0;         // bytes counted while being read
    std::vector<read_waiter> waiters;  // while being read
    std::uint64_t last_use = 0;
  };
  static std::uint64_t key(piece_index p, std::int32_t start) {
    return std::uint64_t(std::uint32_t(p.value)) << 32 | std::uint32_t(start);
  }
  /// Evicts cached windows, least recently used first, until `room` more bytes fit; false when
  /// they do not fit even with nothing cached.
  bool make_room(std::int64_t room);

  std::int64_t max_bytes_;
  std::int64_t bytes_ = 0;
  std::int64_t in_flight_ = 0;
  std::int64_t peak_ = 0;
  std::uint64_t clock_ = 0;
  std::unordered_map<std::uint64_t, entry> entries_;
};

}  // namespace tessera::detail
