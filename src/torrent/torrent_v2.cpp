// BEP 52 hashes of a torrent: the v2 hash store, which pieces may be requested before the piece
// layers are known, and layers restored from resume data. Members of `torrent`.
#include <spdlog/spdlog.h>

#include "torrent/torrent.hpp"

namespace tessera::detail {

void torrent::reset_v2_hashes() {
  // A recheck keeps what peers sent; new metadata (a magnet's) builds the store afresh.
  if (v2_hashes_.files().empty()) {
    v2_hashes_ = v2_hash_store(*ti_);
    if (ctx_.resume && v2_hashes_.has_v2()) {
      for (const auto& [root, layer] : ctx_.resume->piece_layers) {
        if (auto r = v2_hashes_.set_piece_layer(root, layer); !r) {
          spdlog::warn("torrent {}: resume data's piece layer for {} dropped: {}", ti_->name(), root.to_hex(),
                       r.error().message());
        }
      }
    }
  }
  v2_pickable_ = bitfield();
  if (!ti_->piece_hashes().empty() || !v2_hashes_.has_v2() || v2_hashes_.all_layers_known()) return;
  v2_pickable_ = bitfield(ti_->num_pieces());
  for (int p = 0; p < ti_->num_pieces(); ++p)
    if (v2_hashes_.has_target(piece_index{p})) v2_pickable_.set(p);
}

bool torrent::piece_hash_known(piece_index p) const {
  if (p.value < 0 || p.value >= ti_->num_pieces()) return false;
  return v2_pickable_.empty() || v2_pickable_.get(p.value);
}

bitfield torrent::pickable_of(const bitfield& peer_has) const {
  if (v2_pickable_.empty() || v2_pickable_.size() != peer_has.size()) return peer_has;
  auto a = peer_has.bytes();
  auto b = v2_pickable_.bytes();
  std::vector<std::uint8_t> both(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) both[i] = a[i] & b[i];
  bitfield out;
  (void)out.assign(both, peer_has.size());
  return out;
}

void torrent::on_piece_layers_known(std::span<const piece_index> pieces) {
  if (pieces.empty()) return;
  mark_resume_dirty();
  if (v2_pickable_.empty()) return;
  for (piece_index p : pieces)
    if (p.value >= 0 && p.value < v2_pickable_.size()) v2_pickable_.set(p.value);
  if (v2_pickable_.all()) v2_pickable_ = bitfield();
  request_more_all();
}

}  // namespace tessera::detail
