// Session-wide limits that the torrents of one session share: peer connections and regular
// unchoke (upload) slots. Each running torrent gets an even share, so one busy torrent cannot
// take every connection or slot from the others. Network thread only (plain counters).
#pragma once

namespace tessera::detail {

struct connection_budget {
  int max = 200;          ///< session_settings::max_connections
  int open = 0;           ///< connections currently open (connecting included)
  int unchoke_slots = 4;  ///< session_settings::unchoke_slots: regular slots of the whole session
  int running = 0;        ///< torrents running now (started, not paused, stopped or in error)

  /// Fewest connections a running torrent may open, whatever the share.
  static constexpr int min_connection_share = 4;

  /// How many connections one running torrent may have: max / running (at least
  /// min_connection_share), and never more than `per_torrent`
  /// (session_settings::max_connections_per_torrent).
  int connection_share(int per_torrent) const;
  /// How many regular unchoke slots one running torrent gets: unchoke_slots / running rounded
  /// up, at least 1 (plus its optimistic slot, which the choker adds).
  int unchoke_share() const;
};

}  // namespace tessera::detail
