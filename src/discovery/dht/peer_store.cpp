// announce_peer storage (BEP 5).
#include "discovery/dht/peer_store.hpp"

#include <algorithm>

namespace tessera::detail::dht {

bool peer_store::announce(const sha1_hash& info_hash, const peer_endpoint& peer, clock::time_point now) {
  auto it = hashes_.find(info_hash);
  if (it == hashes_.end()) {
    if (hashes_.size() >= limits_.max_hashes) return false;
    it = hashes_.emplace(info_hash, std::vector<entry>{}).first;
  }
  auto& list = it->second;
  for (auto& e : list) {
    if (e.peer == peer) {
      e.announced = now;
      return true;
    }
  }
  if (list.size() >= limits_.max_peers_per_hash && !list.empty()) {
    auto oldest = std::min_element(list.begin(), list.end(),
                                   [](const entry& a, const entry& b) { return a.announced < b.announced; });
    *oldest = {peer, now};
    return true;
  }
  list.push_back({peer, now});
  return true;
}

std::vector<peer_endpoint> peer_store::peers(const sha1_hash& info_hash, bool v6, std::size_t max,
                                             clock::time_point now) const {
  return select(info_hash, v6 ? 6 : 4, max, now);
}

std::vector<peer_endpoint> peer_store::peers_any_family(const sha1_hash& info_hash, std::size_t max,
                                                        clock::time_point now) const {
  return select(info_hash, 0, max, now);
}

/// `family`: 4 or 6 for that family only, 0 for both.
std::vector<peer_endpoint> peer_store::select(const sha1_hash& info_hash, int family, std::size_t max,
                                              clock::time_point now) const {
  std::vector<peer_endpoint> out;
  auto it = hashes_.find(info_hash);
  if (it == hashes_.end()) return out;
  std::vector<const entry*> live;
  for (const auto& e : it->second) {
    const bool family_ok = family == 0 || e.peer.v6 == (family == 6);
    if (family_ok && now - e.announced < limits_.lifetime) live.push_back(&e);
  }
  std::stable_sort(live.begin(), live.end(), [](auto* a, auto* b) { return a->announced > b->announced; });
  for (std::size_t i = 0; i < live.size() && i < max; ++i) out.push_back(live[i]->peer);
  return out;
}

void peer_store::expire(clock::time_point now) {
  for (auto it = hashes_.begin(); it != hashes_.end();) {
    std::erase_if(it->second, [&](const entry& e) { return now - e.announced >= limits_.lifetime; });
    it = it->second.empty() ? hashes_.erase(it) : std::next(it);
  }
}

std::size_t peer_store::peer_count(const sha1_hash& info_hash) const {
  auto it = hashes_.find(info_hash);
  return it == hashes_.end() ? 0 : it->second.size();
}

}  // namespace tessera::detail::dht
