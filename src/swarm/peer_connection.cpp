// peer_connection: after the handshake (peer_connection_handshake.cpp), a reader coroutine (decodes
// messages straight out of the receive buffer, no per-message allocation), a writer coroutine
// (drains the send queue: what was queued since the last write goes out as one write) and a 1 s
// tick coroutine (snub, keep-alive, inactivity, stalled writes), all on the connection's
// peer_stream (peer_connection_io.cpp). Everything runs on one executor; no locks. Each coroutine
// holds a shared_ptr to the connection, and every resume checks `closed` before touching the host
// or any state. This file: lifetime, the BEP 3 messages but requests (peer_connection_upload.cpp),
// the request pipeline, the accessors; the state the files share is peer_connection_impl.hpp.
#include "swarm/peer_connection.hpp"

#include <algorithm>
#include <exception>
#include <tuple>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "core/request_policy.hpp"
#include "swarm/client_name.hpp"
#include "swarm/endpoint_conversion.hpp"
#include "swarm/peer_connection_impl.hpp"
#include "swarm/peer_error.hpp"

namespace tessera::detail {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

/// Normal size of the receive buffer; reads are this large so one read carries several blocks.
/// A longer message makes it grow (to the message limit); it shrinks back once that is decoded.
// 256 KiB: fewer, larger reads at high rates (measured: ~10% less system time than 64 KiB).
constexpr std::size_t initial_receive_buffer = 256 * 1024;
/// Longest message accepted besides a bitfield: room for BEP 10 extension messages (metadata
/// pieces, PEX). A `piece` longer than a block is accepted by the codec but matches no request.
constexpr std::uint32_t extension_message_limit = 1024 * 1024;

}  // namespace

peer_connection::impl::impl(peer_connection& o, asio::any_io_executor ex, peer_host& h, peer_key k,
                            info_hash_t ih, tcp::endpoint r, peer_connection_settings s)
    : owner(o),
      host(h),
      key(k),
      info_hash(ih),
      wire_info_hash(ih.matches(s.outgoing_info_hash) ? s.outgoing_info_hash : ih.best()),
      remote(std::move(r)),
      settings(s),
      stream(ex),
      deadline(ex),
      write_signal(ex),
      tick_timer(ex),
      recv(initial_receive_buffer),
      // Twice the soft limit: a connection uploading at full speed (its backlog near that limit)
      // keeps its buffers; one that filled toward the hard limit gives the memory back.
      sendq(2 * settings.max_send_backlog),
      down(clock_type::now()),
      up(clock_type::now()),
      label(endpoint_to_string(remote)) {}

int peer_connection::impl::num_pieces() const { return host.info().num_pieces(); }

std::uint32_t peer_connection::impl::max_message_length() const {
  const auto bitfield_bytes = static_cast<std::uint32_t>((num_pieces() + 7) / 8);
  return std::max(bitfield_bytes + 1, extension_message_limit);
}

void peer_connection::impl::queued() {
  if (writer_waiting) write_signal.cancel();
  if (closed || close_scheduled) return;
  // Our own bitfield goes out whole at the start, however large the torrent.
  const std::size_t hard = std::max(settings.max_send_backlog_hard,
                                    settings.max_send_backlog + static_cast<std::size_t>(num_pieces() / 8));
  if (sendq.backlog() <= hard) return;
  spdlog::debug("peer {}: send backlog {} bytes above {}: the peer does not read", label,
                sendq.backlog(), hard);
  close_scheduled = true;
  asio::post(deadline.get_executor(), [weak = owner.weak_from_this()] {
    if (auto self = weak.lock()) self->impl_->close(peer_errc::send_backlog);
  });
}

bool peer_connection::impl::send_backlog_full() const {
  return sendq.backlog() >= settings.max_send_backlog;
}

void peer_connection::impl::close(std::error_code reason) {
  if (closed) return;
  closed = true;
  // The host may drop its last reference in on_disconnect; stay alive until we return.
  auto keep_alive = owner.weak_from_this().lock();
  spdlog::debug("peer {}: closed: {}", label, reason.message());
  stream.close();
  deadline.cancel();
  write_signal.cancel();
  down_quota.cancel();
  up_quota.cancel();
  tick_timer.cancel();
  upload_queue.clear();
  ready_uploads = 0;
  // One at a time, so a reentrant host still sees the remaining ones here exactly once. A host
  // that throws (a broken invariant) must not cost the on_disconnect that frees its slot.
  std::exception_ptr failure;
  while (!outstanding.empty()) {
    const auto r = outstanding.front();
    outstanding.pop_front();
    try {
      host.on_request_aborted(owner, r.block);
    } catch (...) {
      if (!failure) failure = std::current_exception();
    }
  }
  try {
    fail_hash_requests(reason);
  } catch (...) {
    if (!failure) failure = std::current_exception();
  }
  host.on_disconnect(owner, reason);
  if (failure) std::rethrow_exception(failure);
}

