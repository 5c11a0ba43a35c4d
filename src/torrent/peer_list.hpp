// The addresses a torrent knows (from trackers or the user), which of them to connect to next,
// retry backoff for those that failed, and the banned set. Pure bookkeeping: the clock is passed in.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>

#include <boost/asio/ip/tcp.hpp>

namespace tessera::detail {

/// What a ban covers: an IPv4 address itself (also when written IPv4-mapped, ::ffff:a.b.c.d), an
/// IPv6 address's /64 (one subscriber's network: a host picks any address inside it at will).
boost::asio::ip::address ban_prefix(const boost::asio::ip::address& addr);

class peer_list {
 public:
  using clock = std::chrono::steady_clock;
  using endpoint = boost::asio::ip::tcp::endpoint;

  /// After this many failed connects in a row an address is given up.
  static constexpr int max_failures = 5;
  /// Wait after the n-th failure (n >= 1): 30 s * 2^(n-1).
  static clock::duration backoff(int failures);
  /// Wait before reconnecting to a peer that was connected and hung up.
  static constexpr std::chrono::seconds reconnect_delay{60};

  /// Our own listen endpoint: never added.
  void set_self(endpoint ep) { self_ = ep; }

  /// Adds an address; false when it is known already, banned, ours, or unusable (port 0,
  /// unspecified address).
  bool add(const endpoint& ep);
  /// The next address to connect to at `now` (not connected, not banned, backoff elapsed, not
  /// given up, and with `skip_seeds` not marked a seed); marks it as connecting. nullopt when none.
  std::optional<endpoint> next_candidate(clock::time_point now, bool skip_seeds = false);
  /// `ep` is a seed (we closed it because both sides were seeds): next_candidate with
  /// skip_seeds passes it over.
  void mark_seed(const endpoint& ep);
  /// The connection to `ep` ended. `handshake_done` says whether it got past the handshake (then
  /// the failure count resets and a reconnect is allowed after reconnect_delay); otherwise it
  /// counts as a failed attempt. `retry` false forgets the address (a connection to ourselves, a
  /// duplicate peer id).
  void on_closed(const endpoint& ep, bool handshake_done, bool retry, clock::time_point now);
  /// Lets every address not given up be dialled at once (ends backoffs and reconnect delays):
  /// after a pause or a recheck, when the closed connections were our own doing.
  void allow_reconnect_now();
  /// Never connects to ban_prefix(addr) again (any address inside it, any port) and forgets its
  /// entries. The torrent bans peers proven to send bad data (smart_ban.hpp).
  void ban(const boost::asio::ip::address& addr);
  /// True when `addr` is inside a banned prefix.
  bool is_banned(const boost::asio::ip::address& addr) const { return banned_.count(ban_prefix(addr)) != 0; }
  int num_banned() const { return static_cast<int>(banned_.size()); }

  /// Addresses not given up (connected ones included).
  int num_known() const;
  bool is_connecting(const endpoint& ep) const;

 private:
  struct entry {
    bool connecting = false;  // a connection exists (connecting or connected)
    bool seed = false;        // see mark_seed
    int failures = 0;
    clock::time_point retry_at{};
  };
  std::map<endpoint, entry> peers_;
  std::set<boost::asio::ip::address> banned_;  // ban_prefix() values
  std::optional<endpoint> self_;
};

}  // namespace tessera::detail
