#include "disk/direct_write.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "disk/posix.hpp"

namespace tessera::detail {

namespace {

constexpr std::size_t bounce_size = 1024 * 1024;

struct free_deleter {
  void operator()(std::uint8_t* p) const { std::free(p); }
};

/// This thread's aligned bounce buffer (bounce_size bytes), or null when it cannot be allocated.
std::uint8_t* bounce_buffer() {
  thread_local std::unique_ptr<std::uint8_t, free_deleter> buf;
  if (!buf) {
    void* p = std::aligned_alloc(static_cast<std::size_t>(direct_io_alignment), bounce_size);
    buf.reset(static_cast<std::uint8_t*>(p));
  }
  return buf.get();
}

bool aligned(const void* p) {
  return reinterpret_cast<std::uintptr_t>(p) % static_cast<std::uintptr_t>(direct_io_alignment) == 0;
}

/// One direct pwrite of whole aligned blocks, retrying EINTR; a short write is fine (the caller
/// loops) as long as it stays block aligned, else it is reported as EINVAL so the rest goes
/// buffered.
std::error_code pwrite_direct_all(int fd, const std::uint8_t* p, std::int64_t n, std::int64_t off) {
  while (n > 0) {
    ssize_t w = ::pwrite(fd, p, static_cast<std::size_t>(n), off);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno_code(errno);
    }
    if (w == 0) return errno_code(EIO);
    p += w;
    n -= w;
    off += w;
    if (w % direct_io_alignment != 0 && n > 0) return errno_code(EINVAL);
  }
  return {};
}

}  // namespace

std::error_code write_maybe_direct(int fd, int direct_fd, const std::uint8_t* p, std::int64_t n,
                                   std::int64_t off, std::atomic<bool>& direct_enabled) {
  const std::int64_t a = direct_io_alignment;
  const std::int64_t head = std::min(n, (a - off % a) % a);
  const std::int64_t middle = (n - head) / a * a;
  if (direct_fd < 0 || middle < direct_io_min_length || !direct_enabled.load(std::memory_order_relaxed))
    return pwrite_all(fd, p, n, off);

  if (head > 0) {
    if (auto e = pwrite_all(fd, p, head, off)) return e;
  }
  // The middle, in aligned pieces; on EINVAL the remainder of the middle falls back to buffered.
  std::int64_t done = 0;
  const std::uint8_t* src = p + head;
  const std::int64_t moff = off + head;
  std::uint8_t* bounce = aligned(src) ? nullptr : bounce_buffer();
  bool direct = aligned(src) || bounce != nullptr;
  while (direct && done < middle) {
    std::int64_t chunk = middle - done;
    const std::uint8_t* from = src + done;
    if (bounce) {
      chunk = std::min<std::int64_t>(chunk, static_cast<std::int64_t>(bounce_size));
      std::memcpy(bounce, from, static_cast<std::size_t>(chunk));
      from = bounce;
    }
    // After a short direct write `done` may stop inside a chunk; it stays block aligned.
    auto e = pwrite_direct_all(direct_fd, from, chunk, moff + done);
    if (e == std::errc::invalid_argument) {
      direct_enabled.store(false, std::memory_order_relaxed);
      direct = false;
      break;
    }
    if (e) return e;
    done += chunk;
  }
  if (done < middle) {
    if (auto e = pwrite_all(fd, src + done, middle - done, moff + done)) return e;
  }
  const std::int64_t tail = n - head - middle;
  if (tail > 0) return pwrite_all(fd, p + head + middle, tail, off + head + middle);
  return {};
}

}  // namespace tessera::detail
