// Edits of a torrent's metainfo at run time: its tracker list (torrent_handle::replace_trackers).
// Members of `torrent`. The torrent_info is immutable and shared with disk jobs in flight, so an
// edit builds a new one and swaps ti_; jobs holding the old one finish with it (they read only
// the piece layout, which no edit changes).
#include <algorithm>
#include <unordered_set>

#include <spdlog/spdlog.h>

#include "torrent/torrent.hpp"

namespace tessera::detail {

bool torrent::swarm_running() const {
  return started_ && !stopped_ && !paused_ && state_ != torrent_state::checking && state_ != torrent_state::error;
}

void torrent::replace_trackers(std::vector<std::vector<std::string>> tiers) {
  auto edited = std::make_shared<torrent_info>(*ti_);
  edited->trackers = std::move(tiers);
  ti_ = std::move(edited);
  std::unordered_set<std::string> kept;
  for (const auto& tier : ti_->trackers) kept.insert(tier.begin(), tier.end());
  std::erase_if(tracker_status_, [&](const auto& entry) { return !kept.count(entry.first); });
  // A new announcer for the new list: `stopped` to the old trackers that answered, `started`
  // to every tracker of the new list (those kept included: a tracker that sees `started` again
  // treats it as a fresh start of the same peer).
  const bool restart = announcer_ != nullptr || swarm_running();
  stop_announcing();
  tracker_message_.clear();
  spdlog::info("torrent {}: tracker list replaced ({} tiers)", ti_->name, ti_->trackers.size());
  if (restart) start_announcing();
}

}  // namespace tessera::detail
