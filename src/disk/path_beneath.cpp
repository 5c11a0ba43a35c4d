#include "disk/path_beneath.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "disk/posix.hpp"

namespace tessera::detail {

namespace {

// Set once openat2 turned out to be unavailable, so the fallback is used without retrying it.
std::atomic<bool> g_no_openat2{false};

int retry_openat(int dirfd, const char* name, int flags, mode_t mode) {
  int fd;
  do fd = ::openat(dirfd, name, flags, mode);
  while (fd < 0 && errno == EINTR);
  return fd;
}

// The fallback: one component at a time, refusing symlinks everywhere.
int open_walk(int dirfd, const std::string& rel, int flags, mode_t mode) {
  std::size_t start = 0;
  int cur = dirfd;
  for (;;) {
    std::size_t slash = rel.find('/', start);
    std::string comp =
        rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (slash == std::string::npos) {
      int fd = retry_openat(cur, comp.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
      int saved = errno;
      if (cur != dirfd) ::close(cur);
      errno = saved;
      return fd;
    }
    int next = retry_openat(cur, comp.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
    int saved = errno;
    if (cur != dirfd) ::close(cur);
    if (next < 0) {
      errno = saved;
      return -1;
    }
    cur = next;
    start = slash + 1;
  }
}

}  // namespace

result<std::vector<std::string>> split_relative_path(std::string_view path) {
  auto bad = unexpected{std::make_error_code(std::errc::invalid_argument)};
  if (path.empty() || path.front() == '/') return bad;
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = path.find('/', start);
    std::string_view comp =
        path.substr(start, slash == std::string_view::npos ? path.npos : slash - start);
    if (comp.empty() || comp == "." || comp == ".." || comp.find('\0') != comp.npos) return bad;
    out.emplace_back(comp);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

void set_openat2_enabled_for_testing(bool enabled) { g_no_openat2.store(!enabled); }

int open_beneath(int dirfd, const std::string& rel, int flags, mode_t mode) {
  if (!g_no_openat2.load(std::memory_order_relaxed)) {
    open_how how{};
    how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;
    // No symlink at all, not even one staying inside: a link planted in the download directory
    // must not make a write land in some other file of it (or outside it).
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
    long fd;
    do fd = ::syscall(SYS_openat2, dirfd, rel.c_str(), &how, sizeof how);
    while (fd < 0 && errno == EINTR);
    if (fd >= 0 || (errno != ENOSYS && errno != EPERM)) return static_cast<int>(fd);
    if (errno == ENOSYS) g_no_openat2.store(true, std::memory_order_relaxed);
    // EPERM may be a seccomp filter or a real permission problem: the walk tells them apart.
  }
  return open_walk(dirfd, rel, flags, mode);
}

int open_parent_beneath(int dirfd, const std::vector<std::string>& components) {
  if (components.size() <= 1) return ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  std::string parent;
  for (std::size_t i = 0; i + 1 < components.size(); ++i) {
    if (i) parent += '/';
    parent += components[i];
  }
  return open_beneath(dirfd, parent, O_PATH | O_DIRECTORY);
}

int symlink_component_beneath(int dirfd, const std::vector<std::string>& components,
                              std::size_t count) {
  int parent = dirfd;
  int found = -1;
  for (std::size_t i = 0; i < count && i < components.size(); ++i) {
    struct stat st {};
    if (::fstatat(parent, components[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) break;
    if (S_ISLNK(st.st_mode)) {
      found = static_cast<int>(i);
      break;
    }
    if (!S_ISDIR(st.st_mode)) break;
    int next = retry_openat(parent, components[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
    if (parent != dirfd) ::close(parent);
    parent = next;
    if (parent < 0) break;
  }
  if (parent >= 0 && parent != dirfd) ::close(parent);
  return found;
}

std::error_code make_dirs_beneath(int dirfd, const std::vector<std::string>& components,
                                  std::size_t count) {
  std::string prefix;
  int parent = dirfd;
  std::error_code ec;
  for (std::size_t i = 0; i < count && i < components.size(); ++i) {
    if (!prefix.empty()) prefix += '/';
    prefix += components[i];
    int fd = open_beneath(dirfd, prefix, O_PATH | O_DIRECTORY);
    if (fd < 0 && errno == ENOENT) {
      if (::mkdirat(parent, components[i].c_str(), 0755) != 0 && errno != EEXIST) {
        ec = errno_code(errno);
        break;
      }
      fd = open_beneath(dirfd, prefix, O_PATH | O_DIRECTORY);
    }
    if (fd < 0) {
      ec = errno_code(errno);
      break;
    }
    if (parent != dirfd) ::close(parent);
    parent = fd;
  }
  if (parent != dirfd) ::close(parent);
  return ec;
}

}  // namespace tessera::detail
