#include "core/bitfield.hpp"

#include <bit>

namespace tessera::detail {

void bitfield::resize(int size, bool value) {
  size_ = size;
  bytes_.assign((size + 7) / 8, value ? 0xff : 0);
  if (value && size % 8) bytes_.back() = std::uint8_t(0xff00u >> (size % 8));
}

void bitfield::set_all() { resize(size_, true); }
void bitfield::clear_all() { resize(size_, false); }

int bitfield::count() const {
  int n = 0;
  for (auto b : bytes_) n += std::popcount(b);
  return n;
}

bool bitfield::assign(std::span<const std::uint8_t> wire, int size) {
  if (size < 0 || wire.size() != static_cast<std::size_t>((size + 7) / 8)) return false;
  if (size % 8 && (wire.back() & std::uint8_t(0xffu >> (size % 8)))) return false;
  bytes_.assign(wire.begin(), wire.end());
  size_ = size;
  return true;
}

}  // namespace tessera::detail
