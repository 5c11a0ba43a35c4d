// Kademlia routing table (BEP 5 "Routing Table"). Pure: no sockets and no clock reads; every
// time is a parameter, so tests drive it with made-up instants.
//
// Buckets are kept by the length of the prefix a node id shares with our own id: bucket i holds
// the nodes whose XOR distance to us has exactly i leading zero bits, except the last bucket,
// which holds every node closer than that (the one "range that includes our own id"). Only the
// last bucket splits when full, so far-away ranges hold at most K nodes and the table resolves
// our own neighbourhood finely, as BEP 5 describes. One table holds one address family (BEP 32
// keeps separate tables for IPv4 and IPv6).
//
// Admission rules against routing-table poisoning: one node per IP address (whatever its port;
// libtorrent's restrict_routing_ips), and node ids must satisfy BEP 42 for their address
// (node_id_security.hpp; local-network addresses are exempt). Both can be turned off.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/krpc.hpp"
#include "discovery/dht/node_id.hpp"
#include "tessera/result.hpp"

namespace tessera::detail::dht {

/// K: nodes per bucket (BEP 5).
inline constexpr std::size_t bucket_size = 8;
/// A node is good while it answered one of our queries within this long (BEP 5: 15 minutes).
inline constexpr std::chrono::minutes good_window{15};
/// Consecutive failed queries after which a node is bad (BEP 5: "multiple queries in a row").
inline constexpr int max_failures = 2;
/// Nodes kept per bucket as replacements for bad nodes.
inline constexpr std::size_t replacement_size = 8;

/// BEP 5 node states.
enum class node_state {
  good,          ///< answered us within good_window, or answered once and queried us since then
  questionable,  ///< no sign of life within good_window, or never answered a query of ours
  bad,           ///< failed max_failures queries in a row
};

/// A node in the table with its liveness record.
struct node_info {
  krpc::node_entry node;
  std::optional<clock::time_point> last_response;  ///< last answer to one of our queries
  std::optional<clock::time_point> last_query;     ///< last query it sent us
  int failures = 0;                                ///< consecutive unanswered queries

  node_state state(clock::time_point now) const;
};

/// What node_seen did with a node.
enum class add_result {
  added,     ///< inserted into a bucket with room (possibly after a split)
  updated,   ///< already in the table: its record was refreshed
  replaced,  ///< took the place of a bad (or never-verified) node
  pending,   ///< bucket full of live nodes: kept as a replacement candidate
  rejected,  ///< our own id, a zero port, another family, an id/endpoint clash, a second node
             ///< on one IP address, or an id invalid for its address (BEP 42)
};

/// Admission rules of a routing table (see the file comment).
struct table_policy {
  /// At most one node (bucket or replacement entry) per IP address.
  bool one_node_per_ip = true;
  /// Reject nodes whose id is not valid for their address under BEP 42 (local networks exempt).
  bool enforce_node_id = true;
};

/// How we heard from a node.
enum class contact { response, query };

class routing_table {
 public:
  /// `own_id`: our node id. `ipv6`: which address family this table holds.
  explicit routing_table(const sha1_hash& own_id, bool ipv6 = false, table_policy policy = {});

  /// The same nodes under a new own id (after our id changed, BEP 42): every node is inserted
  /// again in the new bucket layout (with its liveness record), replacements included; `now`
  /// stamps the buckets' last change.
  routing_table rebuilt(const sha1_hash& new_own_id, clock::time_point now) const;

  const sha1_hash& own_id() const { return own_id_; }
  bool ipv6() const { return ipv6_; }

  /// Records that `node` answered one of our queries (contact::response) or sent us a query
  /// (contact::query) at `now`, inserting it when there is room (and the table_policy admits it:
  /// else rejected). A node that only queried us is
  /// inserted unverified (questionable) and loses its place to a verified node. A node whose id
  /// is in the table under another endpoint is rejected (the first one stays: a spoofer cannot
  /// move a node), as is a known endpoint claiming a new id.
  add_result node_seen(const krpc::node_entry& node, contact how, clock::time_point now);

