// The session's use of the DHT (BEP 5): owns the session's dht_node, restores and saves its state
// (node persistence), and runs one lookup loop per torrent that is not private (BEP 27): a
// get_peers lookup with announce_peer of our listen port at start, then every announce_interval
// (every few_peers_interval while the torrent downloads with few peers); the peers found go to
// torrent::add_peers. Nodes named by peers' `port` messages are handed to the node.
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
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "tessera/result.hpp"
#include "tessera/session.hpp"

namespace tessera::detail {

class torrent;
namespace dht {
class dht_node;
}

struct dht_driver_settings {
  /// UDP address and port of the node (the TCP listener's); when that port is taken, port 0.
  boost::asio::ip::udp::endpoint bind;
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

/// Reads the DHT part of the session settings (bind: listen_interface and `port`, the port
/// actually bound by the TCP listener, or settings.listen_port when it is 0).
dht_driver_settings dht_driver_settings_from(const session_settings& s, std::uint16_t port);

class dht_driver : public std::enable_shared_from_this<dht_driver> {
 public:
  /// Creates the node and binds its UDP socket (falling back to a port the OS picks when
  /// settings.bind's port is taken). Errors: the socket's open/bind error.
  static result<std::shared_ptr<dht_driver>> create(boost::asio::any_io_executor ex, dht_driver_settings settings);
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
  void add_node(const boost::asio::ip::address& address, std::uint16_t port);

  /// The node's UDP port.
  std::uint16_t port() const;
  dht_status status() const;

 private:
  struct loop;
  dht_driver(boost::asio::any_io_executor ex, dht_driver_settings settings, std::shared_ptr<dht::dht_node> node);
  boost::asio::awaitable<void> run_loop(std::shared_ptr<loop> l);
  void save_state() const;

  boost::asio::any_io_executor ex_;
  dht_driver_settings settings_;
  std::shared_ptr<dht::dht_node> node_;
  std::list<std::shared_ptr<loop>> loops_;
  bool started_ = false;
  bool stopped_ = false;
  int lookups_ = 0;
};

}  // namespace tessera::detail
