// BEP 14 local service discovery service: sockets, announce loop, receive loops.
#include "discovery/lsd.hpp"

#include <algorithm>
#include <array>
#include <random>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "discovery/lsd_message.hpp"

namespace tessera::detail {

namespace asio = boost::asio;
using asio::ip::udp;

// ---------------------------------------------------------------------------------------------
// Schedule

void lsd_schedule::add(const sha1_hash& ih, clock::time_point now) {
  auto [it, inserted] = entries_.try_emplace(ih, entry{std::nullopt, now});
  if (inserted || !it->second.last) return;  // new, or never sent yet: already due
  it->second.due = std::min(it->second.due, std::max(now, *it->second.last + min_interval_));
}

std::vector<sha1_hash> lsd_schedule::take_due(clock::time_point now) {
  std::vector<sha1_hash> out;
  for (auto& [ih, e] : entries_) {
    if (e.due > now) continue;
    out.push_back(ih);
    e.last = now;
    e.due = now + reannounce_;
  }
  return out;
}

std::optional<lsd_schedule::clock::time_point> lsd_schedule::next_due() const {
  std::optional<clock::time_point> best;
  for (const auto& [ih, e] : entries_) {
    if (!best || e.due < *best) best = e.due;
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Service

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
const asio::ip::address_v4 group_v4 = asio::ip::make_address_v4("239.192.152.143");
const asio::ip::address_v6 group_v6 = asio::ip::make_address_v6("ff15::efc0:988f");

/// Cookie: 16 random hex digits, enough that two clients on one link never pick the same.
std::string make_cookie() {
  std::random_device rd;
  std::mt19937_64 rng((std::uint64_t{rd()} << 32) ^ rd());
  const std::uint64_t v = rng();
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 0; i < 16; ++i) out[i] = digits[(v >> (4 * i)) & 0xf];
  return out;
}

}  // namespace

/// One address family: a receiving socket bound to the group and a sending socket.
struct family {
  udp::socket recv;
  udp::socket send;
  udp::endpoint group;
  std::string host;  ///< Host header value
  bool up = false;
};

struct lsd::impl {
  asio::any_io_executor ex;
  lsd_options options;
  peer_handler on_peer;
  std::string cookie = make_cookie();
  lsd_schedule schedule{options.min_interval, options.reannounce};
  asio::steady_timer wake{ex};
  family v4{udp::socket(ex), udp::socket(ex), {}, {}, false};
  family v6{udp::socket(ex), udp::socket(ex), {}, {}, false};
  lsd_stats stats{};
  bool stopped = false;

  void log(const std::string& text) const {
    if (options.log) options.log(text);
  }

  boost::system::error_code open_v4() {
    boost::system::error_code ec;
    v4.group = udp::endpoint(group_v4, options.group_port);
    v4.host = group_v4.to_string() + ":" + std::to_string(options.group_port);
    v4.recv.open(udp::v4(), ec);
    if (!ec) v4.recv.set_option(asio::socket_base::reuse_address(true), ec);
    // Bound to the group address, the socket gets only the group's datagrams on this port.
    if (!ec) v4.recv.bind(v4.group, ec);
    if (!ec) v4.recv.set_option(asio::ip::multicast::join_group(group_v4, options.interface_v4), ec);
    if (!ec) v4.send.open(udp::v4(), ec);
    if (!ec && !options.interface_v4.is_unspecified()) {
      v4.send.set_option(asio::ip::multicast::outbound_interface(options.interface_v4), ec);
    }
    if (!ec) v4.send.set_option(asio::ip::multicast::hops(options.ttl), ec);
    if (!ec) v4.send.set_option(asio::ip::multicast::enable_loopback(options.loopback), ec);
    if (ec) close(v4);
    v4.up = !ec;
    return ec;
  }

  boost::system::error_code open_v6() {
    boost::system::error_code ec;
    v6.group = udp::endpoint(group_v6, options.group_port);
    v6.host = "[" + group_v6.to_string() + "]:" + std::to_string(options.group_port);
    v6.recv.open(udp::v6(), ec);
    if (!ec) v6.recv.set_option(asio::ip::v6_only(true), ec);
    if (!ec) v6.recv.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) v6.recv.bind(v6.group, ec);
    if (!ec) v6.recv.set_option(asio::ip::multicast::join_group(group_v6, options.interface_v6), ec);
    if (!ec) v6.send.open(udp::v6(), ec);
    if (!ec) v6.send.set_option(asio::ip::v6_only(true), ec);
    if (!ec && options.interface_v6 != 0) {
      v6.send.set_option(asio::ip::multicast::outbound_interface(options.interface_v6), ec);
    }
    if (!ec) v6.send.set_option(asio::ip::multicast::hops(options.ttl), ec);
    if (!ec) v6.send.set_option(asio::ip::multicast::enable_loopback(options.loopback), ec);
    if (ec) close(v6);
    v6.up = !ec;
    return ec;
  }

  static void close(family& f) {
    boost::system::error_code ignored;
    f.recv.close(ignored);
    f.send.close(ignored);
    f.up = false;
  }

