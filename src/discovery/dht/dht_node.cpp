// DHT node (BEP 5, BEP 32 family handling): socket, server side, queries and lookups.
#include "discovery/dht/dht_node.hpp"

#include <algorithm>
#include <array>
#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "discovery/resolve.hpp"
#include "discovery/dht/lookup_state.hpp"
#include "discovery/dht/node_id_security.hpp"
#include "discovery/dht/secure_random.hpp"

namespace tessera::detail::dht {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
/// Largest datagram we read; KRPC rejects more anyway.
constexpr std::size_t receive_buffer = 65536;
/// Bounds on work started by one maintenance tick and by add_node().
constexpr std::size_t refreshes_per_tick = 4;
constexpr std::size_t pings_per_tick = 8;
constexpr std::size_t max_add_node_in_flight = 32;
constexpr std::size_t max_bootstrap_endpoints = 16;

peer_endpoint to_peer(const udp::endpoint& ep) {
  peer_endpoint out;
  out.port = ep.port();
  const auto a = ep.address();
  if (a.is_v4()) {
    const auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), out.addr.begin());
  } else {
    const auto b = a.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), out.addr.begin());
    out.v6 = true;
  }
  return out;
}

udp::endpoint to_udp(const peer_endpoint& ep) {
  if (ep.v6) {
    asio::ip::address_v6::bytes_type b;
    std::copy(ep.addr.begin(), ep.addr.end(), b.begin());
    return {asio::ip::address_v6(b), ep.port};
  }
  asio::ip::address_v4::bytes_type b;
  std::copy(ep.addr.begin(), ep.addr.begin() + 4, b.begin());
  return {asio::ip::address_v4(b), ep.port};
}

tcp::endpoint to_tcp(const peer_endpoint& ep) {
  const auto u = to_udp(ep);
  return {u.address(), u.port()};
}

/// Splits "host:port" or "[v6]:port"; nullopt for anything else or port 0.
std::optional<std::pair<std::string, std::uint16_t>> split_host_port(std::string_view s) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = s.substr(0, colon);
  const std::string_view port = s.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
  }
  if (port.empty() || port.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535) return std::nullopt;
  return std::pair{std::string(host), static_cast<std::uint16_t>(value)};
}

}  // namespace

/// One query waiting for its answer: the timer is the wait, cancelled when the answer comes.
struct dht_node::pending {
  explicit pending(const asio::any_io_executor& ex) : timer(ex) {}
  udp::endpoint to;
  asio::steady_timer timer;
  std::optional<krpc::response> response;
  bool error_reply = false;
};

struct dht_node::reply {
  std::optional<krpc::response> response;  ///< empty: timeout or error reply
  bool error_reply = false;
};

/// A set of concurrent sub-tasks: each decrements `outstanding` and cancels `wake`.
struct dht_node::join {
  explicit join(const asio::any_io_executor& ex) : wake(ex) {}
  asio::steady_timer wake;
  std::size_t outstanding = 0;
  void finished() {
    --outstanding;
    wake.cancel();
  }
};

struct dht_node::lookup_run {
  lookup_run(const asio::any_io_executor& ex, const sha1_hash& wanted, const sha1_hash& own, std::size_t alpha,
             bool peers)
      : state(wanted, own, bucket_size, alpha), target(wanted), get_peers(peers), wake(ex) {}
  lookup_state state;
  sha1_hash target;
  bool get_peers;
  asio::steady_timer wake;
  std::set<peer_endpoint> values;
};

// ---- construction ----------------------------------------------------------------------------

dht_node::dht_node(asio::any_io_executor ex, dht_settings settings)
    : ex_(ex), settings_(std::move(settings)), local_(settings_.bind), maintenance_timer_(ex),
      v6_(settings_.bind.address().is_v6()), id_(settings_.node_id.value_or(random_id())),
      table_(id_, v6_, settings_.table), tokens_(clock::now()),
      store_(std::make_shared<peer_store>(settings_.store_limits)), limiter_(settings_.incoming_limit) {}

