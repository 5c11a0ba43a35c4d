// Settings changed at run time (session::apply_settings): each change is applied on the network
// thread to the part of the session that holds it -- the bandwidth channels, the connection
// budget, the open-file pool, every torrent's copy, the DHT node, the LSD service, the listener.
#include <spdlog/spdlog.h>

#include "disk/fd_cache.hpp"
#include "session/dht_driver.hpp"
#include "session/listener.hpp"
#include "session/lsd_driver.hpp"
#include "session/session_impl.hpp"
#include "torrent/torrent.hpp"

namespace tessera {

namespace detail {

void session_impl::apply_settings(const session_settings& s) {
  (void)run_sync([this, &s] {
    auto& live = live_settings_;
    if (s.download_rate_limit != live.download_rate_limit)
      bandwidth_.download_manager->set_rate(*bandwidth_.download, s.download_rate_limit);
    if (s.upload_rate_limit != live.upload_rate_limit)
      bandwidth_.upload_manager->set_rate(*bandwidth_.upload, s.upload_rate_limit);
    live.download_rate_limit = s.download_rate_limit;
    live.upload_rate_limit = s.upload_rate_limit;

    budget_->max = live.max_connections = s.max_connections;
    const int settings_before_slots = live.unchoke_slots;
    budget_->unchoke_slots = live.unchoke_slots = s.unchoke_slots;
    budget_->max_per_host = live.max_connections_per_ip = s.max_connections_per_ip;
    budget_->max_per_subnet = live.max_connections_per_subnet = s.max_connections_per_subnet;
    live.max_connections_per_torrent = s.max_connections_per_torrent;
    live.enable_pex = s.enable_pex;
    live.enable_web_seeds = s.enable_web_seeds;
    live.encryption = s.encryption;  // torrents dial with it (below); the listener answers with it
    live.enable_utp = s.enable_utp;  // read by torrents at each dial and by the uTP accept handler

    live.max_open_files = std::max(1, s.max_open_files);
    open_files_->set_capacity(static_cast<std::size_t>(live.max_open_files));

    // The listener first: the DHT and LSD started below use the port bound.
    if (s.listen_port != live.listen_port || s.listen_interface != live.listen_interface) {
      const auto old_port = listen_port_.load();
      if (auto l = open_listener(s.listen_interface, s.listen_port)) {
        if (listener_) listener_->close();
        listener_ = std::move(l);
        listener_->start();
        live.listen_port = s.listen_port;
        live.listen_interface = s.listen_interface;
        spdlog::info("listening on port {} (was {})", listen_port_.load(), old_port);
        // uTP and the DHT follow to the new port (the DHT keeps its state through the restart).
        open_peer_udp();
        if (dht_ && live.enable_dht == s.enable_dht) {
          dht_->stop();
          dht_.reset();
          start_dht();
          if (dht_) {
            for (const auto& [ih, t] : torrents_) dht_->add_torrent(t);
          }
        }
      } else {
        spdlog::warn("apply_settings: cannot listen on {}:{}; still on port {}", s.listen_interface, s.listen_port,
                     old_port);
      }
    }

    if (listener_) listener_->set_encryption(live.encryption);

    live.dht_bootstrap_nodes = s.dht_bootstrap_nodes;
    live.dht_state_file = s.dht_state_file;
    live.lsd_port = s.lsd_port;
    if (s.enable_dht != live.enable_dht) {
      live.enable_dht = s.enable_dht;
      if (dht_) {
        dht_->stop();  // saves the node state; lookups end
        dht_.reset();
      }
      if (live.enable_dht) {
        start_dht();
        if (dht_) {
          for (const auto& [ih, t] : torrents_) dht_->add_torrent(t);
        }
      }
    }
    if (s.enable_lsd != live.enable_lsd) {
      live.enable_lsd = s.enable_lsd;
      if (lsd_) {
        lsd_->stop();
        lsd_.reset();
      }
      if (live.enable_lsd) {
        start_lsd();
        if (lsd_) {
          for (const auto& [ih, t] : torrents_)
            if (t->state() != torrent_state::checking) lsd_->add_torrent(t->info());
        }
      }
    }

    // Every torrent's copy: the per-torrent limit, PEX, and the port announced.
    session_settings for_torrents = live;
    if (listen_port_ != 0) for_torrents.listen_port = listen_port_;
    for (const auto& [ih, t] : torrents_) t->apply_settings(for_torrents);
    if (s.unchoke_slots != settings_before_slots) request_rechoke();
    return true;
  });
}

session_settings session_impl::current_settings() {
  auto r = run_sync([this] { return live_settings_; });
  return r ? std::move(*r) : settings_;
}

}  // namespace detail

session_settings session::current_settings() const { return impl_->current_settings(); }

void session::apply_settings(const session_settings& s) { impl_->apply_settings(s); }

}  // namespace tessera
