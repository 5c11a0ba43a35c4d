#include "swarm/choker.hpp"

#include <algorithm>

namespace tessera::detail {

namespace {

bool eligible(const choker_peer& p) { return p.peer_interested && !p.is_seed; }

bool contains(const std::vector<peer_key>& sorted, peer_key k) {
  return std::binary_search(sorted.begin(), sorted.end(), k);
}

const choker_peer* find_peer(std::span<const choker_peer> peers, peer_key k) {
  for (const auto& p : peers) {
    if (p.key == k) return &p;
  }
  return nullptr;
}

// Ranking of the regular slots: higher rate first, then (anti-fibrillation) already unchoked,
// then older connection, then lower key, so the order is total and deterministic.
struct regular_order {
  choker_mode mode;

  std::int64_t rate(const choker_peer& p) const {
    return mode == choker_mode::leeching ? p.download_rate : p.upload_rate;
  }
  bool operator()(const choker_peer* a, const choker_peer* b) const {
    if (rate(*a) != rate(*b)) return rate(*a) > rate(*b);
    if (a->am_choking != b->am_choking) return !a->am_choking;
    if (a->connected_at != b->connected_at) return a->connected_at < b->connected_at;
    return a->key < b->key;
  }
};

std::vector<peer_key> pick_regular(std::span<const choker_peer> peers, choker_mode mode,
                                   int slots) {
  std::vector<const choker_peer*> ranked;
  for (const auto& p : peers) {
    // Anti-snubbing (only meaningful while we request, i.e. while leeching).
    const bool snubbed = mode == choker_mode::leeching && p.snubbed;
    if (eligible(p) && !snubbed) ranked.push_back(&p);
  }
  const auto n = std::min(ranked.size(), static_cast<std::size_t>(std::max(slots, 0)));
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(n), ranked.end(),
                    regular_order{mode});
  std::vector<peer_key> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(ranked[i]->key);
  std::sort(out.begin(), out.end());
  return out;
}

// Weighted draw among `candidates`; returns nullptr if there are none.
const choker_peer* draw(const std::vector<const choker_peer*>& candidates,
                        std::chrono::steady_clock::time_point now, const choker_settings& settings,
                        std::mt19937_64& rng) {
  if (candidates.empty()) return nullptr;
  const std::uint64_t new_weight =
      static_cast<std::uint64_t>(std::max(settings.new_peer_weight, 1));
  auto weight = [&](const choker_peer* p) -> std::uint64_t {
    return now - p->connected_at < settings.new_peer_age ? new_weight : 1;
  };
  std::uint64_t total = 0;
  for (const auto* p : candidates) total += weight(p);
  std::uint64_t r = rng() % total;
  for (const auto* p : candidates) {
    const auto w = weight(p);
    if (r < w) return p;
    r -= w;
  }
  return candidates.back();  // unreachable: r < total
}

}  // namespace

choke_result run_choker(std::span<const choker_peer> peers, choker_mode mode,
                        std::chrono::steady_clock::time_point now, const choker_settings& settings,
                        const choker_state& state, std::mt19937_64& rng) {
  choke_result res;
  res.regular = pick_regular(peers, mode, settings.regular_slots);

  const auto slots = static_cast<std::size_t>(std::max(settings.optimistic_slots, 0));
  std::vector<optimistic_unchoke>& optimistic = res.state.optimistic;
  std::vector<peer_key> expired;  // left out of this round's draw if possible: the slot rotates
  auto taken = [&](peer_key k) {
    return contains(res.regular, k) ||
           std::any_of(optimistic.begin(), optimistic.end(),
                       [k](const optimistic_unchoke& o) { return o.key == k; });
  };

  // Keep the optimistic peers that are still valid and not yet due for rotation.
  for (const auto& o : state.optimistic) {
    if (optimistic.size() >= slots) break;
    const auto* p = find_peer(peers, o.key);
    if (p == nullptr || !eligible(*p) || taken(o.key)) continue;
    if (now - o.chosen_at >= settings.optimistic_interval) {
      expired.push_back(o.key);
      continue;
    }
    optimistic.push_back(o);
  }

  // Fill the free optimistic slots by weighted draw.
  while (optimistic.size() < slots) {
    std::vector<const choker_peer*> fresh;  // never expired this round
    std::vector<const choker_peer*> all;
    for (const auto& p : peers) {
      if (!eligible(p) || taken(p.key)) continue;
      all.push_back(&p);
      if (std::find(expired.begin(), expired.end(), p.key) == expired.end()) fresh.push_back(&p);
    }
    const auto* pick = draw(fresh.empty() ? all : fresh, now, settings, rng);
    if (pick == nullptr) break;
    optimistic.push_back({pick->key, now});
  }

  res.unchoked = res.regular;
  for (const auto& o : optimistic) res.unchoked.push_back(o.key);
  std::sort(res.unchoked.begin(), res.unchoked.end());
  res.unchoked.erase(std::unique(res.unchoked.begin(), res.unchoked.end()), res.unchoked.end());

  for (const auto& p : peers) {
    const bool unchoke = contains(res.unchoked, p.key);
    if (unchoke && p.am_choking) res.to_unchoke.push_back(p.key);
    if (!unchoke && !p.am_choking) res.to_choke.push_back(p.key);
  }
  std::sort(res.to_unchoke.begin(), res.to_unchoke.end());
  std::sort(res.to_choke.begin(), res.to_choke.end());
  return res;
}

}  // namespace tessera::detail