dht_node::~dht_node() {
  boost::system::error_code ec;
  if (socket_) socket_->close(ec);
}

result<std::shared_ptr<dht_node>> dht_node::create(asio::any_io_executor ex, dht_settings settings) {
  std::shared_ptr<dht_node> node(new dht_node(ex, std::move(settings)));
  auto& socket = node->socket_.emplace(ex);
  boost::system::error_code ec;
  socket.open(node->settings_.bind.protocol(), ec);
  if (!ec && node->v6_) socket.set_option(asio::ip::v6_only(true), ec);
  if (!ec) socket.bind(node->settings_.bind, ec);
  if (!ec) socket.non_blocking(true, ec);
  if (ec) return unexpected{std::error_code(ec)};
  node->local_ = socket.local_endpoint(ec);
  // The own socket behind the same seam as a shared one. The node owns both the socket and
  // this function, so the raw pointer cannot outlive it.
  node->send_ = [n = node.get()](std::span<const std::uint8_t> bytes, const udp::endpoint& to) {
    boost::system::error_code ignored;
    // Non-blocking: a full send buffer drops the datagram, as the network might.
    n->socket_->send_to(asio::buffer(bytes.data(), bytes.size()), to, 0, ignored);
  };
  return node;
}

std::shared_ptr<dht_node> dht_node::create_on(asio::any_io_executor ex, dht_settings settings, udp::endpoint local,
                                              send_function send) {
  settings.bind = local;
  std::shared_ptr<dht_node> node(new dht_node(std::move(ex), std::move(settings)));
  node->send_ = std::move(send);
  return node;
}

bool dht_node::pair_with(const std::shared_ptr<dht_node>& other) {
  if (!other || other.get() == this || other->v6_ == v6_) return false;
  other->store_ = store_;
  other->partner_ = weak_from_this();
  partner_ = other;
  return true;
}

sha1_hash dht_node::random_id() {
  sha1_hash h;
  secure_random_bytes(h.bytes);
  return h;
}

void dht_node::on_external_ip(const peer_endpoint& voter, const peer_endpoint& reported) {
  if (reported.v6 != v6_) return;
  const auto decided = ip_voter_.vote(voter, reported);
  if (!decided || settings_.node_id || bep42_valid(id_, *decided)) return;
  std::array<std::uint8_t, 20> random{};
  secure_random_bytes(random);
  id_ = bep42_node_id(*decided, random);
  table_ = table_.rebuilt(id_, clock::now());
}

std::error_code dht_node::load_state(std::string_view saved) {
  auto s = decode_state(saved);
  if (!s) return s.error();
  if (!settings_.node_id && !started_) {
    // A dual-stack file names each family's id; an older file's one id serves either family.
    id_ = v6_ && s->id6 ? *s->id6 : s->id;
    table_ = routing_table(id_, v6_, settings_.table);
  }
  saved_nodes_.clear();
  for (const auto& n : s->nodes) {
    if (same_family(n.endpoint) && n.id != id_ && n.endpoint.port != 0) saved_nodes_.push_back(n);
  }
  return {};
}

std::string dht_node::save_state() const {
  return encode_state({id_, v6_ ? std::optional(id_) : std::nullopt, table_.all_nodes()});
}

udp::endpoint dht_node::local_endpoint() const { return local_; }

void dht_node::start() {
  if (started_ || stopped_) return;
  started_ = true;
  auto self = shared_from_this();
  if (socket_) asio::co_spawn(ex_, [self]() { return self->receive_loop(); }, asio::detached);
  asio::co_spawn(ex_, [self]() { return self->maintenance_loop(); }, asio::detached);
  if (!settings_.bootstrap_nodes.empty() || !saved_nodes_.empty()) {
    asio::co_spawn(ex_, [self]() -> asio::awaitable<void> { co_await self->bootstrap(); }, asio::detached);
  }
}

void dht_node::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ec;
  if (socket_) socket_->close(ec);
  maintenance_timer_.cancel();
  for (auto& [tid, p] : pending_) p->timer.cancel();
}

// ---- server side -----------------------------------------------------------------------------

