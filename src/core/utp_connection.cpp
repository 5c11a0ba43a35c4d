// One uTP connection (BEP 29): utp_connection.hpp describes the contract; this file the rules.
//
// Sending: application bytes wait in send_buf_ until the windows let a packet out; each packet
// sent stays in flight_ (oldest first) until the peer's ack_nr passes it. A packet is
// "outstanding" while it counts against the window: sent, not acknowledged (cumulatively or by a
// selective ACK), not deemed lost. A lost packet (three later packets selectively acknowledged,
// three duplicate ACKs, or a retransmission timeout) stops being outstanding and is sent again
// by the next flush, ahead of new data.
//
// Receiving: reorder_ holds the packets after ack_nr_, slot i for seq ack_nr_ + 1 + i; slot 0
// fills and moves into recv_buf_ with every in-order packet behind it.
#include "core/utp_connection.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace tessera::detail {

namespace {

std::uint32_t micros(utp_time t) {
  return static_cast<std::uint32_t>(std::chrono::duration_cast<utp_duration>(t.time_since_epoch()).count());
}

bool terminal(utp_connection::state s) {
  return s == utp_connection::state::closed || s == utp_connection::state::reset ||
         s == utp_connection::state::timed_out;
}

}  // namespace

utp_connection::utp_connection(const utp_config& config, utp_time now)
    : config_(config),
      last_send_(now),
      ledbat_(2 * static_cast<std::int64_t>(config.packet_floor), static_cast<std::int64_t>(config.packet_floor),
              std::max(config.max_cwnd, static_cast<std::int64_t>(config.packet_ceiling)), config.target_delay),
      mtu_(config.packet_floor, config.packet_ceiling) {}

utp_connection utp_connection::connect(const utp_config& config, std::uint16_t recv_id, std::uint16_t initial_seq,
                                       utp_time now) {
  utp_connection c(config, now);
  c.recv_id_ = recv_id;
  c.send_id_ = static_cast<std::uint16_t>(recv_id + 1);
  c.seq_nr_ = initial_seq;
  c.loss_seq_ = initial_seq;
  c.state_ = state::syn_sent;
  sent_packet syn;
  syn.seq = c.seq_nr_++;
  syn.type = utp_type::syn;
  c.flight_.push_back(std::move(syn));
  c.send_packet(c.flight_.back(), now);
  return c;
}

result<utp_connection> utp_connection::accept(const utp_config& config, const utp_packet& syn,
                                              std::uint16_t initial_seq, utp_time now) {
  if (syn.header.type != utp_type::syn) return unexpected{utp_errc::not_a_syn};
  utp_connection c(config, now);
  c.recv_id_ = static_cast<std::uint16_t>(syn.header.connection_id + 1);
  c.send_id_ = syn.header.connection_id;
  c.seq_nr_ = initial_seq;
  c.loss_seq_ = initial_seq;
  c.ack_nr_ = syn.header.seq_nr;
  c.peer_wnd_ = std::min(syn.header.wnd_size, max_peer_window);
  c.reply_micro_ = micros(now) - syn.header.timestamp_us;
  c.accepted_ = true;
  c.peer_synced_ = false;
  c.state_ = state::connected;
  c.send_state(now);
  return c;
}

std::uint32_t utp_connection::advertised_window() const {
  const std::size_t used = recv_buf_.size() + reorder_bytes_;
  return used >= config_.receive_buffer ? 0 : static_cast<std::uint32_t>(config_.receive_buffer - used);
}

std::size_t utp_connection::writable() const {
  const std::size_t used = send_buf_.size() + flight_payload_;
  return used >= config_.send_buffer ? 0 : config_.send_buffer - used;
}

utp_header utp_connection::header(utp_type type, std::uint16_t seq, utp_time now) const {
  utp_header h;
  h.type = type;
  h.connection_id = type == utp_type::syn ? recv_id_ : send_id_;
  h.timestamp_us = micros(now);
  h.timestamp_diff_us = reply_micro_;
  h.wnd_size = advertised_window();
  h.seq_nr = seq;
  h.ack_nr = ack_nr_;
  return h;
}

std::vector<std::uint8_t> utp_connection::sack_bits() const {
  std::vector<std::uint8_t> bits;
  if (reorder_.size() < 2) return bits;
  // Bit j: seq ack_nr_ + 2 + j = slot j + 1.
  const std::size_t nbits = reorder_.size() - 1;
  bits.assign(std::min((nbits + 31) / 32 * 4, max_sack_bytes), 0);
  for (std::size_t j = 0; j < nbits && j / 8 < bits.size(); ++j)
    if (reorder_[j + 1]) bits[j / 8] = static_cast<std::uint8_t>(bits[j / 8] | 1u << (j % 8));
  return bits;
}

