// A token bucket: the rate limiter behind the global and per-torrent upload and download limits.
// Pure: it never reads a clock; every call takes the current time from the caller, so tests drive
// it with simulated time.
#pragma once

#include <chrono>
#include <cstdint>

namespace tessera::detail {

/// Tokens are bytes. They accrue at `rate` bytes per second up to `burst` bytes; a transfer takes
/// tokens before it moves bytes. Over any window [t0, t1] the bytes granted are at most
/// rate * (t1 - t0) + burst, and a caller that keeps asking gets exactly rate * (t1 - t0) within
/// one byte plus whatever it left in the bucket. The bucket starts empty, so a new limit never
/// begins with a burst.
///
/// Time points are steady_clock values supplied by the caller; a time earlier than the last one
/// seen counts as no time passing (the bucket never loses or gains tokens from a clock going
/// backwards). Accrual is exact integer arithmetic (no drift over long runs).
///
/// Not thread-safe: owned by one strand (the session's) like the rest of the engine state.
class token_bucket {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::nanoseconds;

  /// `rate` in bytes/s, 0 = unlimited (negative is taken as 0). `burst` in bytes: the most tokens
  /// the bucket holds; 0 (or negative) means one second's worth of `rate` (at least 1 byte).
  token_bucket(std::int64_t rate, std::int64_t burst, time_point now);

  /// Changes the rate (bytes/s, 0 = unlimited) at `now`. Tokens accrued until `now` at the old
  /// rate are kept (capped by the burst); leaving "unlimited" starts from an empty bucket. When
  /// the burst was given as 0 it follows the new rate (one second's worth).
  void set_rate(std::int64_t rate, time_point now);
  /// Changes the burst (bytes; 0 = one second of the rate). Tokens above it are dropped.
  void set_burst(std::int64_t burst, time_point now);

  std::int64_t rate() const { return rate_; }    ///< bytes/s; 0 = unlimited
  std::int64_t burst() const { return burst_; }  ///< bytes (the effective value)
  bool unlimited() const { return rate_ == 0; }

  /// Grants up to `bytes` now and takes them from the bucket: returns min(bytes, tokens), which is
  /// 0 when the bucket is empty. Unlimited: returns `bytes`. Negative `bytes` grant 0.
  std::int64_t request(std::int64_t bytes, time_point now);

  /// Tokens available at `now` (without taking them); for an unlimited bucket, INT64_MAX.
  std::int64_t available(time_point now) const;

  /// How long from `now` until request(bytes) would grant min(bytes, burst) bytes: zero when that
  /// many are there already (or the bucket is unlimited). `bytes` above the burst is capped at
  /// the burst, since the bucket never holds more. Rounded up to the next nanosecond.
  duration time_until(std::int64_t bytes, time_point now) const;

 private:
  static constexpr std::int64_t ns_per_s = 1'000'000'000;
  // Adds the tokens accrued between last_ and now (if now is later).
  void refill(time_point now);
  // tokens_/frac_ as they would be after refill(now), without changing *this.
  void peek(time_point now, std::int64_t& tokens, std::int64_t& frac) const;
  void apply_burst(std::int64_t burst);

  std::int64_t rate_ = 0;
  std::int64_t burst_ = 1;
  bool burst_follows_rate_ = false;
  std::int64_t tokens_ = 0;  ///< whole bytes, 0 <= tokens_ <= burst_
  std::int64_t frac_ = 0;    ///< fraction of the next byte, in byte-nanoseconds (< ns_per_s)
  time_point last_;          ///< the latest time seen
};

}  // namespace tessera::detail
