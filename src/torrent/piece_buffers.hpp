// Bookkeeping of the pieces a torrent is downloading: outstanding request counts, the in-memory
// buffer each piece is assembled in, which peer sent each block (for the smart ban,
// smart_ban.hpp), and the pieces handed to the disk for hashing. Pure bookkeeping (no I/O, no
// clock) so the memory bounds can be tested alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/piece_picker.hpp"
#include "tessera/types.hpp"

namespace tessera::detail {

/// In-flight pieces of one torrent. A piece is "active" from its first outstanding request (or
/// first received block) until its buffer goes to the disk; it is "hashing" from then until the
/// disk reports back. Memory bound: each active piece with a received block holds one buffer of
/// its piece size; buffers are allocated on the first block and a few freed ones are kept for reuse.
/// Single-threaded: used on the network thread only.
class piece_buffers {
 public:
  /// `max_free` freed buffers are kept for reuse (the rest are released).
  explicit piece_buffers(std::size_t max_free = 4) : max_free_(max_free) {}

  // --- requests ---
  /// A request for a block of `p` was sent (the piece becomes active).
  void request_sent(piece_index p);
  /// A request for a block of `p` ended (data arrived, aborted or cancelled). Never goes below 0.
  void request_ended(piece_index p);
  /// Outstanding requests for blocks of `p`.
  int outstanding(piece_index p) const;

  // --- assembly ---
  /// Copies `data` (a received block at byte `offset` of `p`) into p's buffer, allocating a buffer
  /// of `piece_size` bytes on the first block, and records `from` (never 0) as the sender of block
  /// offset / block_size (a later block at the same index replaces it). Returns false (storing
  /// nothing) when the block does not fit inside the piece or `p` is hashing.
  bool store(piece_index p, std::int32_t piece_size, std::int32_t offset,
             std::span<const std::uint8_t> data, peer_key from);
  /// Moves p's buffer out for hashing; its senders are kept until finish_hash(p). The buffer's
  /// bytes count in bytes_at_disk() until then. Returns an empty vector if p had none.
  std::vector<std::uint8_t> take_for_hash(piece_index p);
  /// The disk reported back on `p`: returns the sender of each block (index = block; 0 for a
  /// block never stored) and forgets the piece.
  std::vector<peer_key> finish_hash(piece_index p);
  /// Drops p's buffer and senders (e.g. the piece is not wanted any more); keeps the buffer
  /// for reuse.
  void discard(piece_index p);

  // --- state ---
  bool is_active(piece_index p) const { return active_.count(p) != 0; }
  bool is_hashing(piece_index p) const { return hashing_.count(p) != 0; }
  int num_active() const { return static_cast<int>(active_.size()); }
  int num_hashing() const { return static_cast<int>(hashing_.size()); }
  /// Bytes held by buffers of active pieces (allocated ones only).
  std::int64_t bytes_in_memory() const { return bytes_in_memory_; }
  /// Bytes handed to the disk and not yet reported back.
  std::int64_t bytes_at_disk() const { return bytes_at_disk_; }
  /// Buffers kept for reuse.
  std::size_t num_free() const { return free_.size(); }
  /// An upper bound of the blocks of active pieces not requested yet: the sum over active pieces
  /// of blocks_in_piece(p) - outstanding(p) (received blocks are not subtracted).
  std::int64_t unrequested_bound(const std::function<int(piece_index)>& blocks_in_piece) const;
  /// Active pieces holding received data but no outstanding request (their progress depends on
  /// someone requesting them again).
  std::vector<piece_index> idle_pieces() const;
  /// True when `peer` sent a block of some active or hashing piece.
  bool references(peer_key peer) const;

  /// Takes back a buffer the disk is done with (piece_write_result::buffer), so the next piece
  /// reuses its memory instead of allocating and zero-filling a new one.
  void recycle(std::vector<std::uint8_t> buf) { release(std::move(buf)); }

 private:
  struct active_piece {
    int outstanding = 0;
    std::vector<std::uint8_t> buffer;  // empty until the first block
    std::vector<peer_key> block_from;  // sender of each block, 0: none yet
  };
  struct hashing_piece {
    std::int64_t bytes = 0;
    std::vector<peer_key> block_from;
  };
  void erase_if_idle(piece_index p);
  std::vector<std::uint8_t> allocate(std::int32_t size);
  void release(std::vector<std::uint8_t> buf);

  std::unordered_map<piece_index, active_piece> active_;
  std::unordered_map<piece_index, hashing_piece> hashing_;
  std::vector<std::vector<std::uint8_t>> free_;
  std::size_t max_free_;
  std::int64_t bytes_in_memory_ = 0;
  std::int64_t bytes_at_disk_ = 0;
};

}  // namespace tessera::detail
