// uTP round-trip estimate, LEDBAT window and path MTU search (utp_congestion.hpp says the rules).
#include "core/utp_congestion.hpp"

#include <algorithm>
#include <cmath>

namespace tessera::detail {

void utp_rtt::sample(utp_duration s) {
  s = std::clamp(s, utp_duration{0}, max_timeout);
  if (!has_sample_) {
    rtt_ = s;
    rtt_var_ = s / 2;
    has_sample_ = true;
  } else {
    const utp_duration delta = rtt_ - s;
    const utp_duration abs_delta = delta < utp_duration{0} ? -delta : delta;
    rtt_var_ += (abs_delta - rtt_var_) / 4;
    rtt_ += (s - rtt_) / 8;
  }
  timeout_ = std::clamp(rtt_ + 4 * rtt_var_, min_timeout, max_timeout);
}

void utp_rtt::back_off() { timeout_ = std::min(timeout_ * 2, max_timeout); }

utp_ledbat::utp_ledbat(std::int64_t initial_cwnd, std::int64_t min_cwnd, std::int64_t max_cwnd,
                       utp_duration target)
    : cwnd_(static_cast<double>(std::clamp(initial_cwnd, min_cwnd, max_cwnd))),
      min_cwnd_(min_cwnd),
      max_cwnd_(max_cwnd),
      target_(target) {}

namespace {
// a before b, modulo 2^32
bool u32_less(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) < 0; }
}  // namespace

std::optional<std::uint32_t> utp_ledbat::base_delay() const {
  std::optional<std::uint32_t> base;
  for (const auto& b : history_)
    if (b && (!base || u32_less(*b, *base))) base = b;
  return base;
}

void utp_ledbat::on_delay_sample(std::uint32_t diff_us, utp_time now) {
  if (diff_us == 0) return;
  if (!bucket_start_) {
    bucket_start_ = now;
  } else if (now - *bucket_start_ >= bucket_span) {
    // Move on by as many buckets as have passed (all of them after a long silence).
    const auto passed = (now - *bucket_start_) / bucket_span;
    for (std::int64_t i = 0; i < std::min<std::int64_t>(passed, history_buckets); ++i) {
      newest_ = (newest_ + 1) % history_buckets;
      history_[static_cast<std::size_t>(newest_)].reset();
    }
    *bucket_start_ += passed * bucket_span;
  }
  auto& slot = history_[static_cast<std::size_t>(newest_)];
  if (!slot || u32_less(diff_us, *slot)) slot = diff_us;
  const std::uint32_t base = *base_delay();
  // diff_us is at or above the base (the base is a minimum including it), modulo 2^32.
  const std::uint32_t queued = diff_us - base;
  queueing_delay_ = std::min(utp_duration{queued}, max_queueing_delay);
}

void utp_ledbat::on_ack(std::int64_t bytes_acked, bool window_limited) {
  if (bytes_acked <= 0) return;
  const double target = static_cast<double>(target_.count());
  const double off_target =
      std::clamp(target - static_cast<double>(queueing_delay_.count()), -target, target);
  if (slow_start_ && queueing_delay_ > target_ / 2) slow_start_ = false;
  double change;
  if (slow_start_) {
    change = static_cast<double>(bytes_acked);
  } else {
    const double window_factor = std::min(static_cast<double>(bytes_acked), cwnd_) / cwnd_;
    change = max_gain * (off_target / target) * window_factor;
  }
  if (change > 0 && !window_limited) change = 0;
  cwnd_ = std::clamp(cwnd_ + change, static_cast<double>(min_cwnd_), static_cast<double>(max_cwnd_));
}

void utp_ledbat::on_loss() {
  slow_start_ = false;
  cwnd_ = std::max(cwnd_ * 0.5, static_cast<double>(min_cwnd_));
}

void utp_ledbat::on_timeout() {
  slow_start_ = false;
  cwnd_ = static_cast<double>(min_cwnd_);
}

void utp_ledbat::set_min_cwnd(std::int64_t bytes) {
  min_cwnd_ = std::min(bytes, max_cwnd_);
  cwnd_ = std::max(cwnd_, static_cast<double>(min_cwnd_));
}

utp_mtu_search::utp_mtu_search(std::size_t floor, std::size_t ceiling)
    : floor_(floor), ceiling_(std::max(floor, ceiling)), interface_ceiling_(ceiling_) {}

std::optional<std::size_t> utp_mtu_search::next_probe(utp_time now) {
  if (!searching() && done_at_ && now - *done_at_ >= research_interval && interface_ceiling_ > floor_) {
    ceiling_ = interface_ceiling_;
    done_at_.reset();
  }
  if (!searching() || probe_out_) return std::nullopt;
  return (floor_ + ceiling_ + 1) / 2;
}

void utp_mtu_search::on_probe_acked(std::size_t size, utp_time now) {
  probe_out_ = false;
  if (size > floor_) floor_ = std::min(size, ceiling_);
  maybe_done(now);
}

void utp_mtu_search::on_probe_lost(std::size_t size, utp_time now) {
  probe_out_ = false;
  if (size > floor_ && size <= ceiling_) ceiling_ = size - 1;
  maybe_done(now);
}

void utp_mtu_search::maybe_done(utp_time now) {
  if (!searching() && !done_at_) done_at_ = now;
}

std::size_t utp_packet_floor(bool ipv6) { return ipv6 ? 1232 : 1200; }

std::size_t utp_packet_ceiling(std::size_t interface_mtu, bool ipv6) {
  const std::size_t headers = ipv6 ? 48 : 28;
  const std::size_t floor = utp_packet_floor(ipv6);
  return interface_mtu > headers + floor ? interface_mtu - headers : floor;
}

}  // namespace tessera::detail
