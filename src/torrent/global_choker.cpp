#include "torrent/global_choker.hpp"

#include <algorithm>
#include <unordered_map>

namespace tessera::detail {

std::vector<torrent_choke_output> global_choker::run(std::span<const torrent_choke_input> torrents,
                                                     std::chrono::steady_clock::time_point now,
                                                     const choker_settings& settings) {
  // Every peer gets a key unique in this round (1..n); `origin` maps it back.
  std::vector<choker_peer> all;
  std::vector<std::pair<std::size_t, peer_key>> origin;  // (input index, torrent's key)
  std::unordered_map<std::uint64_t, std::unordered_map<peer_key, peer_key>> round_key;  // torrent -> key -> round key
  for (std::size_t i = 0; i < torrents.size(); ++i) {
    const auto& t = torrents[i];
    auto& keys = round_key[t.torrent];
    for (const auto& p : t.peers) {
      choker_peer q = p;
      q.key = static_cast<peer_key>(all.size() + 1);
      // One ranking for both kinds: the rate that counts for the torrent's state.
      if (t.seeding) {
        q.download_rate = p.upload_rate;
        q.snubbed = false;
      }
      keys[p.key] = q.key;
      all.push_back(q);
      origin.emplace_back(i, p.key);
    }
  }
  choker_state state;
  for (const auto& o : optimistic_) {
    auto t = round_key.find(o.torrent);
    if (t == round_key.end()) continue;
    auto k = t->second.find(o.key);
    if (k == t->second.end()) continue;
    state.optimistic.push_back({k->second, o.chosen_at});
  }
  const auto r = run_choker(all, choker_mode::leeching, now, settings, state, rng_);
  optimistic_.clear();
  for (const auto& o : r.state.optimistic) {
    const auto& [index, key] = origin[o.key - 1];
    optimistic_.push_back({torrents[index].torrent, key, o.chosen_at});
  }
  unchoked_ = static_cast<int>(r.unchoked.size());
  std::vector<torrent_choke_output> per_input(torrents.size());
  for (peer_key k : r.to_choke) {
    const auto& [index, key] = origin[k - 1];
    per_input[index].to_choke.push_back(key);
  }
  for (peer_key k : r.to_unchoke) {
    const auto& [index, key] = origin[k - 1];
    per_input[index].to_unchoke.push_back(key);
  }
  std::vector<torrent_choke_output> out;
  for (std::size_t i = 0; i < torrents.size(); ++i) {
    if (per_input[i].to_choke.empty() && per_input[i].to_unchoke.empty()) continue;
    per_input[i].torrent = torrents[i].torrent;
    out.push_back(std::move(per_input[i]));
  }
  return out;
}

}  // namespace tessera::detail
