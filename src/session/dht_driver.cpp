#include "session/dht_driver.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "discovery/dht/dht_node.hpp"
#include "discovery/swarm_hashes.hpp"
#include "disk/resume_data.hpp"
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

}  // namespace

struct dht_driver::loop {
  explicit loop(asio::any_io_executor ex) : timer(std::move(ex)) {}
  std::weak_ptr<torrent> t;
  asio::steady_timer timer;
};

dht_driver_settings dht_driver_settings_from(const session_settings& s, std::uint16_t port) {
  dht_driver_settings d;
  boost::system::error_code ec;
  auto addr = s.listen_interface.empty() ? asio::ip::address(asio::ip::address_v4::any())
                                         : asio::ip::make_address(s.listen_interface, ec);
  if (ec) addr = asio::ip::address_v4::any();  // the listener logs the bad interface already
  d.bind = udp::endpoint(addr, port != 0 ? port : s.listen_port);
  d.bootstrap_nodes = s.dht_bootstrap_nodes;
  d.state_file = s.dht_state_file;
  d.announce_port = port;
  d.announce_interval = std::max(s.dht_announce_interval, std::chrono::seconds(1));
  d.few_peers_interval = std::max(s.dht_few_peers_interval, std::chrono::seconds(1));
  return d;
}

result<std::shared_ptr<dht_driver>> dht_driver::create(asio::any_io_executor ex, dht_driver_settings settings) {
  dht::dht_settings ns;
  ns.bind = settings.bind;
  ns.bootstrap_nodes = settings.bootstrap_nodes;
  auto node = dht::dht_node::create(ex, ns);
  if (!node && ns.bind.port() != 0) {
    spdlog::info("dht: UDP port {} unavailable ({}), using another", ns.bind.port(), node.error().message());
    ns.bind.port(0);
    node = dht::dht_node::create(ex, ns);
  }
  if (!node) return unexpected{node.error()};
  return std::shared_ptr<dht_driver>(new dht_driver(std::move(ex), std::move(settings), std::move(*node)));
}

dht_driver::dht_driver(asio::any_io_executor ex, dht_driver_settings settings, std::shared_ptr<dht::dht_node> node)
    : ex_(std::move(ex)), settings_(std::move(settings)), node_(std::move(node)) {}

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
    } else if (auto ec = node_->load_state(*saved)) {
      spdlog::warn("dht: state file {} ignored: {}", settings_.state_file, ec.message());
    }
  }
  node_->start();
  spdlog::info("dht: node on UDP {}:{}", node_->local_endpoint().address().to_string(), port());
}

void dht_driver::save_state() const {
  if (settings_.state_file.empty()) return;
  auto r = write_file_atomically(settings_.state_file, node_->save_state());
  if (!r) spdlog::warn("dht: state not saved: {}", r.error().message());
}

void dht_driver::stop() {
  if (stopped_) return;
  stopped_ = true;
  spdlog::info("dht: stopping with {} nodes in the routing table, {} queries sent", node_->table().size(),
               node_->stats().queries_sent);
  if (started_) save_state();
  for (auto& l : loops_) l->timer.cancel();
  loops_.clear();
  node_->stop();
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
  node_->add_node(udp::endpoint(address, port));
}

std::uint16_t dht_driver::port() const { return node_->local_endpoint().port(); }

dht_status dht_driver::status() const {
  dht_status s;
  s.port = port();
  s.nodes = static_cast<int>(node_->table().size());
  s.queries_sent = node_->stats().queries_sent;
  s.queries_received = node_->stats().queries_received;
  s.announces_stored = node_->stats().announces_stored;
  s.lookups = lookups_;
  return s;
}

asio::awaitable<void> dht_driver::run_loop(std::shared_ptr<loop> l) {
  auto self = shared_from_this();
  while (!stopped_) {
    std::chrono::steady_clock::duration wait = settings_.wait_for_nodes;
    bool paused = false;
    if (auto t = l->t.lock()) paused = t->is_paused();
    if (paused) {
      wait = settings_.few_peers_interval;  // no lookup, no announce while paused
    } else if (node_->table().size() != 0) {
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
        auto peers = co_await node_->get_peers(ih, settings_.announce_port != 0, settings_.announce_port);
        if (stopped_) break;
        // In a small DHT the closest node may be ourselves: add the peers announced to us.
        for (const auto& p : node_->store().peers(ih, node_->local_endpoint().address().is_v6(), max_local_peers,
                                                  dht::clock::now())) {
          auto ep = to_tcp(p);
          if (std::find(peers.begin(), peers.end(), ep) == peers.end()) peers.push_back(ep);
        }
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
