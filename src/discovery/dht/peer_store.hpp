// Peers announced to us with announce_peer (BEP 5), per info-hash, handed out in get_peers
// `values`. Holds both address families (6- and 18-byte compact peers, BEP 32): a dual-stack
// session's two nodes share one store, each handing out the family its queries came over, and
// the session's own lookups take both. Pure and bounded: entries expire, and the number of peers per info-hash and of
// info-hashes is capped so a flood of announces cannot grow memory without limit.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <vector>

#include "core/compact_peer.hpp"
#include "discovery/dht/node_id.hpp"

namespace tessera::detail::dht {

struct peer_store_limits {
  std::chrono::seconds lifetime{30 * 60};  ///< an announce is forgotten after this long
  std::size_t max_peers_per_hash = 100;    ///< the oldest announce gives way to a new peer
  std::size_t max_hashes = 5000;           ///< announces for a new info-hash beyond this are dropped
};

class peer_store {
 public:
  explicit peer_store(peer_store_limits limits = {}) : limits_(limits) {}

  /// Records that `peer` (address and BitTorrent port) has `info_hash` at `now`; refreshes the
  /// time if already known. Returns false when dropped because max_hashes is reached.
  bool announce(const sha1_hash& info_hash, const peer_endpoint& peer, clock::time_point now);

  /// Up to `max` unexpired peers of `info_hash` of the family `v6`, most recent first.
  std::vector<peer_endpoint> peers(const sha1_hash& info_hash, bool v6, std::size_t max,
                                   clock::time_point now) const;
  /// Up to `max` unexpired peers of `info_hash` of either family, most recent first.
  std::vector<peer_endpoint> peers_any_family(const sha1_hash& info_hash, std::size_t max,
                                              clock::time_point now) const;

  /// Forgets every announce older than the lifetime, and info-hashes left with none.
  void expire(clock::time_point now);

  std::size_t hash_count() const { return hashes_.size(); }
  /// Peers stored for `info_hash`, expired or not (until the next expire()).
  std::size_t peer_count(const sha1_hash& info_hash) const;

 private:
  struct entry {
    peer_endpoint peer;
    clock::time_point announced;
  };
  std::vector<peer_endpoint> select(const sha1_hash& info_hash, int family, std::size_t max,
                                    clock::time_point now) const;
  peer_store_limits limits_;
  std::map<sha1_hash, std::vector<entry>> hashes_;
};

}  // namespace tessera::detail::dht
