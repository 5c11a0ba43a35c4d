// A DHT node (BEP 5, mainline Kademlia over KRPC/UDP): server and client on one UDP socket.
//
// Server side: answers ping, find_node, get_peers (with a write token) and announce_peer (token
// checked against the sender's address); 203 for malformed queries that carry a transaction id,
// 204 for unknown methods; incoming queries are rate-limited per source address and dropped
// silently past the limit. Client side: queries with 2-byte transaction ids and a timeout,
// iterative find_node / get_peers lookups with alpha queries in flight toward the K closest
// nodes, announce_peer to the closest nodes that gave a token, bootstrap from configured
// "host:port" nodes and from a saved state, add_node() for `port` messages and .torrent `nodes`,
// and a maintenance tick that refreshes stale buckets, pings questionable nodes and expires
// stored peers.
//
// Address family: one node serves one family, the one of its bind address (IPv4 with `nodes`,
// or IPv6 with `nodes6` per BEP 32), with its own routing table and BEP 42 id. A dual-stack
// session creates two nodes and pairs them (pair_with): they share one peer store, each answers
// a BEP 32 `want` for the other family's nodes from its partner's table, a bootstrap find_node
// asks for both families, and nodes of the partner's family that come back are handed to it
// (pinged before they join its table). Turning the DHT off means not creating a node.
//
// I/O: the node reads and writes datagrams through a seam: on_datagram() takes what arrived and
// a send_function sends. create() opens a UDP socket of the node's own and feeds its receive
// loop into that seam; create_on() runs the node on a socket owned elsewhere (the session's UDP
// socket shared with uTP), whose owner calls on_datagram() for every datagram that is the DHT's.
//
// Threading: every member function must be called on the executor given to create() (the
// session's network thread); the node runs there and never blocks. Lifetime: create() returns a
// shared_ptr; the coroutines started by start() and by the awaitable functions hold it, so the
// node lives until stop() is called and they have finished.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <functional>
#include <span>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/krpc.hpp"
#include "discovery/dht/external_ip.hpp"
#include "discovery/dht/peer_store.hpp"
#include "discovery/dht/rate_limiter.hpp"
#include "discovery/dht/routing_table.hpp"
#include "discovery/dht/tokens.hpp"
#include "tessera/result.hpp"

namespace tessera::detail::dht {

struct dht_settings {
  /// Local UDP address and port (port 0: any free port). Its family is the node's family.
  boost::asio::ip::udp::endpoint bind{boost::asio::ip::address_v4::loopback(), 0};
  /// Bootstrap nodes as "host:port" or "[v6addr]:port"; host names are resolved (5 s limit).
  std::vector<std::string> bootstrap_nodes;
  /// Our node id; nullopt: random (OpenSSL's CSPRNG), or the one given by load_state(), and
  /// replaced by a BEP 42 id once the nodes we query agree on our external address and the
  /// current id is not valid for it. A fixed id is never replaced.
  std::optional<sha1_hash> node_id;
  /// Routing-table admission (one node per IP, BEP 42 node ids).
  table_policy table{};
  /// How long a query waits for its answer.
  std::chrono::milliseconds query_timeout{3000};
  /// Upper bound on one whole lookup (find_node or get_peers).
  std::chrono::milliseconds lookup_timeout{30000};
  /// Queries in flight per lookup (Kademlia alpha).
  std::size_t alpha = 3;
  /// Incoming query limit per source address.
  rate_limit incoming_limit{};
  /// Bounds of the announce_peer store.
  peer_store_limits store_limits{};
  /// Period of the maintenance tick (bucket refresh, pings of questionable nodes, peer expiry).
  std::chrono::milliseconds maintenance_interval{60000};
  /// A bucket is refreshed after this long without a change (BEP 5: 15 minutes).
  std::chrono::milliseconds bucket_refresh{15 * 60 * 1000};
  /// Most peers returned in one get_peers reply.
  std::size_t max_values = 50;
  /// KRPC `v`: two client letters and two version bytes.
  std::string version = std::string("TS\0\1", 4);
};

/// Counters, for tests and statistics. Monotonic.
struct dht_stats {
  std::uint64_t queries_received = 0;  ///< well-formed queries accepted (not rate-limited)
  std::uint64_t rate_limited = 0;      ///< queries dropped by the per-address limit
  std::uint64_t malformed = 0;         ///< datagrams that failed to parse
  std::uint64_t errors_sent = 0;       ///< KRPC error replies (201-204) we sent
  std::uint64_t queries_sent = 0;      ///< queries we sent
  std::uint64_t timeouts = 0;          ///< our queries that got no answer in time
  std::uint64_t announces_stored = 0;  ///< announce_peer queries accepted
};

/// Sends one datagram (a whole KRPC message) to an endpoint of the node's family, now and
/// without blocking: a datagram that cannot be sent at once is dropped, as the network might.
/// Called on the node's executor.
using send_function = std::function<void(std::span<const std::uint8_t>, const boost::asio::ip::udp::endpoint&)>;

class dht_node : public std::enable_shared_from_this<dht_node> {
 public:
  /// Opens and binds a UDP socket of its own (settings.bind; IPv6 sockets are v6-only) and
  /// receives on it once started. Errors: the bind/open error (address in use, ...).
  static result<std::shared_ptr<dht_node>> create(boost::asio::any_io_executor ex, dht_settings settings);
  /// A node on a UDP socket owned elsewhere: `local` is that socket's bound endpoint (its family
  /// is the node's; settings.bind is ignored), `send` sends through it. The owner passes the
  /// node every datagram meant for the DHT with on_datagram(); the node never closes the socket.
  static std::shared_ptr<dht_node> create_on(boost::asio::any_io_executor ex, dht_settings settings,
                                             boost::asio::ip::udp::endpoint local, send_function send);
  ~dht_node();
  dht_node(const dht_node&) = delete;
  dht_node& operator=(const dht_node&) = delete;

