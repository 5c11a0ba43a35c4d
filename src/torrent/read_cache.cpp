#include "torrent/read_cache.hpp"

#include <algorithm>
#include <limits>

namespace tessera::detail {

std::optional<read_window> read_window_for(std::int32_t piece_size, std::int32_t begin,
                                           std::int32_t length, const read_window_policy& policy) {
  if (piece_size <= policy.whole_piece_bytes || policy.window_bytes <= 0) {
    return read_window{0, piece_size};
  }
  const std::int32_t start = begin / policy.window_bytes * policy.window_bytes;
  const std::int32_t size = std::min(policy.window_bytes, piece_size - start);
  if (std::int64_t{begin} + length > std::int64_t{start} + size) return std::nullopt;
  return read_window{start, size};
}

piece_read_cache::buffer piece_read_cache::find(piece_index p, read_window w) {
  auto it = entries_.find(key(p, w.start));
  if (it == entries_.end() || !it->second.data) return nullptr;
  it->second.last_use = ++clock_;
  return it->second.data;
}

piece_read_cache::wait_result piece_read_cache::wait(piece_index p, read_window w,
                                                     read_waiter&& waiter) {
  const std::uint64_t k = key(p, w.start);
  if (auto it = entries_.find(k); it != entries_.end()) {
    it->second.waiters.push_back(std::move(waiter));
    return wait_result::joined;
  }
  const std::int64_t size = std::max<std::int32_t>(w.length, 0);
  if (!make_room(size)) return wait_result::over_budget;
  entry& e = entries_[k];
  e.reserved = size;
  e.waiters.push_back(std::move(waiter));
  bytes_ += size;
  in_flight_ += size;
  peak_ = std::max(peak_, bytes_);
  return wait_result::start_read;
}

std::vector<read_waiter> piece_read_cache::complete(piece_index p, read_window w, buffer data) {
  auto it = entries_.find(key(p, w.start));
  if (it == entries_.end() || it->second.data) return {};
  std::vector<read_waiter> waiters = std::move(it->second.waiters);
  const std::int64_t reserved = it->second.reserved;
  bytes_ -= reserved;
  in_flight_ -= reserved;
  // A read returns exactly the window it reserved room for (a short read is an error); anything
  // else is not cached, so the budget holds whatever the disk returns.
  if (!data || static_cast<std::int64_t>(data->size()) != reserved) {
    entries_.erase(it);
    return waiters;
  }
  it->second.waiters.clear();
  it->second.reserved = 0;
  it->second.data = std::move(data);
  it->second.last_use = ++clock_;
  bytes_ += reserved;
  return waiters;
}

bool piece_read_cache::make_room(std::int64_t room) {
  while (bytes_ + room > max_bytes_) {
    auto victim = entries_.end();
    std::uint64_t oldest = std::numeric_limits<std::uint64_t>::max();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->second.data && it->second.last_use < oldest) {
        oldest = it->second.last_use;
        victim = it;
      }
    }
    if (victim == entries_.end()) return false;  // only reads in flight are left
    bytes_ -= static_cast<std::int64_t>(victim->second.data->size());
    entries_.erase(victim);
  }
  return true;
}

void piece_read_cache::clear() {
  entries_.clear();
  bytes_ = 0;
  in_flight_ = 0;
}

int piece_read_cache::num_cached() const {
  int n = 0;
  for (const auto& [k, e] : entries_) n += e.data ? 1 : 0;
  return n;
}

int piece_read_cache::num_pending() const {
  return static_cast<int>(entries_.size()) - num_cached();
}

}  // namespace tessera::detail
