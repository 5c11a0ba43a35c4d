// The session's listen sockets (BEP 3 "peers accept connections"): TCP on IPv4 and IPv6, an accept
// loop, and each incoming peer's handshake stage (session/incoming_handshake: MSE/PE or plaintext,
// then the 68-byte BitTorrent handshake) so the session can route the connection to the torrent
// named by its info-hash.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "core/encryption_mode.hpp"
#include "core/mse_handshake.hpp"
#include "core/token_bucket.hpp"
#include "core/wire.hpp"
#include "swarm/peer_stream.hpp"
#include "tessera/result.hpp"
#include "torrent/host_counts.hpp"

namespace tessera::detail {

/// Tuning of a listener.
struct listener_settings {
  /// "" listens on every address (0.0.0.0 and ::, the IPv6 socket with v6_only so both bind);
  /// otherwise an IP literal ("127.0.0.1", "::1") and only that address.
  std::string interface;
  /// Preferred port; 0 lets the OS choose.
  std::uint16_t port = 6881;
  /// When `port` is taken: ports port+1 .. port+fallback_ports are tried in turn, then port 0.
  int fallback_ports = 10;
  /// An incoming peer must complete its handshake stage (MSE included) within this time.
  std::chrono::seconds handshake_timeout{10};
  /// Connections whose handshake is still being read (at least 1). A new connection beyond it
  /// closes the OLDEST pending one: a flood of silent connections can neither pin file
  /// descriptors nor keep honest peers out (theirs complete in a round trip, the flood's never).
  int max_pending_handshakes = 64;
  /// Pending handshakes from one host (host_address); a new one beyond it closes that host's
  /// oldest, so one host only ever displaces its own connections. <= 0: no cap.
  int max_pending_handshakes_per_ip = 4;
  /// Pending handshakes from one IPv4 /24 or IPv6 /64 (subnet_of); a new one beyond it closes that
  /// subnet's oldest. <= 0: no cap.
  int max_pending_handshakes_per_subnet = 16;
  /// Incoming MSE/PE policy (session_settings::encryption); set_encryption changes it.
  encryption_mode encryption = encryption_mode::enabled;
  /// MSE handshakes started per second (each costs a Diffie-Hellman computation, about 0.1 ms
  /// of CPU); the excess connections are closed at once. A token bucket of this rate and
  /// burst: a SYN flood of MSE peers cannot burn more. <= 0: no limit.
  int max_mse_per_second = 200;
};

/// Must be owned by a std::shared_ptr (its coroutines hold a reference). open() may be called on
/// any thread before the executor runs; everything else on the executor's (network) thread.
class listener : public std::enable_shared_from_this<listener> {
 public:
  /// Receives each incoming connection whose handshake parsed, as a stream whose cipher is set
  /// (MSE) and which holds the bytes read past the handshake; the receiver owns it (it closes it
  /// to refuse the peer). Called on the network thread.
  using peer_handler = std::function<void(peer_stream, const wire::handshake&)>;

  /// `skeys`: the session's MSE info-hash keys (add_mse_skeys), not owned, must outlive the
  /// listener; null: MSE peers name no known torrent (mse_errc::unknown_info_hash).
  listener(boost::asio::any_io_executor ex, listener_settings settings, peer_handler on_peer,
           const mse_skey_map* skeys = nullptr);
  ~listener();
  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;

  /// Opens, binds and listens (synchronous). Picks the port as listener_settings describes,
  /// logging a warning when it is not the preferred one. With interface "" the IPv4 socket must
  /// bind; an IPv6 socket that cannot (no IPv6, port taken on ::) is skipped with a log line.
  /// Returns the bound port, or the error of the last attempt (e.g. address_not_available for an
  /// interface the host does not have, invalid_argument for a malformed interface literal).
  result<std::uint16_t> open();
  /// Starts the accept loops (after a successful open()). Call once.
  void start();
  /// Closes the listen sockets; pending handshakes are dropped. Idempotent.
  void close();
  /// The bound port (0 before open() or when it failed).
  std::uint16_t port() const { return port_; }
  /// The bound endpoints (for diagnostics and tests).
  std::vector<boost::asio::ip::tcp::endpoint> endpoints() const;
  /// Connections whose handshake is being read now.
  int pending() const { return static_cast<int>(pending_.size()); }
  /// Pending connections closed so far to make room for newer ones (diagnostics and tests).
  std::uint64_t evicted() const { return evicted_; }
  /// Changes the incoming MSE/PE policy for connections accepted from now on.
  void set_encryption(encryption_mode m) { settings_.encryption = m; }
  /// A connection accepted elsewhere (an incoming uTP stream, BEP 29) goes through the same
  /// handshake stage as an accepted TCP socket: the pending table and its per-host and
  /// per-subnet caps, the deadline, MSE/PE by the policy, then the peer handler. Closed at once
  /// after close(). Network thread.
  void adopt(peer_stream stream);
  /// Incoming connections refused by the handshake stage (plaintext while forced, MSE failures,
  /// over the MSE rate), for status and tests.
  std::uint64_t refused() const { return refused_; }
  /// MSE peers closed because the per-second MSE budget was spent.
  std::uint64_t mse_rate_limited() const { return mse_rate_limited_; }

 private:
  using acceptor_ptr = std::shared_ptr<boost::asio::ip::tcp::acceptor>;
  /// One connection whose handshake is being read, in pending_ (oldest first) until its read
  /// ends or it is evicted.
  struct pending_handshake {
    peer_stream stream;
    boost::asio::ip::address host;  ///< host_address of the remote
    std::list<std::shared_ptr<pending_handshake>>::iterator pos;
    bool in_table = false;
  };
  using pending_ptr = std::shared_ptr<pending_handshake>;
  /// Closes pending connections, oldest first, until a new one from `host` fits every cap.
  void admit(peer_stream stream, const boost::asio::ip::address& remote);
  void make_room(const boost::asio::ip::address& host);
  /// Closes the oldest pending connection for which `pred` holds; false when there is none.
  template <class Pred>
  bool evict_oldest(Pred pred);
  /// Takes `p` out of the table and the counts (idempotent).
  void forget(pending_handshake& p);
  std::error_code try_bind(const std::vector<boost::asio::ip::address>& addrs, std::uint16_t port,
                           bool v6_optional);
  static boost::asio::awaitable<void> accept_loop(std::shared_ptr<listener> self, acceptor_ptr a);
  static boost::asio::awaitable<void> read_handshake(std::shared_ptr<listener> self, pending_ptr p);

  boost::asio::any_io_executor ex_;
  listener_settings settings_;
  peer_handler on_peer_;
  std::vector<acceptor_ptr> acceptors_;
  std::uint16_t port_ = 0;
  std::list<pending_ptr> pending_;  ///< oldest first
  host_counts pending_hosts_;       ///< pending_ by host and subnet
  std::uint64_t evicted_ = 0;
  std::uint64_t refused_ = 0;
  std::uint64_t mse_rate_limited_ = 0;
  const mse_skey_map* skeys_ = nullptr;
  token_bucket mse_budget_;
  bool closed_ = false;
};

}  // namespace tessera::detail
