// peer_connection's BEP 52 hash messages against a scripted fake peer on 127.0.0.1 and the
// recording fake_host: the v2 bit, requests served (bounded), our requests tracked, answers never
// asked for, timeouts and the close.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "core/torrent_info_builder.hpp"
#include "swarm/peer_connection.hpp"
#include "swarm/peer_error.hpp"
#include "../support/fake_peer_host.hpp"

namespace tessera::detail {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;
using test::fake_host;
using test::id_of;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

sha256_hash filled(std::uint8_t b) {
  sha256_hash h;
  h.bytes.fill(b);
  return h;
}

hash_request sample_request(std::int32_t index = 0) {
  hash_request r;
  r.pieces_root = filled(0x42);
  r.base_layer = 1;
  r.index = index;
  r.length = 2;
  r.proof_layers = 2;  // two uncles: the pair's parent is at layer 2, its sibling and one above
  return r;
}

/// The remote side: a raw socket speaking the wire protocol by hand.
struct raw_peer {
  tcp::socket sock;
  std::vector<std::uint8_t> frame;

  awaitable<bool> send(std::vector<std::uint8_t> bytes) {
    auto [ec, n] = co_await asio::async_write(sock, asio::buffer(bytes), use_tuple);
    co_return !ec;
  }
  awaitable<bool> read_exact(std::vector<std::uint8_t>& out, std::size_t n, std::chrono::milliseconds timeout) {
    out.resize(n);
    asio::steady_timer t(sock.get_executor(), timeout);
    auto r = co_await (asio::async_read(sock, asio::buffer(out), use_tuple) || t.async_wait(use_tuple));
    if (r.index() != 0) co_return false;
    co_return !std::get<0>(std::get<0>(r));
  }
  /// The next message of type T (others skipped); nullopt on EOF or timeout.
  template <class T>
  awaitable<std::optional<T>> expect(std::chrono::milliseconds timeout = 2s) {
    for (int i = 0; i < 100; ++i) {
      std::vector<std::uint8_t> prefix;
      if (!co_await read_exact(prefix, 4, timeout)) co_return std::nullopt;
      const std::uint32_t len = (std::uint32_t{prefix[0]} << 24) | (prefix[1] << 16) | (prefix[2] << 8) | prefix[3];
      std::vector<std::uint8_t> body;
      if (len > 0 && !co_await read_exact(body, len, timeout)) co_return std::nullopt;
      frame = prefix;
      frame.insert(frame.end(), body.begin(), body.end());
      auto m = wire::decode_message(frame, 1 << 24).msg;
      if (auto* t = std::get_if<T>(&m)) co_return *t;
    }
    co_return std::nullopt;
  }
};

class PeerConnectionHashes : public ::testing::Test {
 protected:
  fake_host host;  // outlives every coroutine frame
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc, tcp::endpoint(asio::ip::address_v4::loopback(), 0)};
  std::shared_ptr<peer_connection> conn;
  bool script_done = false;
  std::function<awaitable<void>()> script_;
  std::optional<wire::handshake> our_handshake;

  PeerConnectionHashes() {
    host.ioc = &ioc;
    host.ti = tessera::detail::edited(host.ti, [&](auto& tb) { tb.info_hash.v2 = filled(0x77); });  // a hybrid: v1 and v2
  }

  void make(peer_connection_settings s = {}) {
    conn = std::make_shared<peer_connection>(ioc.get_executor(), host, 7, host.ti.info_hash(),
                                             acceptor.local_endpoint(), s);
    conn->start_outgoing();
  }

  awaitable<bool> eventually(std::function<bool()> pred, std::chrono::milliseconds timeout = 3s) {
    asio::steady_timer t(ioc);
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > end) co_return false;
      t.expires_after(5ms);
      co_await t.async_wait(use_tuple);
    }
    co_return true;
  }

  /// Accepts our connection, keeps our handshake, answers with the v2 bit set when `v2`.
  awaitable<raw_peer> accept(bool v2 = true, std::optional<sha1_hash> named = std::nullopt) {
    auto s = co_await acceptor.async_accept(asio::use_awaitable);
    raw_peer p{std::move(s), {}};
    std::vector<std::uint8_t> buf;
    if (co_await p.read_exact(buf, wire::handshake_length, 2s)) {
      if (auto h = wire::parse_handshake(buf)) our_handshake = *h;
    }
    wire::handshake theirs{{}, named.value_or(host.ti.info_hash().best()), id_of("-LT2080-theirpeerid0")};
    if (v2) theirs.reserved[7] |= 0x10;
    std::vector<std::uint8_t> out;
    wire::write_handshake(out, theirs);
    co_await p.send(std::move(out));
    co_await eventually([&] { return conn->handshake_done(); });
    co_return p;
  }

  void run(std::function<awaitable<void>()> script, std::chrono::milliseconds limit = 8s) {
    script_ = std::move(script);
    asio::co_spawn(ioc, script_(), [this](std::exception_ptr e) {
      script_done = true;
      if (e) ADD_FAILURE() << "script threw";
      ioc.stop();
    });
    ioc.run_for(limit);
    EXPECT_TRUE(script_done) << "script did not finish in time";
  }

  void TearDown() override {
    if (conn && !conn->is_closed()) conn->close(peer_errc::closed_by_host);
    ioc.restart();
    ioc.run_for(100ms);
  }
};

