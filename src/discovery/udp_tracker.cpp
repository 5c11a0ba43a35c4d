// BEP 15 UDP tracker client: packet codec (udp_tracker_wire.hpp) and udp_tracker_client
// (announce, and scrape: action 2).
#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <optional>
#include <random>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/url/parse.hpp>

#include "discovery/resolve.hpp"
#include "discovery/tracker.hpp"
#include "discovery/tracker_parse.hpp"
#include "discovery/udp_tracker_wire.hpp"

namespace tessera::detail {

namespace asio = boost::asio;
using asio::ip::udp;

// ---------------------------------------------------------------------------------------------
// Codec

namespace udp_wire {
namespace {

void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
void put64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  put32(out, static_cast<std::uint32_t>(v >> 32));
  put32(out, static_cast<std::uint32_t>(v));
}
std::uint32_t get32(std::span<const std::uint8_t> in, std::size_t off) {
  return (std::uint32_t{in[off]} << 24) | (std::uint32_t{in[off + 1]} << 16) |
         (std::uint32_t{in[off + 2]} << 8) | std::uint32_t{in[off + 3]};
}
std::uint64_t get64(std::span<const std::uint8_t> in, std::size_t off) {
  return (std::uint64_t{get32(in, off)} << 32) | get32(in, off + 4);
}

}  // namespace

std::vector<std::uint8_t> build_connect(std::uint32_t transaction_id) {
  std::vector<std::uint8_t> out;
  out.reserve(16);
  put64(out, protocol_id);
  put32(out, static_cast<std::uint32_t>(action::connect));
  put32(out, transaction_id);
  return out;
}

std::vector<std::uint8_t> build_announce(std::uint64_t connection_id, std::uint32_t transaction_id,
                                         const announce_request& req) {
  auto counter = [](std::int64_t v) { return static_cast<std::uint64_t>(std::max<std::int64_t>(v, 0)); };
  std::vector<std::uint8_t> out;
  out.reserve(98);
  put64(out, connection_id);
  put32(out, static_cast<std::uint32_t>(action::announce));
  put32(out, transaction_id);
  out.insert(out.end(), req.info_hash.bytes.begin(), req.info_hash.bytes.end());
  out.insert(out.end(), req.pid.bytes.begin(), req.pid.bytes.end());
  put64(out, counter(req.downloaded));
  put64(out, counter(req.left));
  put64(out, counter(req.uploaded));
  put32(out, static_cast<std::uint32_t>(req.event));  // BEP 15 numbers events as our enum does
  put32(out, 0);                                        // IP address: the sender's
  put32(out, req.key);
  put32(out, static_cast<std::uint32_t>(req.numwant < 0 ? -1 : req.numwant));
  out.push_back(static_cast<std::uint8_t>(req.port >> 8));
  out.push_back(static_cast<std::uint8_t>(req.port));
  return out;
}

std::vector<std::uint8_t> build_scrape(std::uint64_t connection_id, std::uint32_t transaction_id,
                                       std::span<const sha1_hash> hashes) {
  const std::size_t n = std::min(hashes.size(), max_scrape_hashes);
  std::vector<std::uint8_t> out;
  out.reserve(16 + 20 * n);
  put64(out, connection_id);
  put32(out, static_cast<std::uint32_t>(action::scrape));
  put32(out, transaction_id);
  for (std::size_t i = 0; i < n; ++i) out.insert(out.end(), hashes[i].bytes.begin(), hashes[i].bytes.end());
  return out;
}

reply parse_reply(std::span<const std::uint8_t> datagram, std::uint32_t transaction_id,
                  action expected, bool ipv6_peers, std::size_t expected_hashes) {
  reply r;
  if (datagram.size() < 8 || get32(datagram, 4) != transaction_id) return r;
  const auto act = get32(datagram, 0);
  if (act == static_cast<std::uint32_t>(action::error)) {
    r.what = reply::kind::error;
    auto text = datagram.subspan(8);
    r.message.assign(reinterpret_cast<const char*>(text.data()), text.size());
    if (r.message.size() > 1024) r.message.resize(1024);  // it ends up in logs
    return r;
  }
  if (act != static_cast<std::uint32_t>(expected)) return r;
  if (expected == action::connect) {
    if (datagram.size() < 16) return r;
    r.what = reply::kind::connected;
    r.connection_id = get64(datagram, 8);
    return r;
  }
  auto as_signed = [](std::uint32_t v) { return static_cast<std::int64_t>(static_cast<std::int32_t>(v)); };
  if (expected == action::scrape) {
    // BEP 15: action, transaction id, then seeders, completed, leechers per hash asked, in order.
    r.what = reply::kind::scraped;
    const std::size_t triples = std::min((datagram.size() - 8) / 12, std::min(expected_hashes, max_scrape_hashes));
    auto count = [&](std::size_t off) { return std::max<std::int64_t>(as_signed(get32(datagram, off)), -1); };
    for (std::size_t i = 0; i < triples; ++i) {
      const std::size_t off = 8 + 12 * i;
      r.scraped.push_back({.complete = count(off), .downloaded = count(off + 4), .incomplete = count(off + 8)});
    }
    return r;
  }
  if (expected != action::announce || datagram.size() < 20) return r;
  r.what = reply::kind::announced;
  r.response.interval = clamp_tracker_interval(as_signed(get32(datagram, 8)));
  const auto leechers = as_signed(get32(datagram, 12));
  const auto seeders = as_signed(get32(datagram, 16));
  r.response.incomplete = leechers >= 0 ? leechers : -1;
  r.response.complete = seeders >= 0 ? seeders : -1;
  const std::size_t stride = ipv6_peers ? 18 : 6;
  auto peers = datagram.subspan(20);
  const std::size_t whole = peers.size() - peers.size() % stride;
  reply_peer_collector collected(r.response.peers);
  append_compact_peers(std::string_view(reinterpret_cast<const char*>(peers.data()), whole), stride,
                       collected);
  return r;
}

}  // namespace udp_wire

