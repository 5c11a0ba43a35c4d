// BEP 14 local service discovery: multicast BT-SEARCH announces on 239.192.152.143:6771 and
// [ff15::efc0:988f]:6771, and the peers they reveal. The message codec is lsd_message.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "tessera/result.hpp"
#include "tessera/types.hpp"

namespace tessera::detail {

/// When each info-hash is announced (pure policy). BEP 14: re-announce every `reannounce`
/// (5 min) while in the swarm, and never more than once per `min_interval` (1 min) per
/// info-hash, so a burst of add() calls cannot flood the group.
class lsd_schedule {
 public:
  using clock = std::chrono::steady_clock;

  lsd_schedule(std::chrono::seconds min_interval, std::chrono::seconds reannounce)
      : min_interval_(min_interval), reannounce_(reannounce) {}

  /// Asks for an announce of `ih` as soon as allowed: now for a new hash, else at the earliest
  /// `min_interval` after its last announce.
  void add(const sha1_hash& ih, clock::time_point now);
  /// Stops announcing `ih` (and stops being interested in it).
  void remove(const sha1_hash& ih) { entries_.erase(ih); }
  bool contains(const sha1_hash& ih) const { return entries_.contains(ih); }
  bool empty() const { return entries_.empty(); }
  /// The hashes due at `now`, marked announced at `now` (next due at now + reannounce).
  std::vector<sha1_hash> take_due(clock::time_point now);
  /// The earliest due time; nullopt when nothing is scheduled.
  std::optional<clock::time_point> next_due() const;

 private:
  struct entry {
    std::optional<clock::time_point> last;  ///< last announce, nullopt if never
    clock::time_point due;
  };
  std::chrono::seconds min_interval_;
  std::chrono::seconds reannounce_;
  std::map<sha1_hash, entry> entries_;
};

struct lsd_options {
  /// Our BitTorrent TCP listen port, sent in the Port header.
  std::uint16_t listen_port = 0;
  /// IPv4 interface address to join the group on and send from (IP_MULTICAST_IF).
  /// Unspecified (0.0.0.0): the kernel's choice (the default route's interface).
  boost::asio::ip::address_v4 interface_v4{};
  /// Use the IPv6 group too. Failing to set it up is logged, not an error.
  bool ipv6 = true;
  /// IPv6 interface index to join and send on (IPV6_MULTICAST_IF); 0: the kernel's choice.
  unsigned interface_v6 = 0;
  /// IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS. 1 keeps announces on the local link.
  int ttl = 1;
  /// IP_MULTICAST_LOOP: deliver our announces to sockets on this host too (two clients on one
  /// machine hear each other; our own come back and are dropped by the cookie).
  bool loopback = true;
  /// The group port (BEP 14: 6771). Only tests change it.
  std::uint16_t group_port = 6771;
  std::chrono::seconds min_interval{60};   ///< BEP 14: at most one announce per minute per hash
  std::chrono::seconds reannounce{300};    ///< BEP 14: every 5 minutes while in the swarm
  /// Where diagnostics go (socket errors, IPv6 unavailable); may be empty.
  std::function<void(std::string_view)> log;
};

/// Counters, for status and tests.
struct lsd_stats {
  std::uint64_t messages_sent = 0;      ///< datagrams sent (one per family per batch)
  std::uint64_t messages_received = 0;  ///< datagrams read, of any content
  std::uint64_t own_ignored = 0;        ///< our own announces, recognised by the cookie
  std::uint64_t malformed = 0;          ///< datagrams parse_lsd_announce rejected
  std::uint64_t peers_reported = 0;     ///< on_peer calls
};

/// The LSD service. Runs on one executor (single-threaded): call every member from it. Created
/// only when LSD is on; a private torrent (BEP 27) is simply never passed to announce().
/// Coroutines hold the object alive until stop(): call stop() before dropping it.
class lsd : public std::enable_shared_from_this<lsd> {
 public:
  /// A peer announced `info_hash`, which we announce too: `peer` is the sender's address with
  /// the announced TCP port.
  using peer_handler =
      std::function<void(const sha1_hash& info_hash, const boost::asio::ip::tcp::endpoint& peer)>;

  /// Opens the sockets, joins the group(s) and starts the receive and announce coroutines.
  /// Fails (with the socket error) only when no family could be set up; an IPv6 failure alone
  /// is logged through options.log.
  static result<std::shared_ptr<lsd>> start(boost::asio::any_io_executor ex, lsd_options options,
                                            peer_handler on_peer);
  ~lsd();

  /// Joins the swarm of `ih`: it is announced as soon as the rate limit allows, every
  /// options.reannounce after, and announces from others for it are reported. Calling it again
  /// for a known hash asks for an early announce (still rate limited).
  void announce(const sha1_hash& ih);
  /// Leaves the swarm of `ih`: no more announces, no more reports.
  void remove(const sha1_hash& ih);
  /// Changes the Port we announce (from the next announce on).
  void set_listen_port(std::uint16_t port);
  /// Closes the sockets and ends the coroutines; idempotent.
  void stop();

  /// The random token in our announces' cookie header.
  const std::string& cookie() const;
  const lsd_stats& stats() const;
  /// Whether the IPv4 / IPv6 group is in use.
  bool has_ipv4() const;
  bool has_ipv6() const;

  struct impl;
  explicit lsd(std::unique_ptr<impl> p);

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace tessera::detail
