#include "disk/fd_cache.hpp"

#include <unistd.h>

namespace tessera::detail {

file_handle::~file_handle() {
  if (fd_ >= 0) ::close(fd_);
  if (int d = direct_fd_.load(); d >= 0) ::close(d);
}

int file_handle::set_direct_fd(int fd) {
  int expected = no_direct_fd_yet;
  if (direct_fd_.compare_exchange_strong(expected, fd, std::memory_order_acq_rel)) return fd;
  if (fd >= 0) ::close(fd);
  return expected;
}

std::shared_ptr<file_handle> fd_cache::find(owner_id owner, int file, bool need_write) {
  std::lock_guard lock(mutex_);
  auto it = map_.find(key{owner, file});
  if (it == map_.end()) return nullptr;
  if (need_write && !it->second.handle->writable()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second.lru_pos);
  return it->second.handle;
}

void fd_cache::insert(owner_id owner, int file, std::shared_ptr<file_handle> h) {
  // The replaced or evicted handles are released after the lock: a last reference closes its
  // descriptors, which need not hold up other threads.
  std::shared_ptr<file_handle> replaced;
  std::lock_guard lock(mutex_);
  const key k{owner, file};
  auto it = map_.find(k);
  if (it != map_.end()) {
    replaced = std::exchange(it->second.handle, std::move(h));
    lru_.splice(lru_.begin(), lru_, it->second.lru_pos);
    return;
  }
  lru_.push_front(k);
  map_.emplace(k, entry{std::move(h), lru_.begin()});
  evict_locked();
}

void fd_cache::evict_locked() {
  while (map_.size() > capacity_) {
    map_.erase(lru_.back());
    lru_.pop_back();
  }
}

void fd_cache::erase_owner(owner_id owner) {
  std::lock_guard lock(mutex_);
  for (auto it = lru_.begin(); it != lru_.end();) {
    if (it->owner == owner) {
      map_.erase(*it);
      it = lru_.erase(it);
    } else {
      ++it;
    }
  }
}

void fd_cache::clear() {
  std::lock_guard lock(mutex_);
  map_.clear();
  lru_.clear();
}

std::size_t fd_cache::size() const {
  std::lock_guard lock(mutex_);
  return map_.size();
}

std::size_t fd_cache::size(owner_id owner) const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& k : lru_) n += k.owner == owner ? 1 : 0;
  return n;
}

std::size_t fd_cache::capacity() const {
  std::lock_guard lock(mutex_);
  return capacity_;
}

void fd_cache::set_capacity(std::size_t capacity) {
  std::lock_guard lock(mutex_);
  capacity_ = capacity ? capacity : 1;
  evict_locked();
}

}  // namespace tessera::detail