asio::awaitable<void> dht_node::receive_loop() {
  auto self = shared_from_this();
  std::vector<char> buffer(receive_buffer);
  udp::endpoint from;
  while (!stopped_) {
    auto [ec, n] = co_await socket_->async_receive_from(asio::buffer(buffer), from, use_tuple);
    if (stopped_ || ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) break;
    if (ec) continue;  // e.g. an ICMP error reported on the socket: the next datagram is fine
    on_datagram(std::span(reinterpret_cast<const std::uint8_t*>(buffer.data()), n), from);
  }
}

void dht_node::on_datagram(std::span<const std::uint8_t> bytes, const udp::endpoint& from) {
  if (!started_ || stopped_) return;
  handle_datagram(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), from);
}

void dht_node::send(const std::string& bytes, const udp::endpoint& to) {
  if (stopped_ || !send_) return;
  send_(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), to);
}

void dht_node::send_error(const udp::endpoint& to, const std::string& transaction, int code, std::string message) {
  ++stats_.errors_sent;
  send(krpc::encode(krpc::error{transaction, code, std::move(message)}, settings_.version), to);
}

void dht_node::handle_datagram(std::string_view data, const udp::endpoint& from) {
  const auto now = clock::now();
  const auto source = to_peer(from);
  auto parsed = krpc::parse(data);
  if (!parsed) {
    ++stats_.malformed;
    const auto tid = krpc::parse_error_transaction(data);
    if (tid.empty()) return;
    if (auto it = pending_.find(tid); it != pending_.end() && it->second->to == from) {
      // A malformed answer to our query counts as no answer.
      it->second->error_reply = true;
      it->second->timer.cancel();
      return;
    }
    if (limiter_.allow(source, now)) send_error(from, tid, krpc::error_code::protocol, parsed.error().message());
    else ++stats_.rate_limited;
    return;
  }
  if (auto* q = std::get_if<krpc::query>(&*parsed)) {
    if (!limiter_.allow(source, now)) {
      ++stats_.rate_limited;
      return;
    }
    ++stats_.queries_received;
    handle_query(*q, from, now);
    return;
  }
  const std::string& tid = std::holds_alternative<krpc::response>(*parsed)
                               ? std::get<krpc::response>(*parsed).transaction
                               : std::get<krpc::error>(*parsed).transaction;
  auto it = pending_.find(tid);
  if (it == pending_.end() || it->second->to != from) return;  // late, unknown or spoofed
  if (auto* r = std::get_if<krpc::response>(&*parsed)) {
    if (r->ip) on_external_ip(source, *r->ip);
    it->second->response = std::move(*r);
  } else {
    it->second->error_reply = true;
  }
  it->second->timer.cancel();
}

void dht_node::handle_query(const krpc::query& q, const udp::endpoint& from, clock::time_point now) {
  const auto source = to_peer(from);
  if (source.v6 != v6_) return;
  krpc::response r;
  r.transaction = q.transaction;
  r.id = id_;
  r.ip = source;  // BEP 42: tell the requester the address we see
  switch (q.method) {
    case krpc::query_method::ping:
      break;
    case krpc::query_method::find_node:
    case krpc::query_method::get_peers: {
      // BEP 32: `want` picks the families of nodes in the reply; without it, the family the
      // query came over. `values` always hold that family alone (never a hybrid list).
      const bool asked = q.want_n4 || q.want_n6;
      r.nodes = closest_nodes(q.target, asked ? q.want_n4 : !v6_, asked ? q.want_n6 : v6_);
      if (q.method == krpc::query_method::get_peers) {
        r.token = tokens_.make(source, now);
        r.values = store_->peers(q.target, v6_, settings_.max_values, now);
      }
      break;
    }
    case krpc::query_method::announce_peer: {
      if (!tokens_.verify(q.token, source, now)) {
        send_error(from, q.transaction, krpc::error_code::protocol, "bad token");
        return;
      }
      peer_endpoint peer = source;
      peer.port = q.implied_port || q.port == 0 ? from.port() : q.port;
      if (store_->announce(q.target, peer, now)) ++stats_.announces_stored;
      break;
    }
    case krpc::query_method::unknown:
      send_error(from, q.transaction, krpc::error_code::method_unknown, "method unknown");
      return;
  }
  send(krpc::encode(r, settings_.version), from);
  if (!q.read_only) table_.node_seen({q.id, source}, contact::query, now);
}

