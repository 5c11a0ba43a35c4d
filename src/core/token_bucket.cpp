#include "core/token_bucket.hpp"

#include <algorithm>
#include <limits>

namespace tessera::detail {

token_bucket::token_bucket(std::int64_t rate, std::int64_t burst, time_point now)
    : rate_(std::max<std::int64_t>(rate, 0)), last_(now) {
  apply_burst(burst);
}

void token_bucket::apply_burst(std::int64_t burst) {
  burst_follows_rate_ = burst <= 0;
  burst_ = burst_follows_rate_ ? std::max<std::int64_t>(rate_, 1) : burst;
  if (tokens_ >= burst_) {
    tokens_ = burst_;
    frac_ = 0;
  }
}

void token_bucket::peek(time_point now, std::int64_t& tokens, std::int64_t& frac) const {
  tokens = tokens_;
  frac = frac_;
  if (rate_ == 0 || now <= last_) return;
  const auto elapsed = std::chrono::duration_cast<duration>(now - last_).count();
  // byte-nanoseconds accrued; 128 bits so that years at many GB/s cannot overflow.
  const __int128 add = static_cast<__int128>(elapsed) * rate_ + frac;
  const __int128 whole = add / ns_per_s + tokens;
  if (whole >= burst_) {
    tokens = burst_;
    frac = 0;
  } else {
    tokens = static_cast<std::int64_t>(whole);
    frac = static_cast<std::int64_t>(add % ns_per_s);
  }
}

void token_bucket::refill(time_point now) {
  peek(now, tokens_, frac_);
  if (now > last_) last_ = now;
}

void token_bucket::set_rate(std::int64_t rate, time_point now) {
  rate = std::max<std::int64_t>(rate, 0);
  refill(now);
  if (rate_ == 0) {  // leaving (or staying) unlimited: nothing was accrued meanwhile
    tokens_ = 0;
    frac_ = 0;
  }
  rate_ = rate;
  if (burst_follows_rate_) apply_burst(0);
}

void token_bucket::set_burst(std::int64_t burst, time_point now) {
  refill(now);
  apply_burst(burst);
}

std::int64_t token_bucket::request(std::int64_t bytes, time_point now) {
  if (bytes <= 0) return 0;
  if (rate_ == 0) return bytes;
  refill(now);
  const std::int64_t granted = std::min(bytes, tokens_);
  tokens_ -= granted;
  return granted;
}

std::int64_t token_bucket::available(time_point now) const {
  if (rate_ == 0) return std::numeric_limits<std::int64_t>::max();
  std::int64_t tokens = 0, frac = 0;
  peek(now, tokens, frac);
  return tokens;
}

token_bucket::duration token_bucket::time_until(std::int64_t bytes, time_point now) const {
  if (rate_ == 0 || bytes <= 0) return duration::zero();
  std::int64_t tokens = 0, frac = 0;
  peek(now, tokens, frac);
  const std::int64_t want = std::min(bytes, burst_);
  if (tokens >= want) return duration::zero();
  // byte-nanoseconds still missing, divided by the rate, rounded up.
  const __int128 missing = static_cast<__int128>(want - tokens) * ns_per_s - frac;
  const __int128 ns = (missing + rate_ - 1) / rate_;
  // A moment later than `now` if the caller's clock is behind last_: count from last_.
  const auto behind = now < last_ ? std::chrono::duration_cast<duration>(last_ - now).count() : 0;
  return duration{static_cast<std::int64_t>(ns) + behind};
}

}  // namespace tessera::detail
