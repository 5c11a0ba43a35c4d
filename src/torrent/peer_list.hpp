// The addresses a torrent knows (from trackers, the DHT, LSD, PEX or the user), which of them to
// connect to next, retry backoff for those that failed, and the banned set. Pure bookkeeping:
// the clock is passed in.
//
// Bounded: at most max_size addresses are kept (libtorrent's max_peerlist_size, 3,000). When
// full, a new address takes the place of, in this order: an address given up (max_failures),
// the one that failed most, the newest address never tried. An address connected now, or whose
// last connection got past the handshake, is never evicted; with no evictable entry the new
// address is dropped.
// The next address to dial comes from a queue ordered by retry time (then by arrival), so
// next_candidate is O(log n) however many addresses wait in backoff.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include <boost/asio/ip/tcp.hpp>

#include "discovery/peer_address.hpp"
#include "discovery/swarm_hashes.hpp"

namespace tessera::detail {

/// What a ban covers: an IPv4 address itself (also when written IPv4-mapped, ::ffff:a.b.c.d), an
/// IPv6 address's /64 (one subscriber's network: a host picks any address inside it at will).
boost::asio::ip::address ban_prefix(const boost::asio::ip::address& addr);

class peer_list {
 public:
  using clock = std::chrono::steady_clock;
  using endpoint = boost::asio::ip::tcp::endpoint;

  /// Addresses kept per torrent: libtorrent's max_peerlist_size default. A torrent needs a few
  /// dozen connections; 3,000 addresses are plenty of choice and cost about 300 KiB.
  static constexpr int default_max_size = 3000;
  /// After this many failed connects in a row an address is given up.
  static constexpr int max_failures = 5;
  /// Wait after the n-th failure (n >= 1): 30 s * 2^(n-1).
  static clock::duration backoff(int failures);
  /// Wait before reconnecting to a peer that was connected and hung up.
  static constexpr std::chrono::seconds reconnect_delay{60};

  struct options {
    /// Most addresses kept (at least 1).
    int max_size = default_max_size;
    /// Loopback addresses from trackers, DHT, LSD and PEX are accepted (is_dialable_peer): our
    /// listen interface is a loopback address.
    bool loopback_allowed = false;
  };

  peer_list() : peer_list(options{}) {}
  explicit peer_list(options opts);

  /// Our own listen endpoint: never added.
  void set_self(endpoint ep) { self_ = ep; }

  /// Adds an address; false when it is known already, banned, ours, unusable (port 0,
  /// unspecified address), refused by is_dialable_peer (any source but peer_source::user), or
  /// the list is full and no entry may be evicted for it. `swarm` is the swarm (BEP 52: a
  /// hybrid's v1 or v2 info-hash) whose tracker reply, DHT lookup or LSD announce named it,
  /// none for the user and PEX; an address known already adds `swarm` to those it was found in.
  bool add(const endpoint& ep, peer_source source, swarm_set swarm = swarm_set::none);
  /// The next address to connect to at `now` (not connected, not banned, backoff elapsed, not
  /// given up, and with `skip_seeds` not marked a seed): the one whose retry time came first,
  /// then the one added first. Marks it as connecting. nullopt when none. O(log n).
  std::optional<endpoint> next_candidate(clock::time_point now, bool skip_seeds = false);
  /// `ep` is a seed (we closed it because both sides were seeds): next_candidate with
  /// skip_seeds passes it over.
  void mark_seed(const endpoint& ep);
  /// The connection to `ep` ended. `handshake_done` says whether it got past the handshake (then
  /// the failure count resets and a reconnect is allowed after reconnect_delay); otherwise it
  /// counts as a failed attempt. `retry` false forgets the address (a connection to ourselves, a
  /// duplicate peer id).
  void on_closed(const endpoint& ep, bool handshake_done, bool retry, clock::time_point now);
  /// A candidate next_candidate handed out was not dialled after all (its host is at a
  /// connection cap): back in the queue, due again at `now` + reconnect_delay, its failure count
  /// and history untouched.
  void defer(const endpoint& ep, clock::time_point now);
  /// MSE/PE memory (encryption `enabled`): the connection to `ep` got past the BitTorrent
  /// handshake (`succeeded`) or was dropped by the peer after the transport connected, having
  /// started with MSE (`used_mse`) or in plaintext. What worked is kept; what was dropped flips
  /// the next attempt to the other form (libtorrent's fallback).
  void note_encryption(const endpoint& ep, bool used_mse, bool succeeded);
  /// The next connection to `ep` starts in plaintext (its last MSE attempt was dropped, or a
  /// plaintext one worked). False for unknown addresses.
  bool dial_plaintext(const endpoint& ep) const;
  /// The MSE attempt to `ep` was dropped: dialled again at once (in plaintext, see
  /// note_encryption), its failure count untouched. The caller makes sure this happens once per
  /// failed attempt pair (the plaintext retry's failure goes through on_closed).
  void retry_now(const endpoint& ep, clock::time_point now);

