#include "session/torrent_dht_nodes.hpp"

#include <chrono>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/udp.hpp>
#include <spdlog/spdlog.h>

#include "discovery/resolve.hpp"
#include "session/dht_driver.hpp"

namespace tessera::detail {

namespace asio = boost::asio;

namespace {

constexpr auto resolve_timeout = std::chrono::seconds(10);
/// Addresses of one host name given to the DHT (a name with many addresses is one node).
constexpr int max_addresses_per_name = 4;

asio::awaitable<void> resolve_and_add(std::weak_ptr<dht_driver> dht, dht_node_address node) {
  auto r = co_await resolve_with_deadline<asio::ip::udp>(node.host, node.port,
                                                         std::chrono::steady_clock::now() + resolve_timeout);
  if (!r) {
    spdlog::info("dht: .torrent node {}:{} skipped: {}", node.host, node.port, r.error().message);
    co_return;
  }
  auto d = dht.lock();
  if (!d) co_return;
  int n = 0;
  for (const auto& entry : *r) {
    if (n++ == max_addresses_per_name) break;
    d->add_node(entry.endpoint().address(), entry.endpoint().port());
  }
}

}  // namespace

void add_torrent_dht_nodes(asio::any_io_executor ex, const std::weak_ptr<dht_driver>& dht, const torrent_info& ti) {
  if (ti.is_private() || ti.dht_nodes().empty()) return;
  auto d = dht.lock();
  if (!d) return;
  for (const auto& node : ti.dht_nodes()) {
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(node.host, ec);
    if (!ec) {
      d->add_node(addr, node.port);
    } else {
      asio::co_spawn(ex, resolve_and_add(dht, node), asio::detached);
    }
  }
  spdlog::debug("dht: {} bootstrap nodes from the .torrent of {}", ti.dht_nodes().size(), ti.info_hash().to_hex());
}

}  // namespace tessera::detail
