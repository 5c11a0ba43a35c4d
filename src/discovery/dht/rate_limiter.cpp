// Token bucket rate limiting of incoming DHT queries.
#include "discovery/dht/rate_limiter.hpp"

#include <algorithm>

namespace tessera::detail::dht {

void rate_limiter::make_room(clock::time_point now) {
  // Drop the buckets that are full again: forgetting them changes nothing.
  std::erase_if(buckets_, [&](const auto& kv) {
    const double elapsed = std::chrono::duration<double>(now - kv.second.updated).count();
    return kv.second.tokens + elapsed * limit_.per_second >= limit_.burst;
  });
  // Still full (a flood from many addresses): start over rather than refuse everyone.
  if (buckets_.size() >= limit_.max_sources) buckets_.clear();
}

bool rate_limiter::allow(const peer_endpoint& source, clock::time_point now) {
  peer_endpoint key = source;
  key.port = 0;
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= limit_.max_sources) make_room(now);
    it = buckets_.emplace(key, bucket{limit_.burst, now}).first;
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
