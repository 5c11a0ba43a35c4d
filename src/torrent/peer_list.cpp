#include "torrent/peer_list.hpp"

#include <algorithm>

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

peer_list::peer_list(options opts)
    : max_size_(std::max(1, opts.max_size)), loopback_allowed_(opts.loopback_allowed) {}

std::optional<peer_list::evict_key> peer_list::eviction_rank(const entry& e) {
  if (e.connecting) return std::nullopt;  // a connection exists
  // ~seq: among equals the newest goes first, so a flood of new addresses replaces itself
  // rather than the addresses that were queued before it.
  if (e.failures >= max_failures) return evict_key{0, 0, ~e.seq};
  if (e.failures > 0) return evict_key{1, -e.failures, ~e.seq};
  if (!e.was_connected) return evict_key{2, 0, ~e.seq};
  // Its last connection got past the handshake: a good peer, kept. (Should its next connects
  // fail, it becomes evictable like any other.)
  return std::nullopt;
}

void peer_list::unindex(peer_map::iterator it) {
  const entry& e = it->second;
  if (queued(e)) (e.seed ? seed_queue_ : queue_).erase(queue_key{e.retry_at, e.seq});
  if (auto rank = eviction_rank(e)) evictable_.erase(*rank);
  if (e.failures >= max_failures) --given_up_;
}

void peer_list::index(peer_map::iterator it) {
  const entry& e = it->second;
  if (queued(e)) (e.seed ? seed_queue_ : queue_).emplace(queue_key{e.retry_at, e.seq}, it->first);
  if (auto rank = eviction_rank(e)) evictable_.emplace(*rank, it->first);
  if (e.failures >= max_failures) ++given_up_;
}

void peer_list::erase(peer_map::iterator it) {
  unindex(it);
  peers_.erase(it);
}

bool peer_list::add(const endpoint& ep, peer_source source, swarm_set swarm) {
  if (ep.port() == 0 || ep.address().is_unspecified()) return false;
  if (source != peer_source::user && !is_dialable_peer(ep, loopback_allowed_)) return false;
  if (self_ && *self_ == ep) return false;
  if (is_banned(ep.address())) return false;
  if (auto known = peers_.find(ep); known != peers_.end()) {
    known->second.swarms = known->second.swarms | swarm;  // not an index field
    return false;
  }
  if (static_cast<int>(peers_.size()) >= max_size_) {
    if (evictable_.empty()) return false;  // every entry is connected or proved good
    auto victim = peers_.find(evictable_.begin()->second);
    erase(victim);
  }
  auto [it, inserted] = peers_.emplace(ep, entry{});
  it->second.seq = next_seq_++;
  it->second.source = source;
  it->second.swarms = swarm;
  index(it);
  return inserted;
}

std::optional<peer_source> peer_list::source_of(const endpoint& ep) const {
  auto it = peers_.find(ep);
  if (it == peers_.end()) return std::nullopt;
  return it->second.source;
}

swarm_set peer_list::found_in(const endpoint& ep) const {
  auto it = peers_.find(ep);
  return it == peers_.end() ? swarm_set::none : it->second.swarms;
}

std::optional<peer_list::endpoint> peer_list::next_candidate(clock::time_point now, bool skip_seeds) {
  // The earlier of the two queue heads that is due (seeds only when not skipped).
  const std::map<queue_key, endpoint>* from = nullptr;
  if (!queue_.empty() && queue_.begin()->first.first <= now) from = &queue_;
  if (!skip_seeds && !seed_queue_.empty() && seed_queue_.begin()->first.first <= now &&
      (from == nullptr || seed_queue_.begin()->first < queue_.begin()->first)) {
    from = &seed_queue_;
  }
  if (from == nullptr) return std::nullopt;
  const endpoint ep = from->begin()->second;
  auto it = peers_.find(ep);
  unindex(it);
  it->second.connecting = true;
  index(it);
  return ep;
}

void peer_list::defer(const endpoint& ep, clock::time_point now) {
  auto it = peers_.find(ep);
  if (it == peers_.end()) return;
  unindex(it);
  it->second.connecting = false;
  it->second.retry_at = now + reconnect_delay;
  index(it);
}

void peer_list::note_encryption(const endpoint& ep, bool used_mse, bool succeeded) {
  auto it = peers_.find(ep);
  if (it == peers_.end()) return;
  it->second.plaintext_first = succeeded ? !used_mse : used_mse;  // no index field changes
}

bool peer_list::dial_plaintext(const endpoint& ep) const {
  auto it = peers_.find(ep);
  return it != peers_.end() && it->second.plaintext_first;
}

bool peer_list::dial_utp(const endpoint& ep) const {
  auto it = peers_.find(ep);
  return it != peers_.end() && it->second.utp_first;
}

void peer_list::note_utp_advertised(const endpoint& ep) {
  auto it = peers_.find(ep);
  if (it != peers_.end() && !it->second.utp_failed) it->second.utp_first = true;
}

bool peer_list::note_transport(const endpoint& ep, bool utp, bool succeeded) {
  auto it = peers_.find(ep);
  if (it == peers_.end()) return false;
  auto& e = it->second;  // no index field changes
  if (succeeded) {
    e.utp_first = utp;
    (utp ? e.utp_failed : e.tcp_failed) = false;
    return false;
  }
  if (utp) {
    e.utp_failed = true;
    e.utp_first = false;
    return !e.tcp_failed;
  }
  e.tcp_failed = true;
  if (e.utp_failed) return false;
  e.utp_first = true;
  return true;
}

void peer_list::retry_now(const endpoint& ep, clock::time_point now) {
  auto it = peers_.find(ep);
  if (it == peers_.end()) return;
  unindex(it);
  it->second.connecting = false;
  it->second.retry_at = now;
  index(it);
}

void peer_list::on_closed(const endpoint& ep, bool handshake_done, bool retry,
                          clock::time_point now) {
  auto it = peers_.find(ep);
  if (it == peers_.end()) return;
  if (!retry) {
    erase(it);
    return;
  }
  unindex(it);
  entry& e = it->second;
  e.connecting = false;
  if (handshake_done) {
    e.was_connected = true;
    e.failures = 0;
    e.retry_at = now + reconnect_delay;
  } else {
    ++e.failures;
    e.retry_at = now + backoff(e.failures);
  }
  index(it);
}

void peer_list::mark_seed(const endpoint& ep) {
  auto it = peers_.find(ep);
  if (it == peers_.end() || it->second.seed) return;
  unindex(it);
  it->second.seed = true;
  index(it);
}

void peer_list::ban(const boost::asio::ip::address& addr) {
  const auto prefix = ban_prefix(addr);
  banned_.insert(prefix);
  // Bans are rare: one pass over the list (an IPv6 /64 and IPv4-mapped forms are not one range).
  for (auto it = peers_.begin(); it != peers_.end();) {
    auto next = std::next(it);
    if (ban_prefix(it->first.address()) == prefix) erase(it);
    it = next;
  }
}

bool peer_list::is_connecting(const endpoint& ep) const {
  auto it = peers_.find(ep);
  return it != peers_.end() && it->second.connecting;
}

void peer_list::allow_reconnect_now() {
  for (auto it = peers_.begin(); it != peers_.end(); ++it) {
    if (it->second.failures >= max_failures || it->second.retry_at == clock::time_point{}) continue;
    unindex(it);
    it->second.retry_at = {};
    index(it);
  }
}

}  // namespace tessera::detail
