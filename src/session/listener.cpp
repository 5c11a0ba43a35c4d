// listener: bind with port fallback, accept loops, handshake stages with a deadline.
#include "session/listener.hpp"

#include <algorithm>
#include <array>
#include <exception>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <spdlog/spdlog.h>

#include "session/incoming_handshake.hpp"
#include "swarm/coroutine_failure.hpp"

namespace tessera::detail {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

auto log_failure() { return log_coroutine_failure("listener"); }

}  // namespace

listener::listener(asio::any_io_executor ex, listener_settings settings, peer_handler on_peer,
                   const mse_skey_map* skeys)
    : ex_(std::move(ex)),
      settings_(std::move(settings)),
      on_peer_(std::move(on_peer)),
      skeys_(skeys),
      // Dated a second back: the bucket starts full (a token bucket starts empty), so the first
      // MSE peers after the start are not turned away.
      mse_budget_(std::max(0, settings_.max_mse_per_second), std::max(0, settings_.max_mse_per_second),
                  std::chrono::steady_clock::now() - std::chrono::seconds(1)) {}

listener::~listener() {
  boost::system::error_code ignored;
  for (auto& a : acceptors_) a->close(ignored);
}

std::error_code listener::try_bind(const std::vector<asio::ip::address>& addrs, std::uint16_t port,
                                   bool v6_optional) {
  std::vector<acceptor_ptr> bound;
  for (const auto& addr : addrs) {
    const bool optional = v6_optional && addr.is_v6();
    auto a = std::make_shared<tcp::acceptor>(ex_);
    boost::system::error_code ec;
    const tcp::endpoint ep(addr, port);
    a->open(ep.protocol(), ec);
    if (!ec && addr.is_v6()) a->set_option(asio::ip::v6_only(true), ec);
    if (!ec) a->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) a->bind(ep, ec);
    if (!ec) a->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      if (optional) {
        spdlog::info("listen: no IPv6 socket on [{}]:{}: {}", addr.to_string(), port, ec.message());
        continue;
      }
      return ec;
    }
    // Port 0: the first socket picked one; the others must use the same.
    if (port == 0) port = a->local_endpoint().port();
    bound.push_back(std::move(a));
  }
  acceptors_ = std::move(bound);
  port_ = port;
  return {};
}

result<std::uint16_t> listener::open() {
  std::vector<asio::ip::address> addrs;
  bool v6_optional = false;
  if (settings_.interface.empty()) {
    addrs = {asio::ip::address_v4::any(), asio::ip::address_v6::any()};
    v6_optional = true;
  } else {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(settings_.interface, ec);
    if (ec) {
      spdlog::error("listen: bad interface address '{}'", settings_.interface);
      return unexpected{std::make_error_code(std::errc::invalid_argument)};
    }
    addrs = {addr};
  }
  std::vector<std::uint16_t> ports;
  if (settings_.port != 0) {
    for (int i = 0; i <= settings_.fallback_ports && settings_.port + i <= 65535; ++i) {
      ports.push_back(static_cast<std::uint16_t>(settings_.port + i));
    }
  }
  ports.push_back(0);
  std::error_code last;
  for (std::uint16_t p : ports) {
    last = try_bind(addrs, p, v6_optional);
    if (last) {
      // Only a busy port is worth another try; anything else fails the same way on every port.
      if (last != std::errc::address_in_use && last != std::errc::permission_denied) break;
      continue;
    }
    if (settings_.port != 0 && port_ != settings_.port) {
      spdlog::warn("listen: port {} is not available; listening on port {} instead", settings_.port, port_);
    }
    for (const auto& ep : endpoints()) {
      spdlog::info("listening on {}:{}", ep.address().to_string(), ep.port());
    }
    return port_;
  }
  spdlog::error("listen: cannot listen on '{}' port {}: {}", settings_.interface, settings_.port,
                last.message());
  return unexpected{last};
}

void listener::start() {
  auto self = shared_from_this();
  for (auto& a : acceptors_) asio::co_spawn(ex_, accept_loop(self, a), log_failure());
}

void listener::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  for (auto& a : acceptors_) a->close(ignored);
  while (!pending_.empty()) {
    auto p = pending_.front();
    forget(*p);
    p->stream.close();
  }
}

std::vector<tcp::endpoint> listener::endpoints() const {
  std::vector<tcp::endpoint> out;
  for (const auto& a : acceptors_) {
    boost::system::error_code ec;
    auto ep = a->local_endpoint(ec);
    if (!ec) out.push_back(ep);
  }
  return out;
}

