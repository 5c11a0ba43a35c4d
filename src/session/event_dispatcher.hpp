// Delivers the session's events to user callbacks on a thread of their own, so a slow callback
// never stalls the network thread: the network thread only appends to a queue.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "tessera/session.hpp"

namespace tessera::detail {

/// The info-hash every event carries.
const sha1_hash& info_hash_of(const event& e);

class event_dispatcher {
 public:
  using handler = std::function<void(const event&)>;

  /// Events beyond this many queued are dropped when they are piece_verified or peer events
  /// (the frequent, informational ones), counted in dropped(); others are always queued.
  static constexpr std::size_t max_queued = 100000;

  /// Starts the delivery thread.
  event_dispatcher();
  /// Delivers what is queued, then joins the thread.
  ~event_dispatcher();
  event_dispatcher(const event_dispatcher&) = delete;
  event_dispatcher& operator=(const event_dispatcher&) = delete;

  /// Queues `e` for delivery. Never blocks on a callback. Any thread.
  void push(event e);
  /// Replaces the session-wide handler (empty: none). Once it returns, no event reaches the old
  /// handler (it waits for a delivery in progress, except when called from a handler itself).
  void set_handler(handler h);
  /// Replaces the handler for one torrent's events (empty: removes it). Same guarantee.
  void set_torrent_handler(const sha1_hash& ih, handler h);
  /// Waits until every event queued before the call was delivered (not from a handler).
  void drain();
  /// Events dropped because the queue was full.
  std::uint64_t dropped() const { return dropped_.load(); }

 private:
  void run();
  bool on_delivery_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

  std::mutex mutex_;                 // queue_, stop_, delivered_/queued_ counters
  std::condition_variable cv_;       // wakes the delivery thread
  std::condition_variable drained_;  // wakes drain()
  std::deque<event> queue_;
  std::uint64_t queued_ = 0;         // events ever queued
  std::uint64_t delivered_ = 0;      // events ever delivered (or dropped at delivery)
  bool stop_ = false;
  std::atomic<std::uint64_t> dropped_{0};

  std::mutex handlers_mutex_;  // held while a handler runs, and to swap handlers
  handler global_;
  std::unordered_map<sha1_hash, handler> per_torrent_;

  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace tessera::detail
