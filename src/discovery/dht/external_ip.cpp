// Voting on our external address (BEP 42).
#include "discovery/dht/external_ip.hpp"

namespace tessera::detail::dht {

std::optional<peer_endpoint> external_ip_voter::vote(const peer_endpoint& voter, const peer_endpoint& reported) {
  peer_endpoint who = voter;
  who.port = 0;
  peer_endpoint what = reported;
  what.port = 0;
  if (voters_.size() >= max_voters) {
    voters_.clear();
    tally_.clear();
  }
  if (!voters_.insert(who).second) return std::nullopt;
  const std::size_t votes = ++tally_[what];
  if (votes < votes_needed || (decided_ && *decided_ == what)) return std::nullopt;
  for (const auto& [address, count] : tally_) {
    if (address != what && count >= votes) return std::nullopt;
  }
  decided_ = what;
  return decided_;
}

}  // namespace tessera::detail::dht
