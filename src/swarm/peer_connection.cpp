// peer_connection: BEP 3 handshake, then a reader coroutine (decodes messages straight out of the
// receive buffer, no per-message allocation), a writer coroutine (drains the send queue: what was
// queued since the last write goes out as one write) and a 1 s tick coroutine (snub, keep-alive,
// inactivity, stalled writes). Everything runs on one executor; no locks. Each coroutine holds a
// shared_ptr to the connection, and every resume checks `closed` before touching the host or any
// state. The extension protocol (BEP 10) lives in peer_connection_extensions.cpp; the state both
// files share is peer_connection_impl.hpp.
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
#include "swarm/coroutine_failure.hpp"
#include "swarm/endpoint_conversion.hpp"
#include "swarm/peer_connection_impl.hpp"
#include "swarm/peer_error.hpp"
#include "swarm/socket_options.hpp"

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

constexpr auto tick_interval = std::chrono::seconds(1);

/// The completion of every coroutine of a connection: an exception escaping one (a broken
/// invariant, e.g. thrown by the host) is logged and closes the connection
/// (peer_errc::internal_error), so the host hears on_disconnect and frees the slot.
auto completion(std::shared_ptr<peer_connection> self) {
  return on_coroutine_failure("peer connection", [self = std::move(self)] {
    self->close(peer_errc::internal_error);
  });
}

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
      socket(ex),
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

wire::handshake peer_connection::impl::our_handshake() const {
  wire::handshake h;  // reserved bits zero but the extension protocol (BEP 10), DHT (BEP 5), fast (BEP 6)
  h.reserved[5] |= 0x10;
  h.reserved[7] |= 0x04;
  if (host.dht_port() != 0) h.reserved[7] |= 0x01;
  if (info_hash.has_v2()) h.reserved[7] |= 0x10;  // BEP 52: we speak v2 for this torrent
  h.info_hash = wire_info_hash;
  h.id = host.our_peer_id();
  return h;
}

void peer_connection::impl::arm_deadline(std::chrono::steady_clock::duration d) {
  const unsigned generation = ++deadline_generation;
  deadline.expires_after(d);
  deadline.async_wait([weak = owner.weak_from_this(), generation](std::error_code ec) {
    if (ec) return;
    auto self = weak.lock();
    if (!self || self->impl_->deadline_generation != generation) return;
    self->impl_->close(peer_errc::timeout);
  });
}

