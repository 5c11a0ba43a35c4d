// peer_connection, the upload side: the peer's requests and cancels (BEP 3), disk reads within
// the read-ahead and send-backlog bounds, sending blocks in request order, choking.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "swarm/peer_connection_impl.hpp"
#include "swarm/peer_error.hpp"

namespace tessera::detail {

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

}  // namespace tessera::detail
