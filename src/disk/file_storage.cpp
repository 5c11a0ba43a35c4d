// The files-on-disk storage backend (see make_file_storage in tessera/storage.hpp for its layout
// rules).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "disk/direct_write.hpp"
#include "disk/file_layout_ops.hpp"
#include "disk/positional_io.hpp"
#include "disk/fd_cache.hpp"
#include "disk/file_ranges.hpp"
#include "disk/path_beneath.hpp"
#include "disk/posix.hpp"
#include "disk/storage.hpp"

namespace tessera::detail {

namespace {

using op = storage_error::operation;

class file_storage final : public storage {
 public:
  file_storage(std::shared_ptr<const torrent_info> ti, std::filesystem::path save_path,
               std::size_t max_open)
      : ti_(std::move(ti)), save_path_(std::move(save_path)), cache_(max_open) {
    const auto& files = ti_->files;
    bad_path_.resize(files.size(), false);
    dirty_ = std::make_unique<std::atomic<bool>[]>(files.size());
    for (std::size_t i = 0; i < files.size(); ++i) {
      if (files[i].pad) continue;  // never touches the file system
      bad_path_[i] = !split_relative_path(files[i].path).has_value();
      if (files[i].size == 0) empty_files_.push_back(static_cast<int>(i));
    }
  }

  ~file_storage() override {
    if (root_fd_ >= 0) ::close(root_fd_);
  }

  result<bool, storage_error> initialize() override {
    for (std::size_t i = 0; i < bad_path_.size(); ++i)
      if (bad_path_[i]) return unexpected{bad_path_error(static_cast<int>(i))};
    auto r = root();
    if (!r) return unexpected{r.error()};
    return true;
  }

  result<bool, storage_error> write(std::int64_t offset,
                                    std::span<const std::uint8_t> data) override {
    if (!in_range(offset, data.size()))
      return unexpected{
          storage_error{std::make_error_code(std::errc::invalid_argument), op::write, {}}};
    std::optional<storage_error> err;
    for_each_file_range(*ti_, offset, static_cast<std::int64_t>(data.size()), [&](file_range r) {
      if (ti_->files[r.file].pad) return true;  // BEP 47: padding is never written
      auto h = open_file(r.file, true);
      if (!h) {
        err = h.error();
        return false;
      }
      const int dfd = wants_direct(r.file_offset, r.length) ? direct_fd(r.file, **h) : -1;
      if (auto e = write_maybe_direct((*h)->fd(), dfd, data.data() + r.buffer_offset, r.length,
                                      r.file_offset, direct_enabled_)) {
        err = storage_error{e, op::write, full_path(r.file)};
        return false;
      }
      // A file deleted while open (alone or with its directory) would swallow every later write
      // and the torrent would call lost pieces verified: refuse instead (see make_file_storage).
      if (auto e = unlinked_error((*h)->fd(), r.file, op::write)) {
        err = *e;
        return false;
      }
      dirty_[r.file].store(true, std::memory_order_release);
      return true;
    });
    if (err) return unexpected{*err};
    if (auto e = create_empty_files(offset, offset + static_cast<std::int64_t>(data.size())))
      return unexpected{*e};
    return true;
  }

  result<std::size_t, storage_error> read(std::int64_t offset,
                                          std::span<std::uint8_t> out) override {
    auto readable = readable_length(*ti_, offset, out.size());
    if (!readable) return unexpected{readable.error()};
    std::int64_t length = *readable;
    std::size_t total = 0;
    std::optional<storage_error> err;
    for_each_file_range(*ti_, offset, length, [&](file_range r) {
      std::uint8_t* dst = out.data() + r.buffer_offset;
      if (ti_->files[r.file].pad) {  // BEP 47: padding reads as zeros
        std::memset(dst, 0, static_cast<std::size_t>(r.length));
        total += static_cast<std::size_t>(r.length);
        return true;
      }
      auto h = open_file(r.file, false);
      if (!h) {
        err = h.error();
        return false;
      }
      if (!*h) return false;  // missing file: a short read
      std::size_t got = 0;
      if (auto e = pread_all((*h)->fd(), dst, r.length, r.file_offset, got)) {
        err = storage_error{e, op::read, full_path(r.file)};
        return false;
      }
      total += got;
      return got == static_cast<std::size_t>(r.length);  // a short file ends the read
    });
    if (err) return unexpected{*err};
    return total;
  }

