// A bounded cache of open file descriptors, shared by the disk threads of one storage.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace tessera::detail {

/// Owns one open file descriptor and closes it when the last user lets go.
class file_handle {
 public:
  file_handle(int fd, bool writable) : fd_(fd), writable_(writable) {}
  ~file_handle();
  file_handle(const file_handle&) = delete;
  file_handle& operator=(const file_handle&) = delete;

  int fd() const { return fd_; }
  bool writable() const { return writable_; }  ///< opened O_RDWR (else O_RDONLY)

 private:
  int fd_;
  bool writable_;
};

/// At most `capacity` descriptors, keyed by file index; the least recently used is dropped first.
/// Users get a shared_ptr, so a descriptor evicted (or dropped by clear()) while another thread is
/// in pread/pwrite on it stays open until that call returns: no use-after-close, no fd reuse race.
/// All members are thread-safe (one mutex, held only for map updates, never during I/O).
class fd_cache {
 public:
  explicit fd_cache(std::size_t capacity) : capacity_(capacity ? capacity : 1) {}

  /// The cached descriptor of `file`, or null. With `need_write`, a read-only descriptor counts
  /// as a miss (the caller reopens it O_RDWR and insert()s the result, replacing it).
  std::shared_ptr<file_handle> find(int file, bool need_write);
  /// Caches `h` for `file` (replacing any previous one) and evicts beyond capacity.
  void insert(int file, std::shared_ptr<file_handle> h);
  /// Drops every descriptor (each closes once its current users finish).
  void clear();
  std::size_t size() const;

 private:
  struct entry {
    std::shared_ptr<file_handle> handle;
    std::list<int>::iterator lru_pos;  // position in lru_ (front = most recent)
  };
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<int, entry> map_;
  std::list<int> lru_;
};

}  // namespace tessera::detail
