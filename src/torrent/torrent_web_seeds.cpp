// A torrent's web seeds (BEP 19, torrent/web_seed.hpp): started while the torrent downloads,
// closed when it stops, pauses, fails or becomes a seed; fed through the same picker, budgets and
// assembly as peers.
#include <algorithm>

#include "discovery/http_url.hpp"
#include "torrent/torrent.hpp"

namespace tessera::detail {

void torrent::tick_web_seeds() {
  const bool wanted = started_ && !stopped_ && !paused_ && has_metadata_ && state_ == torrent_state::downloading &&
                      ctx_.settings.enable_web_seeds;
  if (!wanted) {
    close_web_seeds();
    return;
  }
  if (!web_seeds_.empty()) return;
  web_seed_has_ = bitfield(ti_->num_pieces(), true);
  const bandwidth_path download{ctx_.bandwidth.download_manager, download_limit_, ctx_.bandwidth.download,
                                bandwidth_share_};
  std::vector<std::string> seen;
  for (const auto& url : ti_->web_seeds()) {
    // Only http:// and https:// (BEP 19); each URL once.
    if (!parse_http_url(url) || std::find(seen.begin(), seen.end(), url) != seen.end()) continue;
    seen.push_back(url);
    auto ws = std::make_shared<web_seed>(ctx_.ex, url, ti_, std::weak_ptr<web_seed_host>(shared_from_this()), next_key_++, download);
    web_seeds_.push_back(ws);
    ws->start();
  }
}

void torrent::close_web_seeds() {
  // Closed seeds are forgotten: a torrent that downloads again later starts them afresh.
  auto seeds = std::move(web_seeds_);
  web_seeds_.clear();
  for (auto& ws : seeds) ws->close();
}

void torrent::web_seed_pick(peer_key key, int max_blocks, std::vector<block_address>& out) {
  if (web_seed_has_.size() != ti_->num_pieces()) return;
  pick_for(key, web_seed_has_, max_blocks, out);
}

void torrent::web_seed_block(peer_key key, block_address b, std::span<const std::uint8_t> data) {
  receive_block(key, b, data);
}

void torrent::web_seeds_hash_failed(const std::vector<peer_key>& block_from) {
  for (auto& ws : web_seeds_) {
    if (std::find(block_from.begin(), block_from.end(), ws->key()) != block_from.end()) ws->on_hash_failed();
  }
}

std::vector<web_seed_status> torrent::web_seed_statuses() const {
  std::vector<web_seed_status> out;
  out.reserve(web_seeds_.size());
  for (const auto& ws : web_seeds_) out.push_back(ws->status());
  return out;
}

}  // namespace tessera::detail
