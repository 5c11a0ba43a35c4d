// The bookkeeping of one iterative Kademlia lookup (BEP 5: find_node / get_peers "iteratively
// query nodes closer to the target"). Pure: the DHT node sends the queries and feeds the
// answers back; this class decides whom to ask next and when the lookup is over.
//
// Candidates are kept sorted by XOR distance to the target. Only the `k` closest candidates that
// have not failed are eligible; at most `alpha` queries are in flight at once. The lookup is done
// when none of those k is left unasked and nothing is in flight (they all answered or failed,
// and no answer brought a closer node), or when `max_queries` have been sent.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/krpc.hpp"
#include "discovery/dht/node_id.hpp"

namespace tessera::detail::dht {

class lookup_state {
 public:
  enum class status { fresh, in_flight, responded, failed };
  struct candidate {
    krpc::node_entry node;
    status state = status::fresh;
    std::optional<std::string> token;  ///< get_peers token from its answer
  };

  /// `own_id` is never queried (our own entry in someone's reply).
  lookup_state(const sha1_hash& target, const sha1_hash& own_id, std::size_t k = 8, std::size_t alpha = 3,
               std::size_t max_queries = 200);

  /// Adds a node to ask (from the routing table or a reply). Ignored when already known (same id
  /// or same endpoint), when it is us, or when it is farther than every eligible candidate and
  /// the candidate list is full (max_candidates).
  void add(const krpc::node_entry& node);

  /// The next node to query, marked in flight; nullopt when alpha queries are in flight, no
  /// eligible node is unasked, or max_queries is reached.
  std::optional<krpc::node_entry> next();

  /// The answer of `node` (as returned by next()), with the token of a get_peers answer.
  void responded(const krpc::node_entry& node, std::optional<std::string> token);
  /// `node` did not answer (timeout or error reply).
  void failed(const krpc::node_entry& node);

  bool done() const;
  std::size_t in_flight() const { return in_flight_; }
  std::size_t queries_sent() const { return sent_; }

  /// Up to `count` nodes that answered, closest first.
  std::vector<candidate> closest_responded(std::size_t count) const;

  /// Cap on remembered candidates: beyond it the farthest unasked ones are dropped.
  static constexpr std::size_t max_candidates = 128;

 private:
  candidate* find(const krpc::node_entry& node);

  sha1_hash target_;
  sha1_hash own_id_;
  std::size_t k_, alpha_, max_queries_;
  std::size_t in_flight_ = 0, sent_ = 0;
  std::vector<candidate> candidates_;  ///< closest first
};

}  // namespace tessera::detail::dht
