// The session's use of the DHT (BEP 5, BEP 32): owns the session's DHT nodes, one per address
// family the listen interface gives (an IPv4 and an IPv6 node, paired as one dual-stack DHT, each
// with its own routing table and BEP 42 id), restores and saves their state (node persistence,
// both tables in one file), and runs one lookup loop per torrent that is not private (BEP 27): a
// get_peers lookup with announce_peer of our listen port at start, then every announce_interval
// (every few_peers_interval while the torrent downloads with few peers), on every node at once;
// the peers found, of both families, go to torrent::add_peers. Nodes named by peers' `port`
// messages are handed to the node of their family.
//
// Sockets: create() gives each node a UDP socket of its own; create_on() runs the nodes on
// sockets owned elsewhere (the session's UDP socket per family, shared with uTP), whose owner
// passes the DHT's datagrams to on_datagram().
//
// Nothing is sent while the routing table is empty: with no bootstrap node, no saved state and
// no `port` message, the node only answers queries (the loops wait for a node without traffic).
//
// Threading: create() may run before the network thread starts; every other member runs on the
// network thread (the executor given to create()). Lifetime: shared_ptr; the lookup loops hold
// it until stop() ends them.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "discovery/dht/dht_node.hpp"
#include "tessera/result.hpp"
#include "tessera/session.hpp"

namespace tessera::detail {

class torrent;

struct dht_driver_settings {
  /// UDP address and port of each node, at most one per family (IPv4 first): the TCP
  /// listener's port; when that port is taken, port 0 (create() only).
  std::vector<boost::asio::ip::udp::endpoint> binds;
  std::vector<std::string> bootstrap_nodes;  ///< "host:port" or "[v6]:port"
  std::string state_file;                    ///< node persistence; empty: none
  /// Our BitTorrent (TCP) port, sent in announce_peer; 0: not listening, lookups do not announce.
  std::uint16_t announce_port = 0;
  std::chrono::seconds announce_interval{15 * 60};
  std::chrono::seconds few_peers_interval{90};
  /// Fewer connected peers than this while downloading: the short interval is used.
  int few_peers = 5;
  /// While the routing table is empty, how often a loop checks it again (no traffic).
  std::chrono::milliseconds wait_for_nodes{1000};
};

/// Reads the DHT part of the session settings (binds: listen_addresses(listen_interface) with
/// `port`, the port actually bound by the TCP listener, or settings.listen_port when it is 0).
dht_driver_settings dht_driver_settings_from(const session_settings& s, std::uint16_t port);

/// A UDP socket owned elsewhere that a node runs on (see dht_driver::create_on).
struct dht_socket_binding {
  boost::asio::ip::udp::endpoint local;  ///< the socket's bound endpoint; its family is the node's
  dht::send_function send;               ///< sends one datagram through it, without blocking
};

class dht_driver : public std::enable_shared_from_this<dht_driver> {
 public:
  /// Creates a node per settings.binds entry, each on a UDP socket of its own (falling back to
  /// a port the OS picks when the entry's port is taken; the IPv6 node tries the IPv4 node's
  /// port first). A family whose socket cannot be opened is left out (logged). Errors: the
  /// open/bind error when no node could be created at all.
  static result<std::shared_ptr<dht_driver>> create(boost::asio::any_io_executor ex, dht_driver_settings settings);
  /// Creates a node per binding (at most one per family; settings.binds is ignored) on sockets
  /// owned by the caller, who passes every datagram meant for the DHT to on_datagram(). Errors:
  /// invalid_argument when `sockets` is empty or names a family twice.
  static result<std::shared_ptr<dht_driver>> create_on(boost::asio::any_io_executor ex,
                                                       dht_driver_settings settings,
                                                       std::vector<dht_socket_binding> sockets);
  ~dht_driver();
  dht_driver(const dht_driver&) = delete;
  dht_driver& operator=(const dht_driver&) = delete;

  /// Loads the state file (when set and readable; errors are logged) and starts the node, which
  /// bootstraps from the configured and saved nodes. Call once.
  void start();
  /// Saves the state file (when set) and stops the node and every lookup loop. Idempotent.
  void stop();

  /// Starts the lookup loop of `t`; private torrents are ignored (BEP 27: no DHT at all).
  void add_torrent(const std::shared_ptr<torrent>& t);
  /// A peer at `address` said (BEP 5 `port` message) that its DHT node listens on UDP `port`.
  /// Goes to the node of that family (IPv4-mapped IPv6 addresses count as IPv4); ignored when
  /// we run none.
  void add_node(const boost::asio::ip::address& address, std::uint16_t port);

  /// A datagram received from `from` on a socket given to create_on(): handed to the node of
  /// its family (IPv4-mapped IPv6 senders count as IPv4). Ignored before start() and after
  /// stop(). Network thread.
  void on_datagram(std::span<const std::uint8_t> bytes, const boost::asio::ip::udp::endpoint& from);

  /// The UDP port sent in `port` messages: the IPv4 node's, else the IPv6 node's.
  std::uint16_t port() const;
  dht_status status() const;
  /// The node of a family, or null when the session runs none (for tests and statistics).
  std::shared_ptr<dht::dht_node> node(bool v6) const { return v6 ? v6_ : v4_; }

 private:
  struct loop;
  dht_driver(boost::asio::any_io_executor ex, dht_driver_settings settings, std::shared_ptr<dht::dht_node> v4,
             std::shared_ptr<dht::dht_node> v6);
  boost::asio::awaitable<void> run_loop(std::shared_ptr<loop> l);
  /// get_peers (and announce_peer) on every node at once; the peers of both families, merged
  /// with those announced to us (our own store), deduplicated.
  boost::asio::awaitable<std::vector<boost::asio::ip::tcp::endpoint>> lookup(sha1_hash info_hash);
  void save_state() const;
  /// True when any node's routing table holds a node (a lookup can send something).
  bool has_nodes() const;
  static std::string endpoint_text(const boost::asio::ip::udp::endpoint& ep);
  /// Any node (the IPv4 one when both run).
  const dht::dht_node& first() const { return v4_ ? *v4_ : *v6_; }

  boost::asio::any_io_executor ex_;
  dht_driver_settings settings_;
  std::shared_ptr<dht::dht_node> v4_;  ///< null when the session runs no IPv4 node
  std::shared_ptr<dht::dht_node> v6_;  ///< null when the session runs no IPv6 node
  std::list<std::shared_ptr<loop>> loops_;
  bool started_ = false;
  bool stopped_ = false;
  int lookups_ = 0;
};

}  // namespace tessera::detail
