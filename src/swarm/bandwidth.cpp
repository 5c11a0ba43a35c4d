// Bandwidth channels and the quota manager (see bandwidth.hpp). The queue holds raw pointers to
// requests owned by connections; a request leaves the queue when it is served, cancelled or
// destroyed, and keeps its manager alive through its path, so no pointer outlives its target.
#include "swarm/bandwidth.hpp"

#include <algorithm>
#include <array>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace tessera::detail {

namespace asio = boost::asio;

namespace {

constexpr std::int64_t min_burst = 16 * 1024;

/// The limited channels of `p` (null entries for missing or unlimited ones).
std::array<bandwidth_channel*, 2> limited_channels(const bandwidth_path& p) {
  std::array<bandwidth_channel*, 2> out{};
  if (p.torrent && !p.torrent->unlimited()) out[0] = p.torrent.get();
  if (auto* s = p.session_channel(); s && !s->unlimited()) out[1] = s;
  return out;
}

}  // namespace

bandwidth_channel::bandwidth_channel(std::int64_t rate, std::chrono::steady_clock::time_point now)
    : bucket_(rate, burst_for(rate), now) {}

std::int64_t bandwidth_channel::burst_for(std::int64_t rate) {
  return std::max<std::int64_t>(rate / 4, min_burst);
}

// --- bandwidth_request ---

bandwidth_request::bandwidth_request(asio::any_io_executor ex, bandwidth_path path)
    : path_(std::move(path)), wake_(std::move(ex)) {}

bandwidth_request::~bandwidth_request() {
  if (queued_ && path_.manager) path_.manager->remove(*this);
}

void bandwidth_request::cancel() {
  cancelled_ = true;
  if (queued_ && path_.manager) path_.manager->remove(*this);
  wake_.cancel();
}

asio::awaitable<std::int64_t> bandwidth_request::acquire(std::int64_t bytes) {
  if (bytes <= 0 || cancelled_) co_return 0;
  if (path_.unlimited()) co_return bytes;
  bandwidth_manager& m = *path_.manager;
  if (const auto g = m.try_grant(*this, bytes, m.now()); g > 0) co_return g;
  wanted_ = bytes;
  granted_ = 0;
  m.enqueue(*this);
  wake_.expires_at(bandwidth_manager::clock::time_point::max());
  // Woken by the manager (served) or by cancel(); both cancel the timer.
  co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
  if (queued_) m.remove(*this);  // woken otherwise (the executor shut down): leave the queue
  co_return cancelled_ ? 0 : granted_;
}

// --- bandwidth_manager ---

bandwidth_manager::bandwidth_manager(asio::any_io_executor ex, std::chrono::milliseconds tick,
                                     clock_fn now)
    : timer_(std::move(ex)), tick_(tick), now_(std::move(now)) {}

bandwidth_manager::~bandwidth_manager() = default;

void bandwidth_manager::set_rate(bandwidth_channel& ch, std::int64_t rate) {
  rate = std::max<std::int64_t>(rate, 0);
  const auto t = now();
  ch.bucket_.set_rate(rate, t);
  ch.bucket_.set_burst(bandwidth_channel::burst_for(rate), t);
  serve();  // a higher limit, or none, must not leave anyone waiting for the next tick
}

std::int64_t bandwidth_manager::try_grant(bandwidth_request& r, std::int64_t bytes, clock::time_point t) {
  if (!queue_.empty()) return 0;  // earlier waiters first
  const auto chans = limited_channels(r.path_);
  std::int64_t g = bytes;
  for (auto* ch : chans) {
    if (ch) g = std::min(g, ch->bucket_.available(t));
  }
  if (g <= 0) return 0;
  for (auto* ch : chans) {
    if (ch) ch->bucket_.request(g, t);
  }
  return g;
}

void bandwidth_manager::enqueue(bandwidth_request& r) {
  r.queued_ = true;
  queue_.push_back(&r);
  arm_timer();
}

void bandwidth_manager::remove(bandwidth_request& r) {
  r.queued_ = false;
  const auto it = std::find(queue_.begin(), queue_.end(), &r);
  if (it != queue_.end()) queue_.erase(it);
}

void bandwidth_manager::serve() {
  if (queue_.empty()) return;
  const auto t = now();
  // Each channel's tokens are split among the waiters that pass it: a waiter gets its channel's
  // remaining tokens times its weight divided by the weights of the waiters still unserved in
  // this round (water-filling, so what one waiter does not want goes to the later ones).
  for (auto* r : queue_) {
    for (auto* ch : limited_channels(r->path_)) {
      if (ch) ch->round_weight_ = 0;
    }
  }
  for (auto* r : queue_) {
    for (auto* ch : limited_channels(r->path_)) {
      if (ch) ch->round_weight_ += r->path_.weight();
    }
  }
  const std::size_t n = queue_.size();
  for (std::size_t i = 0; i < n; ++i) {
    bandwidth_request* r = queue_.front();
    queue_.pop_front();
    const auto chans = limited_channels(r->path_);
    const std::int64_t w = r->path_.weight();
    std::int64_t g = r->wanted_;
    for (auto* ch : chans) {
      if (!ch) continue;
      const std::int64_t avail = ch->bucket_.available(t);
      const std::int64_t weights = std::max<std::int64_t>(ch->round_weight_, w);
      std::int64_t share = avail / weights * w + avail % weights * w / weights;  // avail * w / weights
      if (share == 0) share = avail;  // fewer tokens than weights: the first in line takes them
      g = std::min(g, share);
      ch->round_weight_ -= w;
    }
    if (g <= 0) {
      queue_.push_back(r);  // keeps its turn among the unserved
      continue;
    }
    for (auto* ch : chans) {
      if (ch) ch->bucket_.request(g, t);
    }
    r->granted_ = g;
    r->queued_ = false;
    r->wake_.cancel();  // resumes its acquire() later, never inside this loop
  }
  if (!queue_.empty()) arm_timer();
}

void bandwidth_manager::arm_timer() {
  if (timer_armed_) return;
  timer_armed_ = true;
  timer_.expires_after(tick_);
  timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self) return;
    self->timer_armed_ = false;
    if (ec) return;
    self->serve();  // re-arms while anyone still waits
  });
}

session_bandwidth session_bandwidth::create(asio::any_io_executor ex, std::int64_t download_rate,
                                            std::int64_t upload_rate) {
  session_bandwidth b;
  b.download_manager = std::make_shared<bandwidth_manager>(ex);
  b.upload_manager = std::make_shared<bandwidth_manager>(ex);
  b.download = std::make_shared<bandwidth_channel>(std::max<std::int64_t>(download_rate, 0));
  b.upload = std::make_shared<bandwidth_channel>(std::max<std::int64_t>(upload_rate, 0));
  return b;
}

}  // namespace tessera::detail
