// Writing piece data around the page cache (O_DIRECT) where the range allows it.
//
// Why: a buffered pwrite of fresh data makes the kernel allocate and fill new page-cache pages,
// and on the virtual machines we run on that costs about 2 CPU seconds per GiB (most of a
// download's CPU time); an O_DIRECT write of the same bytes costs about 0.1 s. So a write is split
// into an unaligned head and tail (buffered, through the ordinary descriptor) and an aligned middle
// (direct, through a second descriptor opened O_DIRECT).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <system_error>

#include "disk/positional_io.hpp"

namespace tessera::detail {

/// File offsets, lengths and buffer addresses of direct writes are multiples of this (bytes); 4096
/// covers the logical block size of every device and file system we expect.
inline constexpr std::int64_t direct_io_alignment = 4096;

/// Aligned middles shorter than this (bytes) are written buffered: not worth a second syscall.
inline constexpr std::int64_t direct_io_min_length = 64 * 1024;

/// Writes `n` bytes from `p` at file offset `off`, retrying short writes and EINTR. The page-aligned
/// middle of the range goes through `direct_fd` (a descriptor of the same file opened O_DIRECT;
/// -1 for none) when it is at least direct_io_min_length long and `direct_enabled` is set; the
/// rest, or everything, goes through `fd`. When `p` + the middle's start is not aligned the middle
/// is copied through a per-thread aligned bounce buffer (1 MiB, allocated on a thread's first
/// direct write and kept until the thread ends). A direct write that fails with EINVAL (a file
/// system without O_DIRECT support, or one with a larger block size) clears `direct_enabled` and
/// the bytes are written buffered instead; other errors are returned as they are.
/// Thread-safe: callers write non-overlapping ranges; `direct_enabled` is shared by the threads
/// of one storage.
std::error_code write_maybe_direct(int fd, int direct_fd, const std::uint8_t* p, std::int64_t n,
                                   std::int64_t off, std::atomic<bool>& direct_enabled);

}  // namespace tessera::detail
