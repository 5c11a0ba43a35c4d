// The session's internals: the network thread (one io_context), the disk pool, the UDP tracker
// client, the torrents by info-hash and the event handler. A thin coordinator: torrent logic lives
// in src/torrent. Public classes (session, torrent_handle) forward here.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/mse_handshake.hpp"
#include "core/wire.hpp"
#include "session/endpoint_text.hpp"
#include "session/udp_sockets.hpp"
#include "core/info_hash_map.hpp"
#include "swarm/bandwidth.hpp"
#include "swarm/peer_stream.hpp"
#include "torrent/global_choker.hpp"
#include "tessera/session.hpp"

namespace tessera::detail {

class disk_io;
class fd_cache;
class udp_tracker_client;
class listener;
class dht_driver;
class lsd_driver;
class event_dispatcher;
struct connection_budget;

/// What the session's tick did so far (session_impl::tick_stats). Counters are monotonic.
struct session_tick_stats {
  std::uint64_t ticks = 0;          ///< session ticks run
  std::uint64_t torrent_ticks = 0;  ///< torrent::tick calls made by them
  std::uint64_t resume_saves = 0;   ///< resume saves the ticks started
  int most_resume_saves_in_a_tick = 0;
};

class session_impl : public std::enable_shared_from_this<session_impl> {
 public:
  explicit session_impl(session_settings settings);
  /// Calls stop().
  ~session_impl();
  session_impl(const session_impl&) = delete;
  session_impl& operator=(const session_impl&) = delete;

  /// Starts the network thread. Call once, right after construction.
  void start();

  // Public API, callable from any thread but the network thread unless noted.
  result<torrent_handle> add_torrent(add_torrent_params params, std::string* error_message);
  std::vector<torrent_handle> torrents();
  /// See session::get_torrent_status / find_torrent (session_queries.cpp). Any thread.
  std::vector<torrent_status> get_torrent_status();
  std::optional<torrent_handle> find_torrent(const sha1_hash& info_hash);
  std::optional<torrent_handle> find_torrent(const info_hash_t& info_hash);
  /// Any thread; see session::set_event_handler.
  void set_event_handler(std::function<void(const event&)> handler);
  /// Any thread; see torrent_handle::set_event_handler.
  void set_torrent_event_handler(const info_hash_t& ih, std::function<void(const event&)> handler);
  /// See session::remove_torrent. Any thread (never waits for the torrent's stop).
  result<bool> remove_torrent(const torrent_handle& h, remove_flags flags);
  /// Graceful shutdown (see session::stop). Idempotent. From the network thread it only stops
  /// the io_context (it cannot wait for itself).
  void stop();
  const session_settings& settings() const { return settings_; }
  /// The bound listen port, 0 when not listening. Any thread.
  std::uint16_t listen_port() const { return listen_port_.load(); }
  /// The DHT's status (see session::dht); nullopt when it is off or the session is stopped.
  std::optional<dht_status> dht();
  /// See session::set_download_rate_limit / set_upload_rate_limit (rate_limits.cpp). Any thread.
  void set_download_rate_limit(std::int64_t bytes_per_second);
  void set_upload_rate_limit(std::int64_t bytes_per_second);
  /// See session::apply_settings / current_settings (runtime_settings.cpp). Any thread.
  void apply_settings(const session_settings& s);
  session_settings current_settings();
  /// What the session's tick has done so far (session_tick.cpp; tests and diagnostics). Any
  /// thread; zeros once the session is stopped.
  session_tick_stats tick_stats();
  /// Every torrent's torrent::ticks(), by info-hash (tests of the session's tick). Any thread.
  std::vector<std::pair<sha1_hash, std::uint64_t>> torrent_ticks();

  /// The body of a torrent_handle member: with_torrent on the handle's session, or
  /// std::errc::no_such_process when the session is gone.
  template <class F>
  static auto call(const torrent_handle& h, F f) -> decltype(f(std::declval<torrent&>())) {
    auto s = h.session_.lock();
    if (!s) return unexpected{std::make_error_code(std::errc::no_such_process)};
    return s->with_torrent(h.torrent_, std::move(f));
  }

  /// For torrent_handle members: runs `f(torrent&)` on the network thread and returns its
  /// result (f returns result<T>); std::errc::no_such_process when the torrent was removed or the
  /// session is stopped. Any thread (inline on the network thread).
  template <class F>
  auto with_torrent(const std::weak_ptr<torrent>& weak, F f) -> decltype(f(std::declval<torrent&>())) {
    using R = decltype(f(std::declval<torrent&>()));
    auto r = run_sync([this, &weak, &f]() -> std::optional<R> {
      auto t = live(weak);
      if (!t) return std::nullopt;
      return f(*t);
    });
    if (!r || !*r) return unexpected{std::make_error_code(std::errc::no_such_process)};
    return std::move(**r);
  }

 private:
  /// The torrent when it is still in the session (a removed one may linger while it stops).
  /// Network thread.
  std::shared_ptr<torrent> live(const std::weak_ptr<torrent>& weak) const;
  bool on_network_thread() const { return std::this_thread::get_id() == thread_id_.load(); }
  void emit(const event& e);
  /// What the session itself does with a torrent's event before it is delivered (network
  /// thread): a torrent whose check ended is announced to LSD.
  void on_torrent_event(const event& e);
  /// An incoming peer's handshake arrived: hand the socket to the torrent it names, or close it.
  void on_incoming_peer(peer_stream stream, const wire::handshake& h);
  /// Rebuilds mse_skeys_ from torrents_ (after a torrent was added or removed).
  void rebuild_mse_skeys();

