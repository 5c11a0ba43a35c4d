#include "disk/file_layout_ops.hpp"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "disk/path_beneath.hpp"
#include "disk/posix.hpp"

namespace tessera::detail {

namespace {

using op = storage_error::operation;

std::string join(const std::vector<std::string>& parts, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    if (i) out += '/';
    out += parts[i];
  }
  return out;
}

/// Opens the directory holding `parts`' last component beneath `root` (O_PATH is not enough for
/// unlinkat/renameat? it is: both accept an O_PATH directory descriptor).
int open_parent(int root, const std::vector<std::string>& parts) {
  if (parts.size() == 1) return ::fcntl(root, F_DUPFD_CLOEXEC, 0);
  return open_beneath(root, join(parts, parts.size() - 1), O_PATH | O_DIRECTORY);
}

/// The relative directories of the layout, deepest first: the folders of ti's file tree (built
/// once with the torrent_info; padding files make none, as they make no file on disk). Only the
/// folders of files whose path is at most max_path_bytes: the kernel refuses a longer one
/// (ENAMETOOLONG), so none of its folders was made through it, and joining the folders of a
/// hand-built path of 50,000 components would cost 50,000^2 bytes. Linear in the tree.
std::vector<std::string> layout_dirs(const torrent_info& ti) {
  const folder_tree& tree = ti.file_tree();
  std::vector<bool> used(tree.size(), false);
  const auto files = ti.files();
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (files[i].path.size() > max_path_bytes || !split_relative_path(files[i].path)) continue;
    folder_tree::node_id n = tree.node_of_file(file_index{static_cast<std::int32_t>(i)});
    if (n == folder_tree::no_node) continue;
    for (n = tree.parent(n); n != folder_tree::no_node && !used[static_cast<std::size_t>(n)]; n = tree.parent(n))
      used[static_cast<std::size_t>(n)] = true;
  }
  std::vector<std::string> out;
  for (folder_tree::node_id n : tree.folders_deepest_first())
    if (used[static_cast<std::size_t>(n)]) out.push_back(tree.path(n));
  return out;
}

void remove_empty_dirs(int root, const torrent_info& ti) {
  for (const std::string& dir : layout_dirs(ti)) {
    const std::string_view d = dir;
    const std::size_t slash = d.rfind('/');
    fd_guard parent(slash == std::string_view::npos
                        ? ::fcntl(root, F_DUPFD_CLOEXEC, 0)
                        : open_beneath(root, std::string(d.substr(0, slash)), O_PATH | O_DIRECTORY));
    const std::string name(slash == std::string_view::npos ? d : d.substr(slash + 1));
    if (parent.fd >= 0) ::unlinkat(parent.fd, name.c_str(), AT_REMOVEDIR);  // fails when not empty
  }
}