void peer_connection::impl::on_tick(clock_type::time_point now) {
  if (now - last_receive >= settings.inactivity_timeout) {
    close(peer_errc::inactivity);
    return;
  }
  if (sendq.stalled_for(now) >= settings.send_stall_timeout) {
    close(peer_errc::send_stalled);
    return;
  }
  expire_hash_requests(now);
  if (closed) return;
  if (am_interested || peer_interested) {
    last_interest = now;
  } else if (now - last_interest >= settings.idle_timeout) {
    close(peer_errc::idle);
    return;
  }
  if (detail::is_snubbed(last_progress, now, settings.snub_timeout, static_cast<int>(outstanding.size()))) {
    spdlog::debug("peer {}: snubbed, returning {} requests", label, outstanding.size());
    snubbed = true;
    // Give the blocks to other peers; tell this one not to bother (what it still sends is
    // then unrequested and dropped).
    while (!outstanding.empty()) {
      const auto r = outstanding.front();
      outstanding.pop_front();
      wire::write_cancel(sendq.queued(), {r.block.piece, r.begin, r.length});
      release(r);
      host.on_request_aborted(owner, r.block);
      if (closed) return;
    }
    queued();
    request_more();  // snubbed: depth 1
    if (closed) return;
  }
  if (sendq.backlog() == 0 && now - last_send >= settings.keep_alive_interval) {
    wire::write_keep_alive(sendq.queued());
    queued();
  }
}

void peer_connection::impl::on_message(const wire::keep_alive&) {}

void peer_connection::impl::on_message(const wire::choke&) {
  peer_choking = true;
  // BEP 3: a choking peer discards our requests; they go back to the picker. With BEP 6 the
  // peer answers each with a piece or a reject: those of its allowed-fast pieces stay
  // outstanding, the others are given back now and a late reject for them is expected.
  std::deque<outstanding_request> kept;
  while (!outstanding.empty()) {
    const auto r = outstanding.front();
    outstanding.pop_front();
    if (fast && std::find(allowed_fast_in.begin(), allowed_fast_in.end(), r.block.piece) != allowed_fast_in.end()) {
      kept.push_back(r);
      continue;
    }
    release(r);
    host.on_request_aborted(owner, r.block);
    if (closed) return;
  }
  outstanding = std::move(kept);
  if (fast && !allowed_fast_in.empty()) pipeline_dirty = true;
}

void peer_connection::impl::on_message(const wire::unchoke&) {
  peer_choking = false;
  request_more();
}

void peer_connection::impl::on_message(const wire::interested&) {
  if (peer_interested) return;
  peer_interested = true;
  host.on_peer_interest(owner, true);
}

void peer_connection::impl::on_message(const wire::not_interested&) {
  if (!peer_interested) return;
  peer_interested = false;
  host.on_peer_interest(owner, false);
}

void peer_connection::impl::ensure_pieces_sized() {
  if (pieces_known) return;
  pieces.resize(num_pieces());
  pieces_known = true;
}

void peer_connection::impl::on_message(const wire::have& m) {
  if (!host.has_metadata()) {
    keep_pending_have(m.piece.value);
    return;
  }
  const int p = m.piece.value;
  if (p < 0 || p >= num_pieces()) {
    close(peer_errc::have_out_of_range);
    return;
  }
  ensure_pieces_sized();
  if (pieces.get(p)) return;
  pieces.set(p);
  ++pieces_count;
  host.on_peer_have(owner, m.piece);
  if (closed || am_interested) return;
  // A piece we already have cannot make the peer interesting: skip the full check.
  const auto& ours = host.our_pieces();
  if (p < ours.size() && ours.get(p)) return;
  update_interest();
}

void peer_connection::impl::on_message(const wire::bitfield& m) {
  // BEP 3 wants it as the first message only. In practice aria2 may send `have`s (for pieces
  // it completed while our handshake was in flight) before its bitfield, and libtorrent accepts
  // that, so a later bitfield replaces the set when it keeps every piece already known; one
  // that drops a known piece makes the set ambiguous and closes the connection.
  if (!host.has_metadata()) {
    keep_pending_bitfield(m.bits);
    return;
  }
  if (!pieces_known) {
    if (!pieces.assign(m.bits, num_pieces())) {
      close(peer_errc::bad_bitfield);
      return;
    }
    pieces_known = true;
    pieces_count = pieces.count();
    host.on_peer_has(owner, pieces);
  } else {
    bitfield next;
    if (!next.assign(m.bits, num_pieces())) {
      close(peer_errc::bad_bitfield);
      return;
    }
    for (int i = 0; i < pieces.size(); ++i) {
      if (pieces.get(i) && !next.get(i)) {
        close(peer_errc::unexpected_bitfield);
        return;
      }
    }
    spdlog::debug("peer {}: bitfield after {} known pieces: replacing the set", label, pieces_count);
    host.on_peer_has(owner, next);  // the host still sees the old set through pieces()
    if (closed) return;
    pieces = std::move(next);
    pieces_count = pieces.count();
  }
  if (closed) return;
  update_interest();
}

