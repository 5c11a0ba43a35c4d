// BEP 52 hash messages of a torrent: answering peers' `hash request`s from the v2 hash store (and
// from pieces read back for block hashes), fetching the piece layers a v2 magnet lacks, and the
// per-block blame of a failed v2 piece. Members of `torrent`.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "tessera/hasher.hpp"
#include "disk/piece_check.hpp"
#include "torrent/block_layer.hpp"
#include "torrent/torrent.hpp"

namespace tessera::detail {

namespace {

/// Blames kept at once; the oldest go first (the SHA-1 smart ban still covers them).
constexpr std::size_t max_blames = 64;
/// Ticks (seconds) after which peers that could not answer a piece-layer request are asked again.
constexpr int layer_forgive_ticks = 30;

std::error_code unavailable() { return make_error_code(hash_errc::unavailable); }

}  // namespace

// --- serving ---

void torrent::on_hash_request(peer_connection&, const hash_request& r, hashes_handler done) {
  const v2_file_place* f = has_metadata_ ? v2_hashes_.file_by_root(r.pieces_root) : nullptr;
  if (f == nullptr) return done(unexpected{unavailable()});
  if (auto ec = check_request(r, f->num_blocks)) return done(unexpected{ec});
  const merkle::tree_layers* tree = v2_hashes_.tree(r.pieces_root);
  if (tree == nullptr) return done(unexpected{unavailable()});  // a layer still being fetched
  if (r.base_layer >= tree->first_layer()) return done(answer_request(r, *tree));
  serve_block_hashes(*f, r, std::move(done));
}

void torrent::serve_block_hashes(const v2_file_place& f, const hash_request& r, hashes_handler done) {
  const auto span = pieces_for_block_request(r, f.num_blocks, v2_hashes_.piece_layer_index());
  const std::int64_t piece_length = ti_->piece_length();
  if (!storage_ || span.count <= 0 || span.count * piece_length > max_block_hash_read ||
      block_hash_reads_ >= max_block_hash_reads) {
    return done(unexpected{unavailable()});
  }
  for (std::int64_t i = 0; i < span.count; ++i) {
    const std::int64_t p = f.first_piece.value + span.first + i;
    if (p >= our_pieces().size() || !our_pieces().get(static_cast<int>(p))) return done(unexpected{unavailable()});
  }
  // The file's bytes of those pieces, read and hashed block by block on a disk thread.
  const std::int64_t offset = ti_->files()[static_cast<std::size_t>(f.file.value)].offset + span.first * piece_length;
  const std::int64_t length = std::min(span.count * piece_length, f.size - span.first * piece_length);
  auto blocks = std::make_shared<std::vector<sha256_hash>>();
  auto job = [st = storage_, offset, length, blocks]() -> result<bool, storage_error> {
    std::vector<std::uint8_t> buf(static_cast<std::size_t>(length));
    auto n = st->read(offset, buf);
    if (!n) return unexpected{n.error()};
    if (*n != buf.size()) return false;  // a short file: no hashes
    *blocks = block_hashes<sha256_hasher>(buf);
    return true;
  };
  const std::int64_t first_block = span.first * (piece_length / block_size);
  std::weak_ptr<torrent> weak = weak_from_this();
  ++block_hash_reads_;
  ctx_.disk->async_storage_job(
      storage_, storage_access::shared, std::move(job), ctx_.ex,
      [weak, r, first_block, num_blocks = f.num_blocks, blocks, done = std::move(done)](result<bool, storage_error> ok) {
        auto t = weak.lock();
        if (t) --t->block_hash_reads_;
        const merkle::tree_layers* tree = t ? t->v2_hashes_.tree(r.pieces_root) : nullptr;
        if (!ok || !*ok || tree == nullptr) return done(unexpected{unavailable()});
        done(answer_block_request(r, num_blocks, *tree, first_block, *blocks));
      });
}

// --- replies to our requests ---

void torrent::on_hashes(peer_connection& c, const hashes_message& m) {
  const hash_request& r = m.request;
  const v2_file_place* f = v2_hashes_.file_by_root(r.pieces_root);
  if (f == nullptr) return;  // asked before a reset of the store: nothing to check it against
  auto v = verify_hashes(m, f->num_blocks, r.pieces_root, v2_hashes_.node_lookup(r.pieces_root));
  if (!v) {
    if (v.error() == hash_errc::unverifiable) {  // we asked for a proof we cannot check: ours
      on_hash_request_failed(c, r, v.error());
      return;
    }
    const auto addr = c.remote().address();
    on_hash_request_failed(c, r, v.error());
    ban_peer(addr, "sent hashes that do not verify (" + v.error().message() + ")");
    return;
  }
  // A blame's answer first: with 16 KiB pieces its base layer (blocks) is the piece layer too.
  for (auto it = blames_.begin(); it != blames_.end(); ++it) {
    if (it->second.request != r || it->second.asked != c.key()) continue;
    const piece_index p{it->first};
    const v2_file_place* pf = v2_hashes_.file_of_piece(p);
    if (pf == nullptr) {
      blames_.erase(it);
      return;
    }
    finish_block_blame(p, piece_blocks_of(*pf, p, ti_->piece_length(), r, v->base));
    return;
  }
  if (layer_fetch_ && r.base_layer == v2_hashes_.piece_layer_index()) {
    v2_hashes_.add_verified_nodes(r.pieces_root, v->uncles);
    const auto pieces = v2_hashes_.add_piece_layer(r.pieces_root, r.index, v->base);
    layer_fetch_->on_answered(r);
    if (layer_fetch_->done() || v2_hashes_.all_layers_known()) {
      spdlog::info("torrent {}: every piece layer received from peers", ti_->name());
      layer_fetch_.reset();
    }
    on_piece_layers_known(pieces);
    request_piece_layers();
    return;
  }
}

void torrent::on_hash_request_failed(peer_connection& c, const hash_request& r, std::error_code reason) {
  spdlog::debug("torrent {}: hash request to {} failed: {}", ti_->name(), c.remote().address().to_string(),
                reason.message());
  if (layer_fetch_) {
    layer_fetch_->on_failed(r, c.key());
    if (!stopped_) request_piece_layers();
  }
  for (auto& [p, b] : blames_) {
    if (b.request != r || b.asked != c.key()) continue;
    b.asked.reset();
    if (!stopped_) request_block_blame(piece_index{p});
    return;
  }
}

// --- piece layers of a v2 magnet ---

void torrent::start_piece_layer_fetch() {
  if (!has_metadata_ || !v2_hashes_.has_v2() || layer_fetch_ || v2_hashes_.all_layers_known()) return;
  layer_fetch_ = std::make_unique<piece_layer_fetch>(v2_hashes_);
  spdlog::info("torrent {}: fetching {} piece-layer ranges from peers (BEP 52)", ti_->name(), layer_fetch_->remaining());
  request_piece_layers();
}

void torrent::tick_hashes() {
  if (!has_metadata_ || !v2_hashes_.has_v2()) return;
  start_piece_layer_fetch();
  if (layer_fetch_ && ++layer_fetch_ticks_ % layer_forgive_ticks == 0) layer_fetch_->forgive();
  request_piece_layers();
  for (auto& [p, b] : blames_) {
    if (!b.asked) request_block_blame(piece_index{p});
  }
}

void torrent::request_piece_layers() {
  if (!layer_fetch_ || stopped_) return;
  std::vector<std::shared_ptr<peer_connection>> v2_peers;
  for (auto& [k, e] : conns_) {
    if (e.counted && !e.conn->is_closed() && e.conn->handshake_done() && e.conn->supports_v2()) v2_peers.push_back(e.conn);
  }
  for (auto& c : v2_peers) {
    while (layer_fetch_) {
      auto r = layer_fetch_->next(c->key());
      if (!r) break;
      if (!c->send_hash_request(*r)) {
        layer_fetch_->on_failed(*r, c->key());
        break;
      }
    }
  }
}

// --- per-block blame ---

void torrent::start_block_blame(piece_index p, const std::vector<peer_key>& block_from, std::vector<sha256_hash> received) {
  std::vector<peer_key> distinct;
  for (peer_key k : block_from) {
    if (k != 0 && std::find(distinct.begin(), distinct.end(), k) == distinct.end()) distinct.push_back(k);
  }
  if (distinct.size() < 2) return;  // one sender: on_hash_failed banned it already
  const v2_file_place* f = v2_hashes_.file_of_piece(p);
  if (f == nullptr) return;
  block_blame b;
  b.senders = block_from;
  b.received = std::move(received);
  for (peer_key k : block_from) {
    const auto it = key_addresses_.find(k);
    b.from.push_back(it == key_addresses_.end() ? std::nullopt : std::optional(it->second));
  }
  auto r = block_hashes_request(*f, p, ti_->piece_length());
  if (!r) {  // a file of one block: its pieces root is the block's hash
    blames_[p.value] = std::move(b);
    const sha256_hash expected[] = {f->pieces_root};
    finish_block_blame(p, expected);
    return;
  }
  b.request = *r;
  if (blames_.size() >= max_blames && !blames_.count(p.value)) blames_.erase(blames_.begin());
  blames_[p.value] = std::move(b);
  request_block_blame(p);
}

void torrent::request_block_blame(piece_index p) {
  auto it = blames_.find(p.value);
  if (it == blames_.end() || it->second.asked) return;
  auto& b = it->second;
  // Candidates: v2 peers that have the piece and were not asked yet, those that sent the most
  // blocks of it first (the liar is more likely the odd one out; a liar's answer cannot verify
  // anyway, and one that does not answer times out).
  std::vector<std::pair<std::ptrdiff_t, std::shared_ptr<peer_connection>>> candidates;
  for (auto& [k, e] : conns_) {
    auto& c = e.conn;
    if (!e.counted || c->is_closed() || !c->handshake_done() || !c->supports_v2()) continue;
    if (std::find(b.tried.begin(), b.tried.end(), k) != b.tried.end()) continue;
    if (p.value >= c->pieces().size() || !c->pieces().get(p.value)) continue;  // it cannot answer
    candidates.emplace_back(std::count(b.senders.begin(), b.senders.end(), k), c);
  }
  std::stable_sort(candidates.begin(), candidates.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
  for (auto& [n, c] : candidates) {
    if (!c->send_hash_request(b.request)) continue;
    b.asked = c->key();
    b.tried.push_back(c->key());
    spdlog::info("torrent {}: asking {} for the block hashes of failed piece {}", ti_->name(),
                 c->remote().address().to_string(), p.value);
    return;
  }
}

void torrent::finish_block_blame(piece_index p, std::span<const sha256_hash> expected) {
  auto it = blames_.find(p.value);
  if (it == blames_.end()) return;
  const block_blame b = std::move(it->second);
  blames_.erase(it);
  const auto liars = blame_blocks(b.received, b.senders, expected);
  for (peer_key k : liars) {
    const auto at = std::find(b.senders.begin(), b.senders.end(), k) - b.senders.begin();
    const auto& addr = b.from[static_cast<std::size_t>(at)];
    if (!addr) continue;
    ban_peer(*addr, "sent a block of piece " + std::to_string(p.value) +
                        " whose SHA-256 differs from the verified block hash (BEP 52)");
  }
  if (liars.empty()) spdlog::info("torrent {}: every block of failed piece {} matches its hash", ti_->name(), p.value);
}

}  // namespace tessera::detail