void utp_connection::send_packet(sent_packet& p, utp_time now) {
  if (cur_window_ == 0) timer_start_ = now;
  ++p.transmissions;
  p.sent_at = now;
  p.sent_before = seq_nr_;
  p.outstanding = true;
  cur_window_ += p.size();
  utp_datagram d;
  d.probe = p.probe;
  const utp_header h = header(p.type, p.seq, now);
  encode_utp_packet(d.bytes, h, {}, p.payload);
  last_advertised_ = h.wnd_size;
  out_.push_back(std::move(d));
  last_send_ = now;
  // The ack rides on the packet, unless the peer needs a selective ACK to repair a hole.
  if (reorder_.size() < 2) ack_needed_ = false;
}

void utp_connection::send_state(utp_time now) {
  utp_datagram d;
  const utp_header h = header(utp_type::state, seq_nr_, now);
  encode_utp_packet(d.bytes, h, sack_bits(), {});
  last_advertised_ = h.wnd_size;
  out_.push_back(std::move(d));
  last_send_ = now;
  ack_needed_ = false;
}

bool utp_connection::can_send(std::int64_t size, utp_time now) {
  const std::int64_t window = std::min<std::int64_t>(ledbat_.cwnd(), peer_wnd_);
  if (cur_window_ + size <= window) return true;
  if (cur_window_ > 0) return false;
  // Nothing in flight: one packet always goes, even above the congestion window (an MTU probe
  // larger than a one-packet window), unless the peer's window is closed.
  if (size <= static_cast<std::int64_t>(peer_wnd_)) return true;
  // The peer's window is closed: probe it once per timeout, so a lost window update cannot
  // stall the connection for good.
  peer_window_blocked_ = true;
  if (!zero_window_since_) {
    zero_window_since_ = now;
    return false;
  }
  if (now - *zero_window_since_ >= rtt_.timeout()) {
    zero_window_since_ = now;
    return true;
  }
  return false;
}

void utp_connection::flush(utp_time now) {
  if (terminal(state_)) {
    // The packet that closed us (the peer's FIN, or its last data) still wants its ack.
    if (state_ == state::closed && ack_needed_) send_state(now);
    return;
  }
  peer_window_blocked_ = false;
  // Packets deemed lost, oldest first (the SYN too: it is sent whatever the windows). The scan
  // runs only while some may wait (lost_pending_): a full flight is ~900 packets, and flush runs
  // on every acknowledgement, so an unconditional scan cost a tenth of a bulk transfer's CPU.
  if (lost_pending_) {
    bool blocked = false;
    for (auto& p : flight_) {
      if (p.outstanding || p.acked || p.transmissions == 0) continue;
      if (p.type != utp_type::syn && !can_send(p.size(), now)) {
        window_limited_ = true;
        blocked = true;
        break;
      }
      send_packet(p, now);
    }
    if (!blocked) lost_pending_ = false;
  }
  if (state_ != state::syn_sent && peer_synced_) {
    // New data.
    while (!send_buf_.empty() && flight_.size() < max_in_flight) {
      std::size_t size = mtu_.packet_size();
      bool probe = false;
      if (auto probe_size = mtu_.next_probe(now); probe_size && send_buf_.size() + utp_header_size >= *probe_size) {
        size = *probe_size;
        probe = true;
      }
      const std::size_t payload = std::min(send_buf_.size(), size - utp_header_size);
      // Nagle (RFC 896): a packet short of full waits while anything is in flight, so a stream
      // of small writes (peer wire messages of a few bytes) goes out in full packets. A close
      // lets the tail go at once.
      if (payload < size - utp_header_size && cur_window_ > 0 && !close_requested_) break;
      if (!can_send(static_cast<std::int64_t>(utp_header_size + payload), now)) {
        window_limited_ = true;
        break;
      }
      sent_packet p;
      p.seq = seq_nr_++;
      p.type = utp_type::data;
      p.probe = probe;
      p.payload.assign(send_buf_.begin(), send_buf_.begin() + static_cast<std::ptrdiff_t>(payload));
      send_buf_.erase(send_buf_.begin(), send_buf_.begin() + static_cast<std::ptrdiff_t>(payload));
      flight_payload_ += payload;
      if (probe) mtu_.on_probe_sent();
      flight_.push_back(std::move(p));
      send_packet(flight_.back(), now);
    }
    if (close_requested_ && !fin_seq_ && send_buf_.empty() && flight_.size() < max_in_flight) {
      sent_packet fin;
      fin.seq = seq_nr_++;
      fin.type = utp_type::fin;
      fin_seq_ = fin.seq;
      flight_.push_back(std::move(fin));
      send_packet(flight_.back(), now);
      state_ = state::fin_sent;
    }
  }
  // Nothing waits on the peer's window any more: no probe timer.
  if (!peer_window_blocked_) zero_window_since_.reset();
  if (ack_needed_) send_state(now);
}

