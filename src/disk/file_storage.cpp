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
#include "disk/file_ownership.hpp"
#include "disk/positional_io.hpp"
#include "disk/fd_cache.hpp"
#include "disk/file_ranges.hpp"
#include "disk/path_beneath.hpp"
#include "disk/posix.hpp"
#include "disk/storage.hpp"
#include "disk/symlink_file.hpp"

namespace tessera::detail {

namespace {

using op = storage_error::operation;

/// An O_PATH descriptor of the download directory, opened for one use (opening files beneath it,
/// sizes, checks) and closed when the last thread using it lets go: a storage holds no directory
/// open between uses, so thousands of torrents cost no descriptors while idle.
using root_handle = std::shared_ptr<const fd_guard>;

class file_storage final : public storage, public file_ownership {
 public:
  file_storage(std::shared_ptr<const torrent_info> ti, std::filesystem::path save_path,
               std::shared_ptr<fd_cache> pool)
      : ti_(std::move(ti)), save_path_(std::move(save_path)), cache_(std::move(pool)) {
    const auto& files = ti_->files();
    bad_path_.resize(files.size(), false);
    opened_for_write_.resize(files.size(), false);
    dirty_ = std::make_unique<std::atomic<bool>[]>(files.size());
    owned_ = std::make_unique<std::atomic<bool>[]>(files.size());
    empty_settled_.resize(files.size(), false);
    for (std::size_t i = 0; i < files.size(); ++i) {
      if (files[i].pad) continue;  // never touches the file system
      bad_path_[i] = !split_relative_path(files[i].path).has_value() ||
                     (files[i].symlink && !symlink_text_of(*ti_, static_cast<int>(i)));
      if (files[i].size == 0) empty_files_.push_back(static_cast<int>(i));
    }
  }

