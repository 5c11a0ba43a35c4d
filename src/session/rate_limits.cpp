// Rate limits through the public API: the session-wide limits (session_impl's channels), a
// torrent's own limits (torrent::set_download_limit), its place under the session's limits
// (honoring them, its bandwidth priority), and its connection cap. Every change runs on the network thread,
// where the bandwidth managers live, and wakes the connections waiting for quota.
#include "session/session_impl.hpp"
#include "tessera/session.hpp"
#include "tessera/torrent_handle.hpp"
#include "torrent/torrent.hpp"

namespace tessera {

namespace detail {

void session_impl::set_download_rate_limit(std::int64_t bytes_per_second) {
  (void)run_sync([this, bytes_per_second] {
    bandwidth_.download_manager->set_rate(*bandwidth_.download, bytes_per_second);
    live_settings_.download_rate_limit = bytes_per_second;
    return true;
  });
}

void session_impl::set_upload_rate_limit(std::int64_t bytes_per_second) {
  (void)run_sync([this, bytes_per_second] {
    bandwidth_.upload_manager->set_rate(*bandwidth_.upload, bytes_per_second);
    live_settings_.upload_rate_limit = bytes_per_second;
    return true;
  });
}

}  // namespace detail

void session::set_download_rate_limit(std::int64_t bytes_per_second) {
  impl_->set_download_rate_limit(bytes_per_second);
}

void session::set_upload_rate_limit(std::int64_t bytes_per_second) {
  impl_->set_upload_rate_limit(bytes_per_second);
}

result<bool> torrent_handle::set_download_limit(std::int64_t bytes_per_second) const {
  return detail::session_impl::call(*this, [bytes_per_second](detail::torrent& t) -> result<bool> {
    t.set_download_limit(bytes_per_second);
    return true;
  });
}

result<bool> torrent_handle::set_upload_limit(std::int64_t bytes_per_second) const {
  return detail::session_impl::call(*this, [bytes_per_second](detail::torrent& t) -> result<bool> {
    t.set_upload_limit(bytes_per_second);
    return true;
  });
}

result<bool> torrent_handle::set_honors_session_limits(bool honors) const {
  return detail::session_impl::call(*this, [honors](detail::torrent& t) -> result<bool> {
    t.set_honors_session_limits(honors);
    return true;
  });
}

result<bool> torrent_handle::set_bandwidth_priority(int priority) const {
  return detail::session_impl::call(*this, [priority](detail::torrent& t) -> result<bool> {
    t.set_bandwidth_priority(priority);
    return true;
  });
}

result<bool> torrent_handle::set_max_connections(int max_connections) const {
  return detail::session_impl::call(*this, [max_connections](detail::torrent& t) -> result<bool> {
    t.set_max_connections(max_connections);
    return true;
  });
}

}  // namespace tessera