utp_connection::sent_packet* utp_connection::in_flight(std::uint16_t seq) {
  if (flight_.empty()) return nullptr;
  const std::size_t i = seq_distance(flight_.front().seq, seq);
  return i < flight_.size() ? &flight_[i] : nullptr;
}

bool utp_connection::stale_ack_with_data(const utp_packet& p) const {
  if (state_ == state::syn_sent) return false;
  if (p.header.type != utp_type::data && p.header.type != utp_type::fin) return false;
  const std::uint16_t base = flight_.empty() ? seq_nr_ : flight_.front().seq;
  return seq_less(p.header.ack_nr, static_cast<std::uint16_t>(base - 1));
}

bool utp_connection::ack_in_range(std::uint16_t ack) const {
  // From "nothing new" (the packet before the oldest in flight) to the last packet sent.
  const std::uint16_t base = flight_.empty() ? seq_nr_ : flight_.front().seq;
  return seq_distance(static_cast<std::uint16_t>(base - 1), ack) <= flight_.size();
}

void utp_connection::sacked(sent_packet& p, std::int64_t& bytes, utp_time now) {
  if (p.acked) return;
  p.acked = true;
  bytes += p.size();
  if (p.outstanding) {
    cur_window_ -= p.size();
    p.outstanding = false;
  }
  if (p.transmissions == 1) rtt_.sample(std::chrono::duration_cast<utp_duration>(now - p.sent_at));
  if (p.probe) {
    mtu_.on_probe_acked(static_cast<std::size_t>(p.size()), now);
    ledbat_.set_min_cwnd(static_cast<std::int64_t>(mtu_.packet_size()));
    p.probe = false;
  }
}

void utp_connection::mark_lost(sent_packet& p, utp_time now, bool from_timeout) {
  lost_pending_ = true;
  if (p.outstanding) {
    cur_window_ -= p.size();
    p.outstanding = false;
  }
  if (p.probe) {
    // Too big for the path, most likely: lower the ceiling and send it again fragmentable. Not
    // congestion, so the window stays.
    mtu_.on_probe_lost(static_cast<std::size_t>(p.size()), now);
    p.probe = false;
  } else if (!from_timeout && !seq_less(p.seq, loss_seq_)) {
    ledbat_.on_loss();  // once per window of packets
    loss_seq_ = seq_nr_;
  }
  if (!from_timeout) ++fast_retransmits_;
}

void utp_connection::handle_ack(const utp_packet& p, utp_time now) {
  const std::uint16_t ack = p.header.ack_nr;
  peer_wnd_ = std::min(p.header.wnd_size, max_peer_window);
  if (peer_wnd_ >= mtu_.packet_size()) zero_window_since_.reset();
  ledbat_.on_delay_sample(p.header.timestamp_diff_us, now);

  std::int64_t bytes = 0;
  bool progress = false;
  while (!flight_.empty() && !seq_less(ack, flight_.front().seq)) {
    sent_packet& f = flight_.front();
    sacked(f, bytes, now);
    if (f.type == utp_type::fin) fin_acked_ = true;
    flight_payload_ -= f.payload.size();
    flight_.pop_front();
    progress = true;
  }
  for (std::size_t i = 0; i < p.sack.size() * 8; ++i) {
    if ((p.sack[i / 8] >> (i % 8) & 1) == 0) continue;
    if (sent_packet* s = in_flight(static_cast<std::uint16_t>(ack + 2 + i))) sacked(*s, bytes, now);
  }

  if (progress) {
    dup_acks_ = 0;
  } else if (p.header.type == utp_type::state && p.payload.empty() && !flight_.empty() && bytes == 0) {
    if (++dup_acks_ >= 3) {
      dup_acks_ = 0;
      sent_packet& f = flight_.front();
      if (!f.acked && !f.fast_resent && f.outstanding) {
        f.fast_resent = true;
        mark_lost(f, now, false);
      }
    }
  }
  // A packet is lost when three packets sent after it (after its last transmission, for one
  // sent again) are selectively acknowledged (BEP 29). acked_from[i]: acknowledged packets in
  // flight_[i..].
  if (!p.sack.empty() && !flight_.empty()) {
    std::vector<int> acked_from(flight_.size() + 1, 0);
    for (std::size_t i = flight_.size(); i-- > 0;) acked_from[i] = acked_from[i + 1] + (flight_[i].acked ? 1 : 0);
    for (auto& f : flight_) {
      if (f.acked || !f.outstanding) continue;
      const std::size_t later = std::min<std::size_t>(seq_distance(flight_.front().seq, f.sent_before), flight_.size());
      if (acked_from[later] >= 3) mark_lost(f, now, false);
    }
  }
  if (progress || bytes > 0) {
    timeouts_in_row_ = 0;
    timer_start_ = now;
  }
  ledbat_.on_ack(bytes, window_limited_);
  window_limited_ = false;
}

