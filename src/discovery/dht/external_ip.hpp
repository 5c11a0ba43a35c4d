// Our external address as DHT nodes report it (BEP 42's `ip` in responses), decided by vote:
// one node can lie, so an address counts once several distinct nodes agree on it. The DHT uses
// it to pick a node id that BEP 42 nodes accept. Pure and bounded.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>

#include "core/compact_peer.hpp"

namespace tessera::detail::dht {

class external_ip_voter {
 public:
  /// Distinct voters an address needs (and it must lead every other address) to be decided.
  static constexpr std::size_t votes_needed = 5;
  /// Voters remembered per round; when reached, the round restarts (bounded memory, and a
  /// changed address is learnt again).
  static constexpr std::size_t max_voters = 50;

  /// `voter` (its address; the port is ignored; one vote per address and round) says our
  /// address is `reported` (the port is ignored). Returns the decided address when this vote
  /// decides it or changes it, else nullopt.
  std::optional<peer_endpoint> vote(const peer_endpoint& voter, const peer_endpoint& reported);

  /// The address decided last, if any.
  const std::optional<peer_endpoint>& decided() const { return decided_; }

 private:
  std::set<peer_endpoint> voters_;
  std::map<peer_endpoint, std::size_t> tally_;
  std::optional<peer_endpoint> decided_;
};

}  // namespace tessera::detail::dht