// ---- the pair (BEP 32 dual stack) ------------------------------------------------------------

std::vector<krpc::node_entry> dht_node::closest_nodes(const sha1_hash& target, bool v4, bool v6) const {
  std::vector<krpc::node_entry> out;
  const auto other = partner();
  for (bool family_v6 : {false, true}) {
    if (!(family_v6 ? v6 : v4)) continue;
    const routing_table* t = family_v6 == v6_ ? &table_ : other ? &other->table_ : nullptr;
    if (!t) continue;  // a family we do not run: nothing to give
    auto nodes = t->closest(target, bucket_size);
    out.insert(out.end(), nodes.begin(), nodes.end());
  }
  return out;
}

void dht_node::hand_to_partner(const std::vector<krpc::node_entry>& nodes) const {
  const auto other = partner();
  if (!other) return;
  for (const auto& n : nodes) {
    // add_node bounds the pings in flight; nodes already in its table are not pinged again.
    if (n.endpoint.v6 == other->v6_ && !other->table_.find(n.id)) other->add_node(to_udp(n.endpoint));
  }
}

void dht_node::set_want(krpc::query& q, bool bootstrapping) const {
  const auto other = partner();
  if (!other) return;  // single-stack: the default (our family) is all we use
  // Steady state asks for our own family only (BEP 32); while the partner's table is thin,
  // every reply also brings it nodes of its family, which speeds up its bootstrap.
  if (!bootstrapping && other->table_.size() >= bucket_size) return;
  q.want_n4 = true;
  q.want_n6 = true;
}

// ---- client side -----------------------------------------------------------------------------

std::string dht_node::next_transaction() {
  // 2 random bytes, so an off-path spoofer must guess among 65536; draw again while the id is
  // in flight (at most a few hundred are, so a free one comes within a few draws).
  for (int i = 0; i < 64; ++i) {
    std::array<std::uint8_t, 2> b{};
    secure_random_bytes(b);
    std::string t{static_cast<char>(b[0]), static_cast<char>(b[1])};
    if (!pending_.contains(t)) return t;
  }
  return {};
}

asio::awaitable<dht_node::reply> dht_node::request(udp::endpoint to, krpc::query q) {
  auto self = shared_from_this();
  reply out;
  if (stopped_) co_return out;
  q.transaction = next_transaction();
  if (q.transaction.empty()) co_return out;
  q.id = id_;
  auto p = std::make_shared<pending>(ex_);
  p->to = to;
  p->timer.expires_after(settings_.query_timeout);
  pending_[q.transaction] = p;
  ++stats_.queries_sent;
  send(krpc::encode(q, settings_.version), to);
  co_await p->timer.async_wait(use_tuple);
  if (auto it = pending_.find(q.transaction); it != pending_.end() && it->second == p) pending_.erase(it);
  if (!p->response && !p->error_reply) ++stats_.timeouts;
  out.response = std::move(p->response);
  out.error_reply = p->error_reply;
  co_return out;
}

asio::awaitable<dht_node::reply> dht_node::request_node(krpc::node_entry node, krpc::query q) {
  auto self = shared_from_this();
  auto r = co_await request(to_udp(node.endpoint), std::move(q));
  if (stopped_) co_return r;
  if (r.response) {
    table_.node_seen({r.response->id, node.endpoint}, contact::response, clock::now());
  } else if (!r.error_reply) {
    table_.node_failed(node);
  }
  co_return r;
}

asio::awaitable<bool> dht_node::ping(udp::endpoint ep) {
  auto self = shared_from_this();
  krpc::query q;
  q.method = krpc::query_method::ping;
  auto r = co_await request(ep, q);
  if (!r.response || stopped_) co_return false;
  table_.node_seen({r.response->id, to_peer(ep)}, contact::response, clock::now());
  co_return true;
}

