#include "disk/fd_cache.hpp"

#include <unistd.h>

namespace tessera::detail {

file_handle::~file_handle() {
  if (fd_ >= 0) ::close(fd_);
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
