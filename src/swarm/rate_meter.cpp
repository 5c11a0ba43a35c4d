#include "swarm/rate_meter.hpp"

#include <algorithm>

namespace tessera::detail {

rate_meter::rate_meter(clock::time_point start, clock::duration window, int buckets)
    : start_(start),
      width_(std::max<clock::duration>(window / std::max(buckets, 1), clock::duration(1))),
      buckets_(static_cast<std::size_t>(std::max(buckets, 1)), 0) {}

std::int64_t rate_meter::bucket_of(clock::time_point t) const {
  if (t <= start_) return 0;
  return (t - start_) / width_;
}

void rate_meter::add(std::int64_t bytes, clock::time_point now) {
  const auto n = static_cast<std::int64_t>(buckets_.size());
  const std::int64_t b = std::max(bucket_of(now), head_);
  // Zero the slots skipped since the last write (at most one full turn of the ring).
  for (std::int64_t a = head_ + 1; a <= b && a <= head_ + n; ++a) buckets_[a % n] = 0;
  head_ = b;
  buckets_[b % n] += std::max<std::int64_t>(bytes, 0);
  total_ += std::max<std::int64_t>(bytes, 0);
}

std::int64_t rate_meter::rate(clock::time_point now) const {
  const auto n = static_cast<std::int64_t>(buckets_.size());
  const std::int64_t current = std::max(bucket_of(now), head_);
  const std::int64_t oldest = current - n + 1;  // oldest bucket number still inside the window
  std::int64_t sum = 0;
  for (std::int64_t a = std::max(oldest, head_ - n + 1); a <= head_; ++a) {
    if (a >= 0) sum += buckets_[a % n];
  }
  // Time covered: from the start of the oldest bucket in the window (or `start`) to `now`.
  const auto window_begin = start_ + width_ * std::max<std::int64_t>(oldest, 0);
  auto covered = now - window_begin;
  covered = std::max(covered, width_);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(covered).count();
  return us > 0 ? sum * 1'000'000 / us : 0;
}

}  // namespace tessera::detail
