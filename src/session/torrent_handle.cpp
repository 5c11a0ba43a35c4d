// torrent_handle: a weak reference to a torrent; every call goes through the session's network
// thread and fails with std::errc::no_such_process once the torrent or the session is gone.
#include <future>
#include <unordered_set>

#include <boost/url/grammar/ci_string.hpp>
#include <boost/url/parse.hpp>

#include "discovery/scraper.hpp"
#include "session/session_impl.hpp"
#include "tessera/session.hpp"
#include "torrent/torrent.hpp"

namespace tessera {

result<torrent_status> torrent_handle::status() const {
  return detail::session_impl::call(*this, [](detail::torrent& t) -> result<torrent_status> { return t.status(); });
}

bool torrent_handle::is_valid() const {
  return detail::session_impl::call(*this, [](detail::torrent&) -> result<bool> { return true; }).has_value();
}

result<std::vector<file_status>> torrent_handle::files() const {
  return detail::session_impl::call(*this, [](detail::torrent& t) -> result<std::vector<tessera::file_status>> {
    return t.file_statuses();
  });
}

result<std::vector<std::uint8_t>> torrent_handle::have_pieces() const {
  return detail::session_impl::call(*this, [](detail::torrent& t) -> result<std::vector<std::uint8_t>> {
    if (!t.has_metadata()) return std::vector<std::uint8_t>{};
    auto bytes = t.our_pieces().bytes();
    return std::vector<std::uint8_t>(bytes.begin(), bytes.end());
  });
}

result<std::vector<peer_status>> torrent_handle::peers() const {
  return detail::session_impl::call(*this, [](detail::torrent& t) -> result<std::vector<peer_status>> { return t.peer_statuses(); });
}

result<std::vector<tracker_status>> torrent_handle::trackers() const {
  return detail::session_impl::call(*this, [](detail::torrent& t) -> result<std::vector<tracker_status>> {
    return t.tracker_statuses();
  });
}

std::string tracker_scrape_url(std::string_view announce_url) { return detail::scrape_url_of(announce_url); }

bool is_valid_tracker_url(std::string_view url) {
  if (url.size() > 2048) return false;
  auto parsed = boost::urls::parse_uri(url);  // RFC 3986: no spaces or control characters
  if (!parsed) return false;
  const bool http = parsed->scheme_id() == boost::urls::scheme::http ||
                    parsed->scheme_id() == boost::urls::scheme::https;
  if (!http && !boost::urls::grammar::ci_is_equal(parsed->scheme(), "udp")) return false;
  return parsed->has_authority() && !parsed->encoded_host().empty();
}

result<bool> torrent_handle::replace_trackers(std::vector<std::vector<std::string>> tiers) const {
  std::vector<std::vector<std::string>> clean;
  std::unordered_set<std::string> seen;
  for (auto& tier : tiers) {
    std::vector<std::string> urls;
    for (auto& url : tier) {
      if (!is_valid_tracker_url(url)) return unexpected{std::make_error_code(std::errc::invalid_argument)};
      if (seen.insert(url).second) urls.push_back(std::move(url));
    }
    if (!urls.empty()) clean.push_back(std::move(urls));
  }
  return detail::session_impl::call(*this, [&clean](detail::torrent& t) -> result<bool> {
    t.replace_trackers(std::move(clean));
    return true;
  });
}

result<bool> torrent_handle::rename_path(const std::string& path, const std::string& new_name) const {
  // Started on the network thread; the disk job's outcome comes back through the promise. A
  // torrent destroyed before it answers drops `done`, and with it the promise (broken_promise).
  auto promise = std::make_shared<std::promise<std::error_code>>();
  auto outcome = promise->get_future();
  auto started = detail::session_impl::call(*this, [&](detail::torrent& t) -> result<bool> {
    t.rename_path(path, new_name, [promise](std::error_code ec) { promise->set_value(ec); });
    return true;
  });
  if (!started) return started;
  std::error_code ec;
  try {
    ec = outcome.get();
  } catch (const std::future_error&) {
    ec = std::make_error_code(std::errc::operation_canceled);
  }
  if (ec) return unexpected{ec};
  return true;
}

result<bool> torrent_handle::pause() const {
  return detail::session_impl::call(*this, [](detail::torrent& t) -> result<bool> {
    t.pause();
    return true;
  });
}

result<bool> torrent_handle::resume() const {
  return detail::session_impl::call(*this, [](detail::torrent& t) -> result<bool> {
    t.resume();
    return true;
  });
}

result<bool> torrent_handle::force_recheck() const {
  return detail::session_impl::call(*this, [](detail::torrent& t) { return t.force_recheck(); });
}

result<bool> torrent_handle::connect_peer(const std::string& endpoint) const {
  auto ep = detail::parse_endpoint(endpoint);
  if (!ep) return unexpected{std::make_error_code(std::errc::invalid_argument)};
  return detail::session_impl::call(*this, [&ep](detail::torrent& t) -> result<bool> {
    t.add_peers({*ep}, detail::peer_source::user);
    return true;
  });
}

result<bool> torrent_handle::force_reannounce() const {
  return detail::session_impl::call(*this, [](detail::torrent& t) -> result<bool> {
    t.force_reannounce();
    return true;
  });
}

result<bool> torrent_handle::scrape_tracker(int index) const {
  return detail::session_impl::call(*this, [index](detail::torrent& t) { return t.scrape_tracker(index); });
}

result<bool> torrent_handle::move_storage(const std::filesystem::path& new_save_path) const {
  return detail::session_impl::call(*this, [&new_save_path](detail::torrent& t) { return t.move_storage(new_save_path); });
}

result<bool> torrent_handle::set_event_handler(std::function<void(const event&)> handler) const {
  // Checked on the network thread, then set on the dispatcher (which any thread may do).
  auto alive = detail::session_impl::call(*this, [](detail::torrent&) -> result<bool> { return true; });
  if (!alive) return alive;
  if (auto s = session_.lock()) s->set_torrent_event_handler(info_hash_, std::move(handler));
  return true;
}

}  // namespace tessera
