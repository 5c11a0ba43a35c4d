// The single-blob storage backend (see blob_storage.hpp).
#include "disk/blob_storage.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>

#include "disk/file_ranges.hpp"
#include "disk/positional_io.hpp"
#include "disk/posix.hpp"

namespace tessera::detail {

namespace {

using op = storage_error::operation;

// One open descriptor of the blob; closed when the last user lets go.
struct blob_fd : fd_guard {
  bool writable;
  blob_fd(int f, bool w) : fd_guard(f), writable(w) {}
};

class blob_storage final : public storage {
 public:
  blob_storage(std::shared_ptr<const torrent_info> ti, std::filesystem::path path)
      : ti_(std::move(ti)), path_(std::move(path)) {}

  result<bool, storage_error> initialize() override {
    if (auto e = make_parent()) return unexpected{*e};
    std::filesystem::path dir = parent();
    if (::faccessat(AT_FDCWD, dir.c_str(), W_OK | X_OK, AT_EACCESS) != 0)
      return unexpected{storage_error{errno_code(errno), op::write, dir.string()}};
    return true;
  }

  result<bool, storage_error> write(std::int64_t offset,
                                    std::span<const std::uint8_t> data) override {
    const auto size = static_cast<std::int64_t>(data.size());
    if (offset < 0 || offset > ti_->total_size() || size > ti_->total_size() - offset)
      return unexpected{
          storage_error{std::make_error_code(std::errc::invalid_argument), op::write, {}}};
    auto h = open(true);
    if (!h) return unexpected{h.error()};
    std::optional<storage_error> err;
    for_each_file_range(*ti_, offset, size, [&](file_range r) {
      if (ti_->files()[r.file].pad) return true;  // BEP 47: padding is left as a hole
      if (auto e = pwrite_all((*h)->fd, data.data() + r.buffer_offset, r.length,
                              offset + r.buffer_offset)) {
        err = storage_error{e, op::write, path_.string()};
        return false;
      }
      return true;
    });
    if (err) return unexpected{*err};
    // A blob deleted while open would swallow every later write: refuse instead.
    if (auto e = unlinked_error((*h)->fd, op::write)) return unexpected{*e};
    dirty_.store(true, std::memory_order_release);
    return true;
  }

  result<std::size_t, storage_error> read(std::int64_t offset,
                                          std::span<std::uint8_t> out) override {
    auto readable = readable_length(*ti_, offset, out.size());
    if (!readable) return unexpected{readable.error()};
    const std::int64_t length = *readable;
    auto h = open(false);
    if (!h) return unexpected{h.error()};
    std::size_t total = 0;
    std::optional<storage_error> err;
    for_each_file_range(*ti_, offset, length, [&](file_range r) {
      std::uint8_t* dst = out.data() + r.buffer_offset;
      if (ti_->files()[r.file].pad) {  // BEP 47: zeros, whatever the blob holds there
        std::memset(dst, 0, static_cast<std::size_t>(r.length));
        total += static_cast<std::size_t>(r.length);
        return true;
      }
      if (!*h) return false;  // no blob yet: a short read
      std::size_t got = 0;
      if (auto e = pread_all((*h)->fd, dst, r.length, offset + r.buffer_offset, got)) {
        err = storage_error{e, op::read, path_.string()};
        return false;
      }
      total += got;
      return got == static_cast<std::size_t>(r.length);  // the blob ends here
    });
    if (err) return unexpected{*err};
    return total;
  }

  result<bool, storage_error> flush() override {
    // Cleared first: a write finishing during the fsync sets it again for the next flush.
    if (!dirty_.exchange(false, std::memory_order_acq_rel)) return true;
    auto h = open(false);
    std::error_code ec;
    if (!h) ec = h.error().ec;
    else if (!*h) ec = errno_code(ENOENT);  // written, then deleted
    else if (auto u = unlinked_error((*h)->fd, op::flush)) ec = u->ec;  // deleted while open
    else if (::fsync((*h)->fd) != 0) ec = errno_code(errno);
    if (ec) {
      dirty_.store(true, std::memory_order_release);
      return unexpected{storage_error{ec, op::flush, path_.string()}};
    }
    return true;
  }

  void close_all() override {
    std::lock_guard lock(mutex_);
    fd_.reset();
  }

  std::vector<std::int64_t> on_disk_sizes() override {
    const auto& files = ti_->files();
    std::int64_t blob_size = -1;
    struct stat st {};
    if (::stat(path_.c_str(), &st) == 0 && S_ISREG(st.st_mode)) blob_size = st.st_size;
    std::vector<std::int64_t> sizes(files.size(), -1);
    for (std::size_t i = 0; i < files.size(); ++i) {
      const file_entry& f = files[i];
      if (f.pad)
        sizes[i] = f.size;
      else if (blob_size > f.offset || (blob_size >= 0 && blob_size == f.offset && f.size == 0))
        sizes[i] = std::min(blob_size - f.offset, f.size);
    }
    return sizes;
  }

 private:
  std::filesystem::path parent() const {
    auto p = path_.parent_path();
    return p.empty() ? std::filesystem::path(".") : p;
  }

  // ENOENT (as `what`) when the blob open as `fd` has no name any more (deleted, or its directory
  // removed). An fstat failure is op=stat.
  std::optional<storage_error> unlinked_error(int fd, op what) const {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return storage_error{errno_code(errno), op::stat, path_.string()};
    if (st.st_nlink == 0) return storage_error{errno_code(ENOENT), what, path_.string()};
    return std::nullopt;
  }

  std::optional<storage_error> make_parent() {
    std::error_code ec;
    std::filesystem::create_directories(parent(), ec);
    if (ec) return storage_error{ec, op::mkdir, parent().string()};
    return std::nullopt;
  }

  // The blob's descriptor: read-write (created when missing) when `write`, else any open one or a
  // read-only one; a null pointer when reading a blob that does not exist.
  result<std::shared_ptr<blob_fd>, storage_error> open(bool write) {
    std::lock_guard lock(mutex_);
    if (fd_ && (fd_->writable || !write)) return fd_;
    if (write)
      if (auto e = make_parent()) return unexpected{*e};
    int flags = (write ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC | O_NONBLOCK;
    int fd = ::open(path_.c_str(), flags, 0644);
    if (fd < 0) {
      if (!write && errno == ENOENT) return std::shared_ptr<blob_fd>{};
      return unexpected{storage_error{errno_code(errno), op::open, path_.string()}};
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      int e = errno;
      ::close(fd);
      return unexpected{storage_error{errno_code(e), op::stat, path_.string()}};
    }
    if (!S_ISREG(st.st_mode)) {  // a FIFO or device there; O_NONBLOCK kept the open from hanging
      ::close(fd);
      return unexpected{storage_error{std::make_error_code(std::errc::invalid_argument), op::open,
                                      path_.string()}};
    }
    fd_ = std::make_shared<blob_fd>(fd, write);
    return fd_;
  }

  std::shared_ptr<const torrent_info> ti_;
  std::filesystem::path path_;
  std::mutex mutex_;               ///< guards fd_
  std::shared_ptr<blob_fd> fd_;    ///< the open blob, if any
  std::atomic<bool> dirty_{false};  ///< written since the last successful flush()
};

}  // namespace

}  // namespace tessera::detail

std::shared_ptr<tessera::storage> tessera::make_blob_storage(
    std::shared_ptr<const torrent_info> ti, std::filesystem::path path) {
  return std::make_shared<detail::blob_storage>(std::move(ti), std::move(path));
}
