// Per-source-address token buckets for incoming DHT queries, so one host cannot make us spend
// CPU and upload on it (and so we cannot be used to amplify traffic toward a spoofed address).
// Pure: time is a parameter. Bounded: at most max_sources addresses are tracked; when full, the
// least recently seen one is forgotten (one entry, never the whole table: clearing everything
// would hand a flooding source a fresh bucket whenever someone sprays queries from many
// addresses).
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <map>

#include "core/compact_peer.hpp"
#include "discovery/dht/node_id.hpp"

namespace tessera::detail::dht {

struct rate_limit {
  double per_second = 20.0;  ///< sustained queries per second per source address
  double burst = 40.0;       ///< bucket depth: queries accepted at once after a quiet time
  std::size_t max_sources = 4096;  ///< addresses tracked at once (at least 1)
};

class rate_limiter {
 public:
  explicit rate_limiter(rate_limit limit = {}) : limit_(limit) {}

  /// Takes one token from the bucket of `source`'s address (the port is ignored). False when
  /// the bucket is empty: the query should be dropped without a reply. O(log n).
  bool allow(const peer_endpoint& source, clock::time_point now);

  std::size_t tracked() const { return buckets_.size(); }

 private:
  struct bucket {
    double tokens = 0;
    clock::time_point updated;
    std::list<peer_endpoint>::iterator order;  ///< its place in lru_
  };

  rate_limit limit_;
  std::map<peer_endpoint, bucket> buckets_;  ///< keyed by address with port 0
  std::list<peer_endpoint> lru_;             ///< least recently seen first
};

}  // namespace tessera::detail::dht
