#include "torrent/smart_ban.hpp"

#include <algorithm>

namespace tessera::detail {

namespace {

void add_once(std::vector<smart_ban::address>& out, const smart_ban::address& a) {
  if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
}

}  // namespace

void smart_ban::record_blocks(piece_records& pr, std::span<const sha1_hash> latest,
                              std::span<const std::optional<address>> senders,
                              std::vector<address>* liars) {
  const std::size_t blocks = std::min(latest.size(), senders.size());
  if (pr.blocks.size() < blocks) pr.blocks.resize(blocks);
  for (std::size_t i = 0; i < blocks; ++i) {
    if (!senders[i]) continue;
    auto& versions = pr.blocks[i];
    auto same = std::find_if(versions.begin(), versions.end(),
                             [&](const record& r) { return r.from == *senders[i]; });
    if (same == versions.end()) {
      versions.push_back(record{*senders[i], latest[i]});
      ++pr.count;
      ++num_records_;
    } else if (same->hash != latest[i] && liars) {
      // Two versions of one block from one peer: at least one is wrong, no pass needed to know.
      add_once(*liars, *senders[i]);
    }
  }
}

std::vector<smart_ban::address> smart_ban::on_piece_failed(piece_index p,
                                                           std::span<const sha1_hash> block_hashes,
                                                           std::span<const std::optional<address>> senders) {
  std::vector<address> liars;
  piece_records& pr = pieces_[p];
  pr.failed_at = ++failure_count_;
  record_blocks(pr, block_hashes, senders, &liars);
  if (pr.count == 0) {
    pieces_.erase(p);
  } else {
    enforce_bound(p, block_hashes, senders);
  }
  return liars;
}

std::vector<smart_ban::address> smart_ban::on_piece_passed(piece_index p,
                                                           std::span<const sha1_hash> block_hashes) {
  std::vector<address> liars;
  auto it = pieces_.find(p);
  if (it == pieces_.end()) return liars;
  const std::size_t blocks = std::min(block_hashes.size(), it->second.blocks.size());
  for (std::size_t i = 0; i < blocks; ++i) {
    for (const record& r : it->second.blocks[i]) {
      if (r.hash != block_hashes[i]) add_once(liars, r.from);
    }
  }
  num_records_ -= it->second.count;
  pieces_.erase(it);
  return liars;
}

void smart_ban::clear() {
  pieces_.clear();
  num_records_ = 0;
}

void smart_ban::enforce_bound(piece_index keep, std::span<const sha1_hash> latest,
                              std::span<const std::optional<address>> senders) {
  while (num_records_ > max_records_) {
    auto victim = pieces_.end();
    for (auto it = pieces_.begin(); it != pieces_.end(); ++it) {
      if (it->first == keep) continue;
      if (victim == pieces_.end() || it->second.failed_at < victim->second.failed_at) victim = it;
    }
    if (victim == pieces_.end()) break;
    num_records_ -= victim->second.count;
    pieces_.erase(victim);
  }
  if (num_records_ <= max_records_) return;
  // `keep` alone is over the bound (a huge piece failing again and again with ever new senders):
  // the versions of earlier failures go, this failure's stay (a piece has at most 4,096 blocks,
  // fewer than the bound).
  piece_records& pr = pieces_[keep];
  num_records_ -= pr.count;
  pr.blocks.clear();
  pr.count = 0;
  record_blocks(pr, latest, senders, nullptr);
  if (num_records_ > max_records_) {  // a bound below one piece's blocks: keep nothing of it
    num_records_ -= pr.count;
    pieces_.erase(keep);
  }
}

}  // namespace tessera::detail
