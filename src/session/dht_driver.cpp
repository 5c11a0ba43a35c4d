#include "session/dht_driver.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "discovery/peer_address.hpp"
#include "discovery/swarm_hashes.hpp"
#include "disk/resume_data.hpp"
#include "session/listen_addresses.hpp"
#include "torrent/torrent.hpp"

namespace tessera::detail {

namespace asio = boost::asio;
using udp = asio::ip::udp;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
/// Peers taken from our own store per lookup (as many as a get_peers reply holds).
constexpr std::size_t max_local_peers = 50;
/// A state file larger than this is not ours.
constexpr std::size_t max_state_size = 1 << 20;

tcp::endpoint to_tcp(const peer_endpoint& p) {
  if (p.v6) {
    asio::ip::address_v6::bytes_type b;
    std::copy_n(p.addr.begin(), 16, b.begin());
    return {asio::ip::address_v6(b), p.port};
  }
  asio::ip::address_v4::bytes_type b;
  std::copy_n(p.addr.begin(), 4, b.begin());
  return {asio::ip::address_v4(b), p.port};
}

dht::dht_settings node_settings(const dht_driver_settings& s) {
  dht::dht_settings ns;
  ns.bootstrap_nodes = s.bootstrap_nodes;
  return ns;
}

}  // namespace

struct dht_driver::loop {
  explicit loop(asio::any_io_executor ex) : timer(std::move(ex)) {}
  std::weak_ptr<torrent> t;
  asio::steady_timer timer;
};

dht_driver_settings dht_driver_settings_from(const session_settings& s, std::uint16_t port) {
  dht_driver_settings d;
  auto addresses = listen_addresses(s.listen_interface);
  if (addresses.empty()) addresses.push_back(asio::ip::address_v4::any());  // the listener logs it already
  for (const auto& a : addresses) d.binds.emplace_back(a, port != 0 ? port : s.listen_port);
  d.bootstrap_nodes = s.dht_bootstrap_nodes;
  d.state_file = s.dht_state_file;
  d.announce_port = port;
  d.announce_interval = std::max(s.dht_announce_interval, std::chrono::seconds(1));
  d.few_peers_interval = std::max(s.dht_few_peers_interval, std::chrono::seconds(1));
  return d;
}

result<std::shared_ptr<dht_driver>> dht_driver::create(asio::any_io_executor ex, dht_driver_settings settings) {
  std::shared_ptr<dht::dht_node> v4, v6;
  std::error_code last_error = std::make_error_code(std::errc::invalid_argument);
  std::uint16_t v4_port = 0;
  for (const auto& bind : settings.binds) {
    auto& slot = bind.address().is_v6() ? v6 : v4;
    if (slot) continue;  // one node per family
    auto ns = node_settings(settings);
    ns.bind = bind;
    // The IPv6 node takes the IPv4 node's port when it can: one port for peers to learn.
    if (bind.address().is_v6() && v4_port != 0) ns.bind.port(v4_port);
    auto node = dht::dht_node::create(ex, ns);
    if (!node && ns.bind.port() != bind.port()) {
      ns.bind.port(bind.port());
      node = dht::dht_node::create(ex, ns);
    }
    if (!node && ns.bind.port() != 0) {
      spdlog::info("dht: UDP port {} on {} unavailable ({}), using another", ns.bind.port(),
                   bind.address().to_string(), node.error().message());
      ns.bind.port(0);
      node = dht::dht_node::create(ex, ns);
    }
    if (!node) {
      spdlog::warn("dht: no node on {}: {}", bind.address().to_string(), node.error().message());
      last_error = node.error();
      continue;
    }
    slot = std::move(*node);
    if (!bind.address().is_v6()) v4_port = slot->local_endpoint().port();
  }
  if (!v4 && !v6) return unexpected{last_error};
  return std::shared_ptr<dht_driver>(new dht_driver(std::move(ex), std::move(settings), std::move(v4), std::move(v6)));
}

