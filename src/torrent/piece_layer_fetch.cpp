#include "torrent/piece_layer_fetch.hpp"

#include <algorithm>
#include <set>

namespace tessera::detail {

std::vector<hash_request> piece_layer_requests(const sha256_hash& root, std::int64_t num_blocks,
                                               std::int32_t num_pieces, int piece_layer,
                                               std::int32_t max_hashes) {
  std::vector<hash_request> out;
  const int height = merkle::tree_height(num_blocks);
  if (num_pieces < 2 || height <= piece_layer) return out;  // one piece: its root is its target
  const std::int64_t width = std::int64_t{1} << (height - piece_layer);
  const auto length = static_cast<std::int32_t>(std::min<std::int64_t>(max_hashes, width));
  for (std::int64_t index = 0; index < num_pieces; index += length) {
    hash_request r;
    r.pieces_root = root;
    r.base_layer = piece_layer;
    r.index = static_cast<std::int32_t>(index);
    r.length = length;
    // The highest uncle is the root's child: the reply folds up to the root.
    r.proof_layers = height - piece_layer - 1;
    out.push_back(r);
  }
  return out;
}

piece_layer_fetch::piece_layer_fetch(const v2_hash_store& store, std::int32_t max_hashes, int per_peer)
    : per_peer_(per_peer) {
  std::set<sha256_hash> seen;
  for (const auto& f : store.files()) {
    if (!seen.insert(f.pieces_root).second) continue;
    if (f.num_pieces < 2 || store.piece_layer(f.pieces_root)) continue;
    for (const auto& r : piece_layer_requests(f.pieces_root, f.num_blocks, f.num_pieces,
                                              store.piece_layer_index(), max_hashes)) {
      items_.push_back({r, false, std::nullopt, {}});
    }
  }
  remaining_ = static_cast<int>(items_.size());
}

piece_layer_fetch::item* piece_layer_fetch::find(const hash_request& r) {
  const auto it = std::find_if(items_.begin(), items_.end(), [&](const item& i) { return i.request == r; });
  return it == items_.end() ? nullptr : &*it;
}

int piece_layer_fetch::in_flight_to(peer_key peer) const {
  return static_cast<int>(std::count_if(items_.begin(), items_.end(),
                                        [&](const item& i) { return !i.answered && i.in_flight == peer; }));
}

std::optional<hash_request> piece_layer_fetch::next(peer_key peer) {
  if (in_flight_to(peer) >= per_peer_) return std::nullopt;
  for (auto& i : items_) {
    if (i.answered || i.in_flight) continue;
    if (std::find(i.failed_by.begin(), i.failed_by.end(), peer) != i.failed_by.end()) continue;
    i.in_flight = peer;
    return i.request;
  }
  return std::nullopt;
}

void piece_layer_fetch::on_answered(const hash_request& r) {
  item* i = find(r);
  if (i == nullptr || i->answered) return;
  i->answered = true;
  i->in_flight.reset();
  --remaining_;
}

void piece_layer_fetch::on_failed(const hash_request& r, peer_key peer) {
  item* i = find(r);
  if (i == nullptr || i->answered) return;
  if (i->in_flight == peer) i->in_flight.reset();
  if (std::find(i->failed_by.begin(), i->failed_by.end(), peer) == i->failed_by.end()) i->failed_by.push_back(peer);
}

void piece_layer_fetch::peer_gone(peer_key peer) {
  for (auto& i : items_) {
    if (i.in_flight == peer) i.in_flight.reset();
  }
}

void piece_layer_fetch::forgive() {
  for (auto& i : items_) i.failed_by.clear();
}

std::vector<hash_request> piece_layer_fetch::all_requests() const {
  std::vector<hash_request> out;
  for (const auto& i : items_) out.push_back(i.request);
  return out;
}

}  // namespace tessera::detail
