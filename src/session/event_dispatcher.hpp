// Delivers the session's events to user callbacks on a thread of their own, so a slow callback
// never stalls the network thread: the network thread only appends to a bounded queue.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "tessera/session.hpp"

namespace tessera::detail {

/// The info-hash every event carries.
const info_hash_t& info_hash_of(const event& e);

/// Whether an event may be dropped when the handler falls behind: the frequent, informational
/// kinds, whose news torrent_status and the status calls still tell (piece_verified,
/// peer_connected, peer_disconnected, tracker_reply, tracker_error, file_completed). Every other
/// kind is must-deliver (see events.hpp).
bool is_droppable(const event& e);

class event_dispatcher {
 public:
  using handler = std::function<void(const event&)>;

  /// Starts the delivery thread. `queue_size` (session_settings::event_queue_size, at least 1):
  /// droppable events kept queued at most; when one more comes, the OLDEST droppable event queued
  /// is dropped. Must-deliver events are never dropped and do not count against it.
  explicit event_dispatcher(std::size_t queue_size = 2000);
  /// Delivers what is queued, then joins the thread.
  ~event_dispatcher();
  event_dispatcher(const event_dispatcher&) = delete;
  event_dispatcher& operator=(const event_dispatcher&) = delete;

  /// Queues `e` for delivery. Never blocks on a callback. Any thread.
  void push(event e);
  /// Replaces the session-wide handler (empty: none). Once it returns, no event reaches the old
  /// handler (it waits for a delivery in progress, except when called from a handler itself).
  void set_handler(handler h);
  /// Replaces the handler for one torrent's events (empty: removes it). Same guarantee. A
  /// torrent's handler is dropped once it got the torrent's torrent_removed: a handler set before
  /// the removal never sees a torrent added again with the same info-hash, and one set after it
  /// (for the new torrent) neither gets the old torrent_removed nor is dropped by it.
  void set_torrent_handler(const info_hash_t& ih, handler h);
  /// Waits until every event queued before the call was delivered or dropped (not from a
  /// handler).
  void drain();
  /// Events dropped because the queue was full, since the start.
  std::uint64_t dropped() const { return dropped_.load(); }
  /// Events queued now (droppable and must-deliver). Any thread.
  std::size_t queued_now();

 private:
  /// One queued event. Droppable ones are also listed, oldest first, in droppable_.
  struct slot {
    event e;
    bool droppable = false;
    /// torrent_removed: the generation of the torrent's handler when it was queued (0: none).
    std::uint64_t handler_generation = 0;
  };
  /// A torrent's handler and its generation (set_torrent_handler numbers them from 1).
  struct torrent_handler {
    handler h;
    std::uint64_t generation = 0;
  };
  using slot_list = std::list<slot>;

  void run();
  bool on_delivery_thread() const { return std::this_thread::get_id() == thread_.get_id(); }
  /// Drops the oldest droppable event queued (mutex_ held).
  void drop_oldest_droppable();
  /// Calls the handlers for `e` (handlers_mutex_ held): the torrent's, then the session's.
  void deliver(const slot& s);

  const std::size_t queue_size_;
  std::mutex mutex_;                 // queue_, droppable_, stop_, counters, unreported drops
  std::condition_variable cv_;       // wakes the delivery thread
  std::condition_variable drained_;  // wakes drain()
  slot_list queue_;
  std::deque<slot_list::iterator> droppable_;  // the droppable slots of queue_, oldest first
  std::uint64_t queued_ = 0;         // events ever queued
  std::uint64_t delivered_ = 0;      // events ever delivered or dropped once queued
  bool stop_ = false;
  std::atomic<std::uint64_t> dropped_{0};
  std::uint64_t unreported_ = 0;     // dropped since the last events_dropped
  std::unordered_map<info_hash_t, std::uint64_t> unreported_by_torrent_;

  std::mutex handlers_mutex_;  // held while a handler runs, and to swap handlers
  handler global_;
  std::unordered_map<info_hash_t, torrent_handler> per_torrent_;

  // The generation of each torrent's current handler, readable by push() without waiting for a
  // handler to return (handlers_mutex_ is held while one runs; this mutex never is).
  std::mutex generations_mutex_;
  std::unordered_map<info_hash_t, std::uint64_t> generations_;
  std::uint64_t next_generation_ = 1;

  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace tessera::detail
