// peer_connection, transport and handshake: the outgoing connect (source address, TOS), MSE/PE
// as initiator (the responder side runs before the connection exists: session/incoming_handshake),
// the BitTorrent handshake (BEP 3) in both directions, and the connect and handshake timeouts.
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "core/mse_handshake.hpp"
#include "swarm/client_name.hpp"
#include "swarm/peer_connection_impl.hpp"
#include "swarm/peer_error.hpp"

namespace tessera::detail {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}  // namespace

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

awaitable<void> peer_connection::impl::run_outgoing(std::shared_ptr<peer_connection> self) {
  impl& d = *self->impl_;
  d.arm_deadline(d.settings.connect_timeout);
  if (d.settings.utp) {
    if (!co_await connect_utp(d)) co_return;
  } else if (!co_await connect_tcp(d)) {
    co_return;
  }
  d.transport_connected = true;
  d.arm_deadline(d.settings.handshake_timeout);

  if (d.settings.encryption.use_mse) {
    // Our handshake travels inside the MSE exchange (its IA).
    if (!co_await mse_initiate(d)) co_return;
  } else {
    std::vector<std::uint8_t> hs;
    wire::write_handshake(hs, d.our_handshake());
    auto [wec, written] = co_await d.stream.write(hs);
    if (d.closed) co_return;
    if (wec) {
      d.close(wec);
      co_return;
    }
  }
  d.last_send = clock_type::now();
  if (!co_await read_handshake(d, false)) co_return;
  d.start_session(self);
  co_await read_loop(d);
}

awaitable<bool> peer_connection::impl::connect_tcp(impl& d) {
  // Bind to the source address first (port 0) when the remote is of its family.
  // The TOS byte is set before connecting, so that the SYN is marked too.
  tcp::socket& sock = *d.stream.tcp_socket();
  const auto& local = d.settings.bind_address;
  const bool bind = local && local->is_v4() == d.remote.address().is_v4();
  if (bind || d.settings.tos != 0) {
    boost::system::error_code bec;
    sock.open(d.remote.protocol(), bec);
    if (!bec && d.settings.tos != 0) d.apply_tos();
    if (!bec && bind) sock.bind(tcp::endpoint(*local, 0), bec);
    if (bec) {
      d.close(bec);
      co_return false;
    }
  }
  auto [cec] = co_await sock.async_connect(d.remote, use_tuple);
  if (d.closed) co_return false;
  if (cec) {
    d.close(cec);
    co_return false;
  }
  boost::system::error_code ignored;
  sock.set_option(tcp::no_delay(true), ignored);
  co_return true;
}

awaitable<bool> peer_connection::impl::connect_utp(impl& d) {
  // The manager binds nothing per connection: the session's UDP socket is bound already, and
  // a uTP connect that gets no ST_STATE fails with timed_out after the manager's connect timeout.
  auto mgr = d.settings.utp;
  auto [ec, stream] = co_await mgr->connect(asio::ip::udp::endpoint(d.remote.address(), d.remote.port()));
  if (d.closed) {
    stream.close();
    co_return false;
  }
  if (ec) {
    d.close(ec);
    co_return false;
  }
  d.stream = peer_stream(std::move(stream));
  co_return true;
}

awaitable<bool> peer_connection::impl::mse_initiate(impl& d) {
  d.mse_attempted = true;
  std::vector<std::uint8_t> ia;
  wire::write_handshake(ia, d.our_handshake());
  auto init = mse_initiator::create(d.wire_info_hash, d.settings.encryption.crypto_provide, ia,
                                    mse_secrets::generate());
  if (!init) {
    d.close(init.error());
    co_return false;
  }
  // The exchange is a few hundred bytes each way: read into the receive buffer's free space
  // (nothing is committed there; the handshake's leftovers come back through the stream).
  for (;;) {
    const auto out = init->take_output();
    if (!out.empty()) {
      auto [wec, written] = co_await d.stream.write(out);
      if (d.closed) co_return false;
      if (wec) {
        d.close(wec);
        co_return false;
      }
    }
    if (init->done()) break;
    const auto room = d.recv.prepare(0);
    auto [ec, n] = co_await d.stream.read_some(room);
    if (d.closed) co_return false;
    if (ec) {
      d.close(ec);
      co_return false;
    }
    d.received_bytes += static_cast<std::int64_t>(n);
    if (const auto mec = init->receive(room.first(n))) {
      spdlog::debug("peer {}: MSE handshake failed: {}", d.label, mec.message());
      d.close(mec);
      co_return false;
    }
  }
  d.last_send = clock_type::now();
  auto r = init->take_result();
  spdlog::debug("peer {}: MSE done, {}", d.label, r.method == mse_method::rc4 ? "RC4" : "plaintext");
  d.stream.set_cipher(std::move(r.cipher));
  d.stream.push_received(r.received);
  co_return true;
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
    auto [ec, n] = co_await d.stream.read_some(room);
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
  auto ex = d.stream.get_executor();
  asio::co_spawn(ex, write_loop(self), connection_completion(self));
  asio::co_spawn(ex, tick_loop(self), connection_completion(self));
}

void peer_connection::start_outgoing() {
  if (impl_->started || impl_->closed) return;
  impl_->started = true;
  auto self = shared_from_this();
  asio::co_spawn(impl_->stream.get_executor(), impl::run_outgoing(self), connection_completion(self));
}

bool peer_connection::adopt_incoming(peer_stream stream) {
  if (impl_->started || impl_->closed) return false;
  impl_->started = true;
  impl_->incoming = true;
  impl_->transport_connected = true;
  impl_->stream = std::move(stream);
  if (auto* sock = impl_->stream.tcp_socket()) {
    boost::system::error_code ignored;
    sock->set_option(tcp::no_delay(true), ignored);
  }
  if (impl_->settings.tos != 0) impl_->apply_tos();
  return true;
}

void peer_connection::start_incoming(tcp::socket socket) {
  if (!adopt_incoming(peer_stream(std::move(socket)))) return;
  auto self = shared_from_this();
  asio::co_spawn(impl_->stream.get_executor(), impl::run_incoming(self), connection_completion(self));
}

void peer_connection::start_incoming(peer_stream stream, const wire::handshake& h) {
  if (!adopt_incoming(std::move(stream))) return;
  auto self = shared_from_this();
  asio::co_spawn(impl_->stream.get_executor(), impl::run_incoming_known(self, h), connection_completion(self));
}

void peer_connection::impl::apply_tos() {
  if (const auto ec = stream.set_traffic_class(settings.tos)) {
    spdlog::warn("peer {}: cannot set TOS {:#x}: {}", label, settings.tos, ec.message());
  }
}

}  // namespace tessera::detail
