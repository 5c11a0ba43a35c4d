#include "torrent/connection_budget.hpp"

#include <algorithm>

namespace tessera::detail {

int connection_budget::connection_share(int per_torrent) const {
  const int torrents = std::max(1, running);
  return std::min(per_torrent, std::max(min_connection_share, max / torrents));
}

int connection_budget::unchoke_share() const {
  const int torrents = std::max(1, running);
  return std::max(1, (std::max(0, unchoke_slots) + torrents - 1) / torrents);
}

}  // namespace tessera::detail
