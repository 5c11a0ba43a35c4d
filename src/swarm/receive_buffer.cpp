// receive_buffer: one vector, compacted before each read. It is replaced by a new one of the normal
// size (rather than resized down, which would keep the capacity) when it shrinks, so the memory a
// long message took is given back.
#include "swarm/receive_buffer.hpp"

#include <algorithm>
#include <cstring>

namespace tessera::detail {

receive_buffer::receive_buffer(std::size_t normal_size)
    : normal_(std::max<std::size_t>(normal_size, 1)), buf_(normal_) {}

std::span<std::uint8_t> receive_buffer::prepare(std::size_t whole_message) {
  const std::size_t pending = end_ - begin_;
  if (buf_.size() > normal_ && pending <= normal_ && whole_message <= normal_) {
    // A long message made it grow and is gone: give the memory back.
    std::vector<std::uint8_t> smaller(normal_);
    if (pending > 0) std::memcpy(smaller.data(), buf_.data() + begin_, pending);
    buf_.swap(smaller);
    begin_ = 0;
    end_ = pending;
  } else if (begin_ > 0) {
    // Keep the partial message at the front, so the next read lands after it.
    if (pending > 0) std::memmove(buf_.data(), buf_.data() + begin_, pending);
    begin_ = 0;
    end_ = pending;
  }
  if (whole_message > buf_.size()) buf_.resize(whole_message);
  if (end_ == buf_.size()) buf_.resize(buf_.size() + normal_);  // full: only a caller bug
  return {buf_.data() + end_, buf_.size() - end_};
}

void receive_buffer::commit(std::size_t n) {
  if (skip_ > 0 && begin_ == end_) {
    // Everything before was consumed, so the new bytes start with the ones to skip.
    const std::size_t dropped = std::min(n, skip_);
    skip_ -= dropped;
    begin_ += dropped;
  }
  end_ += n;
}

}  // namespace tessera::detail
