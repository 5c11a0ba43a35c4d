// Parole: a piece that failed its hash check is downloaded again from one peer only, as
// libtorrent's parole mode does for the peers of a failed piece. Mixed again from several peers,
// a liar's block would fail it again and again, and the smart ban (smart_ban.hpp) would never
// see the verified piece it compares against; from one peer, the piece either passes (and the
// smart ban names the liars of the earlier failure) or fails with a single sender, who is then
// the liar. The first peer that gets blocks of a paroled piece owns it; the others do not see
// it until it passes, or the owner leaves or stops serving it. Pure bookkeeping.
// Single-threaded: used on the network thread only.
#pragma once

#include <map>
#include <optional>

#include "core/bitfield.hpp"
#include "core/piece_picker.hpp"
#include "tessera/types.hpp"

namespace tessera::detail {

class piece_parole {
 public:
  /// `p` failed its hash check: its next download goes to one peer (any owner is dropped).
  void add(piece_index p) { owners_[p] = std::nullopt; }
  /// `p` passed: it is free for every peer again.
  void remove(piece_index p) { owners_.erase(p); }
  bool contains(piece_index p) const { return owners_.count(p) != 0; }
  bool empty() const { return owners_.empty(); }
  /// The peer that owns `p`; nullopt when `p` is not paroled or nobody owns it yet.
  std::optional<peer_key> owner(piece_index p) const;
  /// `peer` was handed blocks of `p`: it owns `p` when `p` is paroled and unowned.
  void claim(piece_index p, peer_key peer);
  /// Clears in `peer_has` (a peer's piece set) the paroled pieces another peer owns.
  void hide_owned_by_others(bitfield& peer_has, peer_key peer) const;
  /// `peer` stopped serving `p` (a request of it was aborted): `p` is unowned again. True when
  /// `peer` owned `p`.
  bool release(piece_index p, peer_key peer);
  /// `peer` left: every piece it owned is unowned again.
  void release_all(peer_key peer);
  void clear() { owners_.clear(); }

 private:
  std::map<piece_index, std::optional<peer_key>> owners_;
};

}  // namespace tessera::detail
