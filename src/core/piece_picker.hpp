// Which blocks to request from which peer: piece priorities (0 = skip .. 7), rarest-first with a
// random tie-break inside a priority, or sequential; partial pieces finished first, and endgame
// (BEP 3 "End Game"). Pure bookkeeping; no I/O, no clock.
#pragma once

#include <array>
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

  /// Piece priorities: 0 = skip (never picked, not needed to be finished), 1 (lowest) .. 7
  /// (highest). Every piece starts at default_priority.
  static constexpr int num_priorities = 8;
  static constexpr int default_priority = 4;

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
  /// Every piece of priority > 0 verified (true also when every piece is skipped). A finished
  /// picker picks nothing; raising a missing piece's priority makes it unfinished again.
  bool is_finished() const;
  /// Pieces of priority > 0 not verified yet.
  int num_wanted_missing() const;

  // --- priorities and order ---
  /// Sets `p`'s priority, clamped to [0, 7]; an index out of range is ignored. Lowering a
  /// partial piece to 0 keeps its requested and received blocks (they may still complete it) but
  /// hands out no more of its blocks.
  void set_priority(piece_index p, int priority);
  /// `p`'s priority; 0 for an index out of range.
  int priority(piece_index p) const;
  /// Sequential mode: new pieces are opened lowest index first (within the highest priority that
  /// has pieces left) instead of rarest first. Partial pieces are still continued first.
  void set_sequential(bool on);
  bool sequential() const { return sequential_; }

  /// True when `peer_has` holds a piece of priority > 0 we do not have (so we should be
  /// interested).
  bool is_interesting(const bitfield& peer_has) const;

  /// Appends to `out` up to `max` blocks that `peer_has` has, marking them requested by `peer`.
  /// Order: blocks of partial pieces first (higher priority first, then most complete first),
  /// then new pieces by priority, highest first, and inside a priority rarest-first with a random
  /// tie-break (or lowest index first in sequential mode). Pieces of priority 0 are never picked.
  /// Outside endgame a block is handed to one peer only. When every missing block of a wanted
  /// piece is already requested, endgame: blocks requested by other peers (never twice by the
  /// same peer) are handed out again. Blocks already received are never picked.
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
  // - Fresh pieces (not had, nothing requested or received, priority > 0) sit in
  //   buckets_[priority][avail_[p]], each bucket in random order (inside-out Fisher-Yates on
  //   insert). Moving a piece between buckets is O(1), and a pick walks the priorities from the
  //   highest and inside each the buckets rarest first, stopping once it has enough blocks.
  //   Fresh pieces of priority 0 are in no bucket (bucket_pos_ -1, not partial, not had).
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
  /// Sequential mode, step 2 of pick(): fresh pieces lowest index first, by priority.
  bool pick_sequential(const bitfield& peer_has, int limit, peer_key peer,
                       std::vector<block_address>& out);
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
  /// Fresh pieces by priority, then by avail_, random order inside; [0] stays empty.
  std::array<std::vector<std::vector<int>>, num_priorities> buckets_;
  std::array<int, num_priorities> fresh_at_{};  ///< pieces in buckets_[priority]
  std::vector<int> bucket_pos_;            ///< per piece: index in its bucket, or -1 if not fresh
  int num_fresh_ = 0;                      ///< pieces in buckets_
  std::vector<std::uint8_t> prio_;         ///< per piece: priority 0..7
  bitfield wanted_;                        ///< per piece: priority > 0
  int num_wanted_missing_ = 0;             ///< pieces with priority > 0 and not had
  bool sequential_ = false;
  int seq_cursor_ = 0;                     ///< every piece below it is had (sequential scans)

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
