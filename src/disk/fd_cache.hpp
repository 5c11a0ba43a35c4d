// A bounded cache of open file descriptors, shared by the disk threads of one storage.
#pragma once

#include <atomic>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace tessera::detail {

/// Owns one open file descriptor (and, for writing, optionally a second one of the same file
/// opened O_DIRECT) and closes them when the last user lets go.
class file_handle {
 public:
  file_handle(int fd, bool writable) : fd_(fd), writable_(writable) {}
  ~file_handle();
  file_handle(const file_handle&) = delete;
  file_handle& operator=(const file_handle&) = delete;

  int fd() const { return fd_; }
  /// The second descriptor: the same file opened O_RDWR|O_DIRECT (see direct_write.hpp), opened
  /// lazily by the first write that can use it. `no_direct_fd_yet` until then, -1 when it could
  /// not be opened.
  int direct_fd() const { return direct_fd_.load(std::memory_order_acquire); }
  static constexpr int no_direct_fd_yet = -2;
  /// Sets the second descriptor (`fd`, or -1) if it is still no_direct_fd_yet; otherwise another
  /// thread was first and `fd` is closed. Returns the descriptor now set. Thread-safe.
  int set_direct_fd(int fd);
  bool writable() const { return writable_; }  ///< opened O_RDWR (else O_RDONLY)

 private:
  int fd_;
  std::atomic<int> direct_fd_{no_direct_fd_yet};
  bool writable_;
};

/// At most `capacity` files (each with one descriptor, plus the O_DIRECT one of a file written
/// in large ranges), keyed by file index; the least recently used is dropped first.
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
