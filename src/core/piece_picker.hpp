// Which blocks to request from which peer: rarest-first with a random tie-break, partial pieces
// finished first, and endgame (BEP 3 "End Game"). Pure bookkeeping; no I/O, no clock.
#pragma once

#include <cstdint>
#include <random>
#include <utility>
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
  /// piece, already received this block, or `b` is out of range): the caller drops the data. On
  /// true, `others` (cleared first) gets the other peers that still have the block requested
  /// (endgame), to send them `cancel`. A block that arrives unrequested is accepted.
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
  // How it works (see piece_picker.cpp for the details):
  // - Availability: avail_[p] counts the non-seed peers that have p; seeds_ counts peers that
  //   joined with a complete bitfield and is added to every piece, so a seed costs O(1).
  // - Fresh pieces (not had, nothing requested or received) sit in buckets_[avail_[p]], each
  //   bucket in random order (inside-out Fisher-Yates on insert). Moving a piece between buckets
  //   is O(1), and a pick walks the buckets rarest first, stopping once it has enough blocks.
  // - Partial pieces (some block requested or received) have a per-block state in partials_;
  //   they are few, so picks scan them linearly, most complete first.
  // - Endgame extra requesters live in a small side list, empty outside endgame.
  enum class block_state : std::uint8_t { none, requested, received };
  struct block_info {
    peer_key peer = 0;  ///< first requester while state == requested
    block_state state = block_state::none;
  };
  struct partial_piece {
    int piece = 0;
    int requested = 0;  ///< blocks in state requested
    int received = 0;   ///< blocks in state received
    std::vector<block_info> blocks;
  };
  /// A duplicate request handed out in endgame: the block's first requester is in block_info.
  struct extra_request {
    int piece = 0;
    int block = 0;
    peer_key peer = 0;
  };

  bool valid(piece_index p) const { return p.value >= 0 && p.value < num_pieces_; }
  std::uint64_t next_random();
  void bucket_insert(int p);
  void bucket_erase(int p);
  void change_availability(int p, int delta);
  partial_piece& make_partial(int p);
  void drop_partial(int p);
  void release_if_untouched(int p);
  void clear_extras(int piece);
  bool requested_by(const partial_piece& pp, int block, peer_key peer) const;
  /// Request unrequested blocks of `pp` until out.size() reaches `limit`; true when it has.
  bool pick_from(partial_piece& pp, int limit, peer_key peer, std::vector<block_address>& out);
  /// Endgame: duplicate blocks of `pp` requested by others (not by `peer`), up to `limit`.
  bool endgame_pick_from(partial_piece& pp, int limit, peer_key peer,
                         std::vector<block_address>& out);

  int num_pieces_ = 0;
  int blocks_per_piece_ = 0;
  int blocks_in_last_piece_ = 0;
  std::uint64_t rng_state_ = 0;

  std::vector<int> avail_;                 ///< per piece: non-seed peers that have it
  int seeds_ = 0;                          ///< peers added with a complete bitfield
  std::vector<std::vector<int>> buckets_;  ///< fresh pieces by avail_, random order inside
  std::vector<int> bucket_pos_;            ///< per piece: index in its bucket, or -1 if not fresh
  int num_fresh_ = 0;                      ///< pieces in buckets_

  std::vector<partial_piece> partials_;
  std::vector<int> partial_slot_;    ///< per piece: index in partials_, or -1
  int unrequested_in_partials_ = 0;  ///< blocks in state none over partials_
  std::vector<extra_request> extras_;
  std::vector<std::vector<block_info>> spare_blocks_;  ///< recycled partial_piece::blocks
  std::vector<std::pair<int, int>> scratch_;           ///< pick(): (-progress, slot)

  bitfield have_;
  int num_have_ = 0;
};

}  // namespace tessera::detail
