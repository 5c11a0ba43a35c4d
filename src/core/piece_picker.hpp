// Which blocks to request from which peer: rarest-first with a random tie-break, partial pieces
// finished first, and endgame (BEP 3 "End Game"). Pure bookkeeping; no I/O, no clock.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "core/bitfield.hpp"
#include "tessera/types.hpp"

namespace tessera::detail {

/// Identifies a peer connection to the picker (the torrent hands out small unique numbers).
using peer_key = std::uint32_t;

/// One block: piece and block index inside it (byte offset = block * block_size).
struct block_address {
  piece_index piece;
  block_index block;
  bool operator==(const block_address&) const = default;
};

class piece_picker {
 public:
  /// `blocks_per_piece` for every piece but the last, which has `blocks_in_last_piece`.
  /// `seed` feeds the random tie-break (fixed in tests).
  piece_picker(int num_pieces, int blocks_per_piece, int blocks_in_last_piece,
               std::uint64_t seed = std::random_device{}());

  int num_pieces() const;
  int blocks_in_piece(piece_index p) const;

  // --- availability: how many connected peers have each piece ---
  void add_peer(const bitfield& peer_has);     ///< a peer's bitfield (or all-set for a seed)
  void remove_peer(const bitfield& peer_has);  ///< the peer left; undo add_peer + its haves
  void add_have(piece_index p);                ///< a peer sent `have`
  int availability(piece_index p) const;

  // --- our side ---
  /// We hold a verified copy of `p` (from the start-up check or a passed hash).
  void set_have(piece_index p);
  bool have(piece_index p) const;
  const bitfield& have_pieces() const;
  int num_have() const;
  bool is_complete() const;  ///< every piece verified

  /// True when `peer_has` holds a piece we do not have (so we should be interested).
  bool is_interesting(const bitfield& peer_has) const;

  /// Appends to `out` up to `max` blocks that `peer_has` has, marking them requested by `peer`.
  /// Order: blocks of partial pieces first (most complete first), then new pieces rarest-first
  /// with a random tie-break. Outside endgame a block is handed to one peer only. When every
  /// missing block is already requested, endgame: blocks requested by other peers (never twice
  /// by the same peer) are handed out again. Blocks already received are never picked.
  void pick(const bitfield& peer_has, int max, peer_key peer, std::vector<block_address>& out);

  /// A request by `peer` ended without data (choke, reject, timeout, disconnect).
  void abort_request(block_address b, peer_key peer);
  /// Every request of `peer` ended (it disconnected or choked us without the fast extension).
  void abort_all(peer_key peer);

  /// Data for `b` arrived from `peer`. Returns false when the block is not wanted (we have the
  /// piece or already received this block): the caller drops the data. On true, `others` gets the
  /// other peers that still have the block requested (endgame), to send them `cancel`.
  bool mark_received(block_address b, peer_key peer, std::vector<peer_key>* others = nullptr);

  /// Every block of `p` received (hash pending).
  bool all_blocks_received(piece_index p) const;
  /// Hash passed: same as set_have.
  void piece_passed(piece_index p);
  /// Hash failed: every block of `p` becomes missing again.
  void piece_failed(piece_index p);

  bool in_endgame() const;
  /// Pieces with at least one block requested or received but not yet verified.
  int num_partial() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;  // shared_ptr only so the class stays copyable in tests
};

}  // namespace tessera::detail