void utp_connection::handle_incoming(const utp_packet& p, utp_time now) {
  (void)now;
  const std::uint16_t seq = p.header.seq_nr;
  const std::uint16_t d = seq_distance(static_cast<std::uint16_t>(ack_nr_ + 1), seq);
  ack_needed_ = true;  // whatever becomes of it, the peer learns where we are
  if (d >= 0x8000) return;  // a duplicate of a packet delivered already
  const bool fin = p.header.type == utp_type::fin;
  if (d >= max_reorder_packets || peer_fin_done_ || (peer_fin_seq_ && seq_less(*peer_fin_seq_, seq)) ||
      (fin && peer_fin_seq_ && *peer_fin_seq_ != seq)) {
    ++dropped_;
    return;
  }
  const std::span<const std::uint8_t> payload = fin ? std::span<const std::uint8_t>{} : p.payload;
  if (reorder_.size() > d && reorder_[d]) return;  // a duplicate
  if (recv_buf_.size() + reorder_bytes_ + payload.size() > config_.receive_buffer) {
    ++dropped_;  // beyond the window we advertised
    return;
  }
  if (fin) peer_fin_seq_ = seq;
  if (reorder_.size() <= d) reorder_.resize(static_cast<std::size_t>(d) + 1);
  reorder_[d].emplace(payload.begin(), payload.end());
  reorder_bytes_ += payload.size();
  deliver_in_order();
}

void utp_connection::deliver_in_order() {
  while (!reorder_.empty() && reorder_.front() && !peer_fin_done_) {
    auto& bytes = *reorder_.front();
    recv_buf_.insert(recv_buf_.end(), bytes.begin(), bytes.end());
    reorder_bytes_ -= bytes.size();
    reorder_.pop_front();
    ++ack_nr_;
    if (peer_fin_seq_ && ack_nr_ == *peer_fin_seq_) peer_fin_done_ = true;
  }
  if (peer_fin_done_) {  // nothing after the FIN counts
    for (auto& slot : reorder_)
      if (slot) reorder_bytes_ -= slot->size();
    reorder_.clear();
  }
}

void utp_connection::check_closed() {
  if (state_ == state::fin_sent && fin_acked_ && peer_fin_done_) state_ = state::closed;
}

void utp_connection::end(state s, std::error_code ec) {
  state_ = s;
  error_ = ec;
  cur_window_ = 0;
  ack_needed_ = false;
}

void utp_connection::on_packet(const utp_packet& p, utp_time now) {
  if (terminal(state_)) {
    // Data or a FIN sent again because our acknowledgement was lost: acknowledge again.
    if (state_ == state::closed && (p.header.type == utp_type::fin || p.header.type == utp_type::data) &&
        p.header.connection_id == recv_id_ && !seq_less(ack_nr_, p.header.seq_nr)) {
      send_state(now);
    } else {
      ++dropped_;
    }
    return;
  }
  if (p.header.type == utp_type::syn) {
    // The initiator sending its SYN again: our ST_STATE was lost.
    if (accepted_ && p.header.connection_id == send_id_ && p.header.seq_nr == ack_nr_) {
      send_state(now);
    } else {
      ++dropped_;
    }
    return;
  }
  if (p.header.connection_id != recv_id_) {
    ++dropped_;
    return;
  }
  if (p.header.type == utp_type::reset) {
    end(state::reset, utp_errc::connection_reset);
    return;
  }
  const bool ack_ok = ack_in_range(p.header.ack_nr);
  if (!ack_ok && !stale_ack_with_data(p)) {
    ++dropped_;  // acknowledges packets we never sent
    return;
  }
  if (!ack_ok) {
    // Data whose ack_nr is behind what the peer has acknowledged already: a packet it sent again
    // with the header of its first transmission (our acknowledgement was lost). Dropping it
    // would have the peer resend it until it gives the connection up; its data is taken (and
    // acknowledged), its stale acknowledgement, window and timestamps are not.
    ++stale_acks_;
    handle_incoming(p, now);
    check_closed();
    flush(now);
    return;
  }
  if (state_ == state::syn_sent) {
    // The acceptor's ST_STATE carries the seq_nr of its first data packet. Nothing else can
    // come first (the acceptor waits for our next packet before sending data): drop it.
    if (p.header.type != utp_type::state || flight_.empty() || p.header.ack_nr != flight_.front().seq) {
      ++dropped_;  // not the answer to our SYN
      return;
    }
    ack_nr_ = static_cast<std::uint16_t>(p.header.seq_nr - 1);
    state_ = state::connected;
    ack_needed_ = true;  // tells the acceptor its ST_STATE arrived, should we have no data
  }
  reply_micro_ = micros(now) - p.header.timestamp_us;
  peer_synced_ = true;
  handle_ack(p, now);
  if (p.header.type == utp_type::data || p.header.type == utp_type::fin) handle_incoming(p, now);
  check_closed();
  flush(now);
}