asio::awaitable<void> listener::accept_loop(std::shared_ptr<listener> self, acceptor_ptr a) {
  asio::steady_timer backoff(self->ex_);
  while (!self->closed_ && a->is_open()) {
    auto [ec, socket] = co_await a->async_accept(use_tuple);
    if (self->closed_ || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors or the like: wait a little instead of spinning.
      spdlog::warn("listen: accept failed: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(200));
      co_await backoff.async_wait(use_tuple);
      continue;
    }
    boost::system::error_code rec;
    const auto remote = socket.remote_endpoint(rec);
    if (rec) {  // reset before we got to it
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    self->admit(peer_stream(std::move(socket)), remote.address());
  }
}

void listener::adopt(peer_stream stream) {
  boost::system::error_code ec;
  const auto remote = stream.remote_endpoint(ec);
  if (closed_ || ec) {
    stream.close();
    return;
  }
  admit(std::move(stream), remote.address());
}

void listener::admit(peer_stream stream, const asio::ip::address& remote) {
  const auto host = host_address(remote);
  make_room(host);
  auto p = std::make_shared<pending_handshake>(pending_handshake{std::move(stream), host, {}, true});
  p->pos = pending_.insert(pending_.end(), p);
  pending_hosts_.add(host);
  asio::co_spawn(ex_, read_handshake(shared_from_this(), std::move(p)), log_failure());
}

void listener::make_room(const asio::ip::address& host) {
  // The new connection is the newest: whoever has to go is older. The host's own first, then its
  // subnet's, then anyone's, so a flood from one host or network mostly displaces itself.
  const int per_ip = settings_.max_pending_handshakes_per_ip;
  const int per_subnet = settings_.max_pending_handshakes_per_subnet;
  while (per_ip > 0 && pending_hosts_.on_host(host) >= per_ip &&
         evict_oldest([&](const pending_handshake& p) { return p.host == host; })) {
  }
  const auto subnet = subnet_of(host);
  while (per_subnet > 0 && pending_hosts_.on_subnet(host) >= per_subnet &&
         evict_oldest([&](const pending_handshake& p) { return subnet_of(p.host) == subnet; })) {
  }
  const auto max_total = static_cast<std::size_t>(std::max(1, settings_.max_pending_handshakes));
  while (pending_.size() >= max_total && evict_oldest([](const pending_handshake&) { return true; })) {
  }
}

template <class Pred>
bool listener::evict_oldest(Pred pred) {
  for (const auto& p : pending_) {
    if (!pred(*p)) continue;
    auto victim = p;  // forget() erases the list's reference
    forget(*victim);
    victim->stream.close();  // its read fails; read_handshake finds it forgotten
    ++evicted_;
    return true;
  }
  return false;
}

void listener::forget(pending_handshake& p) {
  if (!p.in_table) return;
  p.in_table = false;
  pending_hosts_.remove(p.host);
  pending_.erase(p.pos);
}

asio::awaitable<void> listener::read_handshake(std::shared_ptr<listener> self, pending_ptr p) {
  asio::steady_timer deadline(self->ex_);
  deadline.expires_after(self->settings_.handshake_timeout);
  deadline.async_wait([p](boost::system::error_code ec) {
    if (ec) return;
    p->stream.close();  // the pending read fails
  });
  incoming_handshake_context ctx;
  ctx.policy = self->settings_.encryption;
  ctx.skeys = self->skeys_;
  ctx.allow_dh = [raw = self.get()] {
    if (raw->settings_.max_mse_per_second <= 0) return true;
    if (raw->mse_budget_.request(1, std::chrono::steady_clock::now()) == 1) return true;
    ++raw->mse_rate_limited_;
    return false;
  };
  auto h = co_await run_incoming_handshake(p->stream, std::move(ctx));
  deadline.cancel();
  const bool evicted = !p->in_table;
  self->forget(*p);
  if (!h || evicted || self->closed_) {
    if (!h && !evicted && !self->closed_) {
      ++self->refused_;
      // A policy refusal is worth seeing (a peer we will never talk to); the rest is noise.
      const bool policy = h.error() == make_error_code(mse_errc::plaintext_refused) ||
                          h.error() == make_error_code(mse_errc::no_common_method);
      if (policy) {
        spdlog::info("incoming peer refused by the encryption policy: {}", h.error().message());
      } else {
        spdlog::debug("incoming peer refused in its handshake: {}", h.error().message());
      }
    }
    p->stream.close();
    co_return;
  }
  if (self->on_peer_) self->on_peer_(std::move(p->stream), *h);
}

}  // namespace tessera::detail
