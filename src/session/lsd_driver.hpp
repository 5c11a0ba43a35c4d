// The session's use of local service discovery (BEP 14): chooses the multicast interface from
// the session settings, announces every torrent that is not private (BEP 27) through
// detail::lsd, and hands the peers heard for our torrents to a sink (the session, which gives
// them to torrent::add_peers like tracker peers).
//
// Interface choice (see session_settings::enable_lsd): an IPv4 literal listen_interface is the
// multicast interface and only the IPv4 group is used, so nothing is sent on any other
// interface (with 127.0.0.x, nothing leaves the host). "" means the kernel's choice (the default
// route's interface) and both groups. An IPv6 literal turns LSD off: peers heard on the IPv4
// group could not reach an IPv6-only listener.
//
// Threading: start() may run before the network thread starts; every other member runs on the
// network thread (the executor given to start()), and the sink is called there. Lifetime:
// shared_ptr; call stop() before dropping it (the service's coroutines hold the service).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "discovery/lsd.hpp"
#include "tessera/result.hpp"
#include "tessera/session.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::detail {

/// What the driver needs of the session settings.
struct lsd_driver_settings {
  std::uint16_t listen_port = 0;                  ///< our TCP port, sent in announces
  boost::asio::ip::address_v4 interface_v4{};     ///< unspecified: the kernel's choice
  bool ipv6 = true;                               ///< also the IPv6 group
  std::uint16_t group_port = 6771;                ///< session_settings::lsd_port
};

/// Reads the LSD part of the session settings; `port` is the TCP port really bound (0: not
/// listening; settings.listen_port is announced then). Nullopt when LSD stays off: enable_lsd
/// false, or listen_interface an IPv6 literal or not an IP literal at all; `why` (optional)
/// receives the reason. Pure.
std::optional<lsd_driver_settings> lsd_driver_settings_from(const session_settings& s, std::uint16_t port,
                                                            std::string* why = nullptr);

class lsd_driver : public std::enable_shared_from_this<lsd_driver> {
 public:
  /// A peer announced `info_hash`, a torrent we announce (one of its swarm_hashes): `peer` is its
  /// address and TCP port.
  using peer_sink = std::function<void(const sha1_hash& info_hash, const boost::asio::ip::tcp::endpoint& peer)>;

  /// Opens the LSD sockets and starts the service. Errors: the socket error when no group could
  /// be joined (the IPv6 group failing alone is only logged).
  static result<std::shared_ptr<lsd_driver>> start(boost::asio::any_io_executor ex, lsd_driver_settings settings,
                                                   peer_sink sink);
  /// lsd_driver_settings_from + start, logging why LSD is off or failed; null then.
  static std::shared_ptr<lsd_driver> start_for(boost::asio::any_io_executor ex, const session_settings& s,
                                               std::uint16_t port, peer_sink sink);
  ~lsd_driver();
  lsd_driver(const lsd_driver&) = delete;
  lsd_driver& operator=(const lsd_driver&) = delete;

  /// Announces `ti` now (rate limited) and every 5 minutes after, and reports peers for it: under
  /// each of its swarm_hashes (a hybrid under its v1 hash and its truncated v2 hash, BEP 52).
  /// Returns false for a private torrent (BEP 27), which is also withdrawn if it was announced
  /// (a magnet link's metadata can reveal `private` late), and after stop().
  bool add_torrent(const torrent_info& ti);
  /// No more announces or reports for the torrent `info_hash` (any of its swarm_hashes).
  void remove_torrent(const info_hash_t& info_hash);
  /// Closes the sockets; no sink call after it. Idempotent.
  void stop();

  const lsd_stats& stats() const;
  const lsd_driver_settings& settings() const { return settings_; }

 private:
  lsd_driver(lsd_driver_settings settings, std::shared_ptr<lsd> service);
  lsd_driver_settings settings_;
  std::shared_ptr<lsd> service_;
  bool stopped_ = false;
};

}  // namespace tessera::detail
