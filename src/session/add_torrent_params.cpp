// The ways to fill add_torrent_params: from a magnet link, a .torrent file or a .torrent's bytes.
#include "session/session_impl.hpp"
#include "tessera/magnet.hpp"
#include "tessera/session.hpp"

namespace tessera {

result<add_torrent_params> add_torrent_params::from_magnet(std::string_view uri,
                                                           std::filesystem::path save_path) {
  auto m = parse_magnet(uri);
  if (!m) return unexpected{m.error()};
  add_torrent_params p;
  p.info_hash = m->info_hash;
  p.name = m->name;
  p.trackers = m->trackers;
  p.web_seeds = m->web_seeds;
  p.save_path = std::move(save_path);
  for (const auto& peer : m->peers) {
    const std::string text =
        peer.host.find(':') != std::string::npos ? "[" + peer.host + "]:" + std::to_string(peer.port)
                                                 : peer.host + ":" + std::to_string(peer.port);
    if (!detail::parse_endpoint(text)) return unexpected{make_error_code(magnet_errc::bad_peer)};
    p.peers.push_back(text);
  }
  return p;
}

namespace {

result<add_torrent_params> from_parsed(result<torrent_info> parsed, std::filesystem::path save_path) {
  if (!parsed) return unexpected{parsed.error()};
  add_torrent_params p;
  p.ti = std::make_shared<const torrent_info>(std::move(*parsed));
  p.save_path = std::move(save_path);
  return p;
}

}  // namespace

result<add_torrent_params> add_torrent_params::from_torrent_file(const std::string& path,
                                                                 std::filesystem::path save_path) {
  return from_parsed(load_torrent_file(path), std::move(save_path));
}

result<add_torrent_params> add_torrent_params::from_torrent_bytes(std::string_view bytes,
                                                                  std::filesystem::path save_path) {
  return from_parsed(parse_torrent(bytes), std::move(save_path));
}

}  // namespace tessera