  /// Runs `f` on the network thread and returns its result; nullopt when the network thread is
  /// not running (any more). Runs `f` inline when already on the network thread.
  template <class F>
  auto run_sync(F f) -> std::optional<decltype(f())> {
    using R = decltype(f());
    if (on_network_thread()) return f();
    if (!running_ || io_.stopped()) return std::nullopt;
    auto prom = std::make_shared<std::promise<R>>();
    auto fut = prom->get_future();
    boost::asio::post(io_, [prom, f = std::move(f)]() mutable { prom->set_value(f()); });
    while (fut.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) {
      // Stopped before the call ran: it never will.
      if (!running_ || io_.stopped()) return std::nullopt;
    }
    return fut.get();
  }

  const session_settings settings_;
  /// settings_ with the changes made at run time (network thread; see apply_settings).
  session_settings live_settings_ = settings_;
  /// Opens a listener on `interface`:`port` (see session_settings::listen_port); null when it
  /// could not listen (logged). Not started.
  std::shared_ptr<listener> open_listener(const std::string& interface, std::uint16_t port);
  /// Starts the DHT node / LSD service for live_settings_ (network thread, or before it runs);
  /// null members when off or failed.
  void start_dht();
  void start_lsd();
  /// (Re)opens peer_udp_ on the listen interface and listen_port_ (network thread, or before it
  /// runs); the DHT, when on, is started again on the new sockets.
  void open_peer_udp();
  boost::asio::io_context io_{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_{};
  std::atomic<bool> running_{false};
  std::mutex stop_mutex_;
  bool stopped_ = false;

  std::unique_ptr<disk_io> disk_;
  /// The open files of every torrent stored as files (session_settings::max_open_files).
  std::shared_ptr<fd_cache> open_files_;
  std::shared_ptr<udp_tracker_client> udp_;
  std::shared_ptr<connection_budget> budget_;
  peer_id pid_;
  /// Every torrent's MSE keys (HASH('req2', h) -> h, add_mse_skeys), for the listener's MSE
  /// responders; network thread only. Declared before the listener, which points to it.
  mse_skey_map mse_skeys_;
  std::shared_ptr<listener> listener_;
  std::atomic<std::uint16_t> listen_port_{0};
  /// The UDP socket per address family at the listen port, carrying uTP and the DHT (network
  /// thread after start()).
  udp_sockets peer_udp_;
  std::shared_ptr<dht_driver> dht_;  ///< null when the DHT is off (network thread after start())
  std::shared_ptr<lsd_driver> lsd_;  ///< null when LSD is off (network thread after start())
  /// Rate limiting: per-direction managers and the session-wide channels (network thread).
  session_bandwidth bandwidth_ = session_bandwidth::create(
      io_.get_executor(), settings_.download_rate_limit, settings_.upload_rate_limit);

  /// Delivers events on its own thread; stop() delivers what is queued and ends that thread
  /// before any member is destroyed.
  std::unique_ptr<event_dispatcher> events_;

  // Network thread only:
  /// The torrents by their info-hashes: found by v1, by v2 truncated (incoming handshakes, LSD,
  /// the DHT) or by a whole info_hash_t, in O(1).
  info_hash_map<std::shared_ptr<torrent>> torrents_;
  /// Removed torrents still stopping in the background (remove_torrent returned already):
  /// announcing `stopped`, closing or deleting files. Until torrent_removed, adding a torrent
  /// that shares one of their info-hashes fails (std::errc::device_or_resource_busy).
  info_hash_map<bool> removing_;
  /// Run once removing_ is empty (stop() waits for the removals in flight).
  std::vector<std::function<void()>> removal_waiters_;
  // The session's choker (session_choker.cpp): one round over every torrent's peers every
  // choker_settings::rechoke_interval, and when a torrent asks (coalesced), with
  // live_settings_.unchoke_slots regular slots in all.
  global_choker choker_;
  boost::asio::steady_timer choke_timer_{io_};
  bool choke_posted_ = false;
  std::uint64_t next_torrent_serial_ = 1;
  /// A torrent asks for a round: one is posted unless one is pending already.
  void request_rechoke();
  void run_choke_round();
  /// Arms the periodic round (start(), then after each round of the timer).
  void schedule_choke_round();
  /// The end of a background removal: emits torrent_removed, wakes removal_waiters_.
  void removal_done(const info_hash_t& ih, bool data_deleted);

  // The session's tick (session_tick.cpp): one timer for the whole session, every tick_interval,
  // that drives every torrent's once-a-second work (torrent::tick), instead of a timer per
  // torrent.
  static constexpr std::chrono::seconds tick_interval{1};
  boost::asio::steady_timer tick_timer_{io_};
  std::vector<std::shared_ptr<torrent>> tick_scratch_;  // the torrents of one tick (a snapshot)
  session_tick_stats tick_stats_;
  /// Arms the next tick (start(), then after each tick).
  void schedule_tick();
  /// One tick: torrent::tick on a snapshot of torrents_ (a tick may add, remove or alter them),
  /// then the resume saves that are due (save_due_resume_data).
  void run_tick();
  /// Saves the resume data of the torrents of tick_scratch_ whose save is due
  /// (torrent::resume_save_due with session_settings::resume_save_interval): at most
  /// resume_saves_per_tick of them, those dirty longest first; the others wait for a later tick.
  void save_due_resume_data();

};

/// Access to a session's internals for tests (tests/unit/session). Not part of the public API.
struct session_access {
  static session_impl& impl(session& s);
};

}  // namespace tessera::detail