bool peer_connection::impl::valid_block_range(piece_index piece, std::int32_t begin, std::int32_t length) const {
  if (piece.value < 0 || piece.value >= num_pieces()) return false;
  if (begin < 0 || length <= 0 || length > block_size) return false;
  return std::int64_t{begin} + length <= requestable_piece_size(piece);
}

std::int64_t peer_connection::impl::requestable_piece_size(piece_index piece) const {
  const auto& ti = host.info();
  // libtorrent 2.0 lays a v2-only torrent out with padding after its last file too, so its last
  // piece is a whole piece to it; the bytes past our end are that padding (zeros).
  if (ti.lacks_v1_pieces() && piece.value == ti.num_pieces() - 1) return ti.piece_length();
  return ti.piece_size(piece);
}

void peer_connection::impl::on_message(const wire::piece& m) {
  const auto length = static_cast<std::int64_t>(m.data.size());
  const auto it = std::find_if(outstanding.begin(), outstanding.end(), [&](const auto& r) {
    return r.block.piece == m.piece && r.begin == m.begin && r.length == length;
  });
  if (it == outstanding.end()) {
    // Like libtorrent: not a reason to disconnect. This is the normal fate of blocks that
    // were in flight when the peer choked us or we cancelled/snubbed, so it is only counted.
    wasted += length;
    spdlog::debug("peer {}: unrequested block piece {} begin {} length {}", label, m.piece.value,
                  m.begin, length);
    return;
  }
  const block_address b = it->block;
  outstanding.erase(it);
  const auto now = clock_type::now();
  downloaded += length;
  down.add(length, now);
  last_progress = now;
  snubbed = false;
  host.on_block(owner, b, m.data);
  pipeline_dirty = true;
}

void peer_connection::impl::on_message(const wire::port& m) {
  if (m.port != 0) host.on_peer_dht_port(owner, m.port);
}

void peer_connection::impl::on_message(const wire::unknown&) {}

void peer_connection::impl::request_more() {
  if (closed || !handshake_done || !am_interested) return;
  // Choked: only the peer's allowed-fast pieces may be asked for (BEP 6).
  if (peer_choking && !(fast && !allowed_fast_in.empty())) return;
  const auto now = clock_type::now();
  int depth = snubbed ? 1
                      : request_queue_depth(down.rate(now), settings.request_queue_time,
                                            settings.min_request_depth, settings.max_request_depth);
  // The peer's `reqq` (BEP 10): it drops requests beyond its queue.
  if (peer_extensions && peer_extensions->reqq) depth = std::min(depth, *peer_extensions->reqq);
  const int room = depth - static_cast<int>(outstanding.size());
  if (room <= 0) return;
  picked.clear();
  if (peer_choking) {
    host.pick_blocks_in(owner, allowed_fast_in, room, picked);
  } else {
    if (!suggested.empty()) {  // the peer's suggestions first, those we still lack
      const auto& ours = host.our_pieces();
      std::erase_if(suggested, [&](piece_index p) { return p.value < ours.size() && ours.get(p.value); });
      if (!suggested.empty()) host.pick_blocks_in(owner, suggested, room, picked);
      if (closed) return;
    }
    const int rest = room - static_cast<int>(picked.size());
    if (rest > 0) host.pick_blocks(owner, rest, picked);
  }
  if (closed) return;
  const int n = num_pieces();
  int sent = 0;
  for (std::size_t i = 0; i < picked.size(); ++i) {
    const block_address b = picked[i];
    if (sent >= room) {  // the host handed out more than asked: give the extra back
      host.on_request_aborted(owner, b);
      if (closed) return;
      continue;
    }
    if (b.piece.value < 0 || b.piece.value >= n || b.block.value < 0) continue;
    const std::int32_t piece_size = host.info().piece_size(b.piece);
    const std::int64_t begin = std::int64_t{b.block.value} * block_size;
    if (begin >= piece_size) continue;
    const auto length = static_cast<std::int32_t>(std::min<std::int64_t>(block_size, piece_size - begin));
    if (outstanding.empty()) last_progress = now;
    outstanding.push_back({b, static_cast<std::int32_t>(begin), length});
    wire::write_request(sendq.queued(), {b.piece, static_cast<std::int32_t>(begin), length});
    ++sent;
  }
  if (sent > 0) queued();
}

