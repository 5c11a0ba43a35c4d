#include "torrent/read_cache.hpp"

#include <limits>

namespace tessera::detail {

piece_read_cache::buffer piece_read_cache::find(piece_index p) {
  auto it = entries_.find(p);
  if (it == entries_.end() || !it->second.data) return nullptr;
  it->second.last_use = ++clock_;
  return it->second.data;
}

bool piece_read_cache::wait(piece_index p, read_waiter w) {
  auto [it, inserted] = entries_.try_emplace(p);
  it->second.waiters.push_back(std::move(w));
  return inserted;
}

std::vector<read_waiter> piece_read_cache::complete(piece_index p, buffer data) {
  auto it = entries_.find(p);
  if (it == entries_.end() || it->second.data) return {};
  std::vector<read_waiter> waiters = std::move(it->second.waiters);
  it->second.waiters.clear();
  if (!data) {
    entries_.erase(it);
    return waiters;
  }
  bytes_ += static_cast<std::int64_t>(data->size());
  it->second.data = std::move(data);
  it->second.last_use = ++clock_;
  evict(p);
  return waiters;
}

void piece_read_cache::evict(piece_index keep) {
  while (bytes_ > max_bytes_) {
    auto victim = entries_.end();
    std::uint64_t oldest = std::numeric_limits<std::uint64_t>::max();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (!it->second.data || it->first == keep) continue;
      if (it->second.last_use < oldest) {
        oldest = it->second.last_use;
        victim = it;
      }
    }
    if (victim == entries_.end()) return;  // only `keep` is cached
    bytes_ -= static_cast<std::int64_t>(victim->second.data->size());
    entries_.erase(victim);
  }
}

void piece_read_cache::clear() {
  entries_.clear();
  bytes_ = 0;
}

int piece_read_cache::num_cached() const {
  int n = 0;
  for (const auto& [p, e] : entries_) n += e.data ? 1 : 0;
  return n;
}

int piece_read_cache::num_pending() const {
  return static_cast<int>(entries_.size()) - num_cached();
}

}  // namespace tessera::detail
