// A fixed-size set of bits, one per piece, laid out as in the BEP 3 `bitfield` message: the high
// bit of the first byte is piece 0. Spare bits in the last byte are always zero.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tessera/types.hpp"

namespace tessera::detail {

class bitfield {
 public:
  bitfield() = default;
  /// `size` bits, all set to `value`.
  explicit bitfield(int size, bool value = false) { resize(size, value); }

  void resize(int size, bool value = false);
  int size() const { return size_; }
  bool empty() const { return size_ == 0; }

  bool get(int i) const { return (bytes_[i >> 3] >> (7 - (i & 7))) & 1; }
  bool operator[](piece_index p) const { return get(p.value); }
  void set(int i) { bytes_[i >> 3] |= std::uint8_t(0x80u >> (i & 7)); }
  void clear(int i) { bytes_[i >> 3] &= std::uint8_t(~(0x80u >> (i & 7))); }
  void set(piece_index p) { set(p.value); }
  void clear(piece_index p) { clear(p.value); }
  void set_all();
  void clear_all();

  int count() const;            ///< number of set bits
  bool all() const { return count() == size_; }
  bool none() const { return count() == 0; }

  /// The wire bytes: ceil(size / 8) bytes, spare bits zero.
  std::span<const std::uint8_t> bytes() const { return bytes_; }
  /// Loads wire bytes for a bitfield of `size` bits. Returns false (leaving *this unchanged) when
  /// the byte count is not ceil(size/8) or a spare bit is set: BEP 3 says such a peer is dropped.
  bool assign(std::span<const std::uint8_t> wire, int size);

  bool operator==(const bitfield&) const = default;

 private:
  std::vector<std::uint8_t> bytes_;
  int size_ = 0;
};

}  // namespace tessera::detail
