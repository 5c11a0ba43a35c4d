// Whole-range positional reads and writes on a file descriptor (pread/pwrite loops), shared by
// the storage backends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <system_error>

namespace tessera::detail {

/// Writes `n` bytes from `p` at `off` through `fd`, retrying short writes and EINTR; a write that
/// makes no progress is EIO. Thread-safe for non-overlapping ranges (it is pwrite).
std::error_code pwrite_all(int fd, const std::uint8_t* p, std::int64_t n, std::int64_t off);

/// Reads up to `n` bytes at `off` into `p`, stopping early only at the end of the file; `got` is
/// the count read (short at end of file, which is not an error). Retries EINTR.
std::error_code pread_all(int fd, std::uint8_t* p, std::int64_t n, std::int64_t off,
                          std::size_t& got);

}  // namespace tessera::detail
