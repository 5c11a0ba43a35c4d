// Iterative lookup bookkeeping (BEP 5).
#include "discovery/dht/lookup_state.hpp"

#include <algorithm>

namespace tessera::detail::dht {

lookup_state::lookup_state(const sha1_hash& target, const sha1_hash& own_id, std::size_t k, std::size_t alpha,
                           std::size_t max_queries)
    : target_(target), own_id_(own_id), k_(std::max<std::size_t>(k, 1)), alpha_(std::max<std::size_t>(alpha, 1)),
      max_queries_(max_queries) {}

lookup_state::candidate* lookup_state::find(const krpc::node_entry& node) {
  for (auto& c : candidates_) {
    if (c.node == node) return &c;
  }
  return nullptr;
}

void lookup_state::add(const krpc::node_entry& node) {
  if (node.id == own_id_ || node.endpoint.port == 0) return;
  for (const auto& c : candidates_) {
    if (c.node.id == node.id || c.node.endpoint == node.endpoint) return;
  }
  auto pos = std::upper_bound(candidates_.begin(), candidates_.end(), node,
                              [&](const krpc::node_entry& n, const candidate& c) { return closer(target_, n.id, c.node.id); });
  candidates_.insert(pos, candidate{node, status::fresh, std::nullopt});
  if (candidates_.size() > max_candidates) {
    // Drop the farthest unasked candidate; asked ones stay so their answers can be matched.
    for (auto it = candidates_.rbegin(); it != candidates_.rend(); ++it) {
      if (it->state == status::fresh) {
        candidates_.erase(std::next(it).base());
        break;
      }
    }
  }
}

std::optional<krpc::node_entry> lookup_state::next() {
  if (in_flight_ >= alpha_ || sent_ >= max_queries_) return std::nullopt;
  std::size_t eligible = 0;
  for (auto& c : candidates_) {
    if (c.state == status::failed) continue;
    if (eligible++ >= k_) break;
    if (c.state == status::fresh) {
      c.state = status::in_flight;
      ++in_flight_;
      ++sent_;
      return c.node;
    }
  }
  return std::nullopt;
}

void lookup_state::responded(const krpc::node_entry& node, std::optional<std::string> token) {
  auto* c = find(node);
  if (!c || c->state != status::in_flight) return;
  c->state = status::responded;
  c->token = std::move(token);
  --in_flight_;
}

void lookup_state::failed(const krpc::node_entry& node) {
  auto* c = find(node);
  if (!c || c->state != status::in_flight) return;
  c->state = status::failed;
  --in_flight_;
}

bool lookup_state::done() const {
  if (in_flight_ > 0) return false;
  if (sent_ >= max_queries_) return true;
  std::size_t eligible = 0;
  for (const auto& c : candidates_) {
    if (c.state == status::failed) continue;
    if (eligible++ >= k_) break;
    if (c.state == status::fresh) return false;
  }
  return true;
}

std::vector<lookup_state::candidate> lookup_state::closest_responded(std::size_t count) const {
  std::vector<candidate> out;
  for (const auto& c : candidates_) {
    if (out.size() >= count) break;
    if (c.state == status::responded) out.push_back(c);
  }
  return out;
}

}  // namespace tessera::detail::dht