// ---------------------------------------------------------------------------------------------
// Client

namespace {

using namespace asio::experimental::awaitable_operators;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
/// BEP 15: a connection id may be used for one minute after it was received.
constexpr std::chrono::seconds connection_id_lifetime{60};
/// Longest UDP datagram we accept: a 98-byte header plus peers; 64 KiB covers anything legal.
constexpr std::size_t max_datagram = 65536;

tracker_error make_error(tracker_errc e, std::string message) {
  return {make_error_code(e), std::move(message)};
}

struct cached_connection {
  std::uint64_t id = 0;
  std::chrono::steady_clock::time_point received;
};

}  // namespace

struct udp_tracker_client::impl {
  asio::any_io_executor ex;
  std::chrono::milliseconds base_timeout;
  std::map<udp::endpoint, cached_connection> connections;
  std::mt19937 rng{std::random_device{}()};

  std::optional<std::uint64_t> fresh_connection(const udp::endpoint& ep) {
    auto it = connections.find(ep);
    if (it == connections.end()) return std::nullopt;
    if (std::chrono::steady_clock::now() - it->second.received >= connection_id_lifetime) {
      connections.erase(it);
      return std::nullopt;
    }
    return it->second.id;
  }
};

namespace {

/// Sends `request`, then waits up to `timeout` for a datagram that answers it (others are
/// skipped). nullopt on timeout; a reply of kind error for socket errors is not produced here:
/// socket errors come back in *socket_error.
asio::awaitable<std::optional<udp_wire::reply>>
exchange(udp::socket& socket, const std::vector<std::uint8_t>& request, std::uint32_t tid,
         udp_wire::action expected, bool ipv6, std::size_t expected_hashes,
         std::chrono::milliseconds timeout, boost::system::error_code* socket_error) {
  auto [sec, sent] = co_await socket.async_send(asio::buffer(request), use_tuple);
  if (sec) {
    *socket_error = sec;
    co_return std::nullopt;
  }
  asio::steady_timer timer(socket.get_executor());
  timer.expires_after(timeout);
  std::vector<std::uint8_t> buffer(max_datagram);
  // Bounded by the timer: every pass either consumes a datagram or ends the wait.
  for (;;) {
    auto outcome = co_await (socket.async_receive(asio::buffer(buffer), use_tuple) ||
                             timer.async_wait(use_tuple));
    if (outcome.index() == 1) co_return std::nullopt;  // the timer fired first
    auto [rec, size] = std::get<0>(outcome);
    if (rec) {
      *socket_error = rec;
      co_return std::nullopt;
    }
    auto r = udp_wire::parse_reply(std::span(buffer.data(), size), tid, expected, ipv6, expected_hashes);
    if (r.what != udp_wire::reply::kind::ignore) co_return r;
  }
}

}  // namespace

udp_tracker_client::udp_tracker_client(asio::any_io_executor ex, std::chrono::milliseconds base_timeout)
    : impl_(std::make_shared<impl>(impl{std::move(ex), base_timeout, {}, {}})) {}

udp_tracker_client::~udp_tracker_client() = default;

namespace {

/// One BEP 15 exchange after connect: the request for a connection id and transaction id, the
/// action its reply has, and how many scrape triples to read.
struct udp_request {
  std::function<std::vector<std::uint8_t>(std::uint64_t, std::uint32_t)> build;
  udp_wire::action expected;
  std::size_t expected_hashes = 0;
};

}  // namespace