void dht_node::add_node(const udp::endpoint& ep) {
  if (stopped_ || to_peer(ep).v6 != v6_ || ep.port() == 0 || add_node_in_flight_ >= max_add_node_in_flight) return;
  ++add_node_in_flight_;
  auto self = shared_from_this();
  asio::co_spawn(ex_, [self, ep]() -> asio::awaitable<void> {
    co_await self->ping(ep);
    --self->add_node_in_flight_;
  }, asio::detached);
}

asio::awaitable<void> dht_node::lookup_query(std::shared_ptr<lookup_run> run, krpc::node_entry node) {
  auto self = shared_from_this();
  krpc::query q;
  q.method = run->get_peers ? krpc::query_method::get_peers : krpc::query_method::find_node;
  q.target = run->target;
  set_want(q, false);
  auto r = co_await request_node(node, q);
  if (r.response) {
    for (const auto& n : r.response->nodes) {
      if (same_family(n.endpoint)) run->state.add(n);
    }
    if (q.want_n4 || q.want_n6) hand_to_partner(r.response->nodes);
    if (run->get_peers) {
      for (const auto& v : r.response->values) {
        if (v.port != 0 && run->values.size() < 1000) run->values.insert(v);
      }
    }
    run->state.responded(node, r.response->token);
  } else {
    run->state.failed(node);
  }
  run->wake.cancel();
}

asio::awaitable<std::shared_ptr<dht_node::lookup_run>>
dht_node::run_lookup(sha1_hash target, bool get_peers, std::vector<krpc::node_entry> seeds) {
  auto self = shared_from_this();
  auto run = std::make_shared<lookup_run>(ex_, target, id_, settings_.alpha, get_peers);
  for (const auto& n : table_.closest(target, bucket_size)) run->state.add(n);
  for (const auto& n : seeds) {
    if (same_family(n.endpoint)) run->state.add(n);
  }
  const auto deadline = clock::now() + settings_.lookup_timeout;
  // Each pass launches what the state allows, then sleeps until an answer or the deadline.
  // Answers can only arrive while this coroutine is suspended (one thread), so none is missed.
  while (!stopped_) {
    while (auto n = run->state.next()) {
      asio::co_spawn(ex_, [self, run, node = *n]() { return self->lookup_query(run, node); }, asio::detached);
    }
    if (run->state.done() || clock::now() >= deadline) break;
    run->wake.expires_at(deadline);
    co_await run->wake.async_wait(use_tuple);
  }
  co_return run;
}

asio::awaitable<std::vector<krpc::node_entry>> dht_node::find_node(sha1_hash target) {
  auto self = shared_from_this();
  auto run = co_await run_lookup(target, false, {});
  std::vector<krpc::node_entry> out;
  for (const auto& c : run->state.closest_responded(bucket_size)) out.push_back(c.node);
  co_return out;
}

asio::awaitable<std::vector<tcp::endpoint>> dht_node::get_peers(sha1_hash info_hash, bool announce,
                                                                  std::uint16_t port) {
  auto self = shared_from_this();
  auto run = co_await run_lookup(info_hash, true, {});
  if (announce && !stopped_) {
    auto j = std::make_shared<join>(ex_);
    for (const auto& c : run->state.closest_responded(bucket_size)) {
      if (!c.token || c.token->empty()) continue;
      krpc::query q;
      q.method = krpc::query_method::announce_peer;
      q.target = info_hash;
      q.port = port;
      q.implied_port = port == 0;
      q.token = *c.token;
      ++j->outstanding;
      asio::co_spawn(ex_, [self, j, node = c.node, q]() -> asio::awaitable<void> {
        co_await self->request_node(node, q);
        j->finished();
      }, asio::detached);
    }
    const auto deadline = clock::now() + settings_.query_timeout + std::chrono::milliseconds(100);
    while (j->outstanding > 0 && !stopped_ && clock::now() < deadline) {
      j->wake.expires_at(deadline);
      co_await j->wake.async_wait(use_tuple);
    }
  }
  std::vector<tcp::endpoint> out;
  for (const auto& v : run->values) out.push_back(to_tcp(v));
  co_return out;
}

