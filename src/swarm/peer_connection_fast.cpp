// peer_connection: the Fast Extension (BEP 6). Negotiated when both handshakes set
// reserved[7] & 0x04: have_all/have_none in place of a bitfield, a reject for every request we will
// not serve, the peer's rejects returning blocks to the picker, allowed-fast pieces both ways
// (served while we choke, requested while choked) and suggested pieces preferred when picking.
// Everything a peer sends here is kept in bounded lists (peer_connection_settings).
#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/allowed_fast.hpp"
#include "swarm/peer_connection_impl.hpp"
#include "swarm/peer_error.hpp"

namespace tessera::detail {

void peer_connection::impl::write_piece_set() {
  const auto& ours = host.our_pieces();
  const bool known = host.has_metadata() && ours.size() == num_pieces();
  if (fast && known) {
    // BEP 6: have_all / have_none in place of the bitfield, directly after the handshake.
    if (ours.none()) {
      wire::write_have_none(sendq.queued());
    } else if (ours.count() == ours.size()) {
      wire::write_have_all(sendq.queued());
    } else {
      wire::write_bitfield(sendq.queued(), ours.bytes());
    }
    return;
  }
  if (known && !ours.none()) wire::write_bitfield(sendq.queued(), ours.bytes());
}

void peer_connection::impl::send_allowed_fast_set() {
  if (!fast || !host.has_metadata() || settings.allowed_fast_set_size <= 0) return;
  if (!allowed_fast_out.empty()) return;
  auto address = remote.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  }
  if (!address.is_v4()) return;  // BEP 6 defines the set for IPv4 only
  const auto bytes = address.to_v4().to_bytes();
  // The set is named by the 20 bytes of the handshake (v1, or v2 truncated): what the peer knows.
  allowed_fast_out = allowed_fast_set({bytes[0], bytes[1], bytes[2], bytes[3]}, wire_info_hash,
                                      num_pieces(), settings.allowed_fast_set_size);
  // Pieces we do not have are listed too (BEP 6 allows it): the set is the same whatever we hold.
  for (const piece_index p : allowed_fast_out) wire::write_allowed_fast(sendq.queued(), p);
  if (!allowed_fast_out.empty()) queued();
}

bool peer_connection::impl::fast_negotiated() {
  if (!fast) close(peer_errc::fast_not_negotiated);
  return fast;
}

bool peer_connection::impl::fast_piece_known(piece_index p) {
  if (!host.has_metadata()) return false;  // advisory: nothing to check it against yet
  if (p.value >= 0 && p.value < num_pieces()) return true;
  close(peer_errc::piece_out_of_range);
  return false;
}

bool peer_connection::impl::piece_set_given() const {
  return pieces_known || got_have_all || got_have_none || pending_have_all || pending_bitfield ||
         !pending_haves.empty();
}

void peer_connection::impl::on_message(const wire::have_all&) {
  if (!fast_negotiated()) return;
  // In place of the bitfield: once, and before any other piece-set message.
  if (piece_set_given()) {
    close(peer_errc::unexpected_have_all);
    return;
  }
  got_have_all = true;
  spdlog::debug("peer {}: have_all", label);
  if (!host.has_metadata()) {
    pending_have_all = true;
    return;
  }
  apply_have_all();
}

void peer_connection::impl::apply_have_all() {
  bitfield all(num_pieces(), true);
  host.on_peer_has(owner, all);  // the host still sees the old (empty) set through pieces()
  if (closed) return;
  pieces = std::move(all);
  pieces_known = true;
  pieces_count = pieces.size();
  update_interest();
}

void peer_connection::impl::on_message(const wire::have_none&) {
  if (!fast_negotiated()) return;
  if (piece_set_given()) {
    close(peer_errc::unexpected_have_all);
    return;
  }
  got_have_none = true;
  spdlog::debug("peer {}: have_none", label);
  if (!host.has_metadata()) return;  // nothing to replay: an empty set
  ensure_pieces_sized();
}

void peer_connection::impl::on_message(const wire::suggest_piece& m) {
  if (!fast_negotiated()) return;
  if (!fast_piece_known(m.piece)) return;
  if (std::find(suggested.begin(), suggested.end(), m.piece) != suggested.end()) return;
  const auto& ours = host.our_pieces();
  if (m.piece.value < ours.size() && ours.get(m.piece.value)) return;  // we have it
  if (settings.max_suggested_pieces <= 0) return;
  if (static_cast<int>(suggested.size()) >= settings.max_suggested_pieces) suggested.erase(suggested.begin());
  suggested.push_back(m.piece);
}

void peer_connection::impl::on_message(const wire::allowed_fast& m) {
  if (!fast_negotiated()) return;
  if (!fast_piece_known(m.piece)) return;
  if (std::find(allowed_fast_in.begin(), allowed_fast_in.end(), m.piece) != allowed_fast_in.end()) return;
  if (static_cast<int>(allowed_fast_in.size()) >= settings.max_allowed_fast_received) return;
  allowed_fast_in.push_back(m.piece);
  if (peer_choking) pipeline_dirty = true;  // something to ask for while choked
}

void peer_connection::impl::on_message(const wire::reject_request& m) {
  if (!fast_negotiated()) return;
  const auto same = [&](const outstanding_request& r) {
    return r.block.piece == m.piece && r.begin == m.begin && r.length == m.length;
  };
  if (const auto it = std::find_if(outstanding.begin(), outstanding.end(), same); it != outstanding.end()) {
    const block_address b = it->block;
    outstanding.erase(it);
    if (peer_choking) {
      // An allowed-fast piece it no longer serves: do not ask for it again while choked.
      std::erase(allowed_fast_in, m.piece);
    }
    spdlog::debug("peer {}: rejected piece {} begin {}", label, m.piece.value, m.begin);
    // Back to the picker. Not re-requested at once from this peer (that could loop with a peer
    // rejecting everything): the next top-up (a block arriving, an unchoke, the torrent's) does.
    host.on_request_aborted(owner, b);
    return;
  }
  if (const auto it = std::find_if(released.begin(), released.end(), same); it != released.end()) {
    released.erase(it);  // a late answer to a request we gave up: nothing to do
    return;
  }
  close(peer_errc::unexpected_reject);
}

void peer_connection::impl::release(const outstanding_request& r) {
  if (!fast || settings.max_released_requests <= 0) return;
  if (static_cast<int>(released.size()) >= settings.max_released_requests) released.pop_front();
  released.push_back(r);
}

bool peer_connection::impl::allowed_fast_for_peer(piece_index p) const {
  return std::find(allowed_fast_out.begin(), allowed_fast_out.end(), p) != allowed_fast_out.end();
}

void peer_connection::impl::reject(piece_index piece, std::int32_t begin, std::int32_t length) {
  if (!fast) return;
  wire::write_reject_request(sendq.queued(), {piece, begin, length});
  queued();
}

bool peer_connection::supports_fast() const { return impl_->fast; }
bool peer_connection::sent_have_all() const { return impl_->got_have_all; }
bool peer_connection::sent_have_none() const { return impl_->got_have_none; }
const std::vector<piece_index>& peer_connection::allowed_fast_from_peer() const { return impl_->allowed_fast_in; }
const std::vector<piece_index>& peer_connection::allowed_fast_to_peer() const { return impl_->allowed_fast_out; }
const std::vector<piece_index>& peer_connection::suggested_pieces() const { return impl_->suggested; }

}  // namespace tessera::detail