result<bool, storage_error> copy_file(int from_dir, const std::string& from_name, int to_dir,
                                      const std::string& to_name, const std::string& to_path,
                                      bool replace_existing) {
  fd_guard in(::openat(from_dir, from_name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (in.fd < 0) return unexpected{storage_error{errno_code(errno), op::open, from_name}};
  const int excl = replace_existing ? O_TRUNC : O_EXCL;
  fd_guard out(::openat(to_dir, to_name.c_str(), O_WRONLY | O_CREAT | excl | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (out.fd < 0 && errno == EEXIST)
    return unexpected{storage_error{make_error_code(storage_errc::target_exists), op::open, to_path}};
  if (out.fd < 0) return unexpected{storage_error{errno_code(errno), op::open, to_path}};
  for (;;) {
    const ssize_t n = ::sendfile(out.fd, in.fd, nullptr, 1 << 30);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return unexpected{storage_error{errno_code(errno), op::write, to_path}};
    }
  }
  if (::fsync(out.fd) != 0) return unexpected{storage_error{errno_code(errno), op::flush, to_path}};
  return true;
}

}  // namespace

result<bool, storage_error> delete_torrent_files(const torrent_info& ti,
                                                 const std::filesystem::path& save_path,
                                                 const std::vector<bool>& files) {
  fd_guard root(::open(save_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root.fd < 0) {
    if (errno == ENOENT) return true;  // nothing to delete
    return unexpected{storage_error{errno_code(errno), op::open, save_path.string()}};
  }
  std::optional<storage_error> first;
  for (std::size_t i = 0; i < ti.files().size(); ++i) {
    const file_entry& f = ti.files()[i];
    if (f.pad || i >= files.size() || !files[i]) continue;  // not the torrent's to delete
    auto parts = split_relative_path(f.path);
    if (!parts) continue;
    const std::string full = (save_path / f.path).string();
    fd_guard parent(open_parent(root.fd, *parts));
    if (parent.fd < 0) {
      if (errno != ENOENT && !first) first = storage_error{errno_code(errno), op::open, full};
      continue;
    }
    struct stat st {};
    if (::fstatat(parent.fd, parts->back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    // Not ours to delete, unless it is the link of a BEP 47 symlink entry (only unlinked, its
    // target stays).
    if (!S_ISREG(st.st_mode) && !(f.symlink && S_ISLNK(st.st_mode))) continue;
    if (::unlinkat(parent.fd, parts->back().c_str(), 0) != 0 && errno != ENOENT && !first) {
      first = storage_error{errno_code(errno), op::remove, full};
    }
  }
  remove_empty_dirs(root.fd, ti);
  if (first) return unexpected{*first};
  return true;
}

result<bool, storage_error> move_torrent_files(const torrent_info& ti, const std::filesystem::path& from,
                                               const std::filesystem::path& to,
                                               const std::vector<bool>& files, bool replace_existing) {
  std::error_code ec;
  std::filesystem::create_directories(to, ec);
  if (ec) return unexpected{storage_error{ec, op::mkdir, to.string()}};
  fd_guard src_root(::open(from.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (src_root.fd < 0) {
    if (errno == ENOENT) return true;  // nothing written yet
    return unexpected{storage_error{errno_code(errno), op::open, from.string()}};
  }
  fd_guard dst_root(::open(to.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (dst_root.fd < 0) return unexpected{storage_error{errno_code(errno), op::open, to.string()}};
  struct stat src_st {}, dst_st {};
  if (::fstat(src_root.fd, &src_st) == 0 && ::fstat(dst_root.fd, &dst_st) == 0 &&
      src_st.st_dev == dst_st.st_dev && src_st.st_ino == dst_st.st_ino)
    return true;  // the same directory: nothing to move
  auto selected = [&](std::size_t i) { return !ti.files()[i].pad && i < files.size() && files[i]; };
  if (!replace_existing) {
    // Refuse before moving anything: a file already at a target is someone else's.
    for (std::size_t i = 0; i < ti.files().size(); ++i) {
      if (!selected(i)) continue;
      auto parts = split_relative_path(ti.files()[i].path);
      if (!parts) continue;
      fd_guard sp(open_parent_beneath(src_root.fd, *parts));
      fd_guard dp(open_parent_beneath(dst_root.fd, *parts));
      struct stat st {};
      const bool moves = sp.fd >= 0 &&
                         ::fstatat(sp.fd, parts->back().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                         S_ISREG(st.st_mode);
      if (moves && dp.fd >= 0 && ::fstatat(dp.fd, parts->back().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
        return unexpected{storage_error{make_error_code(storage_errc::target_exists), op::rename,
                                        (to / ti.files()[i].path).string()}};
    }
  }
  for (std::size_t i = 0; i < ti.files().size(); ++i) {
    if (!selected(i)) continue;  // padding, or not the torrent's own: stays where it is
    const file_entry& f = ti.files()[i];
    auto parts = split_relative_path(f.path);
    if (!parts) continue;
    fd_guard sp(open_parent(src_root.fd, *parts));
    if (sp.fd < 0) continue;  // its directory does not exist: nothing of it was written
    struct stat st {};
    if (::fstatat(sp.fd, parts->back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
    const std::string target = (to / f.path).string();
    if (auto e = make_dirs_beneath(dst_root.fd, *parts, parts->size() - 1)) {
      return unexpected{storage_error{e, op::mkdir, target}};
    }
    fd_guard dp(open_parent(dst_root.fd, *parts));
    if (dp.fd < 0) return unexpected{storage_error{errno_code(errno), op::open, target}};
    const char* name = parts->back().c_str();
    const unsigned rename_flags = replace_existing ? 0u : RENAME_NOREPLACE;
    int rc = ::renameat2(sp.fd, name, dp.fd, name, rename_flags);
    if (rc != 0 && errno == EINVAL && rename_flags != 0) {
      // A file system without RENAME_NOREPLACE: look, then rename (the pre-check above looked too).
      struct stat there {};
      if (::fstatat(dp.fd, name, &there, AT_SYMLINK_NOFOLLOW) == 0) errno = EEXIST;
      else rc = ::renameat(sp.fd, name, dp.fd, name);
    }
    if (rc == 0) continue;
    if (errno == EEXIST)
      return unexpected{storage_error{make_error_code(storage_errc::target_exists), op::rename, target}};
    if (errno != EXDEV) return unexpected{storage_error{errno_code(errno), op::rename, target}};
    auto copied = copy_file(sp.fd, parts->back(), dp.fd, parts->back(), target, replace_existing);
    if (!copied) return copied;
    if (::unlinkat(sp.fd, name, 0) != 0) {
      return unexpected{storage_error{errno_code(errno), op::remove, (from / f.path).string()}};
    }
  }
  remove_empty_dirs(src_root.fd, ti);
  return true;
}

}  // namespace tessera::detail

namespace tessera::detail {

result<bool, storage_error> rename_beneath(const std::filesystem::path& save_path, const std::string& from,
                                           const std::string& to) {
  const std::string target = (save_path / to).string();
  auto fc = split_relative_path(from);
  auto tc = split_relative_path(to);
  if (!fc || !tc || fc->size() != tc->size() || !std::equal(fc->begin(), fc->end() - 1, tc->begin())) {
    return unexpected{storage_error{std::make_error_code(std::errc::invalid_argument), op::rename, target}};
  }
  auto failed = [&](int err) -> result<bool, storage_error> {
    if (err == ENOENT) return true;  // no download directory, or no parent: nothing on disk yet
    return unexpected{storage_error{errno_code(err), op::rename, target}};
  };
  fd_guard root(::open(save_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root.fd < 0) return failed(errno);
  fd_guard parent(open_parent(root.fd, *fc));
  if (parent.fd < 0) return failed(errno);
  struct stat st {};
  if (::fstatat(parent.fd, fc->back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return failed(errno);
  if (::renameat2(parent.fd, fc->back().c_str(), parent.fd, tc->back().c_str(), RENAME_NOREPLACE) != 0) {
    int err = errno;
    if (err == EINVAL) {  // a file system without RENAME_NOREPLACE: check, then rename
      struct stat there {};
      if (::fstatat(parent.fd, tc->back().c_str(), &there, AT_SYMLINK_NOFOLLOW) == 0) {
        err = EEXIST;
      } else if (::renameat(parent.fd, fc->back().c_str(), parent.fd, tc->back().c_str()) == 0) {
        err = 0;
      } else {
        err = errno;
      }
    }
    if (err == EEXIST || err == ENOTEMPTY) {
      return unexpected{storage_error{make_error_code(storage_errc::target_exists), op::rename, target}};
    }
    if (err != 0) return unexpected{storage_error{errno_code(err), op::rename, target}};
  }
  // The rename itself durable (best effort): the daemon records it right after.
  fd_guard dir(::openat(parent.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.fd >= 0) ::fsync(dir.fd);
  return true;
}

}  // namespace tessera::detail
