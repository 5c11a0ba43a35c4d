#include "torrent/metadata_fetch.hpp"

#include <algorithm>

namespace tessera::detail {

void metadata_fetch::add_peer(peer_key peer, std::int64_t metadata_size) {
  if (metadata_size < 1 || metadata_size > max_metadata_size) return;
  if (excluded_.count(peer)) return;
  peers_[peer].size = metadata_size;
}

void metadata_fetch::remove_peer(peer_key peer) {
  peers_.erase(peer);
  std::erase_if(outstanding_, [peer](const auto& kv) { return kv.second.peer == peer; });
  if (source_ == peer) source_.reset();
}

int metadata_fetch::outstanding_of(peer_key peer) const {
  return static_cast<int>(std::count_if(outstanding_.begin(), outstanding_.end(),
                                        [peer](const auto& kv) { return kv.second.peer == peer; }));
}

void metadata_fetch::put_aside(peer_key peer, clock::time_point now) {
  auto it = peers_.find(peer);
  if (it != peers_.end()) it->second.usable_after = now + settings_.backoff;
  std::erase_if(outstanding_, [peer](const auto& kv) { return kv.second.peer == peer; });
  if (source_ == peer) source_.reset();
}

void metadata_fetch::choose_source(clock::time_point now) {
  if (source_) {
    auto it = peers_.find(*source_);
    if (it != peers_.end() && it->second.usable_after <= now) return;
    source_.reset();
  }
  // Prefer a peer agreeing with the size of the pieces already held, so they are kept.
  std::optional<peer_key> fallback;
  for (const auto& [key, st] : peers_) {
    if (excluded_.count(key) || st.usable_after > now) continue;
    if (!assembler_.has_size() || st.size == assembler_.size()) {
      source_ = key;
      break;
    }
    if (!fallback) fallback = key;
  }
  if (!source_) source_ = fallback;
  if (!source_) return;
  const std::int64_t size = peers_[*source_].size;
  if (!assembler_.has_size() || assembler_.size() != size) {
    outstanding_.clear();
    contributors_.clear();
    (void)assembler_.set_size(size);  // validated in add_peer
  }
}

std::vector<metadata_fetch::request> metadata_fetch::next_requests(clock::time_point now) {
  // Time-outs first: the late peer is put aside and another takes over.
  std::vector<peer_key> late;
  for (const auto& [piece, o] : outstanding_) {
    if (now - o.sent >= settings_.request_timeout) late.push_back(o.peer);
  }
  for (peer_key p : late) put_aside(p, now);

  std::vector<request> out;
  choose_source(now);
  if (!source_) return out;
  int room = settings_.max_outstanding_per_peer - outstanding_of(*source_);
  for (std::int32_t piece : assembler_.missing_pieces()) {
    if (room <= 0) break;
    if (outstanding_.count(piece)) continue;
    outstanding_[piece] = {*source_, now};
    out.push_back({*source_, piece});
    --room;
  }
  return out;
}

result<std::optional<std::string>> metadata_fetch::on_data(peer_key peer, const metadata_message& m,
                                                           clock::time_point now) {
  auto it = outstanding_.find(m.piece);
  if (it == outstanding_.end() || it->second.peer != peer) return std::optional<std::string>{};
  outstanding_.erase(it);
  auto added = assembler_.add_data(m);
  if (!added) {
    if (added.error() == make_error_code(extension_errc::hash_mismatch)) {
      contributors_.insert(peer);
      for (peer_key p : contributors_) {
        excluded_.insert(p);
        peers_.erase(p);
      }
      contributors_.clear();
      outstanding_.clear();
      source_.reset();
    } else {
      put_aside(peer, now);  // wrong length or size: this peer's view of the metadata is off
    }
    return unexpected{added.error()};
  }
  contributors_.insert(peer);
  if (!*added) return std::optional<std::string>{};
  return std::optional<std::string>{assembler_.take_info()};
}

void metadata_fetch::on_reject(peer_key peer, std::int32_t piece, clock::time_point now) {
  auto it = outstanding_.find(piece);
  if (it == outstanding_.end() || it->second.peer != peer) return;
  put_aside(peer, now);
}

}  // namespace tessera::detail