asio::awaitable<void> dht_node::bootstrap_query(udp::endpoint ep, std::shared_ptr<join> j,
                                                std::shared_ptr<std::vector<krpc::node_entry>> found) {
  auto self = shared_from_this();
  krpc::query q;
  q.method = krpc::query_method::find_node;
  q.target = id_;
  set_want(q, true);
  auto r = co_await request(ep, q);
  if (r.response && !stopped_) {
    table_.node_seen({r.response->id, to_peer(ep)}, contact::response, clock::now());
    for (const auto& n : r.response->nodes) {
      if (same_family(n.endpoint) && found->size() < 64) found->push_back(n);
    }
    hand_to_partner(r.response->nodes);
  }
  j->finished();
}

asio::awaitable<std::size_t> dht_node::bootstrap() {
  auto self = shared_from_this();
  std::vector<udp::endpoint> endpoints;
  for (const auto& entry : settings_.bootstrap_nodes) {
    auto hp = split_host_port(entry);
    if (!hp) continue;
    auto resolved = co_await resolve_with_deadline<udp>(hp->first, hp->second,
                                                        clock::now() + std::chrono::seconds(5));
    if (stopped_) co_return table_.size();
    if (!resolved) continue;
    for (const auto& r : *resolved) {
      const auto ep = r.endpoint();
      if (to_peer(ep).v6 == v6_ && endpoints.size() < max_bootstrap_endpoints &&
          std::find(endpoints.begin(), endpoints.end(), ep) == endpoints.end()) {
        endpoints.push_back(ep);
      }
    }
  }
  auto j = std::make_shared<join>(ex_);
  auto found = std::make_shared<std::vector<krpc::node_entry>>();
  for (const auto& ep : endpoints) {
    ++j->outstanding;
    asio::co_spawn(ex_, [self, ep, j, found]() { return self->bootstrap_query(ep, j, found); }, asio::detached);
  }
  const auto deadline = clock::now() + settings_.query_timeout + std::chrono::milliseconds(100);
  while (j->outstanding > 0 && !stopped_ && clock::now() < deadline) {
    j->wake.expires_at(deadline);
    co_await j->wake.async_wait(use_tuple);
  }
  std::vector<krpc::node_entry> seeds = *found;
  seeds.insert(seeds.end(), saved_nodes_.begin(), saved_nodes_.end());
  co_await run_lookup(id_, false, std::move(seeds));
  co_return table_.size();
}

// ---- maintenance -----------------------------------------------------------------------------

asio::awaitable<void> dht_node::maintenance_loop() {
  auto self = shared_from_this();
  while (!stopped_) {
    maintenance_timer_.expires_after(settings_.maintenance_interval);
    co_await maintenance_timer_.async_wait(use_tuple);
    if (stopped_) break;
    const auto now = clock::now();
    store_->expire(now);
    if (table_.size() == 0) {
      if (!settings_.bootstrap_nodes.empty() || !saved_nodes_.empty()) {
        asio::co_spawn(ex_, [self]() -> asio::awaitable<void> { co_await self->bootstrap(); }, asio::detached);
      }
      continue;
    }
    std::size_t started = 0;
    for (auto i : table_.stale_buckets(now, settings_.bucket_refresh)) {
      if (started++ >= refreshes_per_tick) break;
      table_.mark_refreshed(i, now);
      asio::co_spawn(ex_, [self, target = table_.random_id_in_bucket(i, random_id())]() -> asio::awaitable<void> {
        co_await self->find_node(target);
      }, asio::detached);
    }
    for (const auto& n : table_.questionable_nodes(now, pings_per_tick)) {
      krpc::query q;
      q.method = krpc::query_method::ping;
      asio::co_spawn(ex_, [self, n, q]() -> asio::awaitable<void> { co_await self->request_node(n, q); },
                     asio::detached);
    }
  }
}

}  // namespace tessera::detail::dht