std::size_t utp_connection::write(std::span<const std::uint8_t> data, utp_time now) {
  if ((state_ != state::syn_sent && state_ != state::connected) || close_requested_) return 0;
  const std::size_t n = std::min(data.size(), writable());
  send_buf_.insert(send_buf_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
  flush(now);
  return n;
}

std::size_t utp_connection::read(std::span<std::uint8_t> out, utp_time now) {
  const std::size_t n = std::min(out.size(), recv_buf_.size());
  std::copy_n(recv_buf_.begin(), n, out.begin());
  recv_buf_.erase(recv_buf_.begin(), recv_buf_.begin() + static_cast<std::ptrdiff_t>(n));
  if (n > 0 && !terminal(state_)) {
    // Tell the peer when its window opens from (nearly) closed, or by half the buffer.
    const std::uint32_t wnd = advertised_window();
    const std::size_t packet = mtu_.packet_size();
    if ((last_advertised_ < packet && wnd >= packet) ||
        wnd >= last_advertised_ + static_cast<std::uint32_t>(config_.receive_buffer / 2)) {
      ack_needed_ = true;
      flush(now);
    }
  }
  return n;
}

void utp_connection::on_tick(utp_time now) {
  if (terminal(state_)) return;
  if (cur_window_ > 0 && now - timer_start_ >= rtt_.timeout()) {
    const bool only_probe = std::all_of(flight_.begin(), flight_.end(), [](const sent_packet& p) {
      return !p.outstanding || p.probe;
    });
    if (only_probe) {
      // A lost MTU probe alone: the path, not congestion and not a dead peer.
      for (auto& p : flight_)
        if (p.outstanding) mark_lost(p, now, true);
    } else {
      ++timeouts_total_;
      if (++timeouts_in_row_ >= config_.max_timeouts) {
        end(state::timed_out, utp_errc::timed_out);
        return;
      }
      rtt_.back_off();
      ledbat_.on_timeout();
      for (auto& p : flight_) {
        if (p.outstanding) mark_lost(p, now, true);
        p.fast_resent = false;
      }
      dup_acks_ = 0;
    }
    timer_start_ = now;
  }
  if ((state_ == state::connected || state_ == state::fin_sent) && now - last_send_ >= config_.keepalive)
    ack_needed_ = true;
  flush(now);
}

void utp_connection::close(utp_time now) {
  if (terminal(state_)) return;
  close_requested_ = true;
  flush(now);
}

void utp_connection::abort(utp_time now) {
  if (terminal(state_)) return;
  utp_datagram d;
  encode_utp_packet(d.bytes, header(utp_type::reset, seq_nr_, now), {}, {});
  out_.push_back(std::move(d));
  end(state::closed, {});
}

std::vector<utp_datagram> utp_connection::take_datagrams() { return std::exchange(out_, {}); }

utp_time utp_connection::next_tick() const {
  if (terminal(state_)) return utp_time::max();
  utp_time t = utp_time::max();
  if (cur_window_ > 0) t = timer_start_ + rtt_.timeout();
  if (state_ == state::connected || state_ == state::fin_sent) t = std::min(t, last_send_ + config_.keepalive);
  if (zero_window_since_) t = std::min(t, *zero_window_since_ + rtt_.timeout());
  return t;
}

}  // namespace tessera::detail
