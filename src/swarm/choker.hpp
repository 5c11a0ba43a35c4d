// The choker of BEP 3 ("Choking and optimistic unchoking"): tit-for-tat over a few regular upload
// slots plus a rotating optimistic unchoke, with anti-snubbing. One pure function over snapshots
// of the torrent's peers: no sockets, no clock reads (time is a parameter), randomness from a
// caller-owned generator, so it is tested alone with fixed seeds and time points.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "core/piece_picker.hpp"  // peer_key

namespace tessera::detail {

/// Which rate ranks the regular slots. BEP 3: a downloader reciprocates to the peers it downloads
/// fastest from; "once a downloader has completed, it uses its upload rates rather than its
/// download rates to decide whom to unchoke".
enum class choker_mode {
  leeching,  ///< rank by download_rate (bytes/s we receive from the peer): tit-for-tat
  seeding,   ///< rank by upload_rate (bytes/s we send to the peer): serve who takes data fastest
};

/// Tunables of the choker. All durations are std::chrono; slot counts are >= 0 (negative values
/// are treated as 0).
struct choker_settings {
  /// Regular (reciprocation) upload slots. BEP 3 / the original client: 4.
  int regular_slots = 4;
  /// Optimistic unchoke slots. BEP 3: 1.
  int optimistic_slots = 1;
  /// How often the caller should run the choker (BEP 3: every 10 s). Not read by run_choker: the
  /// caller owns the timer; kept here so the defaults live in one place.
  std::chrono::seconds rechoke_interval{10};
  /// How long an optimistic unchoke is kept before it rotates (BEP 3: every 30 s). run_choker
  /// rotates a slot when now - chosen_at >= this.
  std::chrono::seconds optimistic_interval{30};
  /// A peer connected for less than this is "new" for the optimistic draw. 60 s: two optimistic
  /// rotations, long enough for a new peer to be drawn before it stops counting as new.
  std::chrono::seconds new_peer_age{60};
  /// Weight of a new peer in the optimistic draw relative to an old one (weight 1). 3, as the
  /// original client and libtorrent do, so a newcomer with nothing to trade gets a first piece.
  int new_peer_weight = 3;
};

/// What the choker needs to know about one connected peer, sampled by the caller just before a
/// round. Keys must be unique within one call.
struct choker_peer {
  peer_key key = 0;
  /// The peer told us "interested" (it wants to download from us).
  bool peer_interested = false;
  /// Bytes/s we currently receive from the peer (see rate_meter).
  std::int64_t download_rate = 0;
  /// Bytes/s we currently send to the peer.
  std::int64_t upload_rate = 0;
  /// When the connection was established (handshake done).
  std::chrono::steady_clock::time_point connected_at{};
  /// Anti-snubbing: we requested blocks but the peer sent none for a while (the caller's rule,
  /// typically 60 s). A snubbed peer gets no regular slot; it may still be the optimistic one.
  /// Ignored in seeding mode: a seed requests nothing, so a flag left over from leeching is stale.
  bool snubbed = false;
  /// The peer has every piece. It can want nothing from us, so it gets no slot even if it claims
  /// to be interested.
  bool is_seed = false;
  /// Current state: true if we are choking it now (used for tie-breaks and the diff lists).
  bool am_choking = true;
};

/// One optimistic slot carried between rounds.
struct optimistic_unchoke {
  peer_key key = 0;
  /// When this peer was drawn for the slot.
  std::chrono::steady_clock::time_point chosen_at{};

  bool operator==(const optimistic_unchoke&) const = default;
};

/// The choker's memory between rounds: the current optimistic peers. Starts empty.
struct choker_state {
  std::vector<optimistic_unchoke> optimistic;
};

/// Outcome of one round. All key lists are sorted ascending and hold no duplicates.
struct choke_result {
  /// Every peer to be unchoked after this round: regular ∪ optimistic.
  std::vector<peer_key> unchoked;
  /// The peers holding a regular slot.
  std::vector<peer_key> regular;
  /// Peers with am_choking == true that are in `unchoked`: send them "unchoke".
  std::vector<peer_key> to_unchoke;
  /// Peers with am_choking == false that are not in `unchoked`: send them "choke".
  std::vector<peer_key> to_choke;
  /// The state to pass to the next round (the optimistic peers, disjoint from `regular`).
  choker_state state;
};

/// Runs one choking round (BEP 3) over `peers` at time `now`.
///
/// Eligibility: a peer can get any slot only if it is interested and not a seed.
///
/// Regular slots: the eligible, non-snubbed peers (snubbed is ignored while seeding), ranked by
/// download_rate while leeching and upload_rate while seeding, highest first; the top
/// `regular_slots` get them. Ties are broken deterministically, in this order: a peer we already
/// unchoke first (BEP 3 warns against fibrillation: flapping choke/unchoke between equal peers),
/// then the longer-connected peer (earlier connected_at), then the lower key. If fewer peers
/// qualify than there are slots, all of them get one (the spare slots stay empty).
///
/// Optimistic slots: a slot from `state` is kept while its peer is still listed, eligible, did not
/// get a regular slot this round, and now - chosen_at < optimistic_interval. Otherwise it is
/// redrawn (chosen_at = now) at random among the eligible peers without a regular slot and not
/// already optimistic (snubbed peers included: the optimistic unchoke is how a snubbing peer gets
/// another chance). A peer whose slot just expired is left out of the redraw when anyone else can
/// take it, so the slot really rotates. Peers connected less than new_peer_age before `now` weigh
/// new_peer_weight, others 1. A slot stays empty if no candidate exists.
///
/// Randomness: one rng() call per draw, reduced modulo the total weight (the bias is negligible
/// for 64-bit output and makes results identical across standard libraries for a given seed).
///
/// Pure: reads nothing but its arguments; `rng` is advanced. No errors. Complexity
/// O(n log n) in the number of peers.
choke_result run_choker(std::span<const choker_peer> peers, choker_mode mode,
                        std::chrono::steady_clock::time_point now, const choker_settings& settings,
                        const choker_state& state, std::mt19937_64& rng);

}  // namespace tessera::detail
