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

std::shared_ptr<file_handle> fd_cache::find(int file, bool need_write) {
  std::lock_guard lock(mutex_);
  auto it = map_.find(file);
  if (it == map_.end()) return nullptr;
  if (need_write && !it->second.handle->writable()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second.lru_pos);
  return it->second.handle;
}

void fd_cache::insert(int file, std::shared_ptr<file_handle> h) {
  std::lock_guard lock(mutex_);
  auto it = map_.find(file);
  if (it != map_.end()) {
    it->second.handle = std::move(h);
    lru_.splice(lru_.begin(), lru_, it->second.lru_pos);
    return;
  }
  lru_.push_front(file);
  map_.emplace(file, entry{std::move(h), lru_.begin()});
  while (map_.size() > capacity_) {
    map_.erase(lru_.back());
    lru_.pop_back();
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

}  // namespace tessera::detail
