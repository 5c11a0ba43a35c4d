// The listener's table of pending handshakes under a flood: silent connections from one address,
// from one /24, and from many addresses, each next to an honest peer that must still get its
// handshake read. Everything on loopback (127.0.0.0/8).
#include "session/listener.hpp"

#include <sys/socket.h>

#include <array>
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

#include "core/mse_handshake.hpp"
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
  detail::mse_skey_map keys;  // before the listener, which points to it
  std::shared_ptr<detail::listener> l;
  std::atomic<int> handshakes{0};
  std::atomic<int> encrypted{0};  // handed over with an RC4 stream
  std::thread thread;

  explicit running_listener(detail::listener_settings ls, const info_hash_t* torrent = nullptr) {
    if (torrent) detail::add_mse_skeys(keys, *torrent);
    ls.interface = "127.0.0.1";
    ls.port = 0;
    l = std::make_shared<detail::listener>(io.get_executor(), ls,
                                           [this](detail::peer_stream s, const detail::wire::handshake&) {
                                             if (s.encrypted()) ++encrypted;
                                             ++handshakes;
                                             s.close();
                                           },
                                           &keys);
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
  /// Runs an MSE initiator (blocking) naming `ih` with our handshake as its initial payload;
  /// true once the listener's responder answered (step 4), false when it closed the connection.
  bool mse_handshake(const sha1_hash& ih, std::uint32_t provide) {
    std::vector<std::uint8_t> ia;
    detail::wire::write_handshake(ia, {{}, ih, make_peer_id("TEST")});
    auto init = detail::mse_initiator::create(ih, provide, ia, detail::mse_secrets::generate());
    EXPECT_TRUE(init.has_value());
    if (!init) return false;
    std::array<std::uint8_t, 4096> buf{};
    for (;;) {
      const auto out = init->take_output();
      boost::system::error_code ec;
      if (!out.empty()) asio::write(s, asio::buffer(out), ec);
      if (ec) return false;
      if (init->done()) return true;
      const std::size_t n = s.read_some(asio::buffer(buf), ec);
      if (ec) return false;
      if (init->receive(std::span<const std::uint8_t>(buf.data(), n))) return false;
    }
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

namespace tessera {
namespace {

info_hash_t test_torrent() {
  info_hash_t ih;
  ih.v1.bytes.fill(0x5a);
  return ih;
}

TEST(ListenerEncryption, MsePeerIsAnsweredAndHandedOverWithAnRc4Stream) {
  const auto ih = test_torrent();
  running_listener rl(detail::listener_settings{}, &ih);
  client c("127.0.0.70", rl.port());
  EXPECT_TRUE(c.mse_handshake(ih.v1, detail::crypto_rc4 | detail::crypto_plaintext));
  EXPECT_TRUE(eventually([&] { return rl.handshakes.load() == 1; }, 5s));
  EXPECT_EQ(rl.encrypted.load(), 1);  // enabled prefers RC4
}

TEST(ListenerEncryption, MsePeerNamingAnUnknownTorrentIsClosed) {
  const auto ih = test_torrent();
  running_listener rl(detail::listener_settings{}, &ih);
  client c("127.0.0.71", rl.port());
  sha1_hash other;
  other.bytes.fill(0x33);
  EXPECT_FALSE(c.mse_handshake(other, detail::crypto_rc4));
  EXPECT_EQ(rl.handshakes.load(), 0);
}

TEST(ListenerEncryption, ForcedPolicyClosesPlaintextHandshakesAndPlaintextOnlyMsePeers) {
  const auto ih = test_torrent();
  detail::listener_settings ls;
  ls.encryption = encryption_mode::forced;
  running_listener rl(ls, &ih);
  client plain("127.0.0.72", rl.port());
  plain.send_handshake();
  EXPECT_TRUE(eventually([&] { return plain.closed_by_listener(); }, 5s));
  client mse_plain("127.0.0.73", rl.port());
  EXPECT_FALSE(mse_plain.mse_handshake(ih.v1, detail::crypto_plaintext));
  client mse_rc4("127.0.0.74", rl.port());
  EXPECT_TRUE(mse_rc4.mse_handshake(ih.v1, detail::crypto_rc4));
  EXPECT_TRUE(eventually([&] { return rl.handshakes.load() == 1; }, 5s));
  EXPECT_EQ(rl.encrypted.load(), 1);
}

TEST(ListenerEncryption, MseHandshakesBeyondThePerSecondBudgetAreClosed) {
  const auto ih = test_torrent();
  detail::listener_settings ls;
  ls.max_mse_per_second = 1;  // the bucket starts full (one token) and refills by one a second
  running_listener rl(ls, &ih);
  client first("127.0.0.75", rl.port());
  EXPECT_TRUE(first.mse_handshake(ih.v1, detail::crypto_rc4));
  // The token is spent: the next one at once is closed without a Diffie-Hellman computation.
  client late("127.0.0.76", rl.port());
  EXPECT_FALSE(late.mse_handshake(ih.v1, detail::crypto_rc4));
  EXPECT_TRUE(eventually([&] { return rl.handshakes.load() == 1; }, 5s));
}

}  // namespace
}  // namespace tessera
