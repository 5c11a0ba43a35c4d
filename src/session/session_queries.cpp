// Session-wide queries over every torrent: all statuses in one visit to the network thread, and
// a torrent's handle by info-hash.
#include "session/session_impl.hpp"
#include "torrent/torrent.hpp"

namespace tessera::detail {

std::vector<torrent_status> session_impl::get_torrent_status() {
  auto r = run_sync([this] {
    std::vector<torrent_status> out;
    out.reserve(torrents_.size());
    for (const auto& [ih, t] : torrents_) out.push_back(t->status());
    return out;
  });
  return r ? std::move(*r) : std::vector<torrent_status>{};
}

std::optional<torrent_handle> session_impl::find_torrent(const sha1_hash& info_hash) {
  auto r = run_sync([this, &info_hash]() -> std::optional<torrent_handle> {
    auto* t = torrents_.find(info_hash);
    if (t == nullptr) return std::nullopt;
    return torrent_handle(weak_from_this(), *t, (*t)->info_hash());
  });
  return r ? std::move(*r) : std::nullopt;
}

std::optional<torrent_handle> session_impl::find_torrent(const info_hash_t& info_hash) {
  auto r = run_sync([this, &info_hash]() -> std::optional<torrent_handle> {
    auto* t = torrents_.find(info_hash);
    if (t == nullptr) return std::nullopt;
    return torrent_handle(weak_from_this(), *t, (*t)->info_hash());
  });
  return r ? std::move(*r) : std::nullopt;
}

}  // namespace tessera::detail
