// Rate limiting of peer traffic: token-bucket channels (the session's and each torrent's limit,
// per direction) and a manager per direction that hands out quota to connections waiting for it.
//
// A transfer passes up to two channels (its torrent's and the session's) and may move bytes only
// when both grant them. A connection asks before each socket read (download) and each socket
// write (upload); the bytes counted are every byte read or written after the handshake, protocol
// overhead included (message headers, requests, haves: about 0.1% next to full 16 KiB blocks).
//
// When every channel of a path is unlimited (rate 0) the connection skips the manager entirely:
// no timer, no queue, no coroutine frame (see bandwidth_path::unlimited). Only limited paths pay.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/token_bucket.hpp"

namespace tessera::detail {

class bandwidth_manager;

/// One rate limit in one direction (the session's download limit, a torrent's upload limit...):
/// a token bucket of bytes. Its rate is changed through bandwidth_manager::set_rate, which wakes
/// the waiters. Network thread only.
class bandwidth_channel {
 public:
  /// `rate` in bytes/s, 0 = unlimited. The bucket starts empty (no burst at start).
  explicit bandwidth_channel(std::int64_t rate = 0,
                             std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

  std::int64_t rate() const { return bucket_.rate(); }  ///< bytes/s; 0 = unlimited
  bool unlimited() const { return bucket_.unlimited(); }

  /// The burst (most tokens kept while nobody uses them) for `rate`: a quarter second of it, at
  /// least 16 KiB (one block), so a short idle period does not lose the quota of the tick.
  static std::int64_t burst_for(std::int64_t rate);

 private:
  friend class bandwidth_manager;
  token_bucket bucket_;
  // Scratch of bandwidth_manager::serve: the weights of the waiters passing this channel still
  // unserved this round.
  std::int64_t round_weight_ = 0;
};

/// How one torrent's connections take part in the session's channels: whether they pass them at
/// all, and the weight of each of their requests when the waiters of a channel split its tokens
/// (bandwidth_manager::serve). One per torrent, shared by the paths of its connections, so a
/// change applies to open connections at once (then call serve() on both managers). Network
/// thread only.
struct bandwidth_share {
  /// Weights of Transmission's bandwidth priorities (low, normal, high): under a saturated
  /// session limit a high-priority connection gets four times a low one's quota.
  static constexpr int low_weight = 1;
  static constexpr int normal_weight = 2;
  static constexpr int high_weight = 4;
  /// -1 low, 0 normal, 1 high (clamped) -> its weight.
  static int weight_of(int priority) {
    return priority < 0 ? low_weight : priority > 0 ? high_weight : normal_weight;
  }

  int weight = normal_weight;
  /// false: the session's channels do not apply (torrent_handle::set_honors_session_limits); the
  /// torrent's own channel still does.
  bool honors_session = true;
};

/// The channels one direction of a connection passes: its torrent's and the session's (either may
/// be null), and the manager of that direction. A default path (no manager) is unlimited. `share`
/// (may be null: weight normal, honoring the session's channel) is its torrent's bandwidth_share.
struct bandwidth_path {
  std::shared_ptr<bandwidth_manager> manager;
  std::shared_ptr<bandwidth_channel> torrent;
  std::shared_ptr<bandwidth_channel> session;
  std::shared_ptr<const bandwidth_share> share = nullptr;

  /// The session's channel when it applies to this path (may be null).
  bandwidth_channel* session_channel() const {
    return session && (!share || share->honors_session) ? session.get() : nullptr;
  }
  int weight() const { return share ? share->weight : bandwidth_share::normal_weight; }

  /// True when nothing limits this path now (no manager, or every channel that applies at rate
  /// 0): the caller moves bytes without asking. A few loads; the hot path when no limit is set.
  bool unlimited() const {
    if (!manager) return true;
    if (torrent && !torrent->unlimited()) return false;
    const bandwidth_channel* s = session_channel();
    return !s || s->unlimited();
  }
};

/// One requester's (one connection's, one direction's) quota request. Owned by the requester; the
/// manager points at it while it waits, and its destructor (or cancel()) takes it out of the
/// queue. At most one acquire() at a time. Network thread only.
class bandwidth_request {
 public:
  bandwidth_request(boost::asio::any_io_executor ex, bandwidth_path path);
  ~bandwidth_request();
  bandwidth_request(const bandwidth_request&) = delete;
  bandwidth_request& operator=(const bandwidth_request&) = delete;