  /// Restores a state from save_state(): our id (unless settings.node_id was set) and nodes to
  /// contact at bootstrap. Call before start(). Errors: decode_state's krpc_errc values; the
  /// node is unchanged then.
  std::error_code load_state(std::string_view saved);
  /// Our id and the routing table's nodes, bencoded (see encode_state), for the next start.
  std::string save_state() const;

  /// Starts receiving, the maintenance tick, and a bootstrap when bootstrap nodes or saved
  /// nodes are known. Call once.
  void start();
  /// Closes the socket and cancels every timer: pending queries and lookups finish early with
  /// what they have. Idempotent.
  void stop();

  /// One datagram received from `from` (any size; KRPC parsing bounds it). Ignored before
  /// start() and after stop(). Called on the executor, by the node's own receive loop or by the
  /// owner of the socket given to create_on().
  void on_datagram(std::span<const std::uint8_t> bytes, const boost::asio::ip::udp::endpoint& from);

  /// Pairs two nodes of different families into one dual-stack DHT (BEP 32): `other` drops its
  /// peer store for ours, and each answers `want` from the other's table. Call before start();
  /// a node of the same family is refused (returns false). The pair holds weak references.
  bool pair_with(const std::shared_ptr<dht_node>& other);

  /// The node's UDP endpoint (its socket's bound one, or create_on's `local`).
  boost::asio::ip::udp::endpoint local_endpoint() const;
  bool is_v6() const { return v6_; }
  const sha1_hash& id() const { return id_; }
  const routing_table& table() const { return table_; }
  const dht_stats& stats() const { return stats_; }
  /// The peers other nodes announced to us (announce_peer), e.g. to add them to our own
  /// lookups' results: in a small DHT the node a peer announced to may be ourselves.
  /// Shared by the two nodes of a pair; holds peers of both families.
  const peer_store& store() const { return *store_; }

  /// Pings `ep` and adds it to the routing table if it answers (for BEP 5 `port` messages and
  /// the `nodes` of a .torrent). Endpoints of the other address family are ignored, and so are
  /// calls beyond a few dozen pings in flight.
  void add_node(const boost::asio::ip::udp::endpoint& ep);

  /// Resolves the bootstrap nodes, asks them and the saved nodes for nodes close to our id, then
  /// runs a find_node lookup for our id. Returns the routing table size afterwards.
  boost::asio::awaitable<std::size_t> bootstrap();

  /// Iterative find_node lookup: up to K nodes closest to `target` that answered, closest first.
  boost::asio::awaitable<std::vector<krpc::node_entry>> find_node(sha1_hash target);