  result<bool, storage_error> flush() override {
    for (std::size_t i = 0; i < ti_->files.size(); ++i) {
      // Cleared first: a write finishing during the fdatasync sets it again for the next flush.
      if (!dirty_[i].exchange(false, std::memory_order_acq_rel)) continue;
      const int file = static_cast<int>(i);
      auto h = open_file(file, false);
      std::error_code ec;
      if (!h) ec = h.error().ec;
      else if (!*h) ec = errno_code(ENOENT);  // written, then deleted
      else if (auto u = unlinked_error((*h)->fd(), file, op::flush)) ec = u->ec;  // still open
      else if (::fdatasync((*h)->fd()) != 0) ec = errno_code(errno);
      if (ec) {
        dirty_[i].store(true, std::memory_order_release);
        return unexpected{storage_error{ec, op::flush, full_path(file)}};
      }
    }
    return true;
  }

  void close_all() override { cache_.clear(); }

  std::vector<std::int64_t> on_disk_sizes() override {
    const auto& files = ti_->files;
    std::vector<std::int64_t> sizes(files.size(), -1);
    auto r = root();
    for (std::size_t i = 0; i < files.size(); ++i) {
      if (files[i].pad) {
        sizes[i] = files[i].size;
        continue;
      }
      if (!r || bad_path_[i]) continue;
      int fd = open_beneath(*r, files[i].path, O_PATH);
      if (fd < 0) continue;
      struct stat st {};
      if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        sizes[i] = std::min<std::int64_t>(st.st_size, files[i].size);
      ::close(fd);
    }
    return sizes;
  }

 private:
  bool in_range(std::int64_t offset, std::size_t size) const {
    return offset >= 0 && offset <= ti_->total_size &&
           static_cast<std::int64_t>(size) <= ti_->total_size - offset;
  }

  std::string full_path(int file) const { return (save_path_ / ti_->files[file].path).string(); }

  // ENOENT (as `what`) when `fd`, open for `file`, has no name any more: the file was deleted,
  // alone or with its directory. An fstat failure is op=stat.
  std::optional<storage_error> unlinked_error(int fd, int file, op what) const {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return storage_error{errno_code(errno), op::stat, full_path(file)};
    if (st.st_nlink == 0) return storage_error{errno_code(ENOENT), what, full_path(file)};
    return std::nullopt;
  }

  storage_error bad_path_error(int file) const {
    // Not joined with std::filesystem: an absolute path would replace save_path in the message.
    return {std::make_error_code(std::errc::invalid_argument), op::open,
            save_path_.string() + "/" + ti_->files[file].path};
  }

  // Opens (creating it if needed, once) the download directory and returns its descriptor.
  result<int, storage_error> root() {
    std::lock_guard lock(root_mutex_);
    if (root_fd_ >= 0) return root_fd_;
    std::error_code ec;
    std::filesystem::create_directories(save_path_, ec);
    if (ec) return unexpected{storage_error{ec, op::mkdir, save_path_.string()}};
    int fd = ::open(save_path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return unexpected{storage_error{errno_code(errno), op::open, save_path_.string()}};
    // Root is not denied by permission bits, but a read-only mount still says EROFS here.
    if (::faccessat(AT_FDCWD, save_path_.c_str(), W_OK | X_OK, AT_EACCESS) != 0) {
      int e = errno;
      ::close(fd);
      return unexpected{storage_error{errno_code(e), op::write, save_path_.string()}};
    }
    root_fd_ = fd;
    return root_fd_;
  }

  // A descriptor for `file`: read-write (created with its parent directories when missing) when
  // `write`, else read-only; a null handle when reading a file that does not exist.
  result<std::shared_ptr<file_handle>, storage_error> open_file(int file, bool write) {
    if (bad_path_[file]) return unexpected{bad_path_error(file)};
    if (auto h = cache_.find(file, write)) return h;
    auto r = root();
    if (!r) return unexpected{r.error()};
    const std::string& rel = ti_->files[file].path;
    int flags = (write ? O_RDWR | O_CREAT : O_RDONLY) | O_NONBLOCK;
    int fd = open_beneath(*r, rel, flags, 0644);
    if (fd < 0 && errno == ENOENT && write) {
      auto comps = split_relative_path(rel);
      if (auto ec = make_dirs_beneath(*r, *comps, comps->size() - 1))
        return unexpected{storage_error{ec, op::mkdir, full_path(file)}};
      fd = open_beneath(*r, rel, flags, 0644);
    }
    if (fd < 0) {
      if (!write && errno == ENOENT) return std::shared_ptr<file_handle>{};
      return unexpected{storage_error{errno_code(errno), op::open, full_path(file)}};
    }
    // Only regular files: a FIFO or a device placed in the download directory is refused. (The
    // open was O_NONBLOCK so that a FIFO cannot block it; regular files ignore that flag.)
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      int e = errno;
      ::close(fd);
      return unexpected{storage_error{errno_code(e), op::stat, full_path(file)}};
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      return unexpected{storage_error{std::make_error_code(std::errc::invalid_argument), op::open,
                                      full_path(file)}};
    }
    auto h = std::make_shared<file_handle>(fd, write);
    cache_.insert(file, h);
    return h;
  }

