// What one peer was told through peer exchange (BEP 11), and the next message to it: the peers
// connected now that it has not heard of (`added`), and those it heard of that are gone
// (`dropped`). Pure; the torrent calls next() at most once a minute per connection.
#pragma once

#include <algorithm>
#include <optional>
#include <set>
#include <vector>

#include "core/ut_pex.hpp"

namespace tessera::detail {

class pex_history {
 public:
  /// `connected`: our connected peers now (their listen endpoints and BEP 11 flags);
  /// `recipient`: the listen endpoint of the peer the message is for (never listed to itself).
  /// Returns nullopt when nothing changed since the last message; else the message, and records
  /// it as sent. At most max_pex_peers_per_list peers per list; the rest follow next time.
  std::optional<pex_message> next(const std::vector<pex_peer>& connected,
                                  const std::optional<peer_endpoint>& recipient);

  /// Endpoints the peer was told about and not told dropped since.
  const std::set<peer_endpoint>& told() const { return told_; }

 private:
  std::set<peer_endpoint> told_;
};

}  // namespace tessera::detail
