// Token bucket rate limiting of incoming DHT queries.
#include "discovery/dht/rate_limiter.hpp"

#include <algorithm>

namespace tessera::detail::dht {

bool rate_limiter::allow(const peer_endpoint& source, clock::time_point now) {
  peer_endpoint key = source;
  key.port = 0;
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    // Forget the least recently seen address: it is the likeliest to have refilled, and a
    // source that keeps querying stays tracked (and limited) however many others appear.
    while (!buckets_.empty() && buckets_.size() >= std::max<std::size_t>(limit_.max_sources, 1)) {
      buckets_.erase(lru_.front());
      lru_.pop_front();
    }
    lru_.push_back(key);
    it = buckets_.emplace(key, bucket{limit_.burst, now, std::prev(lru_.end())}).first;
  } else {
    lru_.splice(lru_.end(), lru_, it->second.order);
  }
  auto& b = it->second;
  const double elapsed = std::max(0.0, std::chrono::duration<double>(now - b.updated).count());
  b.tokens = std::min(limit_.burst, b.tokens + elapsed * limit_.per_second);
  b.updated = now;
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

}  // namespace tessera::detail::dht
