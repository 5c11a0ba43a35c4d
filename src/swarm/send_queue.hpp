// The send side of one peer connection: the bytes queued for the peer, the write in flight, the
// backlog they make together (what the connection's send limits are checked against), and how
// long the socket has been sitting on a write without taking a byte. Pure: no socket; times are
// passed in.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tessera::detail {

/// Two buffers swapped at each write: messages are appended to `queued()` while the previous
/// write is in flight, so a message never waits for a copy and the steady state allocates
/// nothing. Single-threaded (the connection's).
class send_queue {
 public:
  using clock = std::chrono::steady_clock;

  /// `keep_capacity`: buffer capacity kept between writes (so the steady state allocates
  /// nothing); a buffer that grew beyond it in a burst is freed when its write ends.
  explicit send_queue(std::size_t keep_capacity) : keep_capacity_(keep_capacity) {}

  /// Where messages are appended (the wire encoders take a vector).
  std::vector<std::uint8_t>& queued() { return queued_; }
  /// Bytes held for the peer: queued ones plus the whole write in flight (its buffer is kept
  /// until the write ends). This is what the connection's backlog limits count.
  std::size_t backlog() const { return queued_.size() + writing_.size(); }
  /// A write is in flight (begun by start_write and not finished).
  bool writing() const { return !writing_.empty(); }
  bool has_queued() const { return !queued_.empty(); }

  /// Makes the queued bytes the write in flight. Precondition: !writing().
  void start_write();
  /// What of the write in flight has not reached the socket yet.
  std::span<const std::uint8_t> unwritten() const {
    return {writing_.data() + written_, writing_.size() - written_};
  }
  /// `n` more bytes of the write in flight reached the socket; when that was all of it, the
  /// write ends (writing() false).
  void wrote(std::size_t n);

  // --- stall detection: only the time spent inside socket writes counts, so waiting for upload
  // quota (a rate limit) is never taken for a peer that does not read ---
  /// A socket write of unwritten() bytes starts at `now`.
  void socket_write_started(clock::time_point now) { socket_since_ = now; }
  /// The socket write returned (with bytes or an error).
  void socket_write_ended() { socket_since_.reset(); }
  /// How long the pending socket write has taken no byte; zero when none is pending.
  clock::duration stalled_for(clock::time_point now) const {
    return socket_since_ ? now - *socket_since_ : clock::duration::zero();
  }

 private:
  std::vector<std::uint8_t> queued_;
  std::vector<std::uint8_t> writing_;
  std::size_t written_ = 0;
  std::size_t keep_capacity_;
  std::optional<clock::time_point> socket_since_;
};

}  // namespace tessera::detail