  // True when a write of `length` bytes at `file_offset` has an aligned middle worth a direct
  // write (the rule of write_maybe_direct), so small writes never open a second descriptor.
  bool wants_direct(std::int64_t file_offset, std::int64_t length) const {
    if (!direct_enabled_.load(std::memory_order_relaxed)) return false;
    const std::int64_t a = direct_io_alignment;
    const std::int64_t head = std::min(length, (a - file_offset % a) % a);
    return (length - head) / a * a >= direct_io_min_length;
  }

  // The O_DIRECT descriptor of `file` (open for writing as `h`), opened on first use; -1 when the
  // file system refuses O_DIRECT. The path is resolved again beneath the root; a different file
  // found there (swapped in since `h` was opened) is not used.
  int direct_fd(int file, file_handle& h) {
    int d = h.direct_fd();
    if (d != file_handle::no_direct_fd_yet) return d;
    auto r = root();
    int fd = r ? open_beneath(*r, ti_->files[file].path, O_RDWR | O_DIRECT | O_NONBLOCK) : -1;
    struct stat st {}, st2 {};
    if (fd >= 0 && (::fstat(h.fd(), &st) != 0 || ::fstat(fd, &st2) != 0 ||
                    st2.st_dev != st.st_dev || st2.st_ino != st.st_ino)) {
      ::close(fd);
      fd = -1;
    }
    return h.set_direct_fd(fd);
  }

  // Zero-length files have no bytes to write: they are created when a write reaches their offset.
  std::optional<storage_error> create_empty_files(std::int64_t begin, std::int64_t end) {
    const auto& files = ti_->files;
    auto lo = std::lower_bound(empty_files_.begin(), empty_files_.end(), begin,
                               [&](int i, std::int64_t v) { return files[i].offset < v; });
    for (auto it = lo; it != empty_files_.end() && files[*it].offset <= end; ++it) {
      auto h = open_file(*it, true);
      if (!h) return h.error();
    }
    return std::nullopt;
  }

  public:
  result<bool, storage_error> remove_files() override {
    close_all();
    return delete_torrent_files(*ti_, save_path_);
  }

  result<bool, storage_error> move_files(const std::filesystem::path& new_save_path) override {
    close_all();
    {
      std::lock_guard lock(root_mutex_);
      if (root_fd_ >= 0) ::close(root_fd_);
      root_fd_ = -1;  // reopened on the next use (the storage itself is replaced by the caller)
    }
    return move_torrent_files(*ti_, save_path_, new_save_path);
  }

 private:
  std::shared_ptr<const torrent_info> ti_;
  std::filesystem::path save_path_;
  fd_cache cache_;
  std::vector<bool> bad_path_;    // per file: its path failed split_relative_path
  std::unique_ptr<std::atomic<bool>[]> dirty_;  // per file: written since the last flush()
  std::vector<int> empty_files_;  // zero-length non-padding files, by offset
  std::mutex root_mutex_;
  int root_fd_ = -1;  // O_PATH descriptor of save_path_, once opened
  std::atomic<bool> direct_enabled_{true};  // cleared when the file system refuses O_DIRECT
};

}  // namespace

}  // namespace tessera::detail

std::shared_ptr<tessera::storage> tessera::make_file_storage(
    std::shared_ptr<const torrent_info> ti, std::filesystem::path save_path,
    std::size_t max_open_files) {
  return std::make_shared<detail::file_storage>(std::move(ti), std::move(save_path),
                                                max_open_files);
}
