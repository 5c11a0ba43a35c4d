// The listener's table of pending handshakes under a flood: silent connections from one address,
// from one /24, and from many addresses, each next to an honest peer that must still get its
// handshake read. Everything on loopback (127.0.0.0/8).
#include "session/listener.hpp"

#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "session_test_support.hpp"

namespace tessera {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using test::eventually;

/// A listener on 127.0.0.1 (OS-chosen port) running on its own thread; counts the handshakes it
/// hands over.
struct running_listener {
  asio::io_context io;
  std::shared_ptr<detail::listener> l;
  std::atomic<int> handshakes{0};
  std::thread thread;

  explicit running_listener(detail::listener_settings ls) {
    ls.interface = "127.0.0.1";
    ls.port = 0;
    l = std::make_shared<detail::listener>(io.get_executor(), ls,
                                           [this](tcp::socket s, const detail::wire::handshake&) {
                                             ++handshakes;
                                             boost::system::error_code ignored;
                                             s.close(ignored);
                                           });
    EXPECT_TRUE(l->open());
    l->start();
    thread = std::thread([this] { io.run(); });
  }
  ~running_listener() {
    asio::post(io, [l = l] { l->close(); });
    io.stop();
    thread.join();
  }
  std::uint16_t port() const { return l->port(); }
};

/// A client socket connected from `from` to the listener (blocking; not run by any io_context).
struct client {
  asio::io_context io;
  tcp::socket s{io};
  client(const std::string& from, std::uint16_t port) {
    boost::system::error_code ec;
    s.open(tcp::v4(), ec);
    if (!ec) s.bind(tcp::endpoint(asio::ip::make_address(from), 0), ec);
    if (!ec) s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    EXPECT_FALSE(ec) << from << ": " << ec.message();
  }
  void send_handshake() {
    std::vector<std::uint8_t> out;
    detail::wire::write_handshake(out, {{}, sha1_hash{}, make_peer_id("TEST")});
    boost::system::error_code ec;
    asio::write(s, asio::buffer(out), ec);
    EXPECT_FALSE(ec) << ec.message();
  }
  /// The listener closed (or reset) the connection.
  bool closed_by_listener() {
    char c;
    const ssize_t n = ::recv(s.native_handle(), &c, 1, MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }
};

std::vector<std::unique_ptr<client>> open_clients(const std::vector<std::string>& from, std::uint16_t port) {
  std::vector<std::unique_ptr<client>> out;
  for (const auto& f : from) out.push_back(std::make_unique<client>(f, port));
  return out;
}

int count_closed(std::vector<std::unique_ptr<client>>& cs, std::size_t begin, std::size_t end) {
  int n = 0;
  for (std::size_t i = begin; i < end; ++i) n += cs[i]->closed_by_listener() ? 1 : 0;
  return n;
}

TEST(Listener, SilentFloodFromOneAddressLeavesRoomForAnHonestPeer) {
  detail::listener_settings ls;
  ls.handshake_timeout = 60s;  // the flood would hold its slots all through the test
  running_listener rl(ls);
  const std::vector<std::string> flood_from(200, "127.0.0.50");
  auto flood = open_clients(flood_from, rl.port());
  // Accepted after the flood (the kernel's accept queue is first in, first out).
  client honest("127.0.0.60", rl.port());
  honest.send_handshake();
  EXPECT_TRUE(eventually([&] { return rl.handshakes.load() == 1; }, 5s)) << "the honest handshake was not read";
  // Of the flood, only the newest max_pending_handshakes_per_ip connections are still pending.
  const int keep = ls.max_pending_handshakes_per_ip;
  const std::size_t old_end = flood.size() - static_cast<std::size_t>(keep);
  EXPECT_TRUE(eventually([&] { return count_closed(flood, 0, old_end) == static_cast<int>(old_end); }, 5s))
      << count_closed(flood, 0, old_end) << " of the " << old_end << " oldest flood connections closed";
  EXPECT_EQ(count_closed(flood, old_end, flood.size()), 0) << "the newest ones wait for their handshake";
}

TEST(Listener, FullTableClosesTheOldestPendingConnection) {
  detail::listener_settings ls;
  ls.handshake_timeout = 60s;
  ls.max_pending_handshakes = 8;
  running_listener rl(ls);
  // Ten silent peers, each from its own address (no per-address cap is reached).
  std::vector<std::string> from;
  for (int i = 0; i < 10; ++i) from.push_back("127.0.0." + std::to_string(51 + i));
  auto silent = open_clients(from, rl.port());
  client honest("127.0.0.61", rl.port());
  honest.send_handshake();
  EXPECT_TRUE(eventually([&] { return rl.handshakes.load() == 1; }, 5s)) << "the honest handshake was not read";
  // 11 connections through a table of 8: the three oldest made room.
  EXPECT_TRUE(eventually([&] { return count_closed(silent, 0, 3) == 3; }, 5s)) << "the oldest were not closed";
  EXPECT_EQ(count_closed(silent, 3, silent.size()), 0) << "newer ones were closed instead of the oldest";
}

TEST(Listener, OneSubnetDisplacesOnlyItsOwnPendingConnections) {
  detail::listener_settings ls;
  ls.handshake_timeout = 60s;
  ls.max_pending_handshakes_per_ip = 0;  // no per-address cap: only the /24 one
  ls.max_pending_handshakes_per_subnet = 3;
  running_listener rl(ls);
  auto other_net = open_clients({"127.0.1.7"}, rl.port());  // another /24, first and oldest
  std::vector<std::string> from;
  for (int i = 0; i < 5; ++i) from.push_back("127.0.0." + std::to_string(71 + i));
  auto subnet = open_clients(from, rl.port());
  client honest("127.0.2.9", rl.port());
  honest.send_handshake();
  EXPECT_TRUE(eventually([&] { return rl.handshakes.load() == 1; }, 5s));
  EXPECT_TRUE(eventually([&] { return count_closed(subnet, 0, 2) == 2; }, 5s)) << "5 from one /24, cap 3";
  EXPECT_EQ(count_closed(subnet, 2, subnet.size()), 0);
  EXPECT_EQ(count_closed(other_net, 0, 1), 0) << "the oldest pending connection is from another /24: kept";
}

}  // namespace
}  // namespace tessera
