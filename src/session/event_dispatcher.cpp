#include "session/event_dispatcher.hpp"

#include <exception>

#include <spdlog/spdlog.h>

namespace tessera::detail {

const sha1_hash& info_hash_of(const event& e) {
  return std::visit([](const auto& x) -> const sha1_hash& { return x.info_hash; }, e);
}

namespace {

bool droppable(const event& e) {
  return std::holds_alternative<events::piece_verified>(e) || std::holds_alternative<events::peer_connected>(e) ||
         std::holds_alternative<events::peer_disconnected>(e);
}

}  // namespace

event_dispatcher::event_dispatcher() : thread_([this] { run(); }) {}

event_dispatcher::~event_dispatcher() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void event_dispatcher::push(event e) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= max_queued && droppable(e)) {
      ++dropped_;
      return;
    }
    queue_.push_back(std::move(e));
    ++queued_;
  }
  cv_.notify_one();
}

void event_dispatcher::set_handler(handler h) {
  if (on_delivery_thread()) {  // from a handler: the lock is ours already
    global_ = std::move(h);
    return;
  }
  std::lock_guard lock(handlers_mutex_);
  global_ = std::move(h);
}

void event_dispatcher::set_torrent_handler(const sha1_hash& ih, handler h) {
  auto apply = [&] {
    if (h) {
      per_torrent_[ih] = std::move(h);
    } else {
      per_torrent_.erase(ih);
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

void event_dispatcher::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty() && stop_) return;
    event e = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    {
      std::lock_guard hl(handlers_mutex_);
      // A handler may replace handlers (set_* skip the lock on this thread): call copies.
      handler global = global_;
      handler mine;
      if (auto it = per_torrent_.find(info_hash_of(e)); it != per_torrent_.end()) mine = it->second;
      try {
        if (mine) mine(e);
        if (global) global(e);
      } catch (const std::exception& x) {
        spdlog::error("event handler threw: {}", x.what());
      } catch (...) {
        spdlog::error("event handler threw");
      }
    }
    lock.lock();
    ++delivered_;
    drained_.notify_all();
  }
}

}  // namespace tessera::detail