  /// Handles one datagram from `sender`; never throws on any content.
  void on_datagram(std::string_view data, const udp::endpoint& sender) {
    ++stats.messages_received;
    auto parsed = parse_lsd_announce(data);
    if (!parsed) {
      ++stats.malformed;
      return;
    }
    if (parsed->cookie == cookie) {
      ++stats.own_ignored;
      return;
    }
    const asio::ip::tcp::endpoint peer(sender.address(), parsed->port);
    for (const auto& ih : parsed->info_hashes) {
      if (!schedule.contains(ih)) continue;
      ++stats.peers_reported;
      if (on_peer) on_peer(ih, peer);
      if (stopped) return;  // the handler may stop us
    }
  }
};

namespace {

// `self` keeps the service alive while the coroutine runs.
asio::awaitable<void> receive_loop([[maybe_unused]] std::shared_ptr<lsd> self, lsd::impl& s, family& f) {
  // One byte more than the largest accepted message, so an oversize datagram is seen as such.
  std::array<char, lsd_max_message + 1> buffer;
  udp::endpoint sender;
  // Ends when stop() closes the socket (operation_aborted / bad_descriptor).
  while (!s.stopped && f.recv.is_open()) {
    auto [ec, n] = co_await f.recv.async_receive_from(asio::buffer(buffer), sender, use_tuple);
    if (s.stopped) break;
    if (ec) {
      if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) break;
      s.log("lsd: receive: " + ec.message());
      continue;  // transient (e.g. ICMP-induced) errors: keep listening
    }
    s.on_datagram(std::string_view(buffer.data(), n), sender);
  }
}

asio::awaitable<void> send_batch(lsd::impl& s, const std::vector<sha1_hash>& due) {
  for (family* f : {&s.v4, &s.v6}) {
    if (!f->up) continue;
    lsd_announce a{f->host, s.options.listen_port, due, s.cookie};
    for (const auto& msg : build_lsd_announces(a)) {
      auto [ec, n] = co_await f->send.async_send_to(asio::buffer(msg), f->group, use_tuple);
      if (s.stopped) co_return;
      if (ec) {
        s.log("lsd: send to " + f->host + ": " + ec.message());
        break;
      }
      ++s.stats.messages_sent;
    }
  }
}

asio::awaitable<void> announce_loop([[maybe_unused]] std::shared_ptr<lsd> self, lsd::impl& s) {
  // Each pass sleeps until the next due time (or until announce() wakes it) and sends what is
  // due; the schedule keeps sends at most one per hash per min_interval.
  while (!s.stopped) {
    const auto now = lsd_schedule::clock::now();
    // Without a listen port there is nothing to announce yet; set_listen_port() wakes us.
    auto due = s.options.listen_port != 0 ? s.schedule.take_due(now) : std::vector<sha1_hash>{};
    if (!due.empty()) {
      co_await send_batch(s, due);
      if (s.stopped) break;
      continue;  // recompute: more may have become due while sending
    }
    auto next = s.options.listen_port != 0 ? s.schedule.next_due() : std::nullopt;
    s.wake.expires_at(next ? *next : now + s.options.reannounce);
    co_await s.wake.async_wait(use_tuple);  // cancelled by announce() and stop()
  }
}

}  // namespace

lsd::lsd(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
lsd::~lsd() = default;

result<std::shared_ptr<lsd>> lsd::start(asio::any_io_executor ex, lsd_options options, peer_handler on_peer) {
  auto p = std::make_unique<impl>(impl{ex, std::move(options), std::move(on_peer)});
  auto& s = *p;
  const auto ec4 = s.open_v4();
  if (ec4) s.log("lsd: IPv4 group unavailable: " + ec4.message());
  boost::system::error_code ec6;
  if (s.options.ipv6) {
    ec6 = s.open_v6();
    if (ec6) s.log("lsd: IPv6 group unavailable: " + ec6.message());
  }
  if (!s.v4.up && !s.v6.up) return unexpected{std::error_code(ec4)};
  auto self = std::make_shared<lsd>(std::move(p));
  auto& state = *self->impl_;
  for (family* f : {&state.v4, &state.v6}) {
    if (f->up) asio::co_spawn(ex, receive_loop(self, state, *f), asio::detached);
  }
  asio::co_spawn(ex, announce_loop(self, state), asio::detached);
  return self;
}

void lsd::announce(const sha1_hash& ih) {
  if (impl_->stopped) return;
  impl_->schedule.add(ih, lsd_schedule::clock::now());
  impl_->wake.cancel();
}

void lsd::remove(const sha1_hash& ih) { impl_->schedule.remove(ih); }

void lsd::set_listen_port(std::uint16_t port) {
  impl_->options.listen_port = port;
  impl_->wake.cancel();
}

void lsd::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->wake.cancel();
  impl::close(impl_->v4);
  impl::close(impl_->v6);
}

const std::string& lsd::cookie() const { return impl_->cookie; }
const lsd_stats& lsd::stats() const { return impl_->stats; }
bool lsd::has_ipv4() const { return impl_->v4.up; }
bool lsd::has_ipv6() const { return impl_->v6.up; }

}  // namespace tessera::detail
