// A bounded pool of open file descriptors: one per session, shared by the file storages of every
// torrent (and by the disk threads using them), so a session with thousands of torrents keeps at
// most session_settings::max_open_files files open however many torrents it runs.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

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

/// At most `capacity` open files (each one descriptor, plus the O_DIRECT one of a file written in
/// large ranges), keyed by (owner, file index): an owner is one storage (new_owner()), the file
/// index its metainfo index. The least recently used file of ANY owner is closed first (libtorrent
/// keeps 40 per session, Transmission 32).
///
/// Users get a shared_ptr: a file evicted (or dropped by erase_owner/clear) while a disk job is in
/// pread/pwrite on it stays open until that call returns, so no descriptor is ever closed under
/// a job and none is reused while in use. The bound therefore counts the files the pool keeps;
/// files evicted while in use add at most one each (two with O_DIRECT) until their jobs end.
/// All members are thread-safe (one mutex, held only for map updates, never during I/O).
class fd_cache {
 public:
  using owner_id = std::uint64_t;

  /// `capacity` files (0 is taken as 1).
  explicit fd_cache(std::size_t capacity) : capacity_(capacity ? capacity : 1) {}
  fd_cache(const fd_cache&) = delete;
  fd_cache& operator=(const fd_cache&) = delete;

  /// A key no other owner of this pool has (a storage takes one at construction).
  owner_id new_owner() { return next_owner_.fetch_add(1, std::memory_order_relaxed); }
  /// The pooled descriptor of `owner`'s `file`, or null; a hit becomes the most recently used.
  /// With `need_write`, a read-only descriptor counts as a miss (the caller reopens it O_RDWR and
  /// insert()s the result, replacing it).
  std::shared_ptr<file_handle> find(owner_id owner, int file, bool need_write);
  /// Pools `h` for `owner`'s `file` (replacing any previous one) as the most recently used, and
  /// closes the least recently used beyond capacity.
  void insert(owner_id owner, int file, std::shared_ptr<file_handle> h);
  /// Drops every descriptor of `owner` (storage::close_all, and the storage's destructor); each
  /// closes once its current users finish. Linear in the pool's size.
  void erase_owner(owner_id owner);
  /// Drops every descriptor of every owner.
  void clear();
  /// Files pooled now (at most capacity()).
  std::size_t size() const;
  /// Files of `owner` pooled now.
  std::size_t size(owner_id owner) const;
  std::size_t capacity() const;
  /// Changes the bound at run time (0 taken as 1); shrinking closes the least recently used.
  void set_capacity(std::size_t capacity);

 private:
  struct key {
    owner_id owner;
    int file;
    bool operator==(const key&) const = default;
  };
  struct key_hash {
    std::size_t operator()(const key& k) const noexcept {
      return std::hash<std::uint64_t>{}(k.owner * 0x9e3779b97f4a7c15ull ^ static_cast<std::uint32_t>(k.file));
    }
  };
  struct entry {
    std::shared_ptr<file_handle> handle;
    std::list<key>::iterator lru_pos;  // position in lru_ (front = most recent)
  };
  void evict_locked();

  std::size_t capacity_;
  std::atomic<owner_id> next_owner_{1};
  mutable std::mutex mutex_;
  std::unordered_map<key, entry, key_hash> map_;
  std::list<key> lru_;
};

/// One storage's view of a pool: its owner key, and its descriptors dropped when it goes.
class fd_cache_client {
 public:
  explicit fd_cache_client(std::shared_ptr<fd_cache> pool)
      : pool_(std::move(pool)), owner_(pool_->new_owner()) {}
  ~fd_cache_client() { pool_->erase_owner(owner_); }
  fd_cache_client(const fd_cache_client&) = delete;
  fd_cache_client& operator=(const fd_cache_client&) = delete;

  std::shared_ptr<file_handle> find(int file, bool need_write) { return pool_->find(owner_, file, need_write); }
  void insert(int file, std::shared_ptr<file_handle> h) { pool_->insert(owner_, file, std::move(h)); }
  /// Drops this storage's descriptors only.
  void clear() { pool_->erase_owner(owner_); }
  std::size_t size() const { return pool_->size(owner_); }

 private:
  std::shared_ptr<fd_cache> pool_;
  fd_cache::owner_id owner_;
};

}  // namespace tessera::detail