  /// Records that a query to `node` went unanswered. After max_failures in a row the node is
  /// bad; it is then replaced by the freshest replacement candidate of its bucket, if any.
  void node_failed(const krpc::node_entry& node);

  /// Up to `count` nodes closest to `target` (XOR), closest first; bad nodes are left out.
  std::vector<krpc::node_entry> closest(const sha1_hash& target, std::size_t count) const;

  /// The node record for `id`, if present in a bucket.
  const node_info* find(const sha1_hash& id) const;

  /// Nodes in buckets (replacements not counted).
  std::size_t size() const;
  std::size_t bucket_count() const { return buckets_.size(); }
  /// Nodes in bucket `i` (for tests and statistics).
  std::size_t bucket_nodes(std::size_t i) const { return buckets_.at(i).nodes.size(); }

  /// Buckets not changed for at least `interval` at `now` (BEP 5 refresh: 15 minutes). A
  /// bucket "changes" when a node is added or replaced or when one of its nodes answers us.
  std::vector<std::size_t> stale_buckets(clock::time_point now, clock::duration interval) const;
  /// Marks bucket `i` as refreshed at `now` (after a refresh lookup was started).
  void mark_refreshed(std::size_t i, clock::time_point now);
  /// A random id in the range of bucket `i`, built from `random` (20 random bytes): the target
  /// of that bucket's refresh lookup.
  sha1_hash random_id_in_bucket(std::size_t i, const sha1_hash& random) const;

  /// Up to `count` questionable nodes, least recently heard first: candidates for a ping.
  std::vector<krpc::node_entry> questionable_nodes(clock::time_point now, std::size_t count) const;

  /// Every node in the buckets, closest buckets last.
  std::vector<krpc::node_entry> all_nodes() const;

 private:
  struct bucket {
    std::vector<node_info> nodes;         ///< at most bucket_size
    std::vector<node_info> replacements;  ///< at most replacement_size, newest last
    std::optional<clock::time_point> last_changed;
  };

  std::size_t bucket_index(const sha1_hash& id) const;
  void split_last();
  void promote_replacement(bucket& b);
  /// Another entry (node or replacement) with `node`'s IP address but not its id and endpoint.
  bool address_taken(const krpc::node_entry& node) const;
  /// Inserts a node record as node_seen would for a node first seen with that record.
  void insert(const node_info& n, clock::time_point now);

  sha1_hash own_id_;
  bool ipv6_;
  table_policy policy_;
  std::vector<bucket> buckets_;
};

/// What save_state stores and load_state gives back: our id and the nodes to try again.
struct saved_state {
  sha1_hash id;                         ///< the IPv4 node's id (or the only node's)
  /// The IPv6 node's id when a dual-stack session saved both (BEP 32, each family's node has
  /// its own BEP 42 id); absent in files of a single node, whose `id` serves either family.
  std::optional<sha1_hash> id6;
  std::vector<krpc::node_entry> nodes;  ///< IPv4 and IPv6
};

/// Most nodes of each family decode_state keeps from a state file (a full table holds at most
/// bucket_size * id_bits); the rest are ignored, so a huge file cannot take memory.
inline constexpr std::size_t max_saved_nodes = bucket_size * id_bits;

/// Encodes a saved state as a bencoded dictionary {"id": 20 bytes, "id6": 20 bytes (when set),
/// "nodes": compact IPv4 nodes (26 bytes each), "nodes6": compact IPv6 nodes (38 bytes each)},
/// the KRPC compact forms.
std::string encode_state(const saved_state& s);
/// Decodes encode_state's output, keeping at most max_saved_nodes nodes per family. Errors: krpc_errc::bad_bencode (not a dictionary of that
/// shape), bad_node_id (id missing or not 20 bytes, or id6 present and not 20 bytes), bad_nodes (a list of the wrong length).
result<saved_state> decode_state(std::string_view bytes);

}  // namespace tessera::detail::dht
