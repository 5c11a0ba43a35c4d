#include "torrent/peer_list.hpp"

namespace tessera::detail {

boost::asio::ip::address ban_prefix(const boost::asio::ip::address& addr) {
  if (addr.is_v4()) return addr;
  const auto v6 = addr.to_v6();
  if (v6.is_v4_mapped()) return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6);
  auto bytes = v6.to_bytes();
  for (std::size_t i = 8; i < bytes.size(); ++i) bytes[i] = 0;
  return boost::asio::ip::address_v6(bytes);
}

peer_list::clock::duration peer_list::backoff(int failures) {
  if (failures < 1) return clock::duration::zero();
  int shift = failures - 1 > 6 ? 6 : failures - 1;
  return std::chrono::seconds(30) * (1 << shift);
}

bool peer_list::add(const endpoint& ep) {
  if (ep.port() == 0 || ep.address().is_unspecified()) return false;
  if (self_ && *self_ == ep) return false;
  if (is_banned(ep.address())) return false;
  return peers_.emplace(ep, entry{}).second;
}

std::optional<peer_list::endpoint> peer_list::next_candidate(clock::time_point now, bool skip_seeds) {
  for (auto& [ep, e] : peers_) {
    if (e.connecting || e.failures >= max_failures || e.retry_at > now) continue;
    if (skip_seeds && e.seed) continue;
    e.connecting = true;
    return ep;
  }
  return std::nullopt;
}

void peer_list::on_closed(const endpoint& ep, bool handshake_done, bool retry,
                          clock::time_point now) {
  auto it = peers_.find(ep);
  if (it == peers_.end()) return;
  if (!retry) {
    peers_.erase(it);
    return;
  }
  entry& e = it->second;
  e.connecting = false;
  if (handshake_done) {
    e.failures = 0;
    e.retry_at = now + reconnect_delay;
  } else {
    ++e.failures;
    e.retry_at = now + backoff(e.failures);
  }
}

void peer_list::mark_seed(const endpoint& ep) {
  if (auto it = peers_.find(ep); it != peers_.end()) it->second.seed = true;
}

void peer_list::ban(const boost::asio::ip::address& addr) {
  const auto prefix = ban_prefix(addr);
  banned_.insert(prefix);
  for (auto it = peers_.begin(); it != peers_.end();) {
    if (ban_prefix(it->first.address()) == prefix) {
      it = peers_.erase(it);
    } else {
      ++it;
    }
  }
}

int peer_list::num_known() const {
  int n = 0;
  for (const auto& [ep, e] : peers_) {
    if (e.failures < max_failures) ++n;
  }
  return n;
}

bool peer_list::is_connecting(const endpoint& ep) const {
  auto it = peers_.find(ep);
  return it != peers_.end() && it->second.connecting;
}

void peer_list::allow_reconnect_now() {
  for (auto& [ep, e] : peers_) {
    if (e.failures < max_failures) e.retry_at = {};
  }
}

}  // namespace tessera::detail