std::vector<std::uint8_t> request_bytes(const hash_request& r) {
  std::vector<std::uint8_t> out;
  write_hash_request(out, r);
  return out;
}

std::vector<std::uint8_t> hashes_bytes(const hash_request& r, std::uint8_t fill) {
  std::vector<std::uint8_t> out;
  write_hashes(out, {r, std::vector<sha256_hash>(static_cast<std::size_t>(r.length + uncle_count(r)), filled(fill))});
  return out;
}

TEST_F(PeerConnectionHashes, OurHandshakeSetsTheV2BitForATorrentWithAV2Part) {
  make();
  run([&]() -> awaitable<void> {
    auto p = co_await accept();
    EXPECT_TRUE(conn->supports_v2());
  });
  ASSERT_TRUE(our_handshake);
  EXPECT_TRUE(our_handshake->supports_v2());
  EXPECT_TRUE(our_handshake->supports_extensions());
}

TEST_F(PeerConnectionHashes, AV1TorrentDoesNotSetTheV2Bit) {
  host.ti = tessera::detail::edited(host.ti, [&](auto& tb) { tb.info_hash.v2 = {}; });
  make();
  run([&]() -> awaitable<void> { auto p = co_await accept(false); });
  ASSERT_TRUE(our_handshake);
  EXPECT_FALSE(our_handshake->supports_v2());
  EXPECT_FALSE(conn->supports_v2());
}

TEST_F(PeerConnectionHashes, ARequestIsAnsweredWithTheHostsHashes) {
  make();
  const auto r = sample_request();
  run([&]() -> awaitable<void> {
    auto p = co_await accept();
    co_await p.send(request_bytes(r));
    EXPECT_TRUE(co_await eventually([&] { return host.hash_requests.size() == 1; }));
    if (host.hash_requests.empty()) co_return;
    EXPECT_EQ(host.hash_requests[0].first, r);
    std::vector<sha256_hash> answer{filled(1), filled(2), filled(3), filled(4)};  // 2 base + 2 uncles
    host.hash_requests[0].second(answer);
    auto m = co_await p.expect<wire::hashes_msg>();
    EXPECT_TRUE(m.has_value());
    if (!m) co_return;
    EXPECT_EQ(m->request, r);
    auto full = decode_hashes(m->payload);
    EXPECT_TRUE(full.has_value());
    if (full) {
      EXPECT_EQ(full->hashes, answer);
    }
  });
}

TEST_F(PeerConnectionHashes, AHostErrorOrAWrongCountIsAReject) {
  make();
  run([&]() -> awaitable<void> {
    auto p = co_await accept();
    co_await p.send(request_bytes(sample_request(0)));
    co_await p.send(request_bytes(sample_request(2)));
    EXPECT_TRUE(co_await eventually([&] { return host.hash_requests.size() == 2; }));
    if (host.hash_requests.size() != 2) co_return;
    host.hash_requests[0].second(unexpected{make_error_code(hash_errc::unavailable)});
    auto m = co_await p.expect<wire::hash_reject_msg>();
    EXPECT_TRUE(m && m->request == sample_request(0));
    host.hash_requests[1].second(std::vector<sha256_hash>{filled(1)});  // 4 expected
    m = co_await p.expect<wire::hash_reject_msg>();
    EXPECT_TRUE(m && m->request == sample_request(2));
  });
  EXPECT_FALSE(conn->is_closed());
}

TEST_F(PeerConnectionHashes, RequestsBeyondTheServedBoundAreRejectedWithoutTheHost) {
  peer_connection_settings s;
  s.max_hash_requests_served = 2;
  make(s);
  run([&]() -> awaitable<void> {
    auto p = co_await accept();
    for (int i = 0; i < 3; ++i) co_await p.send(request_bytes(sample_request(2 * i)));
    auto m = co_await p.expect<wire::hash_reject_msg>();
    EXPECT_TRUE(m && m->request == sample_request(4));
    EXPECT_EQ(host.hash_requests.size(), 2u);
    // One answered: room for the next.
    host.hash_requests[0].second(std::vector<sha256_hash>(4, filled(1)));
    EXPECT_TRUE(co_await p.expect<wire::hashes_msg>());
    co_await p.send(request_bytes(sample_request(6)));
    EXPECT_TRUE(co_await eventually([&] { return host.hash_requests.size() == 3; }));
  });
}

