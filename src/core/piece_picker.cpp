// Piece picker: priorities, rarest-first or sequential, partial pieces first, endgame (BEP 3
// "End Game").
//
// Every piece we lack is in exactly one of three places:
// - skipped: priority 0, nothing requested or received. In no list: never picked.
// - fresh: nothing requested or received. Kept in buckets_[q][a] where q is its priority (1..7)
//   and a = avail_[p], the number of
//   non-seed peers having p. Inside a bucket the order is random: an inserted piece swaps with a
//   uniformly chosen slot (inside-out Fisher-Yates), which is the random tie-break between equally
//   rare pieces. An availability change moves the piece to the next/previous bucket in O(1).
//   Seeds are a counter added to every piece's availability; they do not change the order, so a
//   seed joining or leaving costs O(1) instead of O(num_pieces).
// - partial: a block_info per block (none / requested / received). A partial piece whose last
//   request is aborted with nothing received goes back to fresh, so partials_ holds only pieces
//   with progress; it stays small (about one piece per unchoked peer).
//
// pick() first continues partial pieces the peer has, higher priority then most progress first
// (finishing pieces lets us verify and share them sooner and bounds the number of open pieces;
// the torrent caps the pieces in memory, so a started piece must not wait behind new ones); then
// opens fresh pieces walking the priorities from 7 down to 1 and inside each the buckets from the
// rarest, stopping as soon as it has `max` blocks. Sequential mode replaces the bucket walk with
// an index scan from the first piece not had, per priority (see pick_sequential). The cost is
// proportional to the partial pieces plus the fresh pieces inspected, not to num_pieces, for a
// peer that has most pieces (the common case; a seed hits on the first piece it looks at).
//
// Endgame: once every missing block of every piece some peer has is requested or received,
// pick() also hands out blocks already requested by other peers (never twice to the same peer).
// The duplicates are recorded in extras_; mark_received reports them so the caller can cancel.
#include "core/piece_picker.hpp"

#include <algorithm>

