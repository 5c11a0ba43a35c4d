// The session's choker (libtorrent's model): ONE choking round over the peers of every running
// torrent, so that session_settings::unchoke_slots bounds the regular upload slots of the whole
// session -- 500 torrents unchoke 4 peers, not 500 or 1,000. Pure: the caller samples each
// torrent's peers (choker_peer snapshots) and applies the decisions; time and randomness come in.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "swarm/choker.hpp"

namespace tessera::detail {

/// One torrent's part of a round.
struct torrent_choke_input {
  /// The torrent's identity, stable across rounds and unique in the session (the optimistic
  /// unchokes carried between rounds name it).
  std::uint64_t torrent = 0;
  /// Seeding torrents rank their peers by upload rate (what the peer takes from us), downloading
  /// ones by download rate (tit-for-tat, BEP 3), and ignore snubbing when seeding; both kinds
  /// compete for the same slots.
  bool seeding = false;
  /// Its peers; keys unique within the torrent.
  std::vector<choker_peer> peers;
};

/// What one torrent must do after a round: send `choke` / `unchoke` to these peers (its keys).
struct torrent_choke_output {
  std::uint64_t torrent = 0;
  std::vector<peer_key> to_choke;
  std::vector<peer_key> to_unchoke;
};

/// An optimistic unchoke carried between rounds: a peer of a torrent.
struct global_optimistic {
  std::uint64_t torrent = 0;
  peer_key key = 0;
  std::chrono::steady_clock::time_point chosen_at{};
};

/// Runs run_choker (swarm/choker.hpp) over every torrent's peers at once, with the session's
/// slots. Not thread-safe (one owner: the session's network thread).
class global_choker {
 public:
  /// Optimistic slots for `regular_slots` regular ones: one per five, at least one (libtorrent's
  /// default num_optimistic_unchoke_slots).
  static int optimistic_slots_for(int regular_slots) { return regular_slots / 5 > 1 ? regular_slots / 5 : 1; }

  /// One round at `now`: `settings.regular_slots` and `settings.optimistic_slots` are the whole
  /// session's. Returns one output per input torrent that has something to change (in input
  /// order). The optimistic unchokes of torrents or peers no longer listed are forgotten.
  std::vector<torrent_choke_output> run(std::span<const torrent_choke_input> torrents,
                                        std::chrono::steady_clock::time_point now,
                                        const choker_settings& settings);
  /// Peers unchoked by the last round, over every torrent.
  int unchoked() const { return unchoked_; }
  const std::vector<global_optimistic>& optimistic() const { return optimistic_; }

 private:
  std::vector<global_optimistic> optimistic_;
  std::mt19937_64 rng_{std::random_device{}()};
  int unchoked_ = 0;
};

}  // namespace tessera::detail