TEST_F(PeerConnectionHashes, OurRequestGoesOnlyToAV2PeerAndItsAnswerToTheHost) {
  make();
  const auto r = sample_request();
  run([&]() -> awaitable<void> {
    auto p = co_await accept();
    EXPECT_TRUE(conn->send_hash_request(r));
    EXPECT_FALSE(conn->send_hash_request(r));  // already outstanding
    EXPECT_EQ(conn->outstanding_hash_requests(), 1);
    auto m = co_await p.expect<wire::hash_request_msg>();
    EXPECT_TRUE(m && m->request == r);
    co_await p.send(hashes_bytes(r, 9));
    EXPECT_TRUE(co_await eventually([&] { return host.hashes_received.size() == 1; }));
    if (host.hashes_received.empty()) co_return;
    EXPECT_EQ(host.hashes_received[0].request, r);
    EXPECT_EQ(host.hashes_received[0].hashes.size(), 4u);
    EXPECT_EQ(conn->outstanding_hash_requests(), 0);
  });
  EXPECT_FALSE(conn->is_closed());
}

TEST_F(PeerConnectionHashes, NoRequestToAPeerWithoutTheV2Bit) {
  make();
  run([&]() -> awaitable<void> {
    auto p = co_await accept(false);
    EXPECT_FALSE(conn->send_hash_request(sample_request()));
  });
}

TEST_F(PeerConnectionHashes, APeerNamingTheTorrentByItsV2HashSpeaksV2WithoutTheBit) {
  // libtorrent 2.0.8 sets no v2 bit; it answers hash requests all the same.
  host.ti = tessera::detail::edited(host.ti, [&](auto& tb) { tb.info_hash.v1 = {}; });  // v2-only: best() is the truncated v2 hash
  make();
  run([&]() -> awaitable<void> {
    auto p = co_await accept(false);
    EXPECT_TRUE(conn->supports_v2());
    EXPECT_TRUE(conn->send_hash_request(sample_request()));
  });
}

TEST_F(PeerConnectionHashes, HashesNeverAskedForCloseTheConnection) {
  make();
  run([&]() -> awaitable<void> {
    auto p = co_await accept();
    EXPECT_TRUE(conn->send_hash_request(sample_request(0)));
    co_await p.send(hashes_bytes(sample_request(2), 9));  // another range
    EXPECT_TRUE(co_await eventually([&] { return conn->is_closed(); }));
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], hash_errc::not_requested);
  EXPECT_TRUE(host.hashes_received.empty());
  // The outstanding one is reported failed with the close's reason.
  ASSERT_EQ(host.hash_failures.size(), 1u);
  EXPECT_EQ(host.hash_failures[0].first, sample_request(0));
  EXPECT_EQ(host.hash_failures[0].second, hash_errc::not_requested);
}

TEST_F(PeerConnectionHashes, ARejectNeverAskedForClosesTheConnection) {
  make();
  run([&]() -> awaitable<void> {
    auto p = co_await accept();
    std::vector<std::uint8_t> out;
    write_hash_reject(out, sample_request());
    co_await p.send(std::move(out));
    EXPECT_TRUE(co_await eventually([&] { return conn->is_closed(); }));
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], hash_errc::not_requested);
}

TEST_F(PeerConnectionHashes, ARejectFailsTheRequest) {
  make();
  run([&]() -> awaitable<void> {
    auto p = co_await accept();
    EXPECT_TRUE(conn->send_hash_request(sample_request()));
    std::vector<std::uint8_t> out;
    write_hash_reject(out, sample_request());
    co_await p.send(std::move(out));
    EXPECT_TRUE(co_await eventually([&] { return host.hash_failures.size() == 1; }));
  });
  ASSERT_EQ(host.hash_failures.size(), 1u);
  EXPECT_EQ(host.hash_failures[0].second, hash_errc::unavailable);
  EXPECT_EQ(conn->outstanding_hash_requests(), 0);
  EXPECT_FALSE(conn->is_closed());
}

TEST_F(PeerConnectionHashes, ATimedOutRequestFailsAndItsLateAnswerIsDropped) {
  peer_connection_settings s;
  s.hash_request_timeout = 1s;
  make(s);
  run([&]() -> awaitable<void> {
    auto p = co_await accept();
    EXPECT_TRUE(conn->send_hash_request(sample_request()));
    EXPECT_TRUE(co_await eventually([&] { return host.hash_failures.size() == 1; }, 4s));
    co_await p.send(hashes_bytes(sample_request(), 9));
    // A request after the late answer shows it was read (messages are handled in order).
    co_await p.send(request_bytes(sample_request(2)));
    EXPECT_TRUE(co_await eventually([&] { return host.hash_requests.size() == 1; }));
  });
  ASSERT_EQ(host.hash_failures.size(), 1u);
  EXPECT_EQ(host.hash_failures[0].second, peer_errc::timeout);
  EXPECT_TRUE(host.hashes_received.empty());
  EXPECT_FALSE(conn->is_closed());
}

TEST_F(PeerConnectionHashes, AMalformedHashMessageClosesTheConnection) {
  make();
  run([&]() -> awaitable<void> {
    auto p = co_await accept();
    auto r = sample_request();
    r.length = 3;  // not a power of two
    co_await p.send(request_bytes(r));
    EXPECT_TRUE(co_await eventually([&] { return conn->is_closed(); }));
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], hash_errc::bad_request);
  EXPECT_TRUE(host.hash_requests.empty());
}

}  // namespace
}  // namespace tessera::detail
