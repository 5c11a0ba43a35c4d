// Session-wide limits that the torrents of one session share: peer connections, regular unchoke
// (upload) slots, and connections per host and per network. Each running torrent gets an even
// share of connections and slots, so one busy torrent cannot take every connection or slot from
// the others; the per-host caps hold over all torrents together, so one host (or one /24, one
// IPv6 /64) cannot take them either. Network thread only (plain counters).
#pragma once

#include <boost/asio/ip/address.hpp>

#include "torrent/host_counts.hpp"

namespace tessera::detail {

struct connection_budget {
  int max = 200;          ///< session_settings::max_connections
  int open = 0;           ///< connections currently open (connecting included)
  int unchoke_slots = 4;  ///< session_settings::unchoke_slots: regular slots of the whole session
  int running = 0;        ///< torrents running now (started, not paused, stopped or in error)
  int max_per_host = 8;     ///< session_settings::max_connections_per_ip (<= 0: no cap)
  int max_per_subnet = 32;  ///< session_settings::max_connections_per_subnet (<= 0: no cap)
  /// Connections past the handshake of every torrent, incoming and outgoing, by host and subnet.
  /// A torrent adds a connection when it accepts its handshake and removes it when it closes.
  host_counts established;

  /// Fewest connections a running torrent may open, whatever the share.
  static constexpr int min_connection_share = 4;

  /// How many connections one running torrent may have: max / running (at least
  /// min_connection_share), and never more than `per_torrent`
  /// (session_settings::max_connections_per_torrent).
  int connection_share(int per_torrent) const;
  /// How many regular unchoke slots one running torrent gets: unchoke_slots / running rounded
  /// up, at least 1 (plus its optimistic slot, which the choker adds).
  int unchoke_share() const;
  /// Whether one more established connection with `a` keeps within max_per_host and
  /// max_per_subnet.
  bool host_has_room(const boost::asio::ip::address& a) const {
    return established.has_room(a, max_per_host, max_per_subnet);
  }
};

}  // namespace tessera::detail
