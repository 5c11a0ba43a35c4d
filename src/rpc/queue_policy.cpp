#include "rpc/queue_policy.hpp"

#include <algorithm>

namespace tessera::rpc {

std::vector<int> choose_active(std::vector<queue_entry> entries, const queue_limits& limits) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const queue_entry& a, const queue_entry& b) { return a.position < b.position; });
  std::int64_t downloading = 0, seeding = 0;
  auto count_of = [&](const queue_entry& e) -> std::int64_t& { return e.wants_download ? downloading : seeding; };
  for (const auto& e : entries) {
    if (e.running && !e.forced && !e.stalled) ++count_of(e);
  }
  std::vector<int> active;
  for (const auto& e : entries) {
    if (e.running || e.forced) {
      active.push_back(e.id);
      continue;
    }
    const bool enabled = e.wants_download ? limits.download_enabled : limits.seed_enabled;
    const std::int64_t size = e.wants_download ? limits.download_size : limits.seed_size;
    if (!enabled || count_of(e) < size) {
      active.push_back(e.id);
      ++count_of(e);
    }
  }
  return active;
}

}  // namespace tessera::rpc