  /// Transport memory (BEP 29, libtorrent's connect policy): the next connection to `ep` goes
  /// over uTP when the peer advertised uTP (PEX `added.f` 0x04), a uTP connection to it worked,
  /// or a TCP attempt failed before the BitTorrent handshake; it goes over TCP again once a uTP
  /// attempt failed. False for unknown addresses.
  bool dial_utp(const endpoint& ep) const;
  /// The peer advertised uTP (PEX flag): tried first, unless uTP already failed with it.
  void note_utp_advertised(const endpoint& ep);
  /// An outgoing attempt over `utp` (or TCP) to `ep` reached the BitTorrent handshake
  /// (`succeeded`) or failed before it. Returns true when the other transport is still worth
  /// trying now (a failed TCP attempt with uTP not tried yet, or a failed uTP attempt with TCP
  /// not tried yet): the caller then redials at once with retry_now.
  bool note_transport(const endpoint& ep, bool utp, bool succeeded);
  /// Lets every address not given up be dialled at once (ends backoffs and reconnect delays):
  /// after a pause or a recheck, when the closed connections were our own doing.
  void allow_reconnect_now();
  /// Never connects to ban_prefix(addr) again (any address inside it, any port) and forgets its
  /// entries. The torrent bans peers proven to send bad data (smart_ban.hpp).
  void ban(const boost::asio::ip::address& addr);
  /// True when `addr` is inside a banned prefix.
  bool is_banned(const boost::asio::ip::address& addr) const { return banned_.count(ban_prefix(addr)) != 0; }
  int num_banned() const { return static_cast<int>(banned_.size()); }

  /// Addresses not given up (connected ones included). O(1).
  int num_known() const { return static_cast<int>(peers_.size()) - given_up_; }
  /// Addresses held, given-up ones included: never more than max_size.
  int size() const { return static_cast<int>(peers_.size()); }
  int max_size() const { return max_size_; }
  bool is_connecting(const endpoint& ep) const;
  /// Who named `ep` first (a later source naming it again does not change it); nullopt when it
  /// is not held.
  std::optional<peer_source> source_of(const endpoint& ep) const;
  /// The swarms `ep` was found in (see add); none when it is not held or no source named one.
  swarm_set found_in(const endpoint& ep) const;
  /// `ep` is held (given up or not).
  bool is_known(const endpoint& ep) const { return peers_.count(ep) != 0; }

 private:
  struct entry {
    bool connecting = false;     // a connection exists (connecting or connected)
    bool seed = false;           // see mark_seed
    bool was_connected = false;  // a connection to it got past the handshake
    bool plaintext_first = false;  // see note_encryption
    bool utp_first = false;        // see dial_utp
    bool utp_failed = false;       // a uTP attempt failed before the handshake
    bool tcp_failed = false;       // a TCP attempt failed before the handshake
    int failures = 0;
    clock::time_point retry_at{};
    std::uint64_t seq = 0;       // arrival order
    peer_source source = peer_source::user;  // who named it first
    swarm_set swarms = swarm_set::none;      // the swarms it was found in (see add)
  };
  using peer_map = std::map<endpoint, entry>;
  /// Dial order: retry time, then arrival.
  using queue_key = std::pair<clock::time_point, std::uint64_t>;
  /// Eviction order: class (0 given up, 1 failed, 2 never tried), then more failures first, then
  /// newest first.
  using evict_key = std::tuple<int, int, std::uint64_t>;

  static bool queued(const entry& e) { return !e.connecting && e.failures < max_failures; }
  static std::optional<evict_key> eviction_rank(const entry& e);
  /// Takes `it` out of the dial queues and the eviction index; index() puts it back from its
  /// current fields. Every change of an entry's fields happens between the two.
  void unindex(peer_map::iterator it);
  void index(peer_map::iterator it);
  void erase(peer_map::iterator it);

  peer_map peers_;
  std::map<queue_key, endpoint> queue_;       // queued, not seeds
  std::map<queue_key, endpoint> seed_queue_;  // queued seeds
  std::map<evict_key, endpoint> evictable_;
  int given_up_ = 0;
  std::uint64_t next_seq_ = 0;
  int max_size_;
  bool loopback_allowed_;
  std::set<boost::asio::ip::address> banned_;  // ban_prefix() values
  std::optional<endpoint> self_;
};

}  // namespace tessera::detail
