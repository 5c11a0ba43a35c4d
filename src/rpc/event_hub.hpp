// The daemon's pushed events between the threads that publish them and the HTTP front's stream
// connections that send them (docs/rpc.md, "Event stream"). The daemon publishes (name, JSON
// text) from its own threads (the tick thread, the session's event thread, the RPC handler);
// each stream connection of the front reads the events published after the last one it sent.
//
// Memory stays bounded whatever clients do: the hub keeps the newest events in a ring of at most
// `max_events` events and `max_bytes` bytes of names and data (the newest event is always kept,
// even when it alone is larger). A reader whose next event has left the ring is told to reset
// (the client refetches everything) and goes on with the newest event. Readers hold no memory in
// the hub beyond the ring: a reader is a sequence number.
//
// Threads: every member may be called from any thread. publish() calls the listener (see
// set_listener) after the event is stored, outside the ring's lock, so a listener may read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace tessera::rpc {

/// One published event. `seq` numbers the events of a hub from 1, in publish order.
struct hub_event {
  std::uint64_t seq = 0;
  std::string name;  ///< the SSE event name ("tick", "torrent-added", ...)
  std::string data;  ///< one line of JSON text (no '\n' or '\r')
};

/// What a reader gets from event_hub::read_after.
struct hub_read {
  /// The reader's events were dropped from the ring before it read them: it must tell its client
  /// to refetch everything (an SSE `reset`). `events` then holds the newest event only.
  bool reset = false;
  /// The events after the reader's position, oldest first; after a reset, the newest event.
  std::vector<hub_event> events;
  /// The reader's new position: the seq of the last event returned; unchanged when there was
  /// nothing to read.
  std::uint64_t position = 0;
};

/// Bounds of an event_hub's ring (docs/rpc.md: 1024 events, 4 MiB).
struct event_hub_limits {
  std::size_t max_events = 1024;                 ///< at least 1
  std::size_t max_bytes = std::size_t{4} << 20;  ///< names + data; the newest event is kept anyway
};

class event_hub {
 public:
  using limits = event_hub_limits;

  event_hub() : event_hub(limits{}) {}
  explicit event_hub(limits l);
  event_hub(const event_hub&) = delete;
  event_hub& operator=(const event_hub&) = delete;

  /// Stores an event (`data` must be one line of JSON; '\n' and '\r' are replaced by spaces so
  /// the SSE framing cannot break), drops the oldest events beyond the limits, then calls the
  /// listener. Returns the event's seq. Any thread.
  std::uint64_t publish(std::string name, std::string data);

  /// The seq of the newest event (0 before the first). A new reader starts here.
  std::uint64_t newest() const;

  /// The events after `position` (a seq from newest() or an earlier read), at most `max_events`
  /// of them. A position older than the ring's oldest event minus one gives a reset and the
  /// newest event.
  hub_read read_after(std::uint64_t position, std::size_t max_events = SIZE_MAX) const;

  /// Called after every publish, on the publishing thread, with no lock of the ring held; must
  /// not block (the front posts to its own thread). Replaces the previous one; an empty function
  /// removes it. Once set_listener returns, the previous listener is not running and will not be
  /// called again (calls are serialised with set_listener).
  void set_listener(std::function<void()> listener);

  /// Counts a reader (a stream connection) for subscriber_count(); released by its destructor.
  /// Move-only; the hub must outlive it.
  class subscription {
   public:
    subscription() = default;
    explicit subscription(event_hub& hub);
    subscription(subscription&& other) noexcept;
    subscription& operator=(subscription&& other) noexcept;
    ~subscription();

   private:
    event_hub* hub_ = nullptr;
  };
  subscription subscribe() { return subscription(*this); }

  /// The readers counted now. The daemon computes ticks only while this is not 0.
  std::size_t subscriber_count() const;

  /// The events and bytes the ring holds now; for tests.
  std::size_t size() const;
  std::size_t bytes() const;

 private:
  limits limits_;
  mutable std::mutex mu_;  // the ring, the seq and the subscriber count
  std::deque<hub_event> ring_;
  std::size_t ring_bytes_ = 0;
  std::uint64_t newest_ = 0;
  std::size_t subscribers_ = 0;
  std::mutex listener_mu_;  // serialises listener calls with set_listener
  std::function<void()> listener_;
};

}  // namespace tessera::rpc
