// The public session: forwards to session_impl.
#include "tessera/session.hpp"

#include <algorithm>

#include "session/session_impl.hpp"

namespace tessera {

const char* to_string(torrent_state s) {
  switch (s) {
    case torrent_state::downloading_metadata: return "downloading metadata";
    case torrent_state::checking: return "checking";
    case torrent_state::downloading: return "downloading";
    case torrent_state::seeding: return "seeding";
    case torrent_state::error: return "error";
    case torrent_state::paused: return "paused";
  }
  return "?";
}

const char* to_string(web_seed_state s) {
  switch (s) {
    case web_seed_state::idle: return "idle";
    case web_seed_state::downloading: return "downloading";
    case web_seed_state::backing_off: return "backing off";
    case web_seed_state::dropped: return "dropped";
  }
  return "?";
}

double torrent_status::ratio() const {
  const std::int64_t base = std::max(total_downloaded, total_size);
  return base > 0 ? static_cast<double>(total_uploaded) / static_cast<double>(base) : 0.0;
}

std::optional<std::chrono::seconds> torrent_status::eta() const {
  if (download_rate <= 0) return std::nullopt;
  std::int64_t left = total_size - total_done;
  if (left <= 0) return std::chrono::seconds(0);
  return std::chrono::seconds((left + download_rate - 1) / download_rate);
}

session::session(session_settings settings)
    : impl_(std::make_shared<detail::session_impl>(std::move(settings))) {
  impl_->start();
}

session::~session() { impl_->stop(); }

result<torrent_handle> session::add_torrent(add_torrent_params params, std::string* error_message) {
  return impl_->add_torrent(std::move(params), error_message);
}

std::vector<torrent_handle> session::torrents() const { return impl_->torrents(); }

std::vector<torrent_status> session::get_torrent_status() const { return impl_->get_torrent_status(); }

std::optional<torrent_handle> session::find_torrent(const sha1_hash& info_hash) const {
  return impl_->find_torrent(info_hash);
}

std::optional<torrent_handle> session::find_torrent(const info_hash_t& info_hash) const {
  return impl_->find_torrent(info_hash);
}

result<bool> session::remove_torrent(const torrent_handle& h, remove_flags flags) {
  return impl_->remove_torrent(h, flags);
}

void session::set_event_handler(std::function<void(const event&)> handler) {
  impl_->set_event_handler(std::move(handler));
}

void session::stop() { impl_->stop(); }

const session_settings& session::settings() const { return impl_->settings(); }

std::uint16_t session::listen_port() const { return impl_->listen_port(); }

std::optional<dht_status> session::dht() const { return impl_->dht(); }

}  // namespace tessera
