#include "session/session_impl.hpp"

#include <charconv>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <spdlog/spdlog.h>

#include "discovery/swarm_hashes.hpp"
#include "discovery/tracker.hpp"
#include "disk/disk_io.hpp"
#include "disk/fd_cache.hpp"
#include "disk/file_ownership.hpp"
#include "disk/storage.hpp"
#include "session/dht_driver.hpp"
#include "session/event_dispatcher.hpp"
#include "session/listener.hpp"
#include "session/lsd_driver.hpp"
#include "session/magnet_support.hpp"
#include "session/resume_loader.hpp"
#include "session/torrent_dht_nodes.hpp"
#include "torrent/torrent.hpp"

namespace tessera::detail {

session_impl::session_impl(session_settings settings)
    : settings_(std::move(settings)),
      disk_(std::make_unique<disk_io>(std::max(1, settings_.disk_threads))),
      open_files_(std::make_shared<fd_cache>(static_cast<std::size_t>(std::max(1, settings_.max_open_files)))),
      udp_(std::make_shared<udp_tracker_client>(io_.get_executor())),
      budget_(std::make_shared<connection_budget>()),
      pid_(make_peer_id(settings_.peer_id_version)),
      events_(std::make_unique<event_dispatcher>(static_cast<std::size_t>(std::max(1, settings_.event_queue_size)))) {
  budget_->max = settings_.max_connections;
  budget_->unchoke_slots = settings_.unchoke_slots;
  budget_->max_per_host = settings_.max_connections_per_ip;
  budget_->max_per_subnet = settings_.max_connections_per_subnet;
}

session_impl::~session_impl() { stop(); }

std::shared_ptr<listener> session_impl::open_listener(const std::string& interface, std::uint16_t port) {
  listener_settings ls;
  ls.interface = interface;
  ls.port = port;
  ls.max_pending_handshakes = settings_.max_pending_handshakes;
  ls.max_pending_handshakes_per_ip = settings_.max_pending_handshakes_per_ip;
  ls.max_pending_handshakes_per_subnet = settings_.max_pending_handshakes_per_subnet;
  ls.encryption = live_settings_.encryption;
  ls.max_mse_per_second = settings_.max_incoming_mse_per_second;
  auto l = std::make_shared<listener>(
      io_.get_executor(), ls,
      [this](peer_stream s, const wire::handshake& h) { on_incoming_peer(std::move(s), h); }, &mse_skeys_);
  auto bound = l->open();
  if (!bound) return nullptr;
  listen_port_ = *bound;
  return l;
}

void session_impl::open_peer_udp() {
  peer_udp_.close();
  utp_manager_settings us;
  us.max_connections = static_cast<std::size_t>(std::max(1, live_settings_.max_connections));
  // libtorrent's utp_connect_timeout: a peer that does not answer a SYN soon is dialled over TCP.
  us.connect_timeout = std::chrono::seconds(3);
  peer_udp_ = udp_sockets::open(io_.get_executor(), live_settings_.listen_interface, listen_port_, us);
  // Incoming uTP goes through the listener's handshake stage (bounds, MSE), as TCP does.
  peer_udp_.set_accept_handler([this](utp_stream s) {
    if (listener_ && live_settings_.enable_utp) {
      listener_->adopt(peer_stream(std::move(s)));
    } else {
      s.close();
    }
  });
  // Every datagram that is not uTP is the DHT's (dht_ is null while the DHT is off).
  peer_udp_.set_other_handler([this](std::span<const std::uint8_t> bytes, const boost::asio::ip::udp::endpoint& from) {
    if (dht_) dht_->on_datagram(bytes, from);
  });
}

void session_impl::start_dht() {
  // On the session's UDP sockets (shared with uTP); on sockets of its own only when none could
  // be opened.
  auto d = peer_udp_.empty()
               ? dht_driver::create(io_.get_executor(), dht_driver_settings_from(live_settings_, listen_port_))
               : dht_driver::create_on(io_.get_executor(), dht_driver_settings_from(live_settings_, listen_port_),
                                       peer_udp_.dht_bindings());
  if (!d) {
    spdlog::warn("dht: disabled, UDP socket failed: {}", d.error().message());
    return;
  }
  dht_ = std::move(*d);
  dht_->start();
}

void session_impl::start_lsd() {
  // BEP 14, after the listener (the announced port is the one bound). Peers go to the torrent
  // like tracker peers; the sink runs on the network thread, where torrents_ lives.
  lsd_ = lsd_driver::start_for(io_.get_executor(), live_settings_, listen_port_,
                               [this](const sha1_hash& ih, const boost::asio::ip::tcp::endpoint& peer) {
                                 // Either swarm of a hybrid (BEP 52): the peer is dialled with
                                 // the hash it announced when that is the v2 one.
                                 if (auto* t = torrents_.find(ih)) {
                                   (*t)->add_peers({peer}, peer_source::lsd, swarm_of((*t)->info_hash(), ih));
                                 }
                               });
}

void session_impl::start() {
  // Listen before the network thread runs, so listen_port() is known when the constructor of
  // `session` returns.
  listener_ = open_listener(settings_.listen_interface, settings_.listen_port);
  if (listener_) listener_->start();
  open_peer_udp();
  // Before the network thread runs, like the listener (the node only starts its coroutines).
  if (settings_.enable_dht) start_dht();
  start_lsd();
  schedule_choke_round();
  schedule_tick();
  work_.emplace(io_.get_executor());
  running_ = true;
  thread_ = std::thread([this] {
    thread_id_ = std::this_thread::get_id();
    for (;;) {
      try {
        io_.run();
        break;
      } catch (const std::exception& e) {  // a broken invariant: log it and keep the thread alive
        spdlog::critical("network thread: uncaught exception: {}", e.what());
      }
    }
  });
}

void session_impl::emit(const event& e) { events_->push(e); }

void session_impl::on_torrent_event(const event& e) {
  const auto* changed = std::get_if<events::state_changed>(&e);
  if (!lsd_ || !changed || changed->from != torrent_state::checking || changed->to == torrent_state::error) return;
  // The check ended: announce now. A magnet whose metadata turned out private is withdrawn here.
  if (auto* t = torrents_.find(changed->info_hash)) lsd_->add_torrent((*t)->info());
}

void session_impl::on_incoming_peer(peer_stream stream, const wire::handshake& h) {
  // The 20 bytes name a torrent by its v1 info-hash or its v2 one truncated (BEP 52).
  auto* t = torrents_.find(h.info_hash);
  if (t == nullptr) {
    spdlog::debug("incoming peer for unknown info-hash {}: closed", h.info_hash.to_hex());
    stream.close();
    return;
  }
  (*t)->attach_incoming(std::move(stream), h);
}

void session_impl::rebuild_mse_skeys() {
  mse_skeys_.clear();
  for (const auto& [ih, t] : torrents_) add_mse_skeys(mse_skeys_, t->info_hash());
}

result<torrent_handle> session_impl::add_torrent(add_torrent_params params,
                                                 std::string* error_message) {
  auto fail = [error_message](std::error_code ec, std::string msg) -> result<torrent_handle> {
    if (error_message) *error_message = std::move(msg);
    return unexpected{ec};
  };
  if (error_message) error_message->clear();
  if (!params.ti && !params.info_hash.has_v1() && !params.info_hash.has_v2()) {
    return fail(std::make_error_code(std::errc::invalid_argument), "neither torrent_info nor info-hash given");
  }
  std::vector<boost::asio::ip::tcp::endpoint> peers;
  for (const auto& text : params.peers) {
    auto ep = parse_endpoint(text);
    if (!ep) return fail(std::make_error_code(std::errc::invalid_argument), "bad peer address: " + text);
    peers.push_back(*ep);
  }
  // Resume data (read here, off the network thread). A magnet whose resume data holds the
  // metadata becomes a full torrent at once.
  const info_hash_t resume_ih = params.ti ? params.ti->info_hash() : params.info_hash;
  auto loaded = load_resume(settings_.state_dir, resume_ih, params.ti.get(), params.save_path);
  if (!params.ti && loaded.info) {
    auto tiers = loaded.info->trackers();
    for (const auto& url : params.trackers) tiers.push_back({url});
    params.ti = std::make_shared<const torrent_info>(loaded.info->with_trackers(std::move(tiers)));
  }
  struct outcome {
    std::error_code ec;
    std::string message;
    torrent_handle handle;
  };
  auto r = run_sync([this, &params, &peers, &loaded]() -> outcome {
    const bool magnet = !params.ti;
    const bool overwrite = params.overwrite_existing_files.value_or(settings_.overwrite_existing_files);
    auto ti = magnet ? magnet_stand_in(params) : params.ti;
    if (!ti->info_hash().has_v1() && !ti->info_hash().has_v2()) {
      return {std::make_error_code(std::errc::invalid_argument), "the torrent has no info-hash", {}};
    }
    if (torrents_.contains_any(ti->info_hash())) {
      return {std::make_error_code(std::errc::file_exists),
              "torrent " + ti->info_hash().to_hex() + " is already in the session", {}};
    }
    if (removing_.contains_any(ti->info_hash())) {
      return {std::make_error_code(std::errc::device_or_resource_busy),
              "torrent " + ti->info_hash().to_hex() + " is still being removed", {}};
    }
    std::shared_ptr<storage> st;
    if (magnet) {
      // The storage follows the metadata; the download directory is checked now.
      if (!params.storage) {
        auto init = make_file_storage(ti, params.save_path)->initialize();
        if (!init) return {init.error().ec, init.error().message(), {}};
      }
    } else {
      st = create_storage(params.storage, ti, params.save_path, open_files_);
      if (!st) return {std::make_error_code(std::errc::invalid_argument), "the storage factory returned no storage", {}};
      if (auto* own = ownership_of(*st)) own->set_overwrite_existing(overwrite);
      auto init = st->initialize();
      if (!init) return {init.error().ec, init.error().message(), {}};
    }
    torrent_context ctx;
    ctx.save_path = params.save_path;
    ctx.start_paused = params.paused;
    ctx.resume = loaded.data;
    ctx.resume_file = resume_path(settings_.state_dir, ti->info_hash());
    ctx.make_storage = [factory = params.storage, overwrite, pool = open_files_](
                           std::shared_ptr<const torrent_info> full, const std::filesystem::path& save)
        -> result<std::shared_ptr<storage>, storage_error> {
      auto created = create_storage(factory, std::move(full), save, pool);
      if (!created) return unexpected{storage_error{std::make_error_code(std::errc::invalid_argument), storage_error::operation::open, save.string()}};
      if (auto* own = ownership_of(*created)) own->set_overwrite_existing(overwrite);
      auto init = created->initialize();
      if (!init) return unexpected{init.error()};
      return created;
    };
    ctx.on_metadata = [dir = settings_.state_dir](const torrent_info& full, const std::string& file) {
      save_torrent_file(dir, full.info_hash(), file);
    };
    ctx.ex = io_.get_executor();
    ctx.file_priorities = params.file_priorities;
    if (ctx.file_priorities.empty() && loaded.data) {  // the priorities of the last run
      for (auto p : loaded.data->file_priorities) ctx.file_priorities.push_back(static_cast<file_priority>(p));
    }
    ctx.disk = disk_.get();
    ctx.udp = udp_;
    ctx.pid = pid_;
    ctx.settings = live_settings_;  // with the changes made at run time (apply_settings)
    if (listen_port_ != 0) ctx.settings.listen_port = listen_port_;  // the port really bound
    ctx.budget = budget_;
    ctx.request_rechoke = [this] { request_rechoke(); };
    // Read at each dial, so that apply_settings turning uTP off or on takes effect at once.
    ctx.utp_for = [this](const boost::asio::ip::address& peer) -> std::shared_ptr<utp_socket_manager> {
      return live_settings_.enable_utp ? peer_udp_.utp_for(peer) : nullptr;
    };
    ctx.serial = next_torrent_serial_++;
    ctx.bandwidth = bandwidth_;
    ctx.emit = [this](const event& e) {
      on_torrent_event(e);
      emit(e);
    };
    if (dht_) {
      ctx.dht_port = dht_->port();
      ctx.on_dht_node = [weak = std::weak_ptr<dht_driver>(dht_)](const boost::asio::ip::address& a, std::uint16_t port) {
        if (auto d = weak.lock()) d->add_node(a, port);
      };
    }
    auto t = std::make_shared<torrent>(std::move(ctx), ti, std::move(st), std::move(peers));
    torrents_.insert(ti->info_hash(), t);
    add_mse_skeys(mse_skeys_, ti->info_hash());
    emit(events::torrent_added{ti->info_hash()});
    t->start();
    if (dht_) dht_->add_torrent(t);
    if (dht_) add_torrent_dht_nodes(io_.get_executor(), dht_, *ti);  // BEP 5 `nodes`; not for private ones
    // BEP 14: a torrent checking its data would turn peers away, so it is announced when the
    // check ends (on_torrent_event); a magnet at once (LSD may be its only source of peers).
    if (lsd_ && t->state() != torrent_state::checking) lsd_->add_torrent(t->info());
    return {{}, {}, torrent_handle(weak_from_this(), t, ti->info_hash())};
  });
  if (!r) return fail(std::make_error_code(std::errc::no_such_process), "the session is stopped");
  if (r->ec) return fail(r->ec, std::move(r->message));
  return r->handle;
}

std::vector<torrent_handle> session_impl::torrents() {
  auto r = run_sync([this] {
    std::vector<torrent_handle> out;
    for (const auto& [ih, t] : torrents_) out.push_back(torrent_handle(weak_from_this(), t, t->info_hash()));
    return out;
  });
  return r ? std::move(*r) : std::vector<torrent_handle>{};
}

void session_impl::set_event_handler(std::function<void(const event&)> handler) {
  events_->set_handler(std::move(handler));
}

void session_impl::set_torrent_event_handler(const info_hash_t& ih, std::function<void(const event&)> handler) {
  events_->set_torrent_handler(ih, std::move(handler));
}

result<bool> session_impl::remove_torrent(const torrent_handle& h, remove_flags flags) {
  // Returns once the torrent is detached (no handle reaches it, no peer is routed to it); the
  // stop (`stopped` announces bounded by stop_announce_timeout, the last resume save, closing
  // files) and the deletion of its files run on in the background and end with torrent_removed.
  auto started = run_sync([this, &h, flags]() -> bool {
    auto t = h.torrent_.lock();
    if (!t) return false;
    auto* found = torrents_.find(t->info_hash());
    if (found == nullptr || *found != t) return false;
    torrents_.erase(t->info_hash());
    rebuild_mse_skeys();
    removing_.insert(t->info_hash(), true);
    if (lsd_) lsd_->remove_torrent(t->info_hash());
    boost::asio::co_spawn(
        io_,
        [this, t, flags]() -> boost::asio::awaitable<void> {
          co_await t->stop();
          const info_hash_t ih = t->info_hash();
          // A removed torrent leaves no resume data behind (re-adding it checks the data).
          if (auto rp = resume_path(settings_.state_dir, ih); !rp.empty()) {
            std::error_code ignored;
            std::filesystem::remove(rp, ignored);
          }
          auto st = t->storage_ptr();
          if (flags != remove_flags::delete_data || !st) {
            removal_done(ih, false);
            co_return;
          }
          // Exclusive: hash-and-write or read jobs of the torrent still queued or running finish
          // first, so none re-creates a file after it was deleted.
          disk_->async_storage_job(st, storage_access::exclusive, [st] { return st->remove_files(); },
                                   io_.get_executor(),
                                   [this, ih](result<bool, storage_error> r) {
                                     if (!r) spdlog::warn("remove: {}", r.error().message());
                                     removal_done(ih, bool(r));
                                   });
        },
        boost::asio::detached);
    return true;
  });
  if (!started || !*started) return unexpected{std::make_error_code(std::errc::no_such_process)};
  return true;
}

void session_impl::removal_done(const info_hash_t& ih, bool data_deleted) {
  removing_.erase(ih);
  emit(events::torrent_removed{ih, data_deleted});
  if (!removing_.empty()) return;
  auto waiters = std::move(removal_waiters_);
  removal_waiters_.clear();
  for (auto& w : waiters) w();
}

std::shared_ptr<torrent> session_impl::live(const std::weak_ptr<torrent>& weak) const {
  auto t = weak.lock();
  if (!t) return nullptr;
  auto* found = torrents_.find(t->info_hash());
  return found != nullptr && *found == t ? t : nullptr;
}

std::optional<dht_status> session_impl::dht() {
  auto r = run_sync([this]() -> std::optional<dht_status> {
    if (!dht_) return std::nullopt;
    return dht_->status();
  });
  if (!r) return std::nullopt;
  return *r;
}

void session_impl::stop() {
  if (on_network_thread()) {
    // Cannot wait for ourselves: stop the loop without the graceful part; the thread is joined by
    // the next stop() from another thread (at the latest the destructor's). No lock here: a
    // stop() on another thread may hold it while it waits for this thread.
    io_.stop();
    return;
  }
  std::lock_guard lock(stop_mutex_);
  if (stopped_) return;
  stopped_ = true;
  if (!running_) return;
  if (io_.stopped()) {  // stopped from the network thread already
    if (thread_.joinable()) thread_.join();
    running_ = false;
    thread_id_ = std::thread::id{};
    work_.reset();
    torrents_.clear();
    if (listener_) listener_->close();
    if (dht_) dht_->stop();  // the network thread is gone: safe from here
    if (lsd_) lsd_->stop();
    peer_udp_.close();
    return;
  }
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  boost::asio::post(io_, [this, done] {
    choke_timer_.cancel();
    tick_timer_.cancel();
    if (listener_) listener_->close();
    if (dht_) dht_->stop();  // saves the node state; lookups end and add no more peers
    if (lsd_) lsd_->stop();  // no more announces, no more peers
    // uTP connections end with their socket (peers see a RESET), as TCP ones do with the torrents.
    peer_udp_.close();
    // Every torrent's stop, and the removals still in flight (as one).
    auto remaining = std::make_shared<std::size_t>(torrents_.size() + (removing_.empty() ? 0 : 1));
    if (*remaining == 0) {
      done->set_value();
      return;
    }
    if (!removing_.empty()) {
      removal_waiters_.push_back([remaining, done] {
        if (--*remaining == 0) done->set_value();
      });
    }
    for (auto& [ih, t] : torrents_) {
      boost::asio::co_spawn(io_, t->stop(), [remaining, done](std::exception_ptr) {
        if (--*remaining == 0) done->set_value();
      });
    }
  });
  // The announcer bounds `stopped` announces by stop_announce_timeout; allow some slack.
  if (fut.wait_for(settings_.stop_announce_timeout + std::chrono::seconds(3)) !=
      std::future_status::ready) {
    spdlog::warn("session stop: graceful shutdown timed out");
  }
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
  running_ = false;
  thread_id_ = std::thread::id{};  // a later thread may get the same id
  torrents_.clear();  // the network thread is gone: safe from here
  if (listener_) listener_->close();
  if (dht_) dht_->stop();  // idempotent; when the graceful part timed out
  if (lsd_) lsd_->stop();
  events_->drain();  // every event of the torrents' stop reaches the handlers before we return
}

}  // namespace tessera::detail
