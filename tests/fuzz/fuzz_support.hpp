// Helpers shared by the fuzz targets: an invariant check that names what failed, and a reader
// that turns the fuzzer's bytes into the choices of a stateful target (which event comes next,
// its arguments). Header-only and free of libFuzzer headers, so the targets also build with g++
// as replay binaries (replay_main.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace tessera::fuzz {

[[noreturn]] inline void check_failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, what);
  std::abort();
}

/// Aborts (a crash to libFuzzer, a failed replay to ctest) with the condition's text.
#define FUZZ_CHECK(cond) ((cond) ? void(0) : ::tessera::fuzz::check_failed(#cond, __FILE__, __LINE__))

/// Reads choices from the input front to back. Once the bytes run out every read returns zeros
/// (or empty views), so a target's event loop ends on `empty()` rather than on a read.
class byte_reader {
 public:
  byte_reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  bool empty() const { return pos_ >= size_; }
  std::size_t remaining() const { return size_ - pos_; }

  std::uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
  // Each read is its own statement: the operands of | are unsequenced, and g++ (replay) and clang
  // (libFuzzer) must read an input the same way.
  std::uint16_t u16() {
    const unsigned hi = u8();
    return static_cast<std::uint16_t>(hi << 8 | u8());
  }
  std::uint32_t u32() {
    const std::uint32_t hi = u16();
    return hi << 16 | u16();
  }
  std::uint64_t u64() {
    const std::uint64_t hi = u32();
    return hi << 32 | u32();
  }
  bool flag() { return (u8() & 1) != 0; }

  /// A value in [lo, hi] (inclusive) from one byte, or two when the range needs them.
  int range(int lo, int hi) {
    if (hi <= lo) return lo;
    const auto span = static_cast<std::uint32_t>(hi - lo) + 1;
    const std::uint32_t raw = span <= 256 ? u8() : u16();
    return lo + static_cast<int>(raw % span);
  }

  /// Up to `n` bytes (fewer when the input ends first).
  std::string_view bytes(std::size_t n) {
    if (n > remaining()) n = remaining();
    std::string_view out(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return out;
  }
  /// A length-prefixed byte string: one byte of length (0..255), then up to that many bytes.
  std::string_view short_bytes() { return bytes(u8()); }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

}  // namespace tessera::fuzz