  /// Iterative get_peers lookup for `info_hash`: the peers (TCP endpoints, deduplicated) that the
  /// nodes returned. When `announce`, then sends announce_peer to the K closest nodes that gave a
  /// token, with `port` as our BitTorrent port (0: implied_port, the DHT socket's port) and
  /// waits for their answers (query_timeout at most). Empty when the table is empty.
  boost::asio::awaitable<std::vector<boost::asio::ip::tcp::endpoint>>
  get_peers(sha1_hash info_hash, bool announce, std::uint16_t port);

  /// Pings `ep`; true if it answered. Adds the node to the table then.
  boost::asio::awaitable<bool> ping(boost::asio::ip::udp::endpoint ep);

 private:
  struct pending;
  struct reply;
  struct lookup_run;
  struct join;

  dht_node(boost::asio::any_io_executor ex, dht_settings settings);

  /// Nodes closest to `target` from our table and, for the other family, our partner's.
  std::vector<krpc::node_entry> closest_nodes(const sha1_hash& target, bool v4, bool v6) const;
  /// The partner, if paired and alive.
  std::shared_ptr<dht_node> partner() const { return partner_.lock(); }
  /// Nodes of the other family from a reply: the partner pings them (add_node).
  void hand_to_partner(const std::vector<krpc::node_entry>& nodes) const;
  /// Sets `want` on a find_node/get_peers query: both families while the partner's table is
  /// thin (BEP 32 bootstrapping), nothing otherwise (our own family by default).
  void set_want(krpc::query& q, bool bootstrapping) const;

  boost::asio::awaitable<void> receive_loop();
  boost::asio::awaitable<void> maintenance_loop();
  void handle_datagram(std::string_view data, const boost::asio::ip::udp::endpoint& from);
  void handle_query(const krpc::query& q, const boost::asio::ip::udp::endpoint& from, clock::time_point now);
  void send_error(const boost::asio::ip::udp::endpoint& to, const std::string& transaction, int code,
                  std::string message);
  void send(const std::string& bytes, const boost::asio::ip::udp::endpoint& to);

  /// Sends `q` to `to` and waits for its answer. Does not touch the routing table.
  boost::asio::awaitable<reply> request(boost::asio::ip::udp::endpoint to, krpc::query q);
  /// request() to a known node, recording the answer or the failure in the routing table.
  boost::asio::awaitable<reply> request_node(krpc::node_entry node, krpc::query q);
  boost::asio::awaitable<std::shared_ptr<lookup_run>> run_lookup(sha1_hash target, bool get_peers,
                                                                 std::vector<krpc::node_entry> seeds);
  boost::asio::awaitable<void> lookup_query(std::shared_ptr<lookup_run> run, krpc::node_entry node);
  boost::asio::awaitable<void> bootstrap_query(boost::asio::ip::udp::endpoint ep, std::shared_ptr<join> j,
                                               std::shared_ptr<std::vector<krpc::node_entry>> found);

  bool same_family(const peer_endpoint& ep) const { return ep.v6 == v6_; }
  std::string next_transaction();
  /// 20 bytes from OpenSSL's CSPRNG.
  static sha1_hash random_id();
  /// A node we queried reports our address as `reported` (BEP 42 `ip`): vote, and when the
  /// vote decides an address our id is not valid for, take a BEP 42 id for it.
  void on_external_ip(const peer_endpoint& voter, const peer_endpoint& reported);

  boost::asio::any_io_executor ex_;
  dht_settings settings_;
  std::optional<boost::asio::ip::udp::socket> socket_;  ///< create()'s own socket; empty for create_on()
  boost::asio::ip::udp::endpoint local_;                 ///< create_on()'s endpoint
  send_function send_;
  boost::asio::steady_timer maintenance_timer_;
  bool v6_ = false;
  bool started_ = false;
  bool stopped_ = false;
  sha1_hash id_;
  routing_table table_;
  token_issuer tokens_;
  std::shared_ptr<peer_store> store_;
  std::weak_ptr<dht_node> partner_;
  rate_limiter limiter_;
  std::vector<krpc::node_entry> saved_nodes_;  ///< from load_state, contacted at bootstrap
  std::map<std::string, std::shared_ptr<pending>> pending_;  ///< by transaction id
  external_ip_voter ip_voter_;
  std::size_t add_node_in_flight_ = 0;
  dht_stats stats_;
};

}  // namespace tessera::detail::dht