namespace {

/// connect (or reuse the connection id), then `request`, with BEP 15's retransmissions.
asio::awaitable<result<udp_wire::reply, tracker_error>>
udp_transaction(std::shared_ptr<udp_tracker_client::impl> self, std::string url, udp_request request,
                std::optional<asio::ip::address> local, int max_retries) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "udp" || !parsed->has_port() || parsed->port_number() == 0 ||
      parsed->encoded_host().empty()) {
    co_return unexpected{make_error(tracker_errc::unsupported_url, url)};
  }
  max_retries = std::clamp(max_retries, 0, 8);
  // Resolving gets the time of the first transmission.
  auto resolved = co_await resolve_with_deadline<udp>(
      parsed->host_address(), parsed->port_number(),
      std::chrono::steady_clock::now() + std::max<std::chrono::milliseconds>(self->base_timeout, std::chrono::seconds(5)));
  if (!resolved) co_return unexpected{resolved.error()};
  const udp::endpoint tracker = resolved->begin()->endpoint();
  const bool ipv6 = tracker.address().is_v6() && !tracker.address().to_v6().is_v4_mapped();

  udp::socket socket(self->ex);
  boost::system::error_code ec;
  socket.open(tracker.protocol(), ec);
  if (!ec && local && local->is_v4() == tracker.address().is_v4()) {
    socket.bind(udp::endpoint(*local, 0), ec);
  }
  // connect() makes the kernel drop datagrams from any other sender and report ICMP
  // port-unreachable as connection_refused.
  if (!ec) socket.connect(tracker, ec);
  if (ec) co_return unexpected{tracker_error{std::error_code(ec), "UDP socket: " + ec.message()}};

  for (int n = 0; n <= max_retries;) {
    const auto timeout = self->base_timeout * (1 << n);
    boost::system::error_code socket_error;
    auto connection = self->fresh_connection(tracker);
    if (!connection) {
      const std::uint32_t tid = self->rng();
      auto r = co_await exchange(socket, udp_wire::build_connect(tid), tid, udp_wire::action::connect,
                                 ipv6, 0, timeout, &socket_error);
      if (socket_error) {
        co_return unexpected{tracker_error{std::error_code(socket_error), "UDP: " + socket_error.message()}};
      }
      if (!r) {
        ++n;
        continue;
      }
      if (r->what == udp_wire::reply::kind::error) {
        co_return unexpected{make_error(tracker_errc::udp_error, r->message)};
      }
      self->connections[tracker] = {r->connection_id, std::chrono::steady_clock::now()};
      connection = r->connection_id;
    }
    const std::uint32_t tid = self->rng();
    auto r = co_await exchange(socket, request.build(*connection, tid), tid, request.expected, ipv6,
                               request.expected_hashes, timeout, &socket_error);
    if (socket_error) {
      co_return unexpected{tracker_error{std::error_code(socket_error), "UDP: " + socket_error.message()}};
    }
    if (!r) {
      ++n;  // the next pass reconnects first if the connection id has expired meanwhile
      continue;
    }
    if (r->what == udp_wire::reply::kind::error) {
      // Often "connection id mismatch": do not reuse it.
      self->connections.erase(tracker);
      co_return unexpected{make_error(tracker_errc::udp_error, r->message)};
    }
    co_return std::move(*r);
  }
  co_return unexpected{make_error(tracker_errc::timeout, "no reply from " + url)};
}

}  // namespace

asio::awaitable<result<announce_response, tracker_error>>
udp_tracker_client::announce(std::string url, announce_request req, int max_retries) {
  auto self = impl_;  // the state outlives this client while the coroutine runs
  auto local = req.local_address;
  udp_request request{[req = std::move(req)](std::uint64_t cid, std::uint32_t tid) {
                        return udp_wire::build_announce(cid, tid, req);
                      },
                      udp_wire::action::announce, 0};
  auto r = co_await udp_transaction(self, std::move(url), std::move(request), local, max_retries);
  if (!r) co_return unexpected{std::move(r.error())};
  co_return std::move(r->response);
}

asio::awaitable<result<scrape_response, tracker_error>>
udp_tracker_client::scrape(std::string url, std::vector<sha1_hash> hashes,
                           std::optional<asio::ip::address> local, int max_retries) {
  auto self = impl_;
  if (hashes.empty() || hashes.size() > max_scrape_hashes) {
    co_return unexpected{make_error(tracker_errc::unsupported_url, "scrape of " + std::to_string(hashes.size()) + " hashes")};
  }
  const std::size_t n = hashes.size();
  udp_request request{[hashes = std::move(hashes)](std::uint64_t cid, std::uint32_t tid) {
                        return udp_wire::build_scrape(cid, tid, hashes);
                      },
                      udp_wire::action::scrape, n};
  auto r = co_await udp_transaction(self, std::move(url), std::move(request), local, max_retries);
  if (!r) co_return unexpected{std::move(r.error())};
  scrape_response out;
  out.entries.resize(n);
  for (std::size_t i = 0; i < r->scraped.size() && i < n; ++i) out.entries[i] = r->scraped[i];
  co_return out;
}

}  // namespace tessera::detail
