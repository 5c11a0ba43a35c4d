// Request pipeline policy: how many block requests to keep outstanding with a peer, and when a
// peer that owes us blocks counts as snubbing us. Pure functions over measured values.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>

#include "tessera/types.hpp"

namespace tessera::detail {

/// Number of outstanding block requests to keep with a peer: enough blocks to cover
/// `queue_time` at the peer's measured download rate (bandwidth-delay product), i.e.
/// rate_bytes_per_s * queue_time / block_size, clamped to [min_depth, max_depth] (max wins if
/// they cross).
/// `peer_reqq` is the peer's advertised request queue limit (BEP 10 handshake "reqq"), when it sent
/// one: a further upper bound, because a peer may drop requests beyond it. The result is at least 1
/// whatever the bounds (a pipeline of 0 would stall the download). A negative rate counts as 0.
constexpr int request_queue_depth(std::int64_t rate_bytes_per_s,
                                  std::chrono::milliseconds queue_time, int min_depth,
                                  int max_depth, std::optional<int> peer_reqq = std::nullopt) {
  const std::int64_t rate = std::max<std::int64_t>(rate_bytes_per_s, 0);
  const std::int64_t ms = std::max<std::int64_t>(queue_time.count(), 0);
  // rate * ms / 1000 / block_size without overflowing for absurd inputs.
  std::int64_t depth = 0;
  if (ms != 0 && rate > std::numeric_limits<std::int64_t>::max() / ms) {
    depth = std::numeric_limits<int>::max();
  } else {
    depth = rate * ms / (std::int64_t{1000} * block_size);
  }
  std::int64_t upper = max_depth;
  if (peer_reqq && *peer_reqq > 0) upper = std::min<std::int64_t>(upper, *peer_reqq);
  depth = std::min(std::max(depth, std::int64_t{min_depth}), upper);
  return static_cast<int>(std::max<std::int64_t>(depth, 1));
}

/// A peer snubs us when it has requests of ours outstanding and has sent no block for `timeout`
/// (measured from the later of its last block and our first outstanding request, both given as
/// `last_progress`). A peer we are not waiting on is never snubbing.
inline bool is_snubbed(std::chrono::steady_clock::time_point last_progress,
                       std::chrono::steady_clock::time_point now,
                       std::chrono::steady_clock::duration timeout, int outstanding_requests) {
  return outstanding_requests > 0 && now - last_progress >= timeout;
}

}  // namespace tessera::detail