void peer_connection::impl::disarm_deadline() {
  ++deadline_generation;
  deadline.cancel();
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
  asio::post(socket.get_executor(), [weak = owner.weak_from_this()] {
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
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
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

// --- coroutines ---

awaitable<void> peer_connection::impl::run_outgoing(std::shared_ptr<peer_connection> self) {
  impl& d = *self->impl_;
  d.arm_deadline(d.settings.connect_timeout);
  // Bind to the source address first (port 0) when the remote is of its family.
  // The TOS byte is set before connecting, so that the SYN is marked too.
  const auto& local = d.settings.bind_address;
  const bool bind = local && local->is_v4() == d.remote.address().is_v4();
  if (bind || d.settings.tos != 0) {
    boost::system::error_code bec;
    d.socket.open(d.remote.protocol(), bec);
    if (!bec && d.settings.tos != 0) d.apply_tos();
    if (!bec && bind) d.socket.bind(tcp::endpoint(*local, 0), bec);
    if (bec) {
      d.close(bec);
      co_return;
    }
  }
  auto [cec] = co_await d.socket.async_connect(d.remote, use_tuple);
  if (d.closed) co_return;
  if (cec) {
    d.close(cec);
    co_return;
  }
  boost::system::error_code ignored;
  d.socket.set_option(tcp::no_delay(true), ignored);
  d.arm_deadline(d.settings.handshake_timeout);

  std::vector<std::uint8_t> hs;
  wire::write_handshake(hs, d.our_handshake());
  auto [wec, written] = co_await asio::async_write(d.socket, asio::buffer(hs), use_tuple);
  if (d.closed) co_return;
  if (wec) {
    d.close(wec);
    co_return;
  }
  d.last_send = clock_type::now();
  if (!co_await read_handshake(d, false)) co_return;
  d.start_session(self);
  co_await read_loop(d);
}

awaitable<void> peer_connection::impl::run_incoming(std::shared_ptr<peer_connection> self) {
  impl& d = *self->impl_;
  d.arm_deadline(d.settings.handshake_timeout);
  if (!co_await read_handshake(d, true)) co_return;
  d.start_session(self);
  co_await read_loop(d);
}

awaitable<void> peer_connection::impl::run_incoming_known(std::shared_ptr<peer_connection> self, wire::handshake h) {
  impl& d = *self->impl_;
  if (!d.accept_handshake(h, true)) co_return;
  d.start_session(self);
  co_await read_loop(d);
}

awaitable<bool> peer_connection::impl::read_handshake(impl& d, bool reply) {
  while (d.recv.data().size() < wire::handshake_length) {
    const auto room = d.recv.prepare(0);
    auto [ec, n] = co_await d.socket.async_read_some(asio::buffer(room.data(), room.size()), use_tuple);
    if (d.closed) co_return false;
    if (ec) {
      d.close(ec);
      co_return false;
    }
    d.recv.commit(n);
    d.received_bytes += static_cast<std::int64_t>(n);
  }
  auto h = wire::parse_handshake(d.recv.data().first(wire::handshake_length));
  if (!h) {
    d.close(h.error());
    co_return false;
  }
  d.recv.consume(wire::handshake_length);
  co_return d.accept_handshake(*h, reply);
}

bool peer_connection::impl::accept_handshake(const wire::handshake& h, bool reply) {
  if (!info_hash.matches(h.info_hash)) {
    close(peer_errc::info_hash_mismatch);
    return false;
  }
  remote_id = h.id;
  peer_dht = h.supports_dht();
  peer_ext = h.supports_extensions();
  fast = h.supports_fast();  // ours always sets it
  // libtorrent 2.0 does not set the BEP 52 bit, but a peer that names the torrent by its v2
  // info-hash speaks v2 all the same.
  peer_v2 = h.supports_v2() || (info_hash.has_v2() && h.info_hash == info_hash.v2_truncated());
  if (reply) {
    wire_info_hash = h.info_hash;  // answer in the form we were asked in
    wire::write_handshake(sendq.queued(), our_handshake());
  }
  const bool accepted = host.on_handshake(owner, h);
  if (closed) return false;  // the host closed it with its own reason
  if (!accepted) {
    close(peer_errc::handshake_rejected);
    return false;
  }
  disarm_deadline();
  handshake_done = true;
  const auto now = clock_type::now();
  last_receive = now;
  connected_at = now;
  last_interest = now;
  spdlog::debug("peer {}: handshake done, client {}{}", label, client_name_from_peer_id(remote_id),
                peer_v2 ? ", v2" : "");
  return true;
}

void peer_connection::impl::start_session(const std::shared_ptr<peer_connection>& self) {
  impl& d = *this;
  d.write_piece_set();
  if (d.peer_dht && d.host.dht_port() != 0) wire::write_port(d.sendq.queued(), d.host.dht_port());
  if (d.peer_ext) d.write_extension_handshake();
  d.send_allowed_fast_set();
  if (d.last_send == clock_type::time_point{}) d.last_send = clock_type::now();
  auto ex = d.socket.get_executor();
  asio::co_spawn(ex, write_loop(self), completion(self));
  asio::co_spawn(ex, tick_loop(self), completion(self));
}

awaitable<void> peer_connection::impl::read_loop(impl& d) {
  const std::uint32_t max_length = d.max_message_length();
  for (;;) {
    std::size_t needed = 0;
    // After a backlog overflow nothing more is decoded: the close is already on its way.
    while (!d.closed && !d.close_scheduled) {
      auto r = wire::decode_message(d.recv.data(), max_length);
      if (r.ec) {
        d.close(r.ec);
        co_return;
      }
      if (r.consumed == 0) {
        // Grow for the message only once its id is here: an unknown one is skipped, not kept.
        if (d.recv.data().size() > 4) needed = r.needed;
        break;
      }
      d.recv.consume(r.consumed);  // spans in r.msg stay valid: nothing moves until the batch ends
      if (r.skip > 0) d.recv.skip(r.skip);
      std::visit([&d](const auto& m) { d.on_message(m); }, r.msg);
    }
    if (d.closed || d.close_scheduled) co_return;
    if (d.pipeline_dirty) {
      d.pipeline_dirty = false;
      d.request_more();
      if (d.closed) co_return;
    }
    auto room = d.recv.prepare(needed);  // needed is bounded by max_length + 4
    std::size_t take = room.size();
    if (!d.down_quota.unlimited()) {
      take = co_await download_quota(d, take);
      if (d.closed) co_return;
    }
    auto [ec, n] = co_await d.socket.async_read_some(asio::buffer(room.data(), take), use_tuple);
    if (d.closed) co_return;
    if (ec) {
      d.close(ec);
      co_return;
    }
    d.recv.commit(n);
    d.received_bytes += static_cast<std::int64_t>(n);
    d.last_receive = clock_type::now();
  }
}

awaitable<void> peer_connection::impl::write_loop(std::shared_ptr<peer_connection> self) {
  impl& d = *self->impl_;
  while (!d.closed) {
    if (!d.sendq.has_queued()) {
      d.writer_waiting = true;
      d.write_signal.expires_at(clock_type::time_point::max());
      co_await d.write_signal.async_wait(use_tuple);
      d.writer_waiting = false;
      continue;
    }
    // Messages queued while this write is in flight go to the other buffer.
    d.sendq.start_write();
    boost::system::error_code ec;
    if (d.up_quota.unlimited()) {
      ec = co_await write_to_socket(d, d.sendq.unwritten().size());
    } else {
      ec = co_await write_limited(d);
    }
    if (d.closed) co_return;
    if (ec) {
      d.close(ec);
      co_return;
    }
    d.last_send = clock_type::now();
    d.pump_uploads();  // the backlog shrank: start more disk reads
  }
}

awaitable<std::size_t> peer_connection::impl::download_quota(impl& d, std::size_t room) {
  auto [wec] = co_await d.socket.async_wait(tcp::socket::wait_read, use_tuple);
  if (d.closed || wec) co_return room;
  boost::system::error_code aec;
  const std::size_t ready = d.socket.available(aec);
  if (aec || ready == 0) co_return room;
  const auto granted = co_await d.down_quota.acquire(static_cast<std::int64_t>(std::min(room, ready)));
  co_return static_cast<std::size_t>(granted);
}

awaitable<boost::system::error_code> peer_connection::impl::write_to_socket(impl& d, std::size_t n) {
  while (n > 0) {
    const auto rest = d.sendq.unwritten().first(n);
    d.sendq.socket_write_started(clock_type::now());
    auto [ec, written] = co_await d.socket.async_write_some(asio::buffer(rest.data(), rest.size()), use_tuple);
    if (d.closed) co_return ec;
    d.sendq.socket_write_ended();
    if (ec) co_return ec;
    d.sendq.wrote(written);
    n -= written;
  }
  co_return boost::system::error_code{};
}

awaitable<boost::system::error_code> peer_connection::impl::write_limited(impl& d) {
  while (d.sendq.writing()) {
    const auto granted = co_await d.up_quota.acquire(static_cast<std::int64_t>(d.sendq.unwritten().size()));
    if (d.closed || granted <= 0) co_return boost::system::error_code{};
    const auto ec = co_await write_to_socket(d, static_cast<std::size_t>(granted));
    if (ec || d.closed) co_return ec;
  }
  co_return boost::system::error_code{};
}

void peer_connection::impl::apply_tos() {
  if (const auto ec = set_traffic_class(socket, settings.tos)) {
    spdlog::warn("peer {}: cannot set TOS {:#x}: {}", label, settings.tos, ec.message());
  }
}

awaitable<void> peer_connection::impl::tick_loop(std::shared_ptr<peer_connection> self) {
  impl& d = *self->impl_;
  while (!d.closed) {
    d.tick_timer.expires_after(tick_interval);
    co_await d.tick_timer.async_wait(use_tuple);
    if (d.closed) co_return;
    d.on_tick(clock_type::now());
  }
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

void peer_connection::impl::on_message(const wire::request& m) {
  if (!host.has_metadata()) return;  // we have no pieces to serve yet
  if (!valid_block_range(m.piece, m.begin, m.length)) {
    spdlog::debug("peer {}: bad request piece {} begin {} length {}", label, m.piece.value, m.begin, m.length);
    close(peer_errc::bad_request);
    return;
  }
  // Sent before our choke reached the peer, or a peer ignoring it: BEP 3 says choked requests
  // are discarded; BEP 6 rejects them, but serves the peer's allowed-fast pieces.
  if (am_choking && !(fast && allowed_fast_for_peer(m.piece))) {
    reject(m.piece, m.begin, m.length);
    return;
  }
  const auto& ours = host.our_pieces();
  if (m.piece.value >= ours.size() || !ours.get(m.piece.value)) {
    spdlog::debug("peer {}: request for piece {} we do not have", label, m.piece.value);
    if (++invalid_requests > settings.max_invalid_requests) {
      close(peer_errc::invalid_requests);
      return;
    }
    reject(m.piece, m.begin, m.length);
    return;
  }
  const auto same = [&](const upload_request& r) {
    return r.piece == m.piece && r.begin == m.begin && r.length == m.length;
  };
  if (std::find_if(upload_queue.begin(), upload_queue.end(), same) != upload_queue.end()) return;
  if (static_cast<int>(upload_queue.size()) >= settings.max_queued_requests) {
    close(peer_errc::too_many_requests);
    return;
  }
  upload_request r;
  r.id = next_upload_id++;
  r.piece = m.piece;
  r.begin = m.begin;
  r.length = m.length;
  // A request reaching into the padding after a v2-only torrent's end reads only what is there.
  const std::int64_t real = host.info().piece_size(m.piece);
  r.read_length = static_cast<std::int32_t>(std::clamp<std::int64_t>(real - m.begin, 0, m.length));
  if (r.read_length == 0) {  // padding alone: zeros, nothing to read
    r.reading = true;
    r.ready = true;
    r.data.assign(static_cast<std::size_t>(r.length), 0);
    ++ready_uploads;
    upload_queue.push_back(std::move(r));
    send_ready_uploads();
    return;
  }
  upload_queue.push_back(std::move(r));
  pump_uploads();
}

void peer_connection::impl::on_message(const wire::cancel& m) {
  if (!host.has_metadata()) return;
  if (!valid_block_range(m.piece, m.begin, m.length)) {
    close(peer_errc::bad_request);
    return;
  }
  // A request whose read is in flight is dropped too: the read's result finds no entry.
  const auto it = std::find_if(upload_queue.begin(), upload_queue.end(), [&](const upload_request& r) {
    return r.piece == m.piece && r.begin == m.begin && r.length == m.length;
  });
  if (it == upload_queue.end()) return;
  if (it->ready) --ready_uploads;
  upload_queue.erase(it);
  reject(m.piece, m.begin, m.length);  // BEP 6: every request gets exactly one answer
  send_ready_uploads();  // the requests behind it may be waiting for it only
}

void peer_connection::impl::pump_uploads() {
  // While we choke a BEP 6 peer, its queue holds only allowed-fast requests, which are served.
  if (closed || (am_choking && !fast)) return;
  for (auto& r : upload_queue) {
    if (reads_in_flight + ready_uploads >= settings.max_reads_in_flight) return;
    if (send_backlog_full()) return;
    if (r.reading) continue;
    r.reading = true;
    ++reads_in_flight;
    host.read_block(r.piece, r.begin, r.read_length,
                    [weak = owner.weak_from_this(), id = r.id](std::error_code ec,
                                                               std::span<const std::uint8_t> data) {
                      auto self = weak.lock();
                      if (!self) return;
                      self->impl_->on_read_done(id, ec, data);
                    });
    if (closed) return;
  }
}

void peer_connection::impl::on_read_done(std::uint64_t id, std::error_code ec, std::span<const std::uint8_t> data) {
  --reads_in_flight;
  if (closed) return;
  const auto it = std::find_if(upload_queue.begin(), upload_queue.end(),
                               [id](const upload_request& r) { return r.id == id; });
  if (it == upload_queue.end()) {  // cancelled, or dropped by a choke, while it was read
    pump_uploads();
    return;
  }
  if (!ec && data.size() != static_cast<std::size_t>(it->read_length)) {
    ec = std::make_error_code(std::errc::io_error);
  }
  if (ec) {
    spdlog::warn("peer {}: reading piece {} for upload failed: {}", label, it->piece.value, ec.message());
    close(ec);
    return;
  }
  // Held until the requests ahead of it are answered: the peer gets its blocks in the order it
  // asked for them (a block served from the read cache must not overtake one read from disk; a
  // sequential or streaming peer relies on the order).
  it->data.assign(data.begin(), data.end());
  it->data.resize(static_cast<std::size_t>(it->length), 0);  // padding past the end (see above)
  it->ready = true;
  ++ready_uploads;
  send_ready_uploads();
  pump_uploads();
}

void peer_connection::impl::send_ready_uploads() {
  bool sent = false;
  while (!upload_queue.empty() && upload_queue.front().ready) {
    auto& r = upload_queue.front();
    wire::write_piece_header(sendq.queued(), r.piece, r.begin, r.length);
    sendq.queued().insert(sendq.queued().end(), r.data.begin(), r.data.end());
    uploaded += r.length;
    up.add(r.length, clock_type::now());
    --ready_uploads;
    upload_queue.pop_front();
    sent = true;
  }
  if (sent) queued();
}

void peer_connection::impl::set_choking(bool choke) {
  if (closed || !handshake_done || am_choking == choke) return;
  am_choking = choke;
  if (choke) {
    wire::write_choke(sendq.queued());
    if (!fast) {
      upload_queue.clear();  // reads in flight find no entry and are discarded
      ready_uploads = 0;
    } else {
      // BEP 6: every request we drop is answered with a reject; allowed-fast ones are served.
      for (auto it = upload_queue.begin(); it != upload_queue.end();) {
        if (allowed_fast_for_peer(it->piece)) {
          ++it;
          continue;
        }
        wire::write_reject_request(sendq.queued(), {it->piece, it->begin, it->length});
        if (it->ready) --ready_uploads;
        it = upload_queue.erase(it);
      }
      send_ready_uploads();
    }
  } else {
    wire::write_unchoke(sendq.queued());
  }
  queued();
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

void peer_connection::start_outgoing() {
  if (impl_->started || impl_->closed) return;
  impl_->started = true;
  auto self = shared_from_this();
  asio::co_spawn(impl_->socket.get_executor(), impl::run_outgoing(self), completion(self));
}

bool peer_connection::adopt_incoming(tcp::socket socket) {
  if (impl_->started || impl_->closed) return false;
  impl_->started = true;
  impl_->incoming = true;
  impl_->socket = std::move(socket);
  boost::system::error_code ignored;
  impl_->socket.set_option(tcp::no_delay(true), ignored);
  if (impl_->settings.tos != 0) impl_->apply_tos();
  return true;
}

void peer_connection::start_incoming(tcp::socket socket) {
  if (!adopt_incoming(std::move(socket))) return;
  auto self = shared_from_this();
  asio::co_spawn(impl_->socket.get_executor(), impl::run_incoming(self), completion(self));
}

void peer_connection::start_incoming(tcp::socket socket, const wire::handshake& h) {
  if (!adopt_incoming(std::move(socket))) return;
  auto self = shared_from_this();
  asio::co_spawn(impl_->socket.get_executor(), impl::run_incoming_known(self, h), completion(self));
}

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
tcp::endpoint peer_connection::local_endpoint() const {
  boost::system::error_code ec;
  auto ep = impl_->socket.local_endpoint(ec);
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
