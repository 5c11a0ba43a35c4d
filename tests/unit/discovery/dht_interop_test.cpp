// The tessera side of tests/interop/test_dht_node.py: our dht_node against real libtorrent DHT
// nodes on loopback. The Python test starts the libtorrent nodes and runs this test with the
// TESSERA_DHT_INTEROP_* variables set; without them the test is skipped (it needs those nodes).
//
//   TESSERA_DHT_INTEROP_BIND       our address, e.g. 127.0.0.4
//   TESSERA_DHT_INTEROP_BOOTSTRAP  the libtorrent node to bootstrap from, "127.0.0.2:port"
//   TESSERA_DHT_INTEROP_FIND       info-hash (hex) that a libtorrent node announced
//   TESSERA_DHT_INTEROP_EXPECT     the peer it announced, "127.0.0.3:6881"
//   TESSERA_DHT_INTEROP_ANNOUNCE   info-hash (hex) we announce with port 7777
//   TESSERA_DHT_INTEROP_DONE_FILE  we keep serving until this file exists (60 s at most)
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "discovery/dht/dht_node.hpp"
#include "discovery_test_support.hpp"

namespace tessera::detail::dht {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

TEST(DhtInterop, LibtorrentNodesFindUsAndWeFindThem) {
  const auto bootstrap = env("TESSERA_DHT_INTEROP_BOOTSTRAP");
  if (bootstrap.empty()) GTEST_SKIP() << "run by tests/interop/test_dht_node.py";
  const auto find = sha1_hash::from_hex(env("TESSERA_DHT_INTEROP_FIND"));
  const auto announce = sha1_hash::from_hex(env("TESSERA_DHT_INTEROP_ANNOUNCE"));
  const auto expect = env("TESSERA_DHT_INTEROP_EXPECT");
  const auto done_file = env("TESSERA_DHT_INTEROP_DONE_FILE");
  ASSERT_TRUE(find && announce && !expect.empty() && !done_file.empty());

  asio::io_context io;
  dht_settings s;
  s.bind = asio::ip::udp::endpoint(asio::ip::make_address(env("TESSERA_DHT_INTEROP_BIND")), 0);
  s.bootstrap_nodes = {bootstrap};
  s.query_timeout = 2s;
  auto created = dht_node::create(io.get_executor(), s);
  ASSERT_TRUE(created) << created.error().message();
  auto node = *created;
  node->start();

  auto size = test::run(io, node->bootstrap(), 20s);
  ASSERT_TRUE(size);
  std::printf("dht-interop: bootstrapped, %zu nodes\n", *size);
  std::fflush(stdout);
  ASSERT_GE(*size, 1u);

  bool found = false;
  for (int attempt = 0; attempt < 10 && !found; ++attempt) {
    auto peers = test::run(io, node->get_peers(*find, false, 0), 20s);
    ASSERT_TRUE(peers);
    for (const auto& p : *peers) {
      const auto text = p.address().to_string() + ":" + std::to_string(p.port());
      std::printf("dht-interop: get_peers value %s\n", text.c_str());
      found = found || text == expect;
    }
    std::fflush(stdout);
    if (!found) test::run_for(io, 1s);
  }
  EXPECT_TRUE(found) << "libtorrent's announced peer " << expect << " not found";
  if (found) std::printf("dht-interop: found %s\n", expect.c_str());

  ASSERT_TRUE(test::run(io, node->get_peers(*announce, true, 7777), 20s));
  std::printf("dht-interop: announced, %zu nodes, %llu queries served\n", node->table().size(),
              static_cast<unsigned long long>(node->stats().queries_received));
  std::fflush(stdout);

  // Keep answering the libtorrent nodes' lookups until the Python side has checked them.
  EXPECT_TRUE(test::run_until(io, [&] { return std::filesystem::exists(done_file); }, 60s));
  node->stop();
  test::run_for(io, 50ms);
}

}  // namespace
}  // namespace tessera::detail::dht
