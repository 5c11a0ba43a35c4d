#include "torrent/piece_buffers.hpp"

#include <algorithm>
#include <cstring>

namespace tessera::detail {

void piece_buffers::request_sent(piece_index p) {
  if (hashing_.count(p)) return;  // late endgame request: nothing to assemble
  ++active_[p].outstanding;
}

void piece_buffers::request_ended(piece_index p) {
  auto it = active_.find(p);
  if (it == active_.end()) return;
  if (it->second.outstanding > 0) --it->second.outstanding;
  erase_if_idle(p);
}

int piece_buffers::outstanding(piece_index p) const {
  auto it = active_.find(p);
  return it == active_.end() ? 0 : it->second.outstanding;
}

bool piece_buffers::store(piece_index p, std::int32_t piece_size, std::int32_t offset,
                          std::span<const std::uint8_t> data, peer_key from) {
  if (hashing_.count(p) || piece_size <= 0 || offset < 0 ||
      static_cast<std::int64_t>(offset) + static_cast<std::int64_t>(data.size()) > piece_size) {
    return false;
  }
  auto& a = active_[p];
  if (a.buffer.empty()) {
    a.buffer = allocate(piece_size);
    bytes_in_memory_ += piece_size;
    a.block_from.assign(static_cast<std::size_t>((piece_size + block_size - 1) / block_size), 0);
  }
  if (!data.empty()) std::memcpy(a.buffer.data() + offset, data.data(), data.size());
  a.block_from[static_cast<std::size_t>(offset / block_size)] = from;
  return true;
}

std::vector<std::uint8_t> piece_buffers::take_for_hash(piece_index p) {
  auto it = active_.find(p);
  if (it == active_.end()) return {};
  std::vector<std::uint8_t> buf = std::move(it->second.buffer);
  auto& h = hashing_[p];
  h.bytes = static_cast<std::int64_t>(buf.size());
  h.block_from = std::move(it->second.block_from);
  bytes_in_memory_ -= h.bytes;
  bytes_at_disk_ += h.bytes;
  active_.erase(it);
  return buf;
}

std::vector<peer_key> piece_buffers::finish_hash(piece_index p) {
  auto it = hashing_.find(p);
  if (it == hashing_.end()) return {};
  std::vector<peer_key> out = std::move(it->second.block_from);
  bytes_at_disk_ -= it->second.bytes;
  hashing_.erase(it);
  return out;
}

void piece_buffers::discard(piece_index p) {
  auto it = active_.find(p);
  if (it == active_.end()) return;
  bytes_in_memory_ -= static_cast<std::int64_t>(it->second.buffer.size());
  release(std::move(it->second.buffer));
  active_.erase(it);
}

std::int64_t piece_buffers::unrequested_bound(
    const std::function<int(piece_index)>& blocks_in_piece) const {
  std::int64_t n = 0;
  for (const auto& [p, a] : active_) n += std::max(0, blocks_in_piece(p) - a.outstanding);
  return n;
}

std::vector<piece_index> piece_buffers::idle_pieces() const {
  std::vector<piece_index> out;
  for (const auto& [p, a] : active_) {
    if (a.outstanding == 0 && !a.buffer.empty()) out.push_back(p);
  }
  return out;
}

bool piece_buffers::references(peer_key peer) const {
  auto has = [peer](const std::vector<peer_key>& v) {
    return std::find(v.begin(), v.end(), peer) != v.end();
  };
  for (const auto& [p, a] : active_) {
    if (has(a.block_from)) return true;
  }
  for (const auto& [p, h] : hashing_) {
    if (has(h.block_from)) return true;
  }
  return false;
}

void piece_buffers::erase_if_idle(piece_index p) {
  auto it = active_.find(p);
  if (it != active_.end() && it->second.outstanding == 0 && it->second.buffer.empty()) {
    active_.erase(it);
  }
}

std::vector<std::uint8_t> piece_buffers::allocate(std::int32_t size) {
  // Reuse a freed buffer of the same size (every piece but the last has the same size).
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    if (it->size() == static_cast<std::size_t>(size)) {
      std::vector<std::uint8_t> buf = std::move(*it);
      free_.erase(it);
      return buf;
    }
  }
  return std::vector<std::uint8_t>(static_cast<std::size_t>(size));
}

void piece_buffers::release(std::vector<std::uint8_t> buf) {
  if (buf.empty() || free_.size() >= max_free_) return;
  free_.push_back(std::move(buf));
}

}  // namespace tessera::detail