result<std::shared_ptr<dht_driver>> dht_driver::create_on(asio::any_io_executor ex, dht_driver_settings settings,
                                                          std::vector<dht_socket_binding> sockets) {
  std::shared_ptr<dht::dht_node> v4, v6;
  for (auto& s : sockets) {
    auto& slot = s.local.address().is_v6() ? v6 : v4;
    if (slot || !s.send) return unexpected{std::make_error_code(std::errc::invalid_argument)};
    slot = dht::dht_node::create_on(ex, node_settings(settings), s.local, std::move(s.send));
  }
  if (!v4 && !v6) return unexpected{std::make_error_code(std::errc::invalid_argument)};
  return std::shared_ptr<dht_driver>(new dht_driver(std::move(ex), std::move(settings), std::move(v4), std::move(v6)));
}

dht_driver::dht_driver(asio::any_io_executor ex, dht_driver_settings settings, std::shared_ptr<dht::dht_node> v4,
                       std::shared_ptr<dht::dht_node> v6)
    : ex_(std::move(ex)), settings_(std::move(settings)), v4_(std::move(v4)), v6_(std::move(v6)) {
  if (v4_ && v6_) v4_->pair_with(v6_);
}

dht_driver::~dht_driver() = default;

void dht_driver::start() {
  if (started_ || stopped_) return;
  started_ = true;
  if (!settings_.state_file.empty()) {
    auto saved = read_small_file(settings_.state_file, max_state_size);
    if (!saved) {
      if (saved.error().ec != std::errc::no_such_file_or_directory) {
        spdlog::warn("dht: state not loaded: {}", saved.error().message());
      }
    } else {
      // Each node takes its family's id and nodes from the one file (an older single-node
      // file gives its id to both).
      for (const auto& n : {v4_, v6_}) {
        if (!n) continue;
        if (auto ec = n->load_state(*saved)) {
          spdlog::warn("dht: state file {} ignored: {}", settings_.state_file, ec.message());
          break;
        }
      }
    }
  }
  for (const auto& n : {v4_, v6_}) {
    if (!n) continue;
    n->start();
    spdlog::info("dht: node on UDP {}", endpoint_text(n->local_endpoint()));
  }
}

std::string dht_driver::endpoint_text(const udp::endpoint& ep) {
  const auto a = ep.address().to_string();
  return (ep.address().is_v6() ? "[" + a + "]" : a) + ":" + std::to_string(ep.port());
}

void dht_driver::save_state() const {
  if (settings_.state_file.empty()) return;
  dht::saved_state st;
  if (v4_) {
    st.id = v4_->id();
    st.nodes = v4_->table().all_nodes();
  }
  if (v6_) {
    if (!v4_) st.id = v6_->id();
    st.id6 = v6_->id();
    auto six = v6_->table().all_nodes();
    st.nodes.insert(st.nodes.end(), six.begin(), six.end());
  }
  auto r = write_file_atomically(settings_.state_file, dht::encode_state(st));
  if (!r) spdlog::warn("dht: state not saved: {}", r.error().message());
}

void dht_driver::stop() {
  if (stopped_) return;
  stopped_ = true;
  const auto st = status();
  spdlog::info("dht: stopping with {} nodes in the routing table ({} IPv4, {} IPv6), {} queries sent", st.nodes,
               st.nodes_v4, st.nodes_v6, st.queries_sent);
  if (started_) save_state();
  for (auto& l : loops_) l->timer.cancel();
  loops_.clear();
  for (const auto& n : {v4_, v6_}) {
    if (n) n->stop();
  }
}

void dht_driver::add_torrent(const std::shared_ptr<torrent>& t) {
  if (stopped_ || !t || t->info().is_private()) return;  // BEP 27: private torrents never use the DHT
  auto l = std::make_shared<loop>(ex_);
  l->t = t;
  loops_.push_back(l);
  asio::co_spawn(ex_, run_loop(l), asio::detached);
}

void dht_driver::add_node(const asio::ip::address& address, std::uint16_t port) {
  if (stopped_ || port == 0) return;
  const auto a = unmapped(address);
  if (const auto& n = a.is_v6() ? v6_ : v4_) n->add_node(udp::endpoint(a, port));
}

void dht_driver::on_datagram(std::span<const std::uint8_t> bytes, const udp::endpoint& from) {
  if (stopped_) return;
  const auto a = unmapped(from.address());
  if (const auto& n = a.is_v6() ? v6_ : v4_) n->on_datagram(bytes, udp::endpoint(a, from.port()));
}

