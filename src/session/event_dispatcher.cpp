#include "session/event_dispatcher.hpp"

#include <algorithm>
#include <exception>
#include <iterator>
#include <optional>
#include <utility>

#include <spdlog/spdlog.h>

namespace tessera::detail {

const info_hash_t& info_hash_of(const event& e) {
  return std::visit([](const auto& x) -> const info_hash_t& { return x.info_hash; }, e);
}

bool is_droppable(const event& e) {
  return std::holds_alternative<events::piece_verified>(e) || std::holds_alternative<events::peer_connected>(e) ||
         std::holds_alternative<events::peer_disconnected>(e) || std::holds_alternative<events::tracker_reply>(e) ||
         std::holds_alternative<events::tracker_error>(e) || std::holds_alternative<events::file_completed>(e);
}

namespace {

void call(const std::function<void(const event&)>& h, const event& e) {
  if (!h) return;
  try {
    h(e);
  } catch (const std::exception& x) {
    spdlog::error("event handler threw: {}", x.what());
  } catch (...) {
    spdlog::error("event handler threw");
  }
}

}  // namespace

event_dispatcher::event_dispatcher(std::size_t queue_size)
    : queue_size_(std::max<std::size_t>(1, queue_size)), thread_([this] { run(); }) {}

event_dispatcher::~event_dispatcher() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void event_dispatcher::push(event e) {
  std::uint64_t generation = 0;
  if (std::holds_alternative<events::torrent_removed>(e)) {
    std::lock_guard lock(generations_mutex_);
    if (auto it = generations_.find(info_hash_of(e)); it != generations_.end()) generation = it->second;
  }
  {
    std::lock_guard lock(mutex_);
    const bool droppable = is_droppable(e);
    if (droppable && droppable_.size() >= queue_size_) drop_oldest_droppable();
    queue_.push_back(slot{std::move(e), droppable, generation});
    if (droppable) droppable_.push_back(std::prev(queue_.end()));
    ++queued_;
  }
  cv_.notify_one();
}

void event_dispatcher::drop_oldest_droppable() {
  auto it = droppable_.front();
  droppable_.pop_front();
  ++unreported_;
  ++unreported_by_torrent_[info_hash_of(it->e)];
  ++dropped_;
  queue_.erase(it);
  ++delivered_;  // done with, as far as drain() is concerned
  drained_.notify_all();
}

std::size_t event_dispatcher::queued_now() {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void event_dispatcher::set_handler(handler h) {
  if (on_delivery_thread()) {  // from a handler: the lock is ours already
    global_ = std::move(h);
    return;
  }
  std::lock_guard lock(handlers_mutex_);
  global_ = std::move(h);
}

void event_dispatcher::set_torrent_handler(const info_hash_t& ih, handler h) {
  auto apply = [&] {
    std::lock_guard lock(generations_mutex_);
    if (h) {
      const std::uint64_t g = next_generation_++;
      per_torrent_[ih] = torrent_handler{std::move(h), g};
      generations_[ih] = g;
    } else {
      per_torrent_.erase(ih);
      generations_.erase(ih);
    }
  };
  if (on_delivery_thread()) {
    apply();
    return;
  }
  std::lock_guard lock(handlers_mutex_);
  apply();
}

void event_dispatcher::drain() {
  if (on_delivery_thread()) return;
  std::unique_lock lock(mutex_);
  const std::uint64_t target = queued_;
  drained_.wait(lock, [&] { return delivered_ >= target || stop_; });
}

void event_dispatcher::deliver(const slot& s) {
  const event& e = s.e;
  // A handler may replace handlers (set_* skip the lock on this thread): call copies.
  handler global = global_;
  handler mine;
  const bool removed = std::holds_alternative<events::torrent_removed>(e);
  auto it = per_torrent_.find(info_hash_of(e));
  // A torrent_removed goes to the handler of the removed torrent only, not to one set since.
  const bool its_own = it != per_torrent_.end() && (!removed || it->second.generation == s.handler_generation);
  if (its_own) mine = it->second.h;
  call(mine, e);
  call(global, e);
  if (!removed || !its_own) return;
  // The torrent is gone: its handler goes too, unless it was replaced during the call.
  std::lock_guard lock(generations_mutex_);
  it = per_torrent_.find(info_hash_of(e));
  if (it == per_torrent_.end() || it->second.generation != s.handler_generation) return;
  per_torrent_.erase(it);
  if (auto g = generations_.find(info_hash_of(e)); g != generations_.end() && g->second == s.handler_generation)
    generations_.erase(g);
}

void event_dispatcher::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty() || unreported_ > 0; });
    if (queue_.empty() && unreported_ == 0 && stop_) return;
    // Drops are reported before the next event, so the handler learns of the gap first.
    const std::uint64_t gap = std::exchange(unreported_, 0);
    auto gap_by_torrent = std::exchange(unreported_by_torrent_, {});
    const std::uint64_t total = dropped_.load();
    std::optional<slot> e;
    if (!queue_.empty()) {
      if (queue_.front().droppable) droppable_.pop_front();  // the front is the oldest droppable
      e = std::move(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    {
      std::lock_guard hl(handlers_mutex_);
      if (gap > 0) {
        deliver(slot{events::events_dropped{info_hash_t{}, gap, total}});
        for (const auto& [ih, n] : gap_by_torrent) {
          auto it = per_torrent_.find(ih);
          if (it == per_torrent_.end()) continue;
          handler mine = it->second.h;
          call(mine, events::events_dropped{ih, n, total});
        }
      }
      if (e) deliver(*e);
    }
    lock.lock();
    if (e) {
      ++delivered_;
      drained_.notify_all();
    }
  }
}

}  // namespace tessera::detail
