// The torrent's extension-protocol side: the metadata phase of a magnet link (BEP 9) and peer
// exchange (BEP 11). Members of `torrent`, kept apart from the download engine in torrent.cpp.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/torrent_info_builder.hpp"
#include "swarm/endpoint_conversion.hpp"
#include "swarm/peer_error.hpp"
#include "torrent/metadata_parse.hpp"
#include "torrent/padding.hpp"
#include "torrent/torrent.hpp"

namespace tessera::detail {

namespace {

/// Peers learned through PEX are not added beyond this many known addresses: the peer list holds
/// at most peer_list::default_max_size, and PEX peers (any connected peer can send them) must
/// not be able to fill it, leaving trackers, the DHT and LSD no room.
constexpr int max_known_peers_for_pex = 1000;

}  // namespace

// --- metadata (BEP 9) ----------------------------------------------------------------------

void torrent::on_extension_handshake(peer_connection& c, const extension_handshake& h) {
  if (!metadata_fetch_ || stopped_) return;
  if (h.ut_metadata != 0 && h.metadata_size) {
    metadata_fetch_->add_peer(c.key(), *h.metadata_size);
    request_metadata();
  }
}

void torrent::request_metadata() {
  if (!metadata_fetch_ || stopped_) return;
  for (const auto& r : metadata_fetch_->next_requests(std::chrono::steady_clock::now())) {
    auto it = conns_.find(r.peer);
    if (it == conns_.end() || !it->second.conn->send_metadata_request(r.piece)) {
      metadata_fetch_->remove_peer(r.peer);
    }
  }
}

void torrent::on_metadata_message(peer_connection& c, const metadata_message& m) {
  if (!metadata_fetch_ || stopped_) return;
  const auto now = std::chrono::steady_clock::now();
  if (m.type == metadata_msg_type::reject) {
    metadata_fetch_->on_reject(c.key(), m.piece, now);
    request_metadata();
    return;
  }
  auto r = metadata_fetch_->on_data(c.key(), m, now);
  if (!r) {
    spdlog::warn("torrent {}: metadata from {} rejected: {}", ti_->name(), c.remote().address().to_string(),
                 r.error().message());
    if (r.error() == make_error_code(extension_errc::hash_mismatch)) {
      // Whoever sent data for the failed attempt is not trusted for anything else either.
      std::vector<std::shared_ptr<peer_connection>> liars;
      for (peer_key k : metadata_fetch_->excluded()) {
        if (auto it = conns_.find(k); it != conns_.end()) liars.push_back(it->second.conn);
      }
      for (auto& l : liars) {
        if (auto it = conns_.find(l->key()); it != conns_.end()) it->second.retry = false;
        l->close(peer_errc::metadata_mismatch);
      }
    }
    request_metadata();
    return;
  }
  if (!*r) {
    request_metadata();
    return;
  }
  on_metadata_complete(std::move(**r));
}

void torrent::on_metadata_complete(std::string info_bytes) {
  // The fetch is over: later ut_metadata messages and extension handshakes are ignored while
  // the parse runs on the disk pool (metadata_parse.hpp), and the metadata is never asked for
  // again, whatever the parse says.
  metadata_fetch_.reset();
  std::weak_ptr<torrent> weak = weak_from_this();
  async_parse_metadata(*ctx_.disk, std::move(info_bytes), ctx_.ex, [weak](result<torrent_info> parsed) {
    if (auto t = weak.lock()) t->on_metadata_parsed(std::move(parsed));
  });
}

void torrent::on_metadata_parsed(result<torrent_info> parsed) {
  // Stopped (removed, or the session stopping) meanwhile: nothing to become. Paused meanwhile:
  // the metadata is still taken, and start_check below runs while paused as it does for a
  // paused .torrent; the swarm waits for resume().
  if (stopped_ || state_ == torrent_state::error) return;
  // The assembler checked the bytes against every hash of the magnet; the parser's hashes must
  // agree with them.
  if (!parsed || !parsed->info_hash().same_torrent(ti_->info_hash())) {
    const std::string why = parsed ? "info-hash differs" : parsed.error().message();
    fail("the metadata from peers is not a usable torrent: " + why);
    return;
  }
  // A v2-only info dictionary has no piece hashes of its own: its piece layers are fetched from
  // peers (BEP 52 hash requests, torrent_hashes.cpp) and each piece is picked once its target is
  // known.
  // A torrent keeps the info-hashes it was added with for its life in the session: the session
  // finds it, and its events and handles name it, by them. (The v2 half of a hybrid reached
  // through a v1 magnet is not joined here; the saved .torrent carries it for the next run.)
  auto ti = std::make_shared<const torrent_info>(edited(*parsed, [&](torrent_info_builder& b) {
    b.info_hash = ti_->info_hash();
    b.trackers = ti_->trackers();  // the magnet's, which the info dictionary does not carry
    b.web_seeds = ti_->web_seeds();  // the magnet's `ws`, likewise
  }));
  if (!ctx_.make_storage) {
    fail("no storage for the torrent's data");
    return;
  }
  auto st = ctx_.make_storage(ti, save_path_);
  if (!st) {
    fail(st.error());
    return;
  }
  spdlog::info("torrent {}: metadata received ({} bytes, {} pieces)", ti->name(), ti->info_bytes().size(),
               ti->num_pieces());
  ti_ = std::move(ti);
  storage_ = std::move(*st);
  has_metadata_ = true;
  reset_pieces();
  if (ctx_.on_metadata) ctx_.on_metadata(*ti_, make_torrent_file(ti_->info_bytes(), ti_->trackers(), ti_->web_seeds()));
  if (ctx_.emit) ctx_.emit(events::metadata_received{ti_->info_hash(), ti_->name()});
  start_check();
  // The connections kept their peers' bitfields: replay them into the new picker.
  std::vector<std::shared_ptr<peer_connection>> open;
  for (auto& [k, c] : conns_) open.push_back(c.conn);
  for (auto& c : open) {
    if (!c->is_closed()) c->metadata_ready();
  }
  start_piece_layer_fetch();  // a v2 info dictionary has no piece layers: ask the peers now
}

// --- peer exchange (BEP 11) ----------------------------------------------------------------

void torrent::send_pex_all() {
  if (!pex_enabled() || stopped_) return;
  std::vector<pex_peer> connected;
  for (const auto& [k, c] : conns_) {
    if (!c.counted || c.conn->is_closed()) continue;
    const auto ep = c.conn->listen_endpoint();
    if (!ep) continue;
    std::uint8_t flags = 0;
    if (c.conn->is_seed()) flags |= pex_flags::seed;
    if (!c.incoming) flags |= pex_flags::outgoing;  // we reached it: it is reachable
    connected.push_back({to_peer_endpoint(*ep), flags});
  }
  for (auto& [k, c] : conns_) {
    if (!c.counted || c.conn->is_closed()) continue;
    const auto& ext = c.conn->peer_extensions();
    if (!ext || ext->ut_pex == 0) continue;
    std::optional<peer_endpoint> recipient;
    if (auto ep = c.conn->listen_endpoint()) recipient = to_peer_endpoint(*ep);
    if (auto m = c.pex.next(connected, recipient)) c.conn->send_pex(*m);
  }
}

void torrent::on_pex(peer_connection& c, const pex_message& m) {
  if (!pex_enabled() || stopped_ || state_ == torrent_state::error) return;
  std::vector<endpoint> eps;
  for (const auto& p : m.added) {
    if (peers_.num_known() + static_cast<int>(eps.size()) >= max_known_peers_for_pex) break;
    eps.push_back(to_tcp_endpoint(p.endpoint));
  }
  spdlog::debug("torrent {}: {} peers from PEX of {}", ti_->name(), eps.size(), c.remote().address().to_string());
  if (!eps.empty()) add_peers(eps, peer_source::pex);
  // BEP 11's uTP flag: such peers are dialled over uTP first (peer_list::dial_utp).
  for (const auto& p : m.added) {
    if ((p.flags & pex_flags::supports_utp) != 0) peers_.note_utp_advertised(to_tcp_endpoint(p.endpoint));
  }
}

}  // namespace tessera::detail
