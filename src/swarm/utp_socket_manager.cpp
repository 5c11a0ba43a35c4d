// The uTP connections of one UDP socket: utp_socket_manager.hpp describes the contract.
//
// Every event (a datagram, a stream operation, the timer) ends in service(): the pending
// operations of the connection complete as its state allows, its queued datagrams go out, and
// the one timer is moved earlier when this connection needs it sooner. The timer may fire early
// (a connection's deadline moved later); on_timer then only ticks the connections that are due.
#include "swarm/utp_socket_manager.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <random>

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <openssl/rand.h>

#include "swarm/utp_socket_impl.hpp"

namespace tessera::detail {

namespace asio = boost::asio;
using boost::system::error_code;
using udp = asio::ip::udp;

namespace {

bool terminal(utp_connection::state s) {
  return s == utp_connection::state::closed || s == utp_connection::state::reset ||
         s == utp_connection::state::timed_out;
}

std::uint32_t micros(utp_time t) {
  return static_cast<std::uint32_t>(std::chrono::duration_cast<utp_duration>(t.time_since_epoch()).count());
}

template <class Handler, class... Args>
void post_completion(const asio::any_io_executor& ex, Handler h, Args... args) {
  asio::post(ex, asio::append(std::move(h), args...));
}

// What the stream reports for a connection that ended without our close.
error_code ended_error(const utp_connection& c) {
  switch (c.get_state()) {
    case utp_connection::state::reset:
      return asio::error::connection_reset;
    case utp_connection::state::timed_out:
      return asio::error::timed_out;
    default:
      return asio::error::connection_aborted;
  }
}

}  // namespace

std::size_t utp_socket_manager::key_hash::operator()(const key& k) const noexcept {
  std::size_t h = std::hash<asio::ip::address>{}(k.remote.address());
  h ^= (static_cast<std::size_t>(k.remote.port()) << 16 | k.recv_id) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

std::shared_ptr<utp_socket_manager> utp_socket_manager::create(asio::any_io_executor ex, utp_manager_settings settings,
                                                               udp::endpoint local, send_function send) {
  return std::shared_ptr<utp_socket_manager>(
      new utp_socket_manager(std::move(ex), std::move(settings), std::move(local), std::move(send)));
}

utp_socket_manager::utp_socket_manager(asio::any_io_executor ex, utp_manager_settings settings, udp::endpoint local,
                                       send_function send)
    : ex_(ex), settings_(std::move(settings)), local_(std::move(local)), send_(std::move(send)), timer_(ex) {
  const bool v6 = local_.address().is_v6();
  settings_.connection.packet_floor = utp_packet_floor(v6);
  settings_.connection.packet_ceiling = utp_packet_ceiling(settings_.interface_mtu, v6);
}

utp_socket_manager::~utp_socket_manager() { shutdown(); }

std::uint16_t utp_socket_manager::random_u16() {
  std::array<unsigned char, 2> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    // OpenSSL's generator failed (it practically cannot once seeded): ids still need to differ,
    // and their secrecy only guards against blind resets (docs/hardening.md, "uTP").
    static thread_local std::mt19937 fallback{std::random_device{}()};
    return static_cast<std::uint16_t>(fallback());
  }
  return static_cast<std::uint16_t>(b[0] << 8 | b[1]);
}

bool utp_socket_manager::take_token(bucket& b, double rate, utp_time now) {
  const double burst = std::max(1.0, rate);
  if (b.last == utp_time{}) {
    b.tokens = burst;
  } else {
    const double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(burst, b.tokens + std::max(0.0, elapsed) * rate);
  }
  b.last = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

asio::awaitable<std::pair<error_code, utp_stream>> utp_socket_manager::connect(udp::endpoint remote) {
  auto self = shared_from_this();
  if (shut_down_) co_return std::pair{error_code(asio::error::operation_aborted), utp_stream{}};
  if (connections_.size() >= settings_.max_connections) {
    co_return std::pair{error_code(asio::error::no_buffer_space), utp_stream{}};
  }
  ++stats_.outgoing_connections;
  const utp_time now = utp_clock::now();
  std::uint16_t id = random_u16();
  for (int i = 0; i < 64 && connections_.contains(key{remote, id}); ++i) id = random_u16();
  if (connections_.contains(key{remote, id})) {
    co_return std::pair{error_code(asio::error::no_buffer_space), utp_stream{}};
  }
  auto s = std::make_shared<utp_socket_impl>(utp_connection::connect(settings_.connection, id, random_u16(), now),
                                             remote, local_, weak_from_this(), ex_);
  s->connect_deadline = now + settings_.connect_timeout;
  connections_.emplace(key{remote, id}, s);
  service(*s, now);
  // The initiation captures a plain pointer (the frame's `s` keeps the connection alive): GCC 12
  // destroys a temporary lambda in a co_await expression twice, and a captured shared_ptr would
  // lose a reference each time.
  auto token = asio::as_tuple(asio::use_awaitable);
  utp_socket_impl* raw = s.get();
  auto [ec] = co_await asio::async_initiate<decltype(token), void(error_code)>(
      [raw](auto handler) { raw->connect_op.emplace(std::move(handler)); }, token);
  if (ec) co_return std::pair{ec, utp_stream{}};
  co_return std::pair{error_code{}, utp_stream(s)};
}

bool utp_socket_manager::on_datagram(std::span<const std::uint8_t> bytes, const udp::endpoint& from) {
  auto decoded = decode_utp_packet(bytes);
  if (!decoded) return false;
  if (shut_down_) return true;
  ++stats_.datagrams_received;
  const utp_packet& p = *decoded;
  const utp_time now = utp_clock::now();
  if (p.header.type == utp_type::syn) {
    on_syn(p, from, now);
    return true;
  }
  auto it = connections_.find(key{from, p.header.connection_id});
  utp_packet routed = p;
  if (it == connections_.end() && p.header.type == utp_type::reset) {
    // A RESET may name the connection by our send id (libtorrent answers with the id it
    // received): the initiator sends on recv_id + 1, the acceptor on recv_id - 1.
    for (const std::uint16_t recv_id : {static_cast<std::uint16_t>(p.header.connection_id - 1),
                                        static_cast<std::uint16_t>(p.header.connection_id + 1)}) {
      auto alt = connections_.find(key{from, recv_id});
      if (alt != connections_.end() && alt->second->conn.send_id() == p.header.connection_id) {
        it = alt;
        routed.header.connection_id = recv_id;
        break;
      }
    }
  }
  if (it == connections_.end()) {
    send_reset(p, from, now);
    return true;
  }
  const std::shared_ptr<utp_socket_impl> s = it->second;
  const std::uint64_t dropped_before = s->conn.dropped_packets();
  s->conn.on_packet(routed, now);
  if (s->incoming && !s->confirmed && s->conn.dropped_packets() == dropped_before &&
      s->conn.get_state() == utp_connection::state::connected) {
    // The peer's first packet after its SYN, acknowledging our ST_STATE: a real peer at that
    // address (a spoofed SYN's source never sees our sequence number).
    s->confirmed = true;
    s->connect_deadline.reset();
    if (s->counted_half_open) {
      s->counted_half_open = false;
      --half_open_;
    }
    ++stats_.incoming_connections;
    if (accept_) {
      asio::post(ex_, [h = accept_, stream = utp_stream(s)]() mutable { h(std::move(stream)); });
    } else {
      s->aborted = true;
      s->conn.abort(now);
    }
  }
  service(*s, now);
  return true;
}

void utp_socket_manager::on_syn(const utp_packet& p, const udp::endpoint& from, utp_time now) {
  const key k{from, static_cast<std::uint16_t>(p.header.connection_id + 1)};
  if (auto it = connections_.find(k); it != connections_.end()) {
    // The same SYN again (our ST_STATE was lost): the connection answers it.
    const std::shared_ptr<utp_socket_impl> s = it->second;
    s->conn.on_packet(p, now);
    service(*s, now);
    return;
  }
  if (!accept_ || connections_.size() >= settings_.max_connections) {
    ++stats_.syns_refused;
    send_reset(p, from, now);
    return;
  }
  if (half_open_ >= settings_.max_half_open_incoming) {
    ++stats_.syns_refused;
    return;
  }
  auto src = syn_sources_.find(from.address());
  if (src == syn_sources_.end()) {
    if (syn_sources_.size() >= settings_.max_syn_sources) {
      // Forget the sources whose bucket has refilled: they are as good as new.
      const double refill = std::max(1.0, settings_.syns_per_second_per_source) /
                            std::max(1e-9, settings_.syns_per_second_per_source);
      std::erase_if(syn_sources_, [&](const auto& e) {
        return std::chrono::duration<double>(now - e.second.last).count() >= refill;
      });
    }
    if (syn_sources_.size() >= settings_.max_syn_sources) {
      ++stats_.syns_refused;
      return;
    }
    src = syn_sources_.emplace(from.address(), bucket{}).first;
  }
  if (!take_token(src->second, settings_.syns_per_second_per_source, now)) {
    ++stats_.syns_refused;
    return;
  }
  auto accepted = utp_connection::accept(settings_.connection, p, random_u16(), now);
  if (!accepted) return;
  auto s = std::make_shared<utp_socket_impl>(std::move(*accepted), from, local_, weak_from_this(), ex_);
  s->incoming = true;
  s->counted_half_open = true;
  ++half_open_;
  s->connect_deadline = now + settings_.half_open_timeout;
  connections_.emplace(k, s);
  service(*s, now);
}

void utp_socket_manager::send_reset(const utp_packet& p, const udp::endpoint& from, utp_time now) {
  if (p.header.type == utp_type::reset) return;  // never answer a RESET with one
  if (!take_token(reset_bucket_, settings_.resets_per_second, now)) {
    ++stats_.resets_suppressed;
    return;
  }
  utp_header h;
  h.type = utp_type::reset;
  h.connection_id = p.header.connection_id;
  h.timestamp_us = micros(now);
  h.seq_nr = random_u16();
  h.ack_nr = p.header.seq_nr;
  std::vector<std::uint8_t> out;
  encode_utp_packet(out, h, {}, {});
  ++stats_.resets_sent;
  ++stats_.datagrams_sent;
  if (send_(out, from, false)) ++stats_.send_failures;
}

void utp_socket_manager::read(utp_socket_impl& s, asio::mutable_buffer out, utp_stream::io_handler h) {
  if (s.stream_closed) return post_completion(s.ex, std::move(h), error_code(asio::error::bad_descriptor), std::size_t{0});
  if (s.read_op) return post_completion(s.ex, std::move(h), error_code(asio::error::already_started), std::size_t{0});
  if (out.size() == 0) return post_completion(s.ex, std::move(h), error_code{}, std::size_t{0});
  s.read_op.emplace(std::move(h));
  s.read_buf = out;
  service(s, utp_clock::now());
}

void utp_socket_manager::write(utp_socket_impl& s, asio::const_buffer in, utp_stream::io_handler h) {
  if (s.stream_closed) return post_completion(s.ex, std::move(h), error_code(asio::error::bad_descriptor), std::size_t{0});
  if (s.write_op) return post_completion(s.ex, std::move(h), error_code(asio::error::already_started), std::size_t{0});
  if (in.size() == 0) return post_completion(s.ex, std::move(h), error_code{}, std::size_t{0});
  s.write_op.emplace(std::move(h));
  s.write_buf = in;
  service(s, utp_clock::now());
}

void utp_socket_manager::wait(utp_socket_impl& s, utp_stream::wait_handler h) {
  if (s.stream_closed) return post_completion(s.ex, std::move(h), error_code(asio::error::bad_descriptor));
  if (s.wait_op) return post_completion(s.ex, std::move(h), error_code(asio::error::already_started));
  s.wait_op.emplace(std::move(h));
  service(s, utp_clock::now());
}

void utp_socket_manager::shutdown_send(utp_socket_impl& s) {
  if (s.send_shut || s.forgotten || terminal(s.conn.get_state())) return;
  const utp_time now = utp_clock::now();
  s.send_shut = true;
  s.conn.close(now);
  service(s, now);
}

void utp_socket_manager::close(utp_socket_impl& s) {
  if (s.stream_closed) return;
  s.stream_closed = true;
  fail_ops(s, asio::error::operation_aborted);
  if (s.forgotten) return;
  const utp_time now = utp_clock::now();
  if (!terminal(s.conn.get_state())) {
    if (!s.send_shut) s.conn.close(now);
    s.send_shut = true;
    s.close_deadline = now + settings_.close_timeout;
  }
  service(s, now);
}

void utp_socket_manager::fail_ops(utp_socket_impl& s, error_code ec) {
  if (s.read_op) post_completion(s.ex, std::move(*s.read_op), ec, std::size_t{0});
  if (s.write_op) post_completion(s.ex, std::move(*s.write_op), ec, std::size_t{0});
  if (s.wait_op) post_completion(s.ex, std::move(*s.wait_op), ec);
  if (s.connect_op) post_completion(s.ex, std::move(*s.connect_op), ec);
  s.read_op.reset();
  s.write_op.reset();
  s.wait_op.reset();
  s.connect_op.reset();
}

void utp_socket_manager::complete_ops(utp_socket_impl& s, utp_time now) {
  utp_connection& c = s.conn;
  const auto st = c.get_state();
  if (s.connect_op && st != utp_connection::state::syn_sent) {
    const error_code ec = terminal(st) ? (s.failure ? s.failure : ended_error(c)) : error_code{};
    post_completion(s.ex, std::move(*s.connect_op), ec);
    s.connect_op.reset();
    s.connect_deadline.reset();
  }
  if (s.stream_closed) {
    // Nobody reads any more: take what arrives so the peer is never stalled before its FIN.
    std::array<std::uint8_t, 16384> sink;
    while (c.readable() > 0) stats_.payload_bytes_received += c.read(sink, now);
    return;
  }
  const error_code ended = terminal(st) ? (s.failure ? s.failure : ended_error(c)) : error_code{};
  if (s.read_op) {
    if (c.readable() > 0) {
      const std::size_t n = c.read({static_cast<std::uint8_t*>(s.read_buf.data()), s.read_buf.size()}, now);
      stats_.payload_bytes_received += n;
      post_completion(s.ex, std::move(*s.read_op), error_code{}, n);
      s.read_op.reset();
    } else if (c.eof()) {
      post_completion(s.ex, std::move(*s.read_op), error_code(asio::error::eof), std::size_t{0});
      s.read_op.reset();
    } else if (terminal(st)) {
      post_completion(s.ex, std::move(*s.read_op), ended, std::size_t{0});
      s.read_op.reset();
    }
  }
  if (s.write_op) {
    if (s.send_shut) {
      post_completion(s.ex, std::move(*s.write_op), error_code(asio::error::broken_pipe), std::size_t{0});
      s.write_op.reset();
    } else if (terminal(st)) {
      post_completion(s.ex, std::move(*s.write_op), ended, std::size_t{0});
      s.write_op.reset();
    } else {
      const std::size_t n =
          c.write({static_cast<const std::uint8_t*>(s.write_buf.data()), s.write_buf.size()}, now);
      if (n > 0) {
        stats_.payload_bytes_sent += n;
        post_completion(s.ex, std::move(*s.write_op), error_code{}, n);
        s.write_op.reset();
      }
    }
  }
  if (s.wait_op && (c.readable() > 0 || c.eof() || terminal(st))) {
    post_completion(s.ex, std::move(*s.wait_op), c.readable() > 0 || c.eof() ? error_code{} : ended);
    s.wait_op.reset();
  }
}

void utp_socket_manager::send_datagrams(utp_socket_impl& s) {
  std::vector<utp_datagram> out = s.conn.take_datagrams();
  if (out.empty()) return;
  if (batch_depth_ > 0 && !shut_down_) {
    if (s.pending_out.empty()) {
      s.pending_out = std::move(out);
    } else {
      std::move(out.begin(), out.end(), std::back_inserter(s.pending_out));
    }
    if (!s.send_deferred) {
      s.send_deferred = true;
      deferred_.push_back(s.shared_from_this());
    }
    return;
  }
  send_now(s, out);
}

void utp_socket_manager::send_now(const utp_socket_impl& s, std::vector<utp_datagram>& datagrams) {
  for (std::size_t i = 0; i < datagrams.size(); ++i) {
    const utp_datagram& d = datagrams[i];
    // An ST_STATE (type 2 in the high nibble) followed by another packet of this connection says
    // nothing that packet does not say later: skip it.
    const bool state_only = !d.bytes.empty() && (d.bytes[0] >> 4) == static_cast<int>(utp_type::state);
    if (state_only && i + 1 < datagrams.size()) {
      ++stats_.acks_coalesced;
      continue;
    }
    ++stats_.datagrams_sent;
    if (send_(d.bytes, s.remote, d.probe)) ++stats_.send_failures;
  }
}

void utp_socket_manager::end_batch() {
  if (batch_depth_ > 0 && --batch_depth_ > 0) return;
  auto list = std::exchange(deferred_, {});
  for (const auto& s : list) {
    s->send_deferred = false;
    std::vector<utp_datagram> out = std::exchange(s->pending_out, {});
    send_now(*s, out);
  }
}

utp_time utp_socket_manager::deadline(const utp_socket_impl& s) const {
  utp_time t = s.conn.next_tick();
  for (const auto& d : {s.connect_deadline, s.close_deadline, s.linger_until}) {
    if (d) t = std::min(t, *d);
  }
  return t;
}

void utp_socket_manager::service(utp_socket_impl& s, utp_time now) {
  complete_ops(s, now);
  if (s.forgotten) return;  // a stream's operation on a connection the manager no longer holds
  send_datagrams(s);
  if (terminal(s.conn.get_state()) && !s.linger_until) {
    // Kept two timeouts to answer the peer's FIN or data sent again (our last ack was lost);
    // a connection that failed or was aborted has nothing to answer and goes at the next tick.
    const bool graceful = s.conn.get_state() == utp_connection::state::closed && !s.failure && !s.aborted;
    s.linger_until = graceful ? now + 2 * s.conn.rtt().timeout() : now;
    s.close_deadline.reset();
    s.connect_deadline.reset();
  }
  if (!s.forgotten) arm(deadline(s));
}

void utp_socket_manager::arm(utp_time at) {
  if (shut_down_ || at >= timer_at_) return;
  timer_at_ = at;
  timer_.expires_at(at);
  timer_.async_wait([weak = weak_from_this()](const error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->on_timer();
  });
}

void utp_socket_manager::on_timer() {
  timer_at_ = utp_time::max();
  const utp_time now = utp_clock::now();
  std::vector<std::shared_ptr<utp_socket_impl>> all;
  all.reserve(connections_.size());
  for (const auto& e : connections_) all.push_back(e.second);
  for (const auto& sp : all) {
    utp_socket_impl& s = *sp;
    if (s.forgotten) continue;
    if (s.linger_until && now >= *s.linger_until) {
      forget(key{s.remote, s.conn.recv_id()});
      continue;
    }
    if (s.connect_deadline && now >= *s.connect_deadline) {
      s.connect_deadline.reset();
      s.failure = asio::error::timed_out;
      s.aborted = true;
      s.conn.abort(now);
    }
    if (s.close_deadline && now >= *s.close_deadline) {
      s.close_deadline.reset();
      s.aborted = true;
      s.conn.abort(now);
    }
    if (now >= s.conn.next_tick()) s.conn.on_tick(now);
    service(s, now);
  }
}

void utp_socket_manager::forget(const key& k) {
  auto it = connections_.find(k);
  if (it == connections_.end()) return;
  utp_socket_impl& s = *it->second;
  s.forgotten = true;
  if (s.counted_half_open) {
    s.counted_half_open = false;
    --half_open_;
  }
  closed_retransmits_ += s.conn.fast_retransmits() + s.conn.timeout_retransmits();
  connections_.erase(it);
}

void utp_socket_manager::shutdown() {
  if (shut_down_) return;
  batch_depth_ = 0;
  end_batch();
  const utp_time now = utp_clock::now();
  for (auto& [k, s] : connections_) {
    fail_ops(*s, asio::error::operation_aborted);
    if (!terminal(s->conn.get_state())) s->conn.abort(now);
    if (send_) send_datagrams(*s);
    s->forgotten = true;
    closed_retransmits_ += s->conn.fast_retransmits() + s->conn.timeout_retransmits();
  }
  connections_.clear();
  half_open_ = 0;
  shut_down_ = true;
  timer_.cancel();
}

utp_manager_stats utp_socket_manager::stats() const {
  utp_manager_stats out = stats_;
  out.connections = connections_.size();
  out.retransmits = closed_retransmits_;
  for (const auto& e : connections_) out.retransmits += e.second->conn.fast_retransmits() + e.second->conn.timeout_retransmits();
  return out;
}

}  // namespace tessera::detail