void peer_connection::impl::update_interest() {
  if (closed || !handshake_done) return;
  const bool want = pieces_known && pieces_count > 0 && host.is_interesting(pieces);
  if (closed) return;
  if (want != am_interested) {
    am_interested = want;
    if (want) {
      wire::write_interested(sendq.queued());
    } else {
      wire::write_not_interested(sendq.queued());
    }
    queued();
  }
  request_more();
}

peer_connection::peer_connection(asio::any_io_executor ex, peer_host& host, peer_key key,
                                 info_hash_t info_hash, tcp::endpoint remote,
                                 peer_connection_settings settings)
    : impl_(std::make_unique<impl>(*this, std::move(ex), host, key, info_hash, std::move(remote),
                                   settings)) {}

// The coroutines own the connection, so by the time it is destroyed they are gone; the host is
// not called from here (a connection destroyed without being closed was never started, or its
// io_context was torn down).
peer_connection::~peer_connection() = default;

void peer_connection::close(std::error_code reason) { impl_->close(reason); }
bool peer_connection::is_closed() const { return impl_->closed; }

void peer_connection::send_have(piece_index p) {
  auto& d = *impl_;
  if (d.closed || !d.handshake_done) return;  // before that, our bitfield will carry it
  if (p.value < 0 || p.value >= d.num_pieces()) return;
  if (d.pieces_known && d.pieces[p]) return;
  wire::write_have(d.sendq.queued(), p);
  d.queued();
}

void peer_connection::cancel_request(block_address b) {
  auto& d = *impl_;
  if (d.closed) return;
  const auto it = std::find_if(d.outstanding.begin(), d.outstanding.end(),
                               [&](const auto& r) { return r.block == b; });
  if (it == d.outstanding.end()) return;
  wire::write_cancel(d.sendq.queued(), {b.piece, it->begin, it->length});
  d.release(*it);
  d.outstanding.erase(it);
  d.queued();
}

void peer_connection::update_interest() { impl_->update_interest(); }
void peer_connection::request_more() { impl_->request_more(); }
void peer_connection::choke() { impl_->set_choking(true); }
void peer_connection::unchoke() { impl_->set_choking(false); }

peer_key peer_connection::key() const { return impl_->key; }
const tcp::endpoint& peer_connection::remote() const { return impl_->remote; }
const bitfield& peer_connection::pieces() const { return impl_->pieces; }
bool peer_connection::is_seed() const {
  return impl_->pieces_known && impl_->pieces_count == impl_->pieces.size();
}
bool peer_connection::handshake_done() const { return impl_->handshake_done; }
const peer_id& peer_connection::remote_peer_id() const { return impl_->remote_id; }
std::string peer_connection::client_name() const { return client_name_from_peer_id(impl_->remote_id); }
bool peer_connection::peer_choking() const { return impl_->peer_choking; }
bool peer_connection::am_interested() const { return impl_->am_interested; }
bool peer_connection::is_snubbed() const { return impl_->snubbed; }
bool peer_connection::am_choking() const { return impl_->am_choking; }
bool peer_connection::peer_interested() const { return impl_->peer_interested; }
clock_type::time_point peer_connection::connected_at() const { return impl_->connected_at; }
bool peer_connection::is_incoming() const { return impl_->incoming; }
bool peer_connection::is_encrypted() const { return impl_->stream.encrypted(); }
bool peer_connection::used_mse() const { return impl_->mse_attempted; }
bool peer_connection::transport_connected() const { return impl_->transport_connected; }
peer_transport peer_connection::transport() const { return impl_->stream.transport(); }
tcp::endpoint peer_connection::local_endpoint() const {
  boost::system::error_code ec;
  auto ep = impl_->stream.local_endpoint(ec);
  return ec ? tcp::endpoint{} : ep;
}

peer_connection_stats peer_connection::stats() const {
  const auto now = clock_type::now();
  peer_connection_stats s;
  s.downloaded = impl_->downloaded;
  s.uploaded = impl_->uploaded;
  s.download_rate = impl_->down.rate(now);
  s.upload_rate = impl_->up.rate(now);
  s.outstanding_requests = static_cast<int>(impl_->outstanding.size());
  s.wasted = impl_->wasted;
  s.queued_uploads = static_cast<int>(impl_->upload_queue.size());
  s.received_bytes = impl_->received_bytes;
  s.send_backlog = impl_->sendq.backlog();
  s.receive_buffer = impl_->recv.capacity();
  return s;
}

}  // namespace tessera::detail
