// The disk layer's POSIX plumbing, shared by the storage backends, the file layout operations and
// the resume data writer: an errno value as a std::error_code, and an owned file descriptor.
#pragma once

#include <unistd.h>

#include <system_error>

namespace tessera::detail {

/// `e` (an errno value) as an error code of the system category, so that it compares equal to
/// std::errc values and prints the OS message.
inline std::error_code errno_code(int e) { return {e, std::system_category()}; }

/// Owns a file descriptor: closes it on destruction unless it is negative (a failed open).
/// Not copyable or movable; `fd` stays readable (and may be passed to any POSIX call).
struct fd_guard {
  int fd = -1;
  explicit fd_guard(int f) : fd(f) {}
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
};

}  // namespace tessera::detail
