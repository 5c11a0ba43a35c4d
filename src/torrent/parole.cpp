#include "torrent/parole.hpp"

namespace tessera::detail {

std::optional<peer_key> piece_parole::owner(piece_index p) const {
  auto it = owners_.find(p);
  return it == owners_.end() ? std::nullopt : it->second;
}

void piece_parole::claim(piece_index p, peer_key peer) {
  auto it = owners_.find(p);
  if (it != owners_.end() && !it->second) it->second = peer;
}

void piece_parole::hide_owned_by_others(bitfield& peer_has, peer_key peer) const {
  for (const auto& [p, owner] : owners_) {
    if (owner && *owner != peer && p.value >= 0 && p.value < peer_has.size()) peer_has.clear(p);
  }
}

bool piece_parole::release(piece_index p, peer_key peer) {
  auto it = owners_.find(p);
  if (it == owners_.end() || it->second != peer) return false;
  it->second = std::nullopt;
  return true;
}

void piece_parole::release_all(peer_key peer) {
  for (auto& [p, owner] : owners_) {
    if (owner == peer) owner = std::nullopt;
  }
}

}  // namespace tessera::detail
