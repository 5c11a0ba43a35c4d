// The receive buffer of one peer connection: bytes read from the socket and not decoded yet. It
// grows for a long message (up to the caller's message limit), shrinks back to its normal size
// once it holds little again, and lets the bytes of a message that is only skipped stream past
// without being kept. Pure: no socket, no clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tessera::detail {

/// Single-threaded (the connection's). Spans returned by data() stay valid until the next
/// prepare(); consume(), skip() and commit() never move bytes.
class receive_buffer {
 public:
  /// `normal_size`: the size reads normally land in (and the size it shrinks back to).
  explicit receive_buffer(std::size_t normal_size);

  /// The bytes received and not consumed yet.
  std::span<const std::uint8_t> data() const { return {buf_.data() + begin_, end_ - begin_}; }
  /// The first `n` bytes of data() were decoded. n <= data().size().
  void consume(std::size_t n) { begin_ += n; }
  /// After data() was consumed whole: the next `n` bytes to arrive are discarded by commit()
  /// instead of being kept (the rest of a message that is only skipped, wire::decode_result::skip).
  void skip(std::size_t n) { skip_ += n; }

  /// Before a read: moves the unconsumed bytes to the front; grows the buffer to `whole_message`
  /// bytes when that is more than it holds (the length of an incomplete message at the front,
  /// bounded by the caller's message limit; 0 when unknown); shrinks it back to the normal size
  /// when it is larger and what it keeps (and `whole_message`) fits the normal size. Returns the
  /// free space to read into (never empty).
  std::span<std::uint8_t> prepare(std::size_t whole_message);
  /// `n` bytes were read into the span prepare() returned. Bytes still to skip are dropped here.
  void commit(std::size_t n);

  /// Bytes allocated for the buffer (normal_size unless a long message made it grow).
  std::size_t capacity() const { return buf_.size(); }
  /// Bytes of a skipped message still to arrive.
  std::size_t skipping() const { return skip_; }

 private:
  std::size_t normal_;
  std::vector<std::uint8_t> buf_;
  std::size_t begin_ = 0;  // first unconsumed byte
  std::size_t end_ = 0;    // one past the last received byte
  std::size_t skip_ = 0;
};

}  // namespace tessera::detail
