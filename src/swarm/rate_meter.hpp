// A transfer rate in bytes/s over a sliding window of a few seconds. Pure: the caller passes the
// time of every event, so tests drive it with explicit time points and no clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace tessera::detail {

/// Bytes are added into fixed-width time buckets (window / buckets wide). The rate is the sum of
/// the buckets that still lie inside the window, divided by the time the window covers: at the
/// start of a transfer that is the time since `start` (so a fresh meter does not under-report),
/// and never less than one bucket width (so a single burst does not read as an enormous rate).
/// Not thread-safe; one owner (a peer connection on the network thread).
class rate_meter {
 public:
  using clock = std::chrono::steady_clock;

  /// `start`: when measuring begins. `window` > 0; `buckets` >= 1 (the window's resolution).
  explicit rate_meter(clock::time_point start, clock::duration window = std::chrono::seconds(5),
                      int buckets = 10);

  /// Counts `bytes` (>= 0) transferred at `now`. Times must not go backwards (an earlier `now`
  /// is treated as the latest time seen).
  void add(std::int64_t bytes, clock::time_point now);
  /// Bytes/s over the window ending at `now` (>= the latest time passed to add()).
  std::int64_t rate(clock::time_point now) const;
  /// Every byte ever added.
  std::int64_t total() const { return total_; }

 private:
  std::int64_t bucket_of(clock::time_point t) const;

  clock::time_point start_;
  clock::duration width_;
  std::vector<std::int64_t> buckets_;  // ring; slot = absolute bucket number % size
  std::int64_t head_ = 0;              // absolute number of the newest bucket written
  std::int64_t total_ = 0;
};

}  // namespace tessera::detail