std::uint16_t dht_driver::port() const { return first().local_endpoint().port(); }

dht_status dht_driver::status() const {
  dht_status s;
  s.port = port();
  for (const auto& n : {v4_, v6_}) {
    if (!n) continue;
    const int nodes = static_cast<int>(n->table().size());
    (n->is_v6() ? s.port_v6 : s.port_v4) = n->local_endpoint().port();
    (n->is_v6() ? s.nodes_v6 : s.nodes_v4) = nodes;
    s.nodes += nodes;
    s.queries_sent += n->stats().queries_sent;
    s.queries_received += n->stats().queries_received;
    s.announces_stored += n->stats().announces_stored;
  }
  s.lookups = lookups_;
  return s;
}

bool dht_driver::has_nodes() const {
  return (v4_ && v4_->table().size() != 0) || (v6_ && v6_->table().size() != 0);
}

asio::awaitable<std::vector<tcp::endpoint>> dht_driver::lookup(sha1_hash info_hash) {
  using namespace asio::experimental::awaitable_operators;
  auto self = shared_from_this();
  const bool announce = settings_.announce_port != 0;
  const auto port = settings_.announce_port;
  std::vector<tcp::endpoint> peers;
  // A node with an empty table sends nothing (its lookup ends at once).
  if (v4_ && v6_) {
    auto [four, six] = co_await (v4_->get_peers(info_hash, announce, port) && v6_->get_peers(info_hash, announce, port));
    peers = std::move(four);
    for (auto& p : six) {
      if (std::find(peers.begin(), peers.end(), p) == peers.end()) peers.push_back(p);
    }
  } else {
    peers = co_await (v4_ ? v4_ : v6_)->get_peers(info_hash, announce, port);
  }
  if (stopped_) co_return peers;
  // In a small DHT the closest node may be ourselves: add the peers announced to us (the pair
  // shares one store, which holds both families).
  for (const auto& p : first().store().peers_any_family(info_hash, max_local_peers, dht::clock::now())) {
    auto ep = to_tcp(p);
    if (std::find(peers.begin(), peers.end(), ep) == peers.end()) peers.push_back(ep);
  }
  co_return peers;
}

asio::awaitable<void> dht_driver::run_loop(std::shared_ptr<loop> l) {
  auto self = shared_from_this();
  while (!stopped_) {
    std::chrono::steady_clock::duration wait = settings_.wait_for_nodes;
    bool paused = false;
    if (auto t = l->t.lock()) paused = t->is_paused();
    if (paused) {
      wait = settings_.few_peers_interval;  // no lookup, no announce while paused
    } else if (has_nodes()) {
      std::vector<swarm_hash> swarms;
      {
        auto t = l->t.lock();
        // A magnet's metadata may turn out private (BEP 27): the DHT lookups stop then.
        if (!t || t->state() == torrent_state::error || t->info().is_private()) break;
        // The 20 bytes the DHT knows (BEP 5): a hybrid is looked up and announced under both
        // its v1 hash and its truncated v2 hash, two swarms (BEP 52).
        swarms = swarm_hashes(t->info_hash());
      }
      bool gone = false;
      for (const auto& swarm : swarms) {
        const sha1_hash& ih = swarm.hash;
        ++lookups_;
        auto peers = co_await lookup(ih);
        if (stopped_) break;
        auto t = l->t.lock();
        if (!t) {
          gone = true;
          break;
        }
        spdlog::debug("dht: lookup for {} found {} peers", ih.to_hex(), peers.size());
        if (!peers.empty()) t->add_peers(peers, peer_source::dht, swarm.swarm);
      }
      if (stopped_ || gone) break;
      auto t = l->t.lock();
      if (!t) break;
      const auto st = t->status();
      const bool few = st.state != torrent_state::seeding && st.num_peers < settings_.few_peers;
      wait = few ? settings_.few_peers_interval : settings_.announce_interval;
    }
    l->timer.expires_after(wait);
    co_await l->timer.async_wait(use_tuple);
  }
}

}  // namespace tessera::detail