  result<bool, storage_error> initialize() override {
    for (std::size_t i = 0; i < bad_path_.size(); ++i)
      if (bad_path_[i]) return unexpected{bad_path_error(static_cast<int>(i))};
    auto r = root(true);
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
      if (ti_->files()[r.file].pad) return true;  // BEP 47: padding is never written
      auto h = open_file(r.file, true);
      if (!h) {
        err = h.error();
        return false;
      }
      // A file deleted while open (alone or with its directory) would swallow every later write
      // and the torrent would call lost pieces verified; a file hard-linked since it was opened
      // would pass the bytes on to its other names: refuse both (see make_file_storage).
      if (auto e = link_count_error((*h)->fd(), r.file, op::write)) {
        err = *e;
        return false;
      }
      const int dfd = wants_direct(r.file_offset, r.length) ? direct_fd(r.file, **h) : -1;
      if (auto e = write_maybe_direct((*h)->fd(), dfd, data.data() + r.buffer_offset, r.length,
                                      r.file_offset, direct_enabled_)) {
        err = storage_error{e, op::write, full_path(r.file)};
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
      if (ti_->files()[r.file].pad) {  // BEP 47: padding reads as zeros
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
    for (std::size_t i = 0; i < ti_->files().size(); ++i) {
      // Cleared first: a write finishing during the fdatasync sets it again for the next flush.
      if (!dirty_[i].exchange(false, std::memory_order_acq_rel)) continue;
      const int file = static_cast<int>(i);
      auto h = open_file(file, false);
      std::error_code ec;
      if (!h) ec = h.error().ec;
      else if (!*h) ec = errno_code(ENOENT);  // written, then deleted
      else if (auto u = link_count_error((*h)->fd(), file, op::flush, false)) ec = u->ec;  // still open
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
    const auto& files = ti_->files();
    std::vector<std::int64_t> sizes(files.size(), -1);
    auto r = root(false);
    for (std::size_t i = 0; i < files.size(); ++i) {
      if (files[i].pad) {
        sizes[i] = files[i].size;
        continue;
      }
      if (!r || !*r || bad_path_[i]) continue;
      int fd = open_beneath((*r)->fd, files[i].path, O_PATH);  // a symlink: missing
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
    return offset >= 0 && offset <= ti_->total_size() &&
           static_cast<std::int64_t>(size) <= ti_->total_size() - offset;
  }

  std::string full_path(int file) const { return (save_path_ / ti_->files()[file].path).string(); }

  // ENOENT (as `what`) when `fd`, open for `file`, has no name any more: the file was deleted,
  // alone or with its directory. With `refuse_hard_links`, storage_errc::hard_linked when it has
  // more than one (a flush need not refuse: the bytes are written already). An fstat failure is
  // op=stat.
  std::optional<storage_error> link_count_error(int fd, int file, op what,
                                                bool refuse_hard_links = true) const {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return storage_error{errno_code(errno), op::stat, full_path(file)};
    if (st.st_nlink == 0) return storage_error{errno_code(ENOENT), what, full_path(file)};
    if (refuse_hard_links && st.st_nlink > 1)
      return storage_error{make_error_code(storage_errc::hard_linked), what, full_path(file)};
    return std::nullopt;
  }

  storage_error bad_path_error(int file) const {
    // Not joined with std::filesystem: an absolute path would replace save_path in the message.
    return {std::make_error_code(std::errc::invalid_argument), op::open,
            save_path_.string() + "/" + ti_->files()[file].path};
  }

  storage_error refusal(storage_errc why, int file) const {
    return {make_error_code(why), op::write, full_path(file)};
  }

  // The download directory's descriptor, opened for this use (see root_handle). With `create`
  // (writes, initialize), the directory is created when missing and checked to be writable --
  // only until it was opened once: a download directory removed afterwards is never re-created
  // (the pieces verified there are gone), the open fails with ENOENT instead. Without `create`
  // (reads, flush, sizes), a missing directory is a null handle: reading never creates anything.
  result<root_handle, storage_error> root(bool create) {
    std::lock_guard lock(root_mutex_);
    const bool first = !root_opened_;
    if (create && first) {
      std::error_code ec;
      std::filesystem::create_directories(save_path_, ec);
      if (ec) return unexpected{storage_error{ec, op::mkdir, save_path_.string()}};
    }
    int fd = ::open(save_path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      if (!create && errno == ENOENT) return root_handle{};
      return unexpected{storage_error{errno_code(errno), op::open, save_path_.string()}};
    }
    auto handle = std::make_shared<const fd_guard>(fd);
    // Root is not denied by permission bits, but a read-only mount still says EROFS here.
    if (create && first && ::faccessat(AT_FDCWD, save_path_.c_str(), W_OK | X_OK, AT_EACCESS) != 0)
      return unexpected{storage_error{errno_code(errno), op::write, save_path_.string()}};
    root_opened_ = true;
    return handle;
  }

  // A descriptor for `file`: read-write when `write` (see open_for_write), else read-only; a
  // null handle when reading a file that does not exist (or lies behind a symlink, which is
  // never followed: not the torrent's data).
  result<std::shared_ptr<file_handle>, storage_error> open_file(int file, bool write) {
    if (bad_path_[file]) return unexpected{bad_path_error(file)};
    if (auto h = cache_.find(file, write)) return h;
    auto r = root(write);
    if (!r) {
      // The download directory is gone (removed after it was opened): name the file that cannot
      // be reached, as an open beneath a deleted directory would.
      auto e = r.error();
      if (e.ec == std::errc::no_such_file_or_directory) e.path = full_path(file);
      return unexpected{e};
    }
    if (!*r) return std::shared_ptr<file_handle>{};
    if (write) {
      std::lock_guard lock(open_mutex_);
      if (auto h = cache_.find(file, true)) return h;  // another writer opened it meanwhile
      auto fd = open_for_write((*r)->fd, file);
      if (!fd) return unexpected{fd.error()};
      auto h = std::make_shared<file_handle>(*fd, true);
      cache_.insert(file, h);
      return h;
    }
    int fd = open_beneath((*r)->fd, ti_->files()[file].path, O_RDONLY | O_NONBLOCK);
    if (fd < 0) {
      if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR) return std::shared_ptr<file_handle>{};
      return unexpected{storage_error{errno_code(errno), op::open, full_path(file)}};
    }
    if (auto e = regular_file_error(fd, file)) {
      ::close(fd);
      return unexpected{*e};
    }
    auto h = std::make_shared<file_handle>(fd, false);
    cache_.insert(file, h);
    return h;
  }

  // Only regular files: a FIFO or a device placed in the download directory is refused. (Opens
  // are O_NONBLOCK so that a FIFO cannot block them; regular files ignore that flag.)
  std::optional<storage_error> regular_file_error(int fd, int file) const {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return storage_error{errno_code(errno), op::stat, full_path(file)};
    if (!S_ISREG(st.st_mode))
      return storage_error{std::make_error_code(std::errc::invalid_argument), op::open, full_path(file)};
    return std::nullopt;
  }

  // Opens `file` read-write, under open_mutex_. A file the torrent owns is opened (created when
  // missing); any other is created with O_EXCL, so that a file already there is found instead
  // of written into: it is refused (storage_errc::existing_file, or symlink) unless overwriting
  // is allowed, in which case a regular file is opened as it is and a symlink is replaced by a
  // new file. Either way the file is the torrent's own afterwards. Hard-linked files are refused.
  // A file this storage had open for writing before (its descriptor since closed by the pool)
  // is reopened as it is, never created: when it is gone, it was deleted under the torrent, and
  // the write fails with ENOENT as a write through a still-open descriptor would.
  result<int, storage_error> open_for_write(int root_fd, int file) {
    const std::string& rel = ti_->files()[file].path;
    if (opened_for_write_[static_cast<std::size_t>(file)]) return reopen_for_write(root_fd, file);
    const bool owned = owned_[file].load(std::memory_order_acquire);
    const int flags = O_RDWR | O_CREAT | O_NONBLOCK | (owned ? 0 : O_EXCL);
    int fd = open_beneath(root_fd, rel, flags, mode_of(file));
    if (fd < 0 && errno == ENOENT) {
      auto comps = split_relative_path(rel);
      if (auto ec = make_dirs_beneath(root_fd, *comps, comps->size() - 1)) {
        if (ec == std::errc::too_many_symbolic_link_levels || ec == std::errc::not_a_directory) {
          if (auto e = symlinked_directory_error(root_fd, file)) return unexpected{*e};
        }
        return unexpected{storage_error{ec, op::mkdir, full_path(file)}};
      }
      fd = open_beneath(root_fd, rel, flags, mode_of(file));
    }
    if (fd < 0) {
      const int e = errno;
      if (e != EEXIST && e != ELOOP && e != ENOTDIR)
        return unexpected{storage_error{errno_code(e), op::open, full_path(file)}};
      auto replaced = open_existing(root_fd, file, owned);
      if (!replaced) return unexpected{replaced.error()};
      fd = *replaced;
    }
    if (auto e = regular_file_error(fd, file)) {
      ::close(fd);
      return unexpected{*e};
    }
    if (auto e = link_count_error(fd, file, op::write)) {
      ::close(fd);
      return unexpected{*e};
    }
    owned_[file].store(true, std::memory_order_release);
    opened_for_write_[static_cast<std::size_t>(file)] = true;
    return fd;
  }

  // open_for_write of a file opened for writing before: no O_CREAT (see there).
  result<int, storage_error> reopen_for_write(int root_fd, int file) {
    int fd = open_beneath(root_fd, ti_->files()[file].path, O_RDWR | O_NONBLOCK);
    if (fd < 0) {
      const int e = errno;
      return unexpected{storage_error{errno_code(e), e == ENOENT ? op::write : op::open, full_path(file)}};
    }
    if (auto e = regular_file_error(fd, file)) {
      ::close(fd);
      return unexpected{*e};
    }
    if (auto e = link_count_error(fd, file, op::write)) {
      ::close(fd);
      return unexpected{*e};
    }
    return fd;
  }

  // open_for_write found something at the path (EEXIST from O_EXCL, or ELOOP/ENOTDIR: a
  // symlink): tells which, refuses it, or (overwriting allowed) opens or replaces it.
  result<int, storage_error> open_existing(int root_fd, int file, bool owned) {
    const std::string& rel = ti_->files()[file].path;
    auto comps = split_relative_path(rel);
    fd_guard parent(open_parent_beneath(root_fd, *comps));
    if (parent.fd < 0) {
      const int e = errno;
      if (auto err = symlinked_directory_error(root_fd, file)) return unexpected{*err};
      return unexpected{storage_error{errno_code(e), op::open, full_path(file)}};
    }
    struct stat st {};
    if (::fstatat(parent.fd, comps->back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return unexpected{storage_error{errno_code(errno), op::stat, full_path(file)}};
    const bool overwrite = overwrite_.load(std::memory_order_acquire);
    if (S_ISLNK(st.st_mode)) {
      if (!overwrite) return unexpected{refusal(storage_errc::symlink, file)};
      // The link goes, its target stays as it is.
      if (::unlinkat(parent.fd, comps->back().c_str(), 0) != 0 && errno != ENOENT)
        return unexpected{storage_error{errno_code(errno), op::remove, full_path(file)}};
      int fd = open_beneath(root_fd, rel, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, mode_of(file));
      if (fd < 0) return unexpected{storage_error{errno_code(errno), op::open, full_path(file)}};
      return fd;
    }
    if (!S_ISREG(st.st_mode))
      return unexpected{storage_error{std::make_error_code(std::errc::invalid_argument), op::open, full_path(file)}};
    if (!owned && !overwrite) return unexpected{refusal(storage_errc::existing_file, file)};
    int fd = open_beneath(root_fd, rel, O_RDWR | O_NONBLOCK);
    if (fd < 0) return unexpected{storage_error{errno_code(errno), op::open, full_path(file)}};
    return fd;
  }

  // storage_errc::symlinked_directory when a directory on `file`'s path is a symlink.
  std::optional<storage_error> symlinked_directory_error(int root_fd, int file) const {
    auto comps = split_relative_path(ti_->files()[file].path);
    if (symlink_component_beneath(root_fd, *comps, comps->size() - 1) >= 0)
      return refusal(storage_errc::symlinked_directory, file);
    return std::nullopt;
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
    auto r = root(true);
    int fd = r && *r ? open_beneath((*r)->fd, ti_->files()[file].path, O_RDWR | O_DIRECT | O_NONBLOCK) : -1;
    struct stat st {}, st2 {};
    if (fd >= 0 && (::fstat(h.fd(), &st) != 0 || ::fstat(fd, &st2) != 0 ||
                    st2.st_dev != st.st_dev || st2.st_ino != st.st_ino)) {
      ::close(fd);
      fd = -1;
    }
    return h.set_direct_fd(fd);
  }

  // BEP 47 'x': execute bits wherever the umask leaves read bits.
  mode_t mode_of(int file) const { return ti_->files()[file].executable ? 0755 : 0644; }

  // A BEP 47 symlink entry, under open_mutex_ (see create_empty_file): the link is made beneath
  // the root, relative and inside the torrent's folder (symlink_file.hpp); whatever is at its
  // path already is left alone, as for an empty file, and a symlinked folder on the way too.
  std::optional<storage_error> create_link(int file, int root_fd) {
    auto text = symlink_text_of(*ti_, file);
    if (!text) return bad_path_error(file);
    auto made = create_symlink_beneath(root_fd, ti_->files()[file].path, *text, ti_->name());
    if (!made) {
      const auto ec = made.error();
      if (ec != std::errc::too_many_symbolic_link_levels && ec != std::errc::not_a_directory)
        return storage_error{ec, op::open, full_path(file)};
    } else if (*made) {
      owned_[file].store(true, std::memory_order_release);
    }
    empty_settled_[static_cast<std::size_t>(file)] = true;
    return std::nullopt;
  }

  // Zero-length files (and BEP 47 symlinks) have no bytes to write: they are created when a write
  // reaches their offset.
  // Whatever is at such a path already is left as it is (nothing would be written into it) and is
  // not the torrent's own.
  std::optional<storage_error> create_empty_files(std::int64_t begin, std::int64_t end) {
    const auto& files = ti_->files();
    auto lo = std::lower_bound(empty_files_.begin(), empty_files_.end(), begin,
                               [&](int i, std::int64_t v) { return files[i].offset < v; });
    for (auto it = lo; it != empty_files_.end() && files[*it].offset <= end; ++it) {
      if (auto e = create_empty_file(*it)) return e;
    }
    return std::nullopt;
  }

  std::optional<storage_error> create_empty_file(int file) {
    auto r = root(true);
    if (!r) return r.error();
    std::lock_guard lock(open_mutex_);
    if (empty_settled_[static_cast<std::size_t>(file)]) return std::nullopt;
    const std::string& rel = ti_->files()[file].path;
    if (ti_->files()[file].symlink) return create_link(file, (*r)->fd);
    const int flags = O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK;
    int fd = open_beneath((*r)->fd, rel, flags, mode_of(file));
    if (fd < 0 && errno == ENOENT) {
      auto comps = split_relative_path(rel);
      if (auto ec = make_dirs_beneath((*r)->fd, *comps, comps->size() - 1)) {
        if (ec != std::errc::too_many_symbolic_link_levels && ec != std::errc::not_a_directory)
          return storage_error{ec, op::mkdir, full_path(file)};
        errno = ELOOP;  // behind a symlink: left alone like an existing file
      } else {
        fd = open_beneath((*r)->fd, rel, flags, mode_of(file));
      }
    }
    if (fd >= 0) {
      ::close(fd);
      owned_[file].store(true, std::memory_order_release);
    } else if (errno != EEXIST && errno != ELOOP && errno != ENOTDIR) {
      return storage_error{errno_code(errno), op::open, full_path(file)};
    }
    empty_settled_[static_cast<std::size_t>(file)] = true;
    return std::nullopt;
  }

  public:
  result<bool, storage_error> remove_files() override {
    close_all();
    return delete_torrent_files(*ti_, save_path_, owned_files());
  }

  result<bool, storage_error> rename_path(const std::string& from, const std::string& to) override {
    close_all();
    // A file at `from` that is not the torrent's own stays where it is (as move_files leaves it).
    for (std::size_t i = 0; i < ti_->files().size(); ++i) {
      if (ti_->files()[i].path == from && !owned_[i].load(std::memory_order_acquire)) return true;
    }
    return rename_beneath(save_path_, from, to);
  }

  result<bool, storage_error> move_files(const std::filesystem::path& new_save_path) override {
    close_all();  // the storage itself is replaced by the caller
    return move_torrent_files(*ti_, save_path_, new_save_path, owned_files(),
                              overwrite_.load(std::memory_order_acquire));
  }

  // --- file_ownership ---

  std::vector<bool> owned_files() const override {
    std::vector<bool> out(ti_->files().size(), false);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = owned_[i].load(std::memory_order_acquire);
    return out;
  }

  void adopt_files(const std::vector<bool>& files) override {
    for (std::size_t i = 0; i < files.size() && i < ti_->files().size(); ++i)
      if (files[i] && !ti_->files()[i].pad) owned_[i].store(true, std::memory_order_release);
  }

  std::optional<storage_error> create_links() override {
    for (int file : empty_files_)
      if (ti_->files()[file].symlink)
        if (auto e = create_empty_file(file)) return e;
    return std::nullopt;
  }

  void set_overwrite_existing(bool allow) override {
    overwrite_.store(allow, std::memory_order_release);
  }

  result<bool, storage_error> check_writable(const std::vector<bool>& files) override {
    auto r = root(false);
    if (!r) return unexpected{r.error()};
    if (!*r) return true;  // nothing there yet
    const int root_fd = (*r)->fd;
    const bool overwrite = overwrite_.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < files.size() && i < ti_->files().size(); ++i) {
      if (!files[i] || ti_->files()[i].pad || bad_path_[i]) continue;
      const int file = static_cast<int>(i);
      auto comps = split_relative_path(ti_->files()[i].path);
      fd_guard parent(open_parent_beneath(root_fd, *comps));
      if (parent.fd < 0) {
        if (errno == ENOENT) continue;  // its directory is created by the first write
        if (auto e = symlinked_directory_error(root_fd, file)) return unexpected{*e};
        continue;  // e.g. a file where a directory should be: the write says so
      }
      struct stat st {};
      if (::fstatat(parent.fd, comps->back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (S_ISLNK(st.st_mode)) {
        if (!overwrite) return unexpected{refusal(storage_errc::symlink, file)};
        continue;
      }
      if (!S_ISREG(st.st_mode))
        return unexpected{storage_error{std::make_error_code(std::errc::invalid_argument), op::open,
                                        full_path(file)}};
      if (st.st_nlink > 1) return unexpected{refusal(storage_errc::hard_linked, file)};
      if (!overwrite && !owned_[i].load(std::memory_order_acquire))
        return unexpected{refusal(storage_errc::existing_file, file)};
    }
    return true;
  }

 private:
  std::shared_ptr<const torrent_info> ti_;
  std::filesystem::path save_path_;
  fd_cache_client cache_;  // this storage's files in the (session-wide) pool
  std::vector<bool> bad_path_;    // per file: its path failed split_relative_path
  std::unique_ptr<std::atomic<bool>[]> dirty_;  // per file: written since the last flush()
  std::vector<int> empty_files_;  // zero-length non-padding files, by offset
  /// Per file: the torrent's own (see file_ownership.hpp).
  std::unique_ptr<std::atomic<bool>[]> owned_;
  std::atomic<bool> overwrite_{false};  // see set_overwrite_existing
  /// Serialises opens for writing, so that two threads writing the first pieces of a new file
  /// do not both try to create it (the second would find it "existing").
  std::mutex open_mutex_;
  std::vector<bool> empty_settled_;  // per file: a zero-length file created or left alone; open_mutex_
  /// Per file: opened for writing by this storage before (see open_for_write); open_mutex_.
  std::vector<bool> opened_for_write_;
  std::mutex root_mutex_;
  bool root_opened_ = false;  // save_path_ was opened once (see root()); root_mutex_
  std::atomic<bool> direct_enabled_{true};  // cleared when the file system refuses O_DIRECT
};

}  // namespace

}  // namespace tessera::detail

std::shared_ptr<tessera::storage> tessera::make_file_storage(
    std::shared_ptr<const torrent_info> ti, std::filesystem::path save_path,
    std::size_t max_open_files) {
  return std::make_shared<detail::file_storage>(std::move(ti), std::move(save_path),
                                                std::make_shared<detail::fd_cache>(max_open_files));
}

std::shared_ptr<tessera::storage> tessera::detail::make_file_storage(
    std::shared_ptr<const torrent_info> ti, std::filesystem::path save_path,
    std::shared_ptr<fd_cache> open_files) {
  return std::make_shared<file_storage>(std::move(ti), std::move(save_path), std::move(open_files));
}