namespace tessera::detail {

namespace {

bool has_piece(const bitfield& bits, int p) { return p < bits.size() && bits.get(p); }

}  // namespace

piece_picker::piece_picker(int num_pieces, int blocks_per_piece, int blocks_in_last_piece,
                           std::uint64_t seed)
    : num_pieces_(std::max(num_pieces, 0)),
      blocks_per_piece_(std::max(blocks_per_piece, 1)),
      blocks_in_last_piece_(std::clamp(blocks_in_last_piece, 1, std::max(blocks_per_piece, 1))),
      rng_state_(seed),
      avail_(num_pieces_, 0),
      bucket_pos_(num_pieces_, -1),
      prio_(num_pieces_, static_cast<std::uint8_t>(default_priority)),
      wanted_(num_pieces_, true),
      num_wanted_missing_(num_pieces_),
      partial_slot_(num_pieces_, -1),
      have_(num_pieces_) {
  buckets_[default_priority].resize(1);
  buckets_[default_priority][0].reserve(num_pieces_);
  for (int p = 0; p < num_pieces_; ++p) bucket_insert(p);
}

int piece_picker::num_pieces() const { return num_pieces_; }

int piece_picker::blocks_in_piece(piece_index p) const {
  if (!valid(p)) return 0;
  return p.value == num_pieces_ - 1 ? blocks_in_last_piece_ : blocks_per_piece_;
}

// splitmix64: small, fast and good enough to shuffle buckets; not for anything secret.
std::uint64_t piece_picker::next_random() {
  std::uint64_t z = (rng_state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void piece_picker::bucket_insert(int p) {
  const int q = prio_[p];
  if (q == 0) return;  // skipped: in no bucket
  const auto a = static_cast<std::size_t>(avail_[p]);
  auto& level = buckets_[q];
  if (level.size() <= a) level.resize(a + 1);
  auto& bucket = level[a];
  bucket.push_back(p);
  const std::size_t last = bucket.size() - 1;
  const std::size_t j = next_random() % bucket.size();
  std::swap(bucket[j], bucket[last]);
  bucket_pos_[bucket[last]] = static_cast<int>(last);
  bucket_pos_[bucket[j]] = static_cast<int>(j);
  ++num_fresh_;
  ++fresh_at_[q];
}

void piece_picker::bucket_erase(int p) {
  const int q = prio_[p];
  auto& bucket = buckets_[q][static_cast<std::size_t>(avail_[p])];
  const int pos = bucket_pos_[p];
  const int moved = bucket.back();
  bucket[pos] = moved;
  bucket_pos_[moved] = pos;
  bucket.pop_back();
  bucket_pos_[p] = -1;
  --num_fresh_;
  --fresh_at_[q];
}

void piece_picker::change_availability(int p, int delta) {
  if (delta < 0 && avail_[p] == 0) return;  // unbalanced remove: never go negative
  const bool fresh = bucket_pos_[p] >= 0;
  if (fresh) bucket_erase(p);
  avail_[p] += delta;
  if (fresh) bucket_insert(p);
}

void piece_picker::add_peer(const bitfield& peer_has) {
  if (peer_has.size() == num_pieces_ && peer_has.all()) {
    ++seeds_;
    return;
  }
  const int n = std::min(peer_has.size(), num_pieces_);
  for (int p = 0; p < n; ++p) {
    if (peer_has.get(p)) change_availability(p, +1);
  }
}

void piece_picker::remove_peer(const bitfield& peer_has) {
  // A peer that became complete through `have`s is counted in avail_, not seeds_; taking one off
  // seeds_ instead of every avail_ leaves each piece's total the same, so either is correct.
  if (peer_has.size() == num_pieces_ && peer_has.all() && seeds_ > 0) {
    --seeds_;
    return;
  }
  const int n = std::min(peer_has.size(), num_pieces_);
  for (int p = 0; p < n; ++p) {
    if (peer_has.get(p)) change_availability(p, -1);
  }
}

void piece_picker::add_have(piece_index p) {
  if (valid(p)) change_availability(p.value, +1);
}

int piece_picker::availability(piece_index p) const {
  return valid(p) ? avail_[p.value] + seeds_ : 0;
}

void piece_picker::set_have(piece_index p) {
  if (!valid(p) || have_.get(p.value)) return;
  have_.set(p.value);
  ++num_have_;
  if (wanted_.get(p.value)) --num_wanted_missing_;
  if (bucket_pos_[p.value] >= 0) bucket_erase(p.value);
  if (partial_slot_[p.value] >= 0) drop_partial(p.value);
}

bool piece_picker::have(piece_index p) const { return valid(p) && have_.get(p.value); }
const bitfield& piece_picker::have_pieces() const { return have_; }
int piece_picker::num_have() const { return num_have_; }
bool piece_picker::is_complete() const { return num_have_ == num_pieces_; }
bool piece_picker::is_finished() const { return num_wanted_missing_ == 0; }
int piece_picker::num_wanted_missing() const { return num_wanted_missing_; }

void piece_picker::set_priority(piece_index p, int priority) {
  if (!valid(p)) return;
  const int i = p.value;
  const int q = std::clamp(priority, 0, num_priorities - 1);
  if (prio_[i] == q) return;
  const bool fresh = bucket_pos_[i] >= 0;
  if (fresh) bucket_erase(i);
  const bool was_wanted = prio_[i] > 0;
  prio_[i] = static_cast<std::uint8_t>(q);
  if (was_wanted != (q > 0)) {
    if (q > 0) wanted_.set(i);
    else wanted_.clear(i);
    if (!have_.get(i)) num_wanted_missing_ += q > 0 ? 1 : -1;
  }
  // A fresh or skipped piece goes to the bucket of its new priority (none for 0).
  if (!have_.get(i) && partial_slot_[i] < 0) bucket_insert(i);
}

int piece_picker::priority(piece_index p) const { return valid(p) ? prio_[p.value] : 0; }

void piece_picker::set_sequential(bool on) { sequential_ = on; }

bool piece_picker::is_interesting(const bitfield& peer_has) const {
  if (num_wanted_missing_ == 0) return false;
  if (peer_has.size() == num_pieces_) {
    // Spare bits are zero in all three, so whole bytes can be compared.
    const auto theirs = peer_has.bytes();
    const auto ours = have_.bytes();
    const auto wanted = wanted_.bytes();
    for (std::size_t i = 0; i < theirs.size(); ++i) {
      if (theirs[i] & wanted[i] & ~ours[i]) return true;
    }
    return false;
  }
  const int n = std::min(peer_has.size(), num_pieces_);
  for (int p = 0; p < n; ++p) {
    if (peer_has.get(p) && wanted_.get(p) && !have_.get(p)) return true;
  }
  return false;
}

piece_picker::partial_piece& piece_picker::make_partial(int p) {
  // A skipped piece (priority 0) is in no bucket; mark_received makes one partial when a block
  // of it arrives anyway.
  if (bucket_pos_[p] >= 0) bucket_erase(p);
  partial_piece pp;
  pp.piece = p;
  if (!spare_blocks_.empty()) {
    pp.blocks = std::move(spare_blocks_.back());
    spare_blocks_.pop_back();
  }
  const int n = blocks_in_piece(piece_index{p});
  pp.blocks.assign(static_cast<std::size_t>(n), block_info{});
  unrequested_in_partials_ += n;
  partial_slot_[p] = static_cast<int>(partials_.size());
  partials_.push_back(std::move(pp));
  return partials_.back();
}

void piece_picker::drop_partial(int p) {
  const int slot = partial_slot_[p];
  auto& pp = partials_[slot];
  unrequested_in_partials_ -= static_cast<int>(pp.blocks.size()) - pp.requested - pp.received;
  spare_blocks_.push_back(std::move(pp.blocks));
  if (pp.requested > 0) clear_extras(p);
  if (slot != static_cast<int>(partials_.size()) - 1) {
    pp = std::move(partials_.back());
    partial_slot_[pp.piece] = slot;
  }
  partials_.pop_back();
  partial_slot_[p] = -1;
}

void piece_picker::release_if_untouched(int p) {
  const int slot = partial_slot_[p];
  if (slot < 0) return;
  const auto& pp = partials_[slot];
  if (pp.requested != 0 || pp.received != 0) return;
  drop_partial(p);
  bucket_insert(p);
}

void piece_picker::clear_extras(int piece) {
  std::erase_if(extras_, [&](const extra_request& e) { return e.piece == piece; });
}

bool piece_picker::requested_by(const partial_piece& pp, int block, peer_key peer) const {
  const auto& bi = pp.blocks[block];
  if (bi.state != block_state::requested) return false;
  if (bi.peer == peer) return true;
  return std::any_of(extras_.begin(), extras_.end(), [&](const extra_request& e) {
    return e.piece == pp.piece && e.block == block && e.peer == peer;
  });
}

bool piece_picker::pick_from(partial_piece& pp, int limit, peer_key peer,
                             std::vector<block_address>& out) {
  const int n = static_cast<int>(pp.blocks.size());
  for (int b = 0; b < n && static_cast<int>(out.size()) < limit; ++b) {
    auto& bi = pp.blocks[b];
    if (bi.state != block_state::none) continue;
    bi.state = block_state::requested;
    bi.peer = peer;
    ++pp.requested;
    --unrequested_in_partials_;
    out.push_back({piece_index{pp.piece}, block_index{b}});
  }
  return static_cast<int>(out.size()) >= limit;
}

bool piece_picker::endgame_pick_from(partial_piece& pp, int limit, peer_key peer,
                                     std::vector<block_address>& out) {
  const int n = static_cast<int>(pp.blocks.size());
  for (int b = 0; b < n && static_cast<int>(out.size()) < limit; ++b) {
    if (pp.blocks[b].state != block_state::requested || requested_by(pp, b, peer)) continue;
    extras_.push_back({pp.piece, b, peer});
    out.push_back({piece_index{pp.piece}, block_index{b}});
  }
  return static_cast<int>(out.size()) >= limit;
}

void piece_picker::pick(const bitfield& peer_has, int max, peer_key peer,
                        std::vector<block_address>& out) {
  if (max <= 0) return;
  // `max` counts blocks added by this call; out may already hold some.
  const int limit = static_cast<int>(out.size()) + max;

  // 1. Partial pieces with unrequested blocks, higher priority first, then most progress first.
  // The sort key packs both: priority dominates (a piece has at most 2^16 blocks or so).
  if (unrequested_in_partials_ > 0) {
    scratch_.clear();
    for (std::size_t slot = 0; slot < partials_.size(); ++slot) {
      const auto& pp = partials_[slot];
      const int progress = pp.requested + pp.received;
      const int q = prio_[pp.piece];
      if (q > 0 && progress < static_cast<int>(pp.blocks.size()) && has_piece(peer_has, pp.piece)) {
        scratch_.emplace_back(-(q * (1 << 24) + progress), static_cast<int>(slot));
      }
    }
    std::sort(scratch_.begin(), scratch_.end());
    for (const auto& [key, slot] : scratch_) {
      if (pick_from(partials_[slot], limit, peer, out)) return;
    }
  }

  // 2. Fresh pieces, highest priority first; inside a priority rarest first (or by index in
  // sequential mode). make_partial() moves the bucket's last piece into slot i, so i is only
  // advanced past pieces the peer lacks.
  if (sequential_) {
    if (pick_sequential(peer_has, limit, peer, out)) return;
  } else {
    for (int q = num_priorities - 1; q > 0; --q) {
      if (fresh_at_[q] == 0) continue;
      for (auto& bucket : buckets_[q]) {
        std::size_t i = 0;
        while (i < bucket.size()) {
          const int p = bucket[i];
          if (!has_piece(peer_has, p)) {
            ++i;
            continue;
          }
          if (pick_from(make_partial(p), limit, peer, out)) return;
        }
      }
    }
  }

  // 3. Endgame: duplicate requests for blocks still in flight elsewhere (wanted pieces only).
  if (in_endgame()) {
    for (auto& pp : partials_) {
      if (prio_[pp.piece] > 0 && has_piece(peer_has, pp.piece) &&
          endgame_pick_from(pp, limit, peer, out)) {
        return;
      }
    }
  }
}

bool piece_picker::pick_sequential(const bitfield& peer_has, int limit, peer_key peer,
                                   std::vector<block_address>& out) {
  while (seq_cursor_ < num_pieces_ && have_.get(seq_cursor_)) ++seq_cursor_;
  // One scan per priority that has fresh pieces: usually one or two. The scan starts at the first
  // piece not had; partial and skipped pieces on the way are passed over.
  for (int q = num_priorities - 1; q > 0; --q) {
    for (int p = seq_cursor_; p < num_pieces_ && fresh_at_[q] > 0; ++p) {
      if (bucket_pos_[p] < 0 || prio_[p] != q || !has_piece(peer_has, p)) continue;
      if (pick_from(make_partial(p), limit, peer, out)) return true;
    }
  }
  return false;
}

void piece_picker::abort_request(block_address b, peer_key peer) {
  if (!valid(b.piece)) return;
  const int p = b.piece.value;
  const int slot = partial_slot_[p];
  if (slot < 0) return;
  auto& pp = partials_[slot];
  const int blk = b.block.value;
  if (blk < 0 || blk >= static_cast<int>(pp.blocks.size())) return;
  auto& bi = pp.blocks[blk];
  if (bi.state != block_state::requested) return;

  // When `peer` is the first requester, any duplicate of the block takes its place; otherwise
  // only `peer`'s own duplicate is removed.
  const bool first = bi.peer == peer;
  auto extra = std::find_if(extras_.begin(), extras_.end(), [&](const extra_request& e) {
    return e.piece == p && e.block == blk && (first || e.peer == peer);
  });
  if (first) {
    if (extra != extras_.end()) {  // another peer still has it requested: it becomes the first
      bi.peer = extra->peer;
      extras_.erase(extra);
      return;
    }
    bi.state = block_state::none;
    --pp.requested;
    ++unrequested_in_partials_;
    release_if_untouched(p);
  } else if (extra != extras_.end()) {
    extras_.erase(extra);
  }
}

void piece_picker::abort_all(peer_key peer) {
  std::erase_if(extras_, [&](const extra_request& e) { return e.peer == peer; });
  std::vector<int> untouched;
  for (auto& pp : partials_) {
    const int n = static_cast<int>(pp.blocks.size());
    for (int b = 0; b < n; ++b) {
      auto& bi = pp.blocks[b];
      if (bi.state != block_state::requested || bi.peer != peer) continue;
      auto extra = std::find_if(extras_.begin(), extras_.end(), [&](const extra_request& e) {
        return e.piece == pp.piece && e.block == b;
      });
      if (extra != extras_.end()) {
        bi.peer = extra->peer;
        extras_.erase(extra);
        continue;
      }
      bi.state = block_state::none;
      --pp.requested;
      ++unrequested_in_partials_;
    }
    if (pp.requested == 0 && pp.received == 0) untouched.push_back(pp.piece);
  }
  for (int p : untouched) release_if_untouched(p);
}

bool piece_picker::mark_received(block_address b, peer_key peer, std::vector<peer_key>* others) {
  if (others) others->clear();
  if (!valid(b.piece) || have_.get(b.piece.value)) return false;
  const int p = b.piece.value;
  const int blk = b.block.value;
  if (blk < 0 || blk >= blocks_in_piece(b.piece)) return false;
  // A block nobody requested (e.g. it arrived after its request timed out and the piece went
  // back to fresh) is still useful.
  partial_piece& pp = partial_slot_[p] >= 0 ? partials_[partial_slot_[p]] : make_partial(p);
  auto& bi = pp.blocks[blk];
  switch (bi.state) {
    case block_state::received:
      return false;
    case block_state::none:
      --unrequested_in_partials_;
      break;
    case block_state::requested:
      if (others && bi.peer != peer) others->push_back(bi.peer);
      std::erase_if(extras_, [&](const extra_request& e) {
        if (e.piece != p || e.block != blk) return false;
        if (others && e.peer != peer) others->push_back(e.peer);
        return true;
      });
      --pp.requested;
      break;
  }
  bi.state = block_state::received;
  ++pp.received;
  return true;
}

bool piece_picker::all_blocks_received(piece_index p) const {
  if (!valid(p)) return false;
  if (have_.get(p.value)) return true;
  const int slot = partial_slot_[p.value];
  return slot >= 0 && partials_[slot].received == static_cast<int>(partials_[slot].blocks.size());
}

void piece_picker::piece_passed(piece_index p) { set_have(p); }

void piece_picker::piece_failed(piece_index p) {
  if (!valid(p)) return;
  const int i = p.value;
  if (have_.get(i)) {
    have_.clear(i);
    --num_have_;
    if (wanted_.get(i)) ++num_wanted_missing_;
  }
  seq_cursor_ = std::min(seq_cursor_, i);
  if (partial_slot_[i] >= 0) drop_partial(i);
  if (bucket_pos_[i] < 0) bucket_insert(i);
}

bool piece_picker::in_endgame() const {
  if (is_finished()) return false;
  if (unrequested_in_partials_ > 0) {
    // Unrequested blocks of a partial piece lowered to priority 0 are never requested, so they
    // do not hold endgame off.
    for (const auto& pp : partials_) {
      if (prio_[pp.piece] > 0 && pp.requested + pp.received < static_cast<int>(pp.blocks.size())) {
        return false;
      }
    }
  }
  // Fresh pieces nobody has cannot be requested, so they do not hold endgame off.
  int unavailable = 0;
  if (seeds_ == 0) {
    for (const auto& level : buckets_) {
      if (!level.empty()) unavailable += static_cast<int>(level[0].size());
    }
  }
  return num_fresh_ - unavailable == 0;
}

int piece_picker::num_partial() const { return static_cast<int>(partials_.size()); }

}  // namespace tessera::detail
