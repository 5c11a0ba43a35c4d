#include "disk/positional_io.hpp"

#include <unistd.h>

#include <cerrno>

#include "disk/posix.hpp"

namespace tessera::detail {

std::error_code pwrite_all(int fd, const std::uint8_t* p, std::int64_t n, std::int64_t off) {
  while (n > 0) {
    ssize_t w = ::pwrite(fd, p, static_cast<std::size_t>(n), off);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno_code(errno);
    }
    if (w == 0) return errno_code(EIO);  // no progress and no error: do not spin
    p += w;
    n -= w;
    off += w;
  }
  return {};
}

std::error_code pread_all(int fd, std::uint8_t* p, std::int64_t n, std::int64_t off,
                          std::size_t& got) {
  got = 0;
  while (n > 0) {
    ssize_t r = ::pread(fd, p, static_cast<std::size_t>(n), off);
    if (r < 0) {
      if (errno == EINTR) continue;
      return errno_code(errno);
    }
    if (r == 0) break;  // end of file
    p += r;
    n -= r;
    off += r;
    got += static_cast<std::size_t>(r);
  }
  return {};
}

}  // namespace tessera::detail
