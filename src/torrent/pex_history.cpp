#include "torrent/pex_history.hpp"

namespace tessera::detail {

std::optional<pex_message> pex_history::next(const std::vector<pex_peer>& connected,
                                             const std::optional<peer_endpoint>& recipient) {
  std::set<peer_endpoint> now;
  for (const auto& p : connected) {
    if (recipient && p.endpoint == *recipient) continue;
    now.insert(p.endpoint);
  }
  pex_message m;
  for (const auto& p : connected) {
    if (m.added.size() >= max_pex_peers_per_list) break;
    if (recipient && p.endpoint == *recipient) continue;
    if (told_.count(p.endpoint)) continue;
    if (std::find_if(m.added.begin(), m.added.end(),
                     [&](const pex_peer& q) { return q.endpoint == p.endpoint; }) != m.added.end()) {
      continue;
    }
    m.added.push_back(p);
  }
  for (const auto& ep : told_) {
    if (m.dropped.size() >= max_pex_peers_per_list) break;
    if (!now.count(ep)) m.dropped.push_back(ep);
  }
  if (m.added.empty() && m.dropped.empty()) return std::nullopt;
  for (const auto& p : m.added) told_.insert(p.endpoint);
  for (const auto& ep : m.dropped) told_.erase(ep);
  return m;
}

}  // namespace tessera::detail