  /// See bandwidth_path::unlimited. Check it first: acquire() is a coroutine (it allocates a frame).
  bool unlimited() const { return path_.unlimited(); }

  /// Waits until the path grants at least one byte and returns the grant, 1..`bytes` (`bytes` at
  /// once when unlimited). The caller moves at most that many bytes. Returns 0 when cancel() was
  /// called meanwhile (the connection closes) or `bytes` <= 0.
  boost::asio::awaitable<std::int64_t> acquire(std::int64_t bytes);

  /// Wakes a waiting acquire() with 0 and leaves the queue. Idempotent.
  void cancel();

  bool waiting() const { return queued_; }

 private:
  friend class bandwidth_manager;
  bandwidth_path path_;
  boost::asio::steady_timer wake_;  // acquire() sleeps on it; the manager cancels it to wake it
  std::int64_t wanted_ = 0;
  std::int64_t granted_ = 0;
  bool queued_ = false;
  bool cancelled_ = false;
};

/// Hands out quota of one direction (download or upload) of a session. A request that finds
/// tokens in every limited channel of its path (and nobody queued before it) is granted at once;
/// otherwise it queues. Every `tick` (only while someone waits: no timer runs otherwise) the
/// manager serves the queue in order, splitting each channel's tokens among the waiters that need
/// it in proportion to their weights (bandwidth_path::weight: evenly when all are normal; a waiter
/// wanting less than its share leaves the rest to the next ones); a served
/// waiter asks again and queues at the back, so waiters take turns. set_rate serves the queue at
/// once, so raising or removing a limit wakes the waiters (nothing waits for a limit that is
/// gone). Must be owned by a std::shared_ptr (its timer holds a weak reference). Network thread
/// only.
class bandwidth_manager : public std::enable_shared_from_this<bandwidth_manager> {
 public:
  using clock = std::chrono::steady_clock;
  /// Tests pass a fake clock; the default reads steady_clock.
  using clock_fn = std::function<clock::time_point()>;

  static constexpr std::chrono::milliseconds default_tick{50};

  explicit bandwidth_manager(boost::asio::any_io_executor ex,
                             std::chrono::milliseconds tick = default_tick, clock_fn now = {});
  ~bandwidth_manager();

  /// Changes `ch`'s limit (bytes/s, 0 = unlimited; negative taken as 0) and serves the queue.
  void set_rate(bandwidth_channel& ch, std::int64_t rate);

  /// Grants what the channels hold now to the waiters (see the class comment) and wakes them.
  /// Called by the tick timer; public for tests driving a fake clock.
  void serve();

  /// Requests queued now.
  std::size_t num_waiting() const { return queue_.size(); }

 private:
  friend class bandwidth_request;
  clock::time_point now() const { return now_ ? now_() : clock::now(); }
  /// Immediate grant of up to `bytes` for `r` when nobody waits and every limited channel has
  /// tokens (taken from each); else 0.
  std::int64_t try_grant(bandwidth_request& r, std::int64_t bytes, clock::time_point now);
  void enqueue(bandwidth_request& r);
  void remove(bandwidth_request& r);
  void arm_timer();

  boost::asio::steady_timer timer_;
  std::chrono::milliseconds tick_;
  clock_fn now_;
  bool timer_armed_ = false;
  std::deque<bandwidth_request*> queue_;  // FIFO; pointers removed by the request on cancel
};

/// A session's rate limiting: a manager per direction and the session-wide channels. Torrents
/// add their own channels and build each connection's bandwidth_path from these.
struct session_bandwidth {
  std::shared_ptr<bandwidth_manager> download_manager;
  std::shared_ptr<bandwidth_manager> upload_manager;
  std::shared_ptr<bandwidth_channel> download;  ///< session_settings::download_rate_limit
  std::shared_ptr<bandwidth_channel> upload;    ///< session_settings::upload_rate_limit

  /// Both managers on `ex`, the session channels at the given rates (bytes/s, 0 = unlimited).
  static session_bandwidth create(boost::asio::any_io_executor ex, std::int64_t download_rate,
                                  std::int64_t upload_rate);
};

}  // namespace tessera::detail
