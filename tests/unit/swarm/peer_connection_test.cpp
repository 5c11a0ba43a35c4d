// peer_connection against a scripted fake peer on 127.0.0.1 (raw Asio, in this process) and a fake
// peer_host that records every call. Each test runs the io_context for a bounded time.
#include "swarm/peer_connection.hpp"

#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <optional>
#include <string_view>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "core/allowed_fast.hpp"
#include "core/mse_handshake.hpp"
#include "core/torrent_info_builder.hpp"
#include "swarm/peer_error.hpp"
#include "../support/fake_peer_host.hpp"

namespace tessera::detail {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;

/// ASSERT_* returns from the function, which a coroutine cannot: this one co_returns.
#define CO_ASSERT_TRUE(cond)                         \
  if (!(cond)) {                                     \
    ADD_FAILURE() << "assertion failed: " #cond;     \
    co_return;                                       \
  } else                                             \
    ::testing::Message()

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using test::fake_host;
using test::id_of;
using test::make_info;
using test::num_pieces;
using test::piece_length;
using test::total_size;

/// The remote side: a raw socket speaking the wire protocol by hand.
struct fake_peer {
  tcp::socket sock;
  std::vector<std::uint8_t> frame;  // the last message read, length prefix included

  awaitable<bool> send(std::vector<std::uint8_t> bytes) {
    auto [ec, n] = co_await asio::async_write(sock, asio::buffer(bytes), use_tuple);
    co_return !ec;
  }

  /// Reads exactly `n` bytes into `out`; false on EOF, error or timeout.
  awaitable<bool> read_exact(std::vector<std::uint8_t>& out, std::size_t n,
                             std::chrono::milliseconds timeout) {
    out.resize(n);
    asio::steady_timer t(sock.get_executor(), timeout);
    auto r = co_await (asio::async_read(sock, asio::buffer(out), use_tuple) ||
                       t.async_wait(use_tuple));
    if (r.index() != 0) co_return false;
    co_return !std::get<0>(std::get<0>(r));
  }

  awaitable<std::optional<wire::handshake>> read_handshake(std::chrono::milliseconds timeout = 2s) {
    std::vector<std::uint8_t> buf;
    if (!co_await read_exact(buf, wire::handshake_length, timeout)) co_return std::nullopt;
    auto h = wire::parse_handshake(buf);
    if (!h) co_return std::nullopt;
    co_return *h;
  }

  /// Reads one whole message into `frame`.
  awaitable<bool> read_message(std::chrono::milliseconds timeout = 2s) {
    std::vector<std::uint8_t> prefix;
    if (!co_await read_exact(prefix, 4, timeout)) co_return false;
    const std::uint32_t len = (std::uint32_t{prefix[0]} << 24) | (prefix[1] << 16) |
                              (prefix[2] << 8) | prefix[3];
    std::vector<std::uint8_t> body;
    if (len > 0 && !co_await read_exact(body, len, timeout)) co_return false;
    frame = prefix;
    frame.insert(frame.end(), body.begin(), body.end());
    co_return true;
  }
  wire::message message() const { return wire::decode_message(frame, 1 << 24).msg; }

  /// Reads messages until one of type T (others are skipped); nullopt on EOF/timeout.
  template <class T>
  awaitable<std::optional<T>> expect(std::chrono::milliseconds timeout = 2s) {
    for (int i = 0; i < 1000; ++i) {
      if (!co_await read_message(timeout)) co_return std::nullopt;
      auto m = message();
      if (auto* t = std::get_if<T>(&m)) co_return *t;
    }
    co_return std::nullopt;
  }

  /// True when the remote closes the connection within `timeout` (whatever it sends first).
  awaitable<bool> sees_eof(std::chrono::milliseconds timeout = 2s) {
    std::vector<std::uint8_t> buf(4096);
    asio::steady_timer t(sock.get_executor(), timeout);
    for (int i = 0; i < 1000; ++i) {
      t.expires_after(timeout);
      auto r = co_await (sock.async_read_some(asio::buffer(buf), use_tuple) ||
                         t.async_wait(use_tuple));
      if (r.index() != 0) co_return false;
      if (std::get<0>(std::get<0>(r))) co_return true;
    }
    co_return false;
  }
};

std::vector<std::uint8_t> handshake_bytes(const sha1_hash& ih, const peer_id& id,
                                          bool extensions = false, bool fast = false) {
  std::vector<std::uint8_t> out;
  wire::handshake h{{}, ih, id};
  if (extensions) h.reserved[5] |= 0x10;  // BEP 10
  if (fast) h.reserved[7] |= 0x04;        // BEP 6
  wire::write_handshake(out, h);
  return out;
}
std::vector<std::uint8_t> extended_msg(std::uint8_t id, std::string_view payload) {
  std::vector<std::uint8_t> out;
  wire::write_extended(out, id, {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()});
  return out;
}
std::string_view payload_of(const wire::extended& m) {
  return {reinterpret_cast<const char*>(m.payload.data()), m.payload.size()};
}
std::vector<std::uint8_t> bitfield_msg(std::initializer_list<int> pieces_set, int size = num_pieces) {
  bitfield b(size);
  for (int p : pieces_set) b.set(p);
  std::vector<std::uint8_t> out;
  wire::write_bitfield(out, b.bytes());
  return out;
}
template <class F>
std::vector<std::uint8_t> msg(F write) {
  std::vector<std::uint8_t> out;
  write(out);
  return out;
}
std::vector<std::uint8_t> piece_msg(int piece, int begin, std::size_t length, std::uint8_t seed) {
  std::vector<std::uint8_t> out;
  wire::write_piece_header(out, piece_index{piece}, begin, static_cast<std::int32_t>(length));
  for (std::size_t i = 0; i < length; ++i) out.push_back(static_cast<std::uint8_t>(seed + i * 7));
  return out;
}

class PeerConnection : public ::testing::Test {
 protected:
  fake_host host;  // declared before the io_context: outlives every coroutine frame
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc, tcp::endpoint(asio::ip::address_v4::loopback(), 0)};
  std::shared_ptr<peer_connection> conn;
  bool script_done = false;
  std::function<awaitable<void>()> script_;
  const peer_id their_id = id_of("-LT2080-theirpeerid0");
  /// The info-hash our handshake must carry; zero: host.ti.info_hash().best().
  sha1_hash expected_ours;

  PeerConnection() { host.ioc = &ioc; }

  void make(peer_connection_settings s = {}) {
    conn = std::make_shared<peer_connection>(ioc.get_executor(), host, 7, host.ti.info_hash(),
                                             acceptor.local_endpoint(), s);
  }

  /// Polls `pred` every 5 ms for up to `timeout`.
  awaitable<bool> eventually(std::function<bool()> pred, std::chrono::milliseconds timeout = 2s) {
    asio::steady_timer t(ioc);
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > end) co_return false;
      t.expires_after(5ms);
      co_await t.async_wait(use_tuple);
    }
    co_return true;
  }

  /// Accepts our outgoing connection, checks our handshake, answers with `ih`.
  awaitable<fake_peer> accept_and_handshake(std::optional<sha1_hash> ih = std::nullopt,
                                            bool extensions = false, bool fast = false) {
    auto accepted_ = co_await acceptor.async_accept(asio::use_awaitable);
    fake_peer p{std::move(accepted_), {}};
    auto h = co_await p.read_handshake();
    EXPECT_TRUE(h.has_value());
    if (h) {
      EXPECT_EQ(h->info_hash, expected_ours.is_zero() ? host.ti.info_hash().best() : expected_ours);
      EXPECT_EQ(h->id, host.ours);
      // The extension protocol bit (BEP 10), the fast bit (BEP 6), and the v2 bit (BEP 52) for
      // a torrent with a v2 part; the DHT bit needs a DHT port.
      const std::uint8_t v2 = host.ti.info_hash().has_v2() ? 0x10 : 0;
      EXPECT_EQ(h->reserved, (std::array<std::uint8_t, 8>{0, 0, 0, 0, 0, 0x10, 0, std::uint8_t(0x04 | v2)}));
    }
    co_await p.send(handshake_bytes(ih.value_or(host.ti.info_hash().best()), their_id, extensions, fast));
    co_return p;
  }

  /// Handshake, then the peer has every piece and unchokes us.
  awaitable<fake_peer> unchoked_seed() {
    auto p = co_await accept_and_handshake();
    { auto m_ = bitfield_msg({0, 1, 2, 3, 4}); co_await p.send(std::move(m_)); }
    { auto v_ = co_await p.expect<wire::interested>(); EXPECT_TRUE(v_.has_value()); }
    co_await p.send(msg(wire::write_unchoke));
    co_return p;
  }

  /// Runs `script` (the fake peer's side) for at most `limit`; fails the test on timeout.
  void run(std::function<awaitable<void>()> script, std::chrono::milliseconds limit = 5s) {
    script_ = std::move(script);  // the coroutine lambda's captures must outlive its frame
    asio::co_spawn(ioc, script_(), [this](std::exception_ptr e) {
      script_done = true;
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          ADD_FAILURE() << "script threw: " << x.what();
        }
      }
      ioc.stop();
    });
    ioc.run_for(limit);
    EXPECT_TRUE(script_done) << "script did not finish in time";
  }

  void TearDown() override {
    if (conn && !conn->is_closed()) conn->close(peer_errc::closed_by_host);
    ioc.restart();
    ioc.run_for(100ms);  // let the coroutines see the close and finish
  }
};

TEST_F(PeerConnection, HandshakeWithMatchingInfoHashIsAccepted) {
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake();
    { auto v_ = co_await eventually([&] { return conn->handshake_done(); }); EXPECT_TRUE(v_); }
    EXPECT_EQ(host.handshakes.size(), 1u);
    EXPECT_EQ(conn->remote_peer_id(), their_id);
    EXPECT_EQ(conn->client_name(), "libtorrent 2.0.8");
    EXPECT_TRUE(conn->peer_choking());
    EXPECT_FALSE(conn->am_interested());
    p.sock.close();  // the peer hangs up: the connection closes itself
    { auto v_ = co_await eventually([&] { return !host.disconnects.empty(); }); EXPECT_TRUE(v_); }
  });
  EXPECT_TRUE(conn->is_closed());
  EXPECT_EQ(host.disconnects.size(), 1u);
}

// --- MSE/PE, outgoing (the remote side runs core's responder over a peer_stream) ---

/// Accepts our connection and answers its MSE handshake as a responder in mode `policy`; returns
/// the stream (cipher set) and the result, or nullopt when the handshake failed.
awaitable<std::optional<std::pair<peer_stream, mse_result>>> mse_accept(tcp::acceptor& acceptor, const info_hash_t& ih,
                                                                         encryption_mode policy) {
  auto accepted = co_await acceptor.async_accept(asio::use_awaitable);
  peer_stream ps(std::move(accepted));
  mse_skey_map keys;
  add_mse_skeys(keys, ih);
  auto resp = mse_responder::create(keys, policy, mse_secrets::generate());
  if (!resp) co_return std::nullopt;
  std::vector<std::uint8_t> buf(4096);
  while (!resp->done()) {
    auto [ec, n] = co_await ps.read_some(buf);
    if (ec || resp->receive(std::span<const std::uint8_t>(buf).first(n))) co_return std::nullopt;
    auto out = resp->take_output();
    if (!out.empty()) {
      auto [wec, w] = co_await ps.write(out);
      if (wec) co_return std::nullopt;
    }
  }
  auto r = resp->take_result();
  ps.set_cipher(std::move(r.cipher));
  co_return std::make_pair(std::move(ps), std::move(r));
}

TEST_F(PeerConnection, ForcedOutgoingEncryptionNegotiatesRc4WithTheHandshakeAsInitialPayload) {
  peer_connection_settings s;
  s.encryption = outgoing_for(encryption_mode::forced);
  make(s);
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto got = co_await mse_accept(acceptor, host.ti.info_hash(), encryption_mode::enabled);
    CO_ASSERT_TRUE(got.has_value());
    auto& [ps, r] = *got;
    EXPECT_EQ(r.method, mse_method::rc4);
    EXPECT_EQ(r.skey, host.ti.info_hash().best());
    CO_ASSERT_TRUE(r.initial_payload.size() == wire::handshake_length);
    auto h = wire::parse_handshake(r.initial_payload);
    CO_ASSERT_TRUE(h.has_value());
    EXPECT_EQ(h->id, host.ours);
    EXPECT_EQ(h->info_hash, host.ti.info_hash().best());
    const auto hs = handshake_bytes(host.ti.info_hash().best(), their_id);
    auto [wec, w] = co_await ps.write(hs);
    EXPECT_FALSE(wec);
    { auto v_ = co_await eventually([&] { return conn->handshake_done(); }); EXPECT_TRUE(v_); }
    EXPECT_TRUE(conn->is_encrypted());
    EXPECT_TRUE(conn->used_mse());
    // Both directions stay encrypted: the peer's bitfield decrypts (we become interested) and our
    // `interested` decrypts on its side.
    { auto m_ = bitfield_msg({0, 1, 2, 3, 4}); auto [bec, bn] = co_await ps.write(m_); EXPECT_FALSE(bec); }
    { auto v_ = co_await eventually([&] { return conn->am_interested(); }); EXPECT_TRUE(v_); }
    std::vector<std::uint8_t> msg_buf(5);
    std::size_t have = 0;
    while (have < msg_buf.size()) {
      auto [ec, n] = co_await ps.read_some(std::span(msg_buf).subspan(have));
      CO_ASSERT_TRUE(!ec);
      have += n;
    }
    EXPECT_EQ(msg_buf, (std::vector<std::uint8_t>{0, 0, 0, 1, 2}));  // interested
  });
}

TEST_F(PeerConnection, EnabledOutgoingEncryptionTakesPlaintextWhenThePeerSelectsIt) {
  peer_connection_settings s;
  s.encryption = outgoing_for(encryption_mode::enabled);
  make(s);
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto got = co_await mse_accept(acceptor, host.ti.info_hash(), encryption_mode::disabled);
    CO_ASSERT_TRUE(got.has_value());
    auto& [ps, r] = *got;
    EXPECT_EQ(r.method, mse_method::plaintext);
    const auto hs = handshake_bytes(host.ti.info_hash().best(), their_id);
    auto [wec, w] = co_await ps.write(hs);
    EXPECT_FALSE(wec);
    { auto v_ = co_await eventually([&] { return conn->handshake_done(); }); EXPECT_TRUE(v_); }
    EXPECT_FALSE(conn->is_encrypted());
    EXPECT_TRUE(conn->used_mse());
  });
}

TEST_F(PeerConnection, PeerDroppingTheMseAttemptClosesTheConnectionBeforeTheHandshake) {
  peer_connection_settings s;
  s.encryption = outgoing_for(encryption_mode::enabled);
  make(s);
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    // A plaintext-only peer: reads what should be a handshake, finds Ya, hangs up.
    auto accepted = co_await acceptor.async_accept(asio::use_awaitable);
    fake_peer p{std::move(accepted), {}};
    std::vector<std::uint8_t> first;
    EXPECT_TRUE(co_await p.read_exact(first, 20, 2s));
    EXPECT_NE(classify_incoming(first), incoming_handshake::bittorrent);
    p.sock.close();
    { auto v_ = co_await eventually([&] { return !host.disconnects.empty(); }); EXPECT_TRUE(v_); }
  });
  EXPECT_TRUE(conn->is_closed());
  EXPECT_FALSE(conn->handshake_done());
  EXPECT_TRUE(conn->used_mse());
  EXPECT_TRUE(conn->transport_connected());
}

TEST_F(PeerConnection, BindAddressIsTheSourceThePeerSees) {
  acceptor.close();  // the fake peer listens on 127.0.0.2 instead
  acceptor.open(tcp::v4());
  acceptor.bind(tcp::endpoint(asio::ip::make_address("127.0.0.2"), 0));
  acceptor.listen();
  peer_connection_settings s;
  s.bind_address = asio::ip::make_address("127.0.0.3");
  make(s);
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake();
    EXPECT_EQ(p.sock.remote_endpoint().address(), asio::ip::make_address("127.0.0.3"));
    { auto v_ = co_await eventually([&] { return conn->handshake_done(); }); EXPECT_TRUE(v_); }
    EXPECT_EQ(conn->local_endpoint().address(), asio::ip::make_address("127.0.0.3"));
  });
}

TEST_F(PeerConnection, BindAddressOfTheOtherFamilyIsNotUsed) {
  peer_connection_settings s;
  s.bind_address = asio::ip::make_address("::1");  // IPv6: an IPv4 peer is dialled from 127.0.0.1
  make(s);
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake();
    EXPECT_EQ(p.sock.remote_endpoint().address(), asio::ip::make_address("127.0.0.1"));
  });
}

TEST_F(PeerConnection, MismatchingInfoHashClosesWithoutAskingTheHost) {
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake(*sha1_hash::from_bytes("some-other-torrent!!"));
    { auto v_ = co_await p.sees_eof(); EXPECT_TRUE(v_); }
    { auto v_ = co_await eventually([&] { return !host.disconnects.empty(); }); EXPECT_TRUE(v_); }
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], make_error_code(peer_errc::info_hash_mismatch));
  EXPECT_TRUE(host.handshakes.empty());
  EXPECT_FALSE(conn->handshake_done());
}

TEST_F(PeerConnection, HybridTorrentAcceptsAHandshakeWithItsTruncatedV2Hash) {
  // BEP 52: a peer of the v2 swarm names a hybrid by its v2 info-hash truncated to 20 bytes. We
  // send v1 (best()), and take either.
  host.ti = tessera::detail::edited(host.ti, [](auto& tb) { tb.info_hash.v2.bytes.fill(0x5a); });
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake(host.ti.info_hash().v2_truncated());
    { auto v_ = co_await eventually([&] { return conn->handshake_done(); }); EXPECT_TRUE(v_); }
    EXPECT_EQ(host.handshakes.size(), 1u);
    EXPECT_TRUE(host.disconnects.empty());
  });
}

TEST_F(PeerConnection, OutgoingHandshakeCarriesTheHashOfThePeersSwarm) {
  // A peer found in a hybrid's v2 swarm is dialled with the truncated v2 hash (BEP 52).
  host.ti = tessera::detail::edited(host.ti, [](auto& tb) { tb.info_hash.v2.bytes.fill(0x5b); });
  peer_connection_settings s;
  s.outgoing_info_hash = host.ti.info_hash().v2_truncated();
  expected_ours = s.outgoing_info_hash;
  make(s);
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake(host.ti.info_hash().v2_truncated());
    { auto v_ = co_await eventually([&] { return conn->handshake_done(); }); EXPECT_TRUE(v_); }
    EXPECT_TRUE(host.disconnects.empty());
  });
}

TEST_F(PeerConnection, OutgoingHashThatDoesNotNameTheTorrentIsReplacedByBest) {
  peer_connection_settings s;
  s.outgoing_info_hash = *sha1_hash::from_bytes("some-other-torrent!!");
  make(s);  // expected_ours stays zero: best()
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake();
    { auto v_ = co_await eventually([&] { return conn->handshake_done(); }); EXPECT_TRUE(v_); }
  });
}

TEST_F(PeerConnection, HandshakeRejectedByHostCloses) {
  host.accept = false;  // e.g. the peer id is our own: a connection to ourselves
  host.our_bits.set(0);
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake();
    { auto v_ = co_await p.read_message(1s); EXPECT_FALSE(v_) << "no bitfield may follow a rejected handshake"; }
    { auto v_ = co_await eventually([&] { return !host.disconnects.empty(); }); EXPECT_TRUE(v_); }
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], make_error_code(peer_errc::handshake_rejected));
  EXPECT_EQ(host.handshakes.size(), 1u);
}

TEST_F(PeerConnection, ConnectRefusedReportsDisconnect) {
  const auto ep = acceptor.local_endpoint();
  acceptor.close();  // nobody listens on that port any more
  conn = std::make_shared<peer_connection>(ioc.get_executor(), host, 7, host.ti.info_hash(), ep);
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    { auto v_ = co_await eventually([&] { return !host.disconnects.empty(); }); EXPECT_TRUE(v_); }
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_TRUE(host.disconnects[0]);
  EXPECT_TRUE(host.handshakes.empty());
}

TEST_F(PeerConnection, SilentPeerTimesOutDuringHandshake) {
  peer_connection_settings s;
  s.handshake_timeout = 1s;
  make(s);
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto accepted_ = co_await acceptor.async_accept(asio::use_awaitable);
    fake_peer p{std::move(accepted_), {}};
    { auto v_ = co_await p.read_handshake(); EXPECT_TRUE(v_.has_value()); }
    { auto v_ = co_await p.sees_eof(3s); EXPECT_TRUE(v_); }  // we never answer
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], make_error_code(peer_errc::timeout));
}

TEST_F(PeerConnection, OurBitfieldIsSentAfterTheHandshake) {
  host.our_bits.set(2);
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake();
    { auto v_ = co_await p.read_message(); CO_ASSERT_TRUE(v_); }
    auto m = p.message();
    auto* b = std::get_if<wire::bitfield>(&m);
    CO_ASSERT_TRUE(b != nullptr) << "the first message must be our bitfield";
    EXPECT_TRUE(std::equal(b->bits.begin(), b->bits.end(), host.our_bits.bytes().begin(),
                           host.our_bits.bytes().end()));
  });
}

TEST_F(PeerConnection, IncomingConnectionReadsHandshakeBeforeReplying) {
  host.our_bits.set(1);
  run([&]() -> awaitable<void> {
    fake_peer p{tcp::socket(ioc), {}};
    co_await p.sock.async_connect(acceptor.local_endpoint(), asio::use_awaitable);
    auto accepted = co_await acceptor.async_accept(asio::use_awaitable);
    conn = std::make_shared<peer_connection>(ioc.get_executor(), host, 7, host.ti.info_hash(),
                                             p.sock.local_endpoint());
    conn->start_incoming(std::move(accepted));
    std::vector<std::uint8_t> buf;
    { auto v_ = co_await p.read_exact(buf, 1, 200ms); EXPECT_FALSE(v_) << "replied before the peer's handshake"; }
    co_await p.send(handshake_bytes(host.ti.info_hash().best(), their_id));
    auto h = co_await p.read_handshake();
    CO_ASSERT_TRUE(h.has_value());
    EXPECT_EQ(h->info_hash, host.ti.info_hash().best());
    EXPECT_EQ(h->id, host.ours);
    { auto v_ = co_await p.expect<wire::bitfield>(); EXPECT_TRUE(v_.has_value()); }
    EXPECT_EQ(host.handshakes.size(), 1u);
    EXPECT_TRUE(conn->handshake_done());
  });
}

TEST_F(PeerConnection, BitfieldReachesHostAndMakesUsInterested) {
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake();
    { auto m_ = bitfield_msg({0, 3}); co_await p.send(std::move(m_)); }
    { auto v_ = co_await p.expect<wire::interested>(); EXPECT_TRUE(v_.has_value()); }
    CO_ASSERT_TRUE(host.has_calls.size() == 1u);
    EXPECT_TRUE(host.has_calls[0].get(0));
    EXPECT_TRUE(host.has_calls[0].get(3));
    EXPECT_EQ(host.has_calls[0].count(), 2);
    EXPECT_TRUE(conn->pieces()[piece_index{3}]);
    EXPECT_FALSE(conn->is_seed());
    EXPECT_TRUE(conn->am_interested());
  });
}

TEST_F(PeerConnection, HaveOfAMissingPieceMakesUsInterested) {
  host.our_bits.set(0);
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake();
    { auto m_ = bitfield_msg({0}); co_await p.send(std::move(m_)); }  // only what we have: not interesting
    co_await p.send(msg([](auto& o) { wire::write_have(o, piece_index{4}); }));
    { auto v_ = co_await p.expect<wire::interested>(); EXPECT_TRUE(v_.has_value()); }
    CO_ASSERT_TRUE(host.haves.size() == 1u);
    EXPECT_EQ(host.haves[0], piece_index{4});
  });
}

TEST_F(PeerConnection, UnchokeSendsRequestsUpToMinimumDepth) {
  host.make_all_available();
  peer_connection_settings s;
  s.min_request_depth = 4;
  make(s);
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await unchoked_seed();
    for (int i = 0; i < 4; ++i) {
      auto r = co_await p.expect<wire::request>();
      CO_ASSERT_TRUE(r.has_value());
      EXPECT_EQ(r->piece, host.picked[i].piece);
      EXPECT_EQ(r->begin, host.picked[i].block.value * block_size);
      EXPECT_EQ(r->length, block_size);
    }
    { auto v_ = co_await p.read_message(300ms); EXPECT_FALSE(v_) << "more requests than the pipeline depth"; }
    EXPECT_EQ(conn->stats().outstanding_requests, 4);
  });
}

TEST_F(PeerConnection, PieceForOutstandingRequestIsDeliveredToTheHost) {
  // The last block of the last piece is short: 20000 - 16384 bytes.
  host.available.push_back({piece_index{4}, block_index{1}});
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await unchoked_seed();
    auto r = co_await p.expect<wire::request>();
    CO_ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->piece, piece_index{4});
    EXPECT_EQ(r->begin, block_size);
    EXPECT_EQ(r->length, 20000 - block_size);
    co_await p.send(piece_msg(4, block_size, 20000 - block_size, 9));
    { auto v_ = co_await eventually([&] { return !host.blocks.empty(); }); EXPECT_TRUE(v_); }
  });
  ASSERT_EQ(host.blocks.size(), 1u);
  EXPECT_EQ(host.blocks[0].first, (block_address{piece_index{4}, block_index{1}}));
  const auto expected = piece_msg(4, block_size, 20000 - block_size, 9);
  EXPECT_EQ(host.blocks[0].second, std::vector<std::uint8_t>(expected.begin() + 13, expected.end()));
  EXPECT_EQ(conn->stats().downloaded, 20000 - block_size);
  EXPECT_EQ(conn->stats().outstanding_requests, 0);
  EXPECT_TRUE(host.aborted.empty());
}

TEST_F(PeerConnection, UnrequestedPieceIsDroppedNotDelivered) {
  host.available.push_back({piece_index{1}, block_index{0}});
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await unchoked_seed();
    { auto v_ = co_await p.expect<wire::request>(); CO_ASSERT_TRUE(v_.has_value()); }
    co_await p.send(piece_msg(0, 0, block_size, 1));           // never requested
    co_await p.send(piece_msg(1, 0, block_size - 1, 2));       // requested block, wrong length
    co_await p.send(piece_msg(1, block_size, block_size, 3));  // other block of that piece
    {
      auto v_ = co_await eventually([&] { return conn->stats().wasted == 3 * block_size - 1; });
      EXPECT_TRUE(v_);
    }
  });
  EXPECT_TRUE(host.blocks.empty());
  EXPECT_FALSE(conn->is_closed());
  EXPECT_EQ(conn->stats().wasted, 3 * block_size - 1);
  EXPECT_EQ(conn->stats().outstanding_requests, 1);
}

TEST_F(PeerConnection, ChokeAbortsOutstandingRequests) {
  host.make_all_available();
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await unchoked_seed();
    for (int i = 0; i < 4; ++i) { auto v_ = co_await p.expect<wire::request>(); CO_ASSERT_TRUE(v_.has_value()); }
    co_await p.send(msg(wire::write_choke));
    { auto v_ = co_await eventually([&] { return host.aborted.size() == 4; }); EXPECT_TRUE(v_); }
    EXPECT_TRUE(conn->peer_choking());
    EXPECT_EQ(conn->stats().outstanding_requests, 0);
    { auto v_ = co_await p.read_message(300ms); EXPECT_FALSE(v_) << "requested while choked"; }
  });
  EXPECT_EQ(std::vector<block_address>(host.picked.begin(), host.picked.begin() + 4),
            std::vector<block_address>(host.aborted.begin(), host.aborted.end()));
}

TEST_F(PeerConnection, BitfieldOfWrongLengthCloses) {
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake();
    { auto m_ = bitfield_msg({0}, 16); co_await p.send(std::move(m_)); }  // two bytes for a five-piece torrent
    { auto v_ = co_await p.sees_eof(); EXPECT_TRUE(v_); }
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], make_error_code(peer_errc::bad_bitfield));
  EXPECT_TRUE(host.has_calls.empty());
}

TEST_F(PeerConnection, BitfieldWithSpareBitsSetCloses) {
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake();
    { auto m_ = bitfield_msg({0, 7}, 8); co_await p.send(std::move(m_)); }  // bit 7 is past the fifth piece
    { auto v_ = co_await p.sees_eof(); EXPECT_TRUE(v_); }
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], make_error_code(peer_errc::bad_bitfield));
}

TEST_F(PeerConnection, HaveThenABitfieldKeepingItReplacesThePieceSet) {
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake();
    // aria2 does this when it completes a piece while the handshake is in flight.
    co_await p.send(msg([](auto& o) { wire::write_have(o, piece_index{1}); }));
    { auto m_ = bitfield_msg({0, 1, 3}); co_await p.send(std::move(m_)); }
    { auto v_ = co_await eventually([&] { return host.has_calls.size() == 1; }); CO_ASSERT_TRUE(v_); }
    EXPECT_TRUE(conn->pieces().get(0) && conn->pieces().get(1) && conn->pieces().get(3));
    EXPECT_FALSE(conn->pieces().get(2));
    EXPECT_FALSE(conn->is_closed());
  });
  EXPECT_TRUE(host.disconnects.empty());
  EXPECT_EQ(host.haves.size(), 1u);
}

TEST_F(PeerConnection, BitfieldDroppingAnAnnouncedPieceCloses) {
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake();
    co_await p.send(msg([](auto& o) { wire::write_have(o, piece_index{1}); }));
    { auto m_ = bitfield_msg({0}); co_await p.send(std::move(m_)); }
    { auto v_ = co_await p.sees_eof(); EXPECT_TRUE(v_); }
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], make_error_code(peer_errc::unexpected_bitfield));
}

TEST_F(PeerConnection, HaveOutOfRangeCloses) {
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake();
    co_await p.send(msg([](auto& o) { wire::write_have(o, piece_index{num_pieces}); }));
    { auto v_ = co_await p.sees_eof(); EXPECT_TRUE(v_); }
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], make_error_code(peer_errc::have_out_of_range));
  EXPECT_TRUE(host.haves.empty());
}

TEST_F(PeerConnection, OversizedMessageCloses) {
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake();
    // A length prefix of 64 MiB with a piece id: rejected on the prefix, never buffered.
    std::vector<std::uint8_t> huge{0x04, 0x00, 0x00, 0x00, 7, 0, 0, 0, 0};
    co_await p.send(huge);
    { auto v_ = co_await p.sees_eof(); EXPECT_TRUE(v_); }
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], make_error_code(wire::wire_errc::message_too_long));
}

TEST_F(PeerConnection, RequestLongerThanABlockCloses) {
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake();
    co_await p.send(msg([](auto& o) {
      wire::write_request(o, {piece_index{0}, 0, 2 * block_size});
    }));
    { auto v_ = co_await p.sees_eof(); EXPECT_TRUE(v_); }
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], make_error_code(peer_errc::bad_request));
}

TEST_F(PeerConnection, StalledPeerIsSnubbedAndItsRequestsGoBackToThePicker) {
  host.make_all_available();
  peer_connection_settings s;
  s.snub_timeout = 1s;
  make(s);
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await unchoked_seed();
    for (int i = 0; i < 4; ++i) { auto v_ = co_await p.expect<wire::request>(); CO_ASSERT_TRUE(v_.has_value()); }
    EXPECT_FALSE(conn->is_snubbed());
    // Send nothing: after the snub timeout the four requests are cancelled and returned.
    int cancels = 0;
    std::optional<wire::request> next;
    while (!next) {
      if (!co_await p.read_message(3s)) break;
      auto m = p.message();
      if (std::get_if<wire::cancel>(&m)) ++cancels;
      if (auto* r = std::get_if<wire::request>(&m)) next = *r;
    }
    EXPECT_EQ(cancels, 4);
    EXPECT_EQ(host.aborted.size(), 4u);
    EXPECT_TRUE(conn->is_snubbed());
    CO_ASSERT_TRUE(next.has_value()) << "a snubbed peer still gets one request";
    { auto v_ = co_await p.read_message(300ms); EXPECT_FALSE(v_) << "a snubbed peer gets only one request"; }
    EXPECT_EQ(conn->stats().outstanding_requests, 1);
    // A block ends the snub and the pipeline refills.
    co_await p.send(piece_msg(next->piece.value, next->begin, static_cast<std::size_t>(next->length), 5));
    { auto v_ = co_await eventually([&] { return !conn->is_snubbed(); }); EXPECT_TRUE(v_); }
    for (int i = 0; i < 4; ++i) { auto v_ = co_await p.expect<wire::request>(); EXPECT_TRUE(v_.has_value()); }
  }, 8s);
  EXPECT_EQ(host.blocks.size(), 1u);
}

TEST_F(PeerConnection, SendHaveSkipsPiecesThePeerHas) {
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake();
    { auto m_ = bitfield_msg({1}); co_await p.send(std::move(m_)); }
    { auto v_ = co_await p.expect<wire::interested>(); EXPECT_TRUE(v_.has_value()); }
    conn->send_have(piece_index{1});  // the peer has it: nothing sent
    conn->send_have(piece_index{3});
    auto h = co_await p.expect<wire::have>();
    CO_ASSERT_TRUE(h.has_value());
    EXPECT_EQ(h->piece, piece_index{3});
  });
}

TEST_F(PeerConnection, CloseReportsOnceAndNeverCallsTheHostAgain) {
  host.make_all_available();
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await unchoked_seed();
    for (int i = 0; i < 4; ++i) { auto v_ = co_await p.expect<wire::request>(); CO_ASSERT_TRUE(v_.has_value()); }
    conn->close(peer_errc::closed_by_host);
    conn->close(peer_errc::timeout);
    EXPECT_EQ(host.disconnects.size(), 1u);
    EXPECT_EQ(host.aborted.size(), 4u) << "outstanding requests are reported before on_disconnect";
    // Nothing the peer sends and nothing the torrent calls reaches the host any more.
    co_await p.send(msg([](auto& o) { wire::write_have(o, piece_index{1}); }));
    co_await p.send(piece_msg(0, 0, block_size, 1));
    conn->request_more();
    conn->update_interest();
    conn->send_have(piece_index{2});
    { auto v_ = co_await p.sees_eof(); EXPECT_TRUE(v_); }
    asio::steady_timer t(ioc, 200ms);
    co_await t.async_wait(use_tuple);
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], make_error_code(peer_errc::closed_by_host));
  EXPECT_EQ(host.calls_after_disconnect, 0);
  EXPECT_TRUE(conn->is_closed());
}

TEST_F(PeerConnection, CloseBeforeStartReportsOnce) {
  make();
  conn->close(peer_errc::closed_by_host);
  conn->start_outgoing();  // ignored after close
  run([&]() -> awaitable<void> {
    asio::steady_timer t(ioc, 200ms);
    co_await t.async_wait(use_tuple);
  });
  EXPECT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.calls_after_disconnect, 0);
}

TEST_F(PeerConnection, LoopbackDownloadIsFast) {
  // 64 MiB in 256 KiB pieces from a fake seed that answers every request at once.
  {
    tessera::detail::torrent_info_builder b(host.ti);
    b.piece_length = 256 * 1024;
    b.piece_hashes.assign(256, sha1_hash{});
    b.total_size = b.piece_length * 256;
    b.files = {{"test", b.total_size, 0}};
    host.ti = std::move(b).build();
  }
  host.our_bits = bitfield(256);
  host.keep_blocks = false;
  host.make_all_available();
  make();
  conn->start_outgoing();
  std::chrono::steady_clock::time_point start, end;
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake();
    bitfield all(256, true);
    std::vector<std::uint8_t> out;
    wire::write_bitfield(out, all.bytes());
    wire::write_unchoke(out);
    co_await p.send(out);
    start = std::chrono::steady_clock::now();
    const std::vector<std::uint8_t> block(block_size, 0x5a);
    std::vector<std::uint8_t> in(256 * 1024);
    std::size_t have = 0;
    std::int64_t answered = 0;
    while (answered < host.ti.total_size()) {
      auto [ec, n] = co_await p.sock.async_read_some(asio::buffer(in.data() + have, in.size() - have), use_tuple);
      if (ec) break;
      have += n;
      out.clear();
      std::size_t used = 0;
      for (;;) {
        auto r = wire::decode_message({in.data() + used, have - used}, 1 << 20);
        if (r.consumed == 0 || r.ec) break;
        used += r.consumed;
        if (auto* q = std::get_if<wire::request>(&r.msg)) {
          wire::write_piece_header(out, q->piece, q->begin, q->length);
          out.insert(out.end(), block.begin(), block.begin() + q->length);
          answered += q->length;
        }
      }
      std::memmove(in.data(), in.data() + used, have - used);
      have -= used;
      if (!out.empty()) {
        auto [wec, wn] = co_await asio::async_write(p.sock, asio::buffer(out), use_tuple);
        if (wec) break;
      }
    }
    co_await eventually([&] { return host.bytes_received >= host.ti.total_size(); }, 10s);
    end = std::chrono::steady_clock::now();
  }, 30s);
  EXPECT_EQ(host.bytes_received, host.ti.total_size());
  const double seconds = std::chrono::duration<double>(end - start).count();
  const double mb_per_s = static_cast<double>(host.ti.total_size()) / 1e6 / seconds;
  std::printf("loopback download: %.1f MB/s (%.3f s, %zu blocks)\n", mb_per_s, seconds,
              host.picked.size());
  // Loose floor: the machine is shared; the point is to catch a pathological slowdown.
  EXPECT_GT(mb_per_s, 20.0);
}


// --- upload side -------------------------------------------------------------------------------

/// The peer's handshake, our bitfield read, then the peer declares interest and the host sees it.
#define UPLOAD_PRELUDE(p)                                                                  \
  auto p = co_await accept_and_handshake();                                                \
  { auto v_ = co_await p.expect<wire::bitfield>(); CO_ASSERT_TRUE(v_.has_value()); }        \
  co_await p.send(msg(wire::write_interested));                                            \
  { auto v_ = co_await eventually([&] { return conn->peer_interested(); }); CO_ASSERT_TRUE(v_); }

void have_everything(fake_host& host) {
  for (int i = 0; i < num_pieces; ++i) host.our_bits.set(i);
}

TEST(PeerConnectionSettings, OurOwnFullPipelineFitsThePeersRequestQueueCap) {
  // A tessera leecher at full speed keeps max_request_depth requests outstanding; a tessera seed
  // must queue them all rather than close the connection.
  const peer_connection_settings s;
  EXPECT_GE(s.max_queued_requests, s.max_request_depth);
}

TEST_F(PeerConnection, UnchokedPeerGetsTheRequestedBlocksWithTheRightData) {
  have_everything(host);
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    UPLOAD_PRELUDE(p);
    EXPECT_EQ(host.interest_calls, std::vector<bool>{true});
    EXPECT_TRUE(conn->am_choking());
    conn->unchoke();
    { auto v_ = co_await p.expect<wire::unchoke>(); CO_ASSERT_TRUE(v_.has_value()); }
    const std::int32_t last_len = static_cast<std::int32_t>(total_size - 4 * piece_length - block_size);
    const std::vector<wire::request> asked = {{piece_index{1}, block_size, block_size},
                                              {piece_index{4}, block_size, last_len},
                                              {piece_index{0}, 100, 1}};
    for (const auto& r : asked) co_await p.send(msg([&](auto& o) { wire::write_request(o, r); }));
    for (std::size_t i = 0; i < asked.size(); ++i) {
      auto got = co_await p.expect<wire::piece>();
      CO_ASSERT_TRUE(got.has_value());
      const wire::request r{got->piece, got->begin, static_cast<std::int32_t>(got->data.size())};
      CO_ASSERT_TRUE(std::find(asked.begin(), asked.end(), r) != asked.end()) << "unexpected block";
      const auto want = host.data_of(r);
      EXPECT_TRUE(std::equal(got->data.begin(), got->data.end(), want.begin(), want.end()));
    }
    EXPECT_EQ(conn->stats().uploaded, block_size + last_len + 1);
    EXPECT_EQ(conn->stats().queued_uploads, 0);
  });
  EXPECT_TRUE(host.disconnects.empty());
}

TEST_F(PeerConnection, RequestWhileChokedIsIgnoredAndTheConnectionStays) {
  have_everything(host);
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    UPLOAD_PRELUDE(p);
    co_await p.send(msg([](auto& o) { wire::write_request(o, {piece_index{0}, 0, block_size}); }));
    { auto v_ = co_await p.expect<wire::piece>(300ms); EXPECT_FALSE(v_.has_value()) << "served while choked"; }
    EXPECT_TRUE(host.reads.empty());
    EXPECT_FALSE(conn->is_closed());
    // Unchoked, the same request is served: the connection is healthy.
    conn->unchoke();
    co_await p.send(msg([](auto& o) { wire::write_request(o, {piece_index{0}, 0, block_size}); }));
    { auto v_ = co_await p.expect<wire::piece>(); EXPECT_TRUE(v_.has_value()); }
  });
  EXPECT_TRUE(host.disconnects.empty());
}

TEST_F(PeerConnection, RequestForAPieceWeDoNotHaveIsIgnored) {
  host.our_bits.set(0);
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    UPLOAD_PRELUDE(p);
    conn->unchoke();
    co_await p.send(msg([](auto& o) { wire::write_request(o, {piece_index{2}, 0, block_size}); }));
    co_await p.send(msg([](auto& o) { wire::write_request(o, {piece_index{0}, 0, block_size}); }));
    auto got = co_await p.expect<wire::piece>();
    CO_ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->piece, piece_index{0});
  });
  ASSERT_EQ(host.reads.size(), 1u);
  EXPECT_EQ(host.reads[0].piece, piece_index{0});
  EXPECT_TRUE(host.disconnects.empty());
}

class PeerConnectionBadRequest : public PeerConnection,
                                 public ::testing::WithParamInterface<wire::request> {};

TEST_P(PeerConnectionBadRequest, ClosesTheConnection) {
  have_everything(host);
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    UPLOAD_PRELUDE(p);
    conn->unchoke();
    const wire::request r = GetParam();
    co_await p.send(msg([&](auto& o) { wire::write_request(o, r); }));
    { auto v_ = co_await p.sees_eof(); EXPECT_TRUE(v_); }
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], make_error_code(peer_errc::bad_request));
  EXPECT_TRUE(host.reads.empty());
}

INSTANTIATE_TEST_SUITE_P(
    OutOfRangeOrOversized, PeerConnectionBadRequest,
    ::testing::Values(wire::request{piece_index{num_pieces}, 0, block_size},      // no such piece
                      wire::request{piece_index{-1}, 0, block_size},              // negative index
                      wire::request{piece_index{4}, block_size, block_size},      // past the short last piece
                      wire::request{piece_index{0}, piece_length - 10, 20},       // crosses the piece end
                      wire::request{piece_index{0}, 0, block_size + 1},           // above 16 KiB
                      wire::request{piece_index{0}, 0, 0}));                      // empty

TEST_F(PeerConnection, CancelRemovesAQueuedRequestAndDiscardsAReadInFlight) {
  have_everything(host);
  host.hold_reads = true;
  peer_connection_settings s;
  s.max_reads_in_flight = 1;
  make(s);
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    UPLOAD_PRELUDE(p);
    conn->unchoke();
    const wire::request a{piece_index{0}, 0, block_size}, b{piece_index{1}, 0, block_size},
        c{piece_index{2}, 0, block_size}, d{piece_index{3}, 0, block_size};
    for (const auto& r : {a, b, c, d}) co_await p.send(msg([&](auto& o) { wire::write_request(o, r); }));
    { auto v_ = co_await eventually([&] { return conn->stats().queued_uploads == 4; }); CO_ASSERT_TRUE(v_); }
    EXPECT_EQ(host.reads.size(), 1u) << "read-ahead bound of 1";
    // b is queued (not read yet), a is being read: both cancels drop them.
    co_await p.send(msg([&](auto& o) { wire::write_cancel(o, {b.piece, b.begin, b.length}); }));
    co_await p.send(msg([&](auto& o) { wire::write_cancel(o, {a.piece, a.begin, a.length}); }));
    { auto v_ = co_await eventually([&] { return conn->stats().queued_uploads == 2; }); CO_ASSERT_TRUE(v_); }
    host.release_reads();  // a's read completes: discarded; c's read starts
    { auto v_ = co_await eventually([&] { return host.held.size() == 1; }); CO_ASSERT_TRUE(v_); }
    host.release_reads();  // c
    { auto v_ = co_await eventually([&] { return host.held.size() == 1; }); CO_ASSERT_TRUE(v_); }
    host.release_reads();  // d
    for (const auto& want : {c, d}) {
      auto got = co_await p.expect<wire::piece>();
      CO_ASSERT_TRUE(got.has_value());
      EXPECT_EQ(got->piece, want.piece);
    }
    { auto v_ = co_await p.expect<wire::piece>(200ms); EXPECT_FALSE(v_.has_value()) << "a cancelled block was sent"; }
    EXPECT_EQ(host.reads.size(), 3u);  // a, c, d: b was never read
    EXPECT_EQ(conn->stats().uploaded, 2 * block_size);
  });
  EXPECT_TRUE(host.disconnects.empty());
}

// Blocks go out in the order the peer asked for them, whatever order the reads complete in (a
// block from the read cache must not overtake one still read from disk).
TEST_F(PeerConnection, BlocksAreSentInRequestOrderWhateverOrderTheReadsComplete) {
  have_everything(host);
  host.hold_reads = true;
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    UPLOAD_PRELUDE(p);
    conn->unchoke();
    const std::vector<wire::request> asked = {{piece_index{0}, 0, block_size},
                                              {piece_index{2}, 0, block_size},
                                              {piece_index{1}, block_size, block_size},
                                              {piece_index{3}, 0, block_size}};
    for (const auto& r : asked) co_await p.send(msg([&](auto& o) { wire::write_request(o, r); }));
    { auto v_ = co_await eventually([&] { return host.held.size() == asked.size(); }); CO_ASSERT_TRUE(v_); }
    // The second request is cancelled while the others wait: it must not hold back the rest.
    co_await p.send(msg([&](auto& o) { wire::write_cancel(o, {asked[1].piece, asked[1].begin, asked[1].length}); }));
    { auto v_ = co_await eventually([&] { return conn->stats().queued_uploads == 3; }); CO_ASSERT_TRUE(v_); }
    host.release_reads(/*newest_first=*/true);
    for (const auto& want : {asked[0], asked[2], asked[3]}) {
      auto got = co_await p.expect<wire::piece>();
      CO_ASSERT_TRUE(got.has_value());
      EXPECT_EQ(got->piece, want.piece);
      EXPECT_EQ(got->begin, want.begin);
    }
    { auto v_ = co_await p.expect<wire::piece>(200ms); EXPECT_FALSE(v_.has_value()) << "the cancelled block was sent"; }
    EXPECT_EQ(conn->stats().queued_uploads, 0);
    EXPECT_EQ(conn->stats().uploaded, 3 * block_size);
  });
  EXPECT_TRUE(host.disconnects.empty());
}

TEST_F(PeerConnection, TooManyQueuedRequestsClose) {
  have_everything(host);
  host.hold_reads = true;
  peer_connection_settings s;
  s.max_queued_requests = 3;
  s.max_reads_in_flight = 1;
  make(s);
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    UPLOAD_PRELUDE(p);
    conn->unchoke();
    for (int i = 0; i < 3; ++i) {
      co_await p.send(msg([&](auto& o) { wire::write_request(o, {piece_index{i}, 0, block_size}); }));
    }
    // A duplicate of a queued request is not a new one.
    co_await p.send(msg([&](auto& o) { wire::write_request(o, {piece_index{0}, 0, block_size}); }));
    { auto v_ = co_await eventually([&] { return conn->stats().queued_uploads == 3; }); CO_ASSERT_TRUE(v_); }
    EXPECT_FALSE(conn->is_closed());
    co_await p.send(msg([&](auto& o) { wire::write_request(o, {piece_index{3}, 0, block_size}); }));
    { auto v_ = co_await p.sees_eof(); EXPECT_TRUE(v_); }
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], make_error_code(peer_errc::too_many_requests));
}

TEST_F(PeerConnection, ChokingThePeerDropsItsQueuedRequests) {
  have_everything(host);
  host.hold_reads = true;
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    UPLOAD_PRELUDE(p);
    conn->unchoke();
    co_await p.send(msg([&](auto& o) { wire::write_request(o, {piece_index{0}, 0, block_size}); }));
    { auto v_ = co_await eventually([&] { return host.held.size() == 1; }); CO_ASSERT_TRUE(v_); }
    conn->choke();
    EXPECT_EQ(conn->stats().queued_uploads, 0);
    host.release_reads();
    { auto v_ = co_await p.expect<wire::choke>(); CO_ASSERT_TRUE(v_.has_value()); }
    { auto v_ = co_await p.expect<wire::piece>(300ms); EXPECT_FALSE(v_.has_value()) << "sent after choke"; }
    EXPECT_EQ(conn->stats().uploaded, 0);
  });
}

TEST_F(PeerConnection, IncomingWithHandshakeAlreadyReadRepliesAndServes) {
  have_everything(host);
  run([&]() -> awaitable<void> {
    fake_peer p{tcp::socket(ioc), {}};
    co_await p.sock.async_connect(acceptor.local_endpoint(), asio::use_awaitable);
    auto accepted = co_await acceptor.async_accept(asio::use_awaitable);
    // What the listener does: read the 68 bytes, then hand socket and handshake over.
    co_await p.send(handshake_bytes(host.ti.info_hash().best(), their_id));
    std::vector<std::uint8_t> hs(wire::handshake_length);
    co_await asio::async_read(accepted, asio::buffer(hs), asio::use_awaitable);
    auto parsed = wire::parse_handshake(hs);
    CO_ASSERT_TRUE(parsed.has_value());
    conn = std::make_shared<peer_connection>(ioc.get_executor(), host, 7, host.ti.info_hash(),
                                             p.sock.local_endpoint());
    conn->start_incoming(peer_stream(std::move(accepted)), *parsed);
    auto h = co_await p.read_handshake();
    CO_ASSERT_TRUE(h.has_value());
    EXPECT_EQ(h->id, host.ours);
    EXPECT_TRUE(conn->is_incoming());
    { auto v_ = co_await p.expect<wire::bitfield>(); CO_ASSERT_TRUE(v_.has_value()); }
    co_await p.send(msg(wire::write_interested));
    { auto v_ = co_await eventually([&] { return conn->peer_interested(); }); CO_ASSERT_TRUE(v_); }
    conn->unchoke();
    co_await p.send(msg([&](auto& o) { wire::write_request(o, {piece_index{2}, 0, block_size}); }));
    auto got = co_await p.expect<wire::piece>();
    CO_ASSERT_TRUE(got.has_value());
    const auto want = host.data_of({piece_index{2}, 0, block_size});
    EXPECT_TRUE(std::equal(got->data.begin(), got->data.end(), want.begin(), want.end()));
  });
  EXPECT_EQ(host.handshakes.size(), 1u);
}

TEST_F(PeerConnection, IdleConnectionClosesButAnInterestedPeerStays) {
  peer_connection_settings s;
  s.idle_timeout = 1s;
  make(s);
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake();
    co_await p.send(msg(wire::write_interested));  // interested (and choked): waiting, not idle
    asio::steady_timer t(ioc, 2500ms);
    co_await t.async_wait(use_tuple);
    EXPECT_FALSE(conn->is_closed()) << "an interested peer was closed as idle";
    co_await p.send(msg(wire::write_not_interested));
    { auto v_ = co_await p.sees_eof(4s); EXPECT_TRUE(v_); }
  }, 10s);
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], make_error_code(peer_errc::idle));
  EXPECT_EQ(host.interest_calls, (std::vector<bool>{true, false}));
}

// --- extension protocol (BEP 10), ut_metadata (BEP 9), ut_pex (BEP 11) ---

/// Connects, handshakes with the extension bit, and reads our extended handshake.
#define EXT_CONNECT(p, ours)                                                           \
  auto p = co_await accept_and_handshake(std::nullopt, true);                          \
  auto ours##_msg = co_await p.expect<wire::extended>();                               \
  CO_ASSERT_TRUE(ours##_msg.has_value() && ours##_msg->id == extended_handshake_id);   \
  auto ours = parse_extension_handshake(payload_of(*ours##_msg));                      \
  CO_ASSERT_TRUE(ours.has_value())

TEST_F(PeerConnection, ExtendedHandshakeGoesToPeersThatSetTheBit) {
  host.served_metadata = std::string(40000, 'm');
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    EXT_CONNECT(p, ours);
    EXPECT_EQ(ours->ut_metadata, 2);
    EXPECT_EQ(ours->ut_pex, 1);
    EXPECT_EQ(ours->reqq, 500);
    EXPECT_EQ(ours->metadata_size, 40000);
    EXPECT_EQ(ours->listen_port, 6881);
    EXPECT_EQ(ours->client, "tessera 0.1");
    CO_ASSERT_TRUE(ours->yourip.has_value());
    EXPECT_EQ(ours->yourip->address_string(), "127.0.0.1");
  });
}

TEST_F(PeerConnection, NoExtendedHandshakeWithoutTheBitAndNoPexWhenDisabled) {
  host.pex = false;
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake();  // no extension bit
    { auto v_ = co_await p.expect<wire::extended>(300ms); EXPECT_FALSE(v_.has_value()); }
  });
  EXPECT_FALSE(conn->send_pex({}));
  EXPECT_FALSE(conn->send_metadata_request(0));
}

TEST_F(PeerConnection, PeersReqqCapsOurRequestPipeline) {
  host.make_all_available();
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    EXT_CONNECT(p, ours);
    extension_handshake theirs;
    theirs.reqq = 3;
    co_await p.send(extended_msg(0, make_extension_handshake(theirs)));
    { auto m_ = bitfield_msg({0, 1, 2, 3, 4}); co_await p.send(std::move(m_)); }
    co_await p.send(msg(wire::write_unchoke));
    int requests = 0;
    for (int i = 0; i < 10; ++i) {
      auto r = co_await p.expect<wire::request>(300ms);
      if (!r) break;
      ++requests;
    }
    EXPECT_EQ(requests, 3) << "the peer queues only 3 requests";
  });
  ASSERT_EQ(host.ext_handshakes.size(), 1u);
  EXPECT_EQ(conn->peer_extensions()->reqq, 3);
}

TEST_F(PeerConnection, MetadataRequestsAreServedAndOutOfRangeRejected) {
  host.served_metadata = std::string(20000, 'x');
  host.served_metadata[16384] = 'y';
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    EXT_CONNECT(p, ours);
    extension_handshake theirs;
    theirs.ut_metadata = 9;
    co_await p.send(extended_msg(0, make_extension_handshake(theirs)));
    co_await p.send(extended_msg(ours->ut_metadata, make_metadata_request(1)));
    auto data = co_await p.expect<wire::extended>();
    CO_ASSERT_TRUE(data.has_value());
    EXPECT_EQ(data->id, 9);
    auto m = parse_metadata_message(payload_of(*data));
    CO_ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->type, metadata_msg_type::data);
    EXPECT_EQ(m->piece, 1);
    EXPECT_EQ(m->total_size, 20000);
    EXPECT_EQ(m->data, host.served_metadata.substr(16384));
    co_await p.send(extended_msg(ours->ut_metadata, make_metadata_request(2)));
    auto rej = co_await p.expect<wire::extended>();
    CO_ASSERT_TRUE(rej.has_value());
    auto r = parse_metadata_message(payload_of(*rej));
    CO_ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->type, metadata_msg_type::reject);
    EXPECT_EQ(r->piece, 2);
  });
}

TEST_F(PeerConnection, MetadataDataAndPexMessagesReachTheHost) {
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    EXT_CONNECT(p, ours);
    extension_handshake theirs;
    theirs.ut_metadata = 3;
    theirs.ut_pex = 4;
    co_await p.send(extended_msg(0, make_extension_handshake(theirs)));
    { auto v_ = co_await eventually([&] { return !host.ext_handshakes.empty(); }); CO_ASSERT_TRUE(v_); }
    // Our outgoing messages use the peer's ids.
    EXPECT_TRUE(conn->send_metadata_request(0));
    auto req = co_await p.expect<wire::extended>();
    CO_ASSERT_TRUE(req.has_value());
    EXPECT_EQ(req->id, 3);
    pex_message out;
    out.added.push_back({*peer_endpoint::from_string("127.0.0.9:7000"), pex_flags::seed});
    EXPECT_TRUE(conn->send_pex(out));
    auto pex = co_await p.expect<wire::extended>();
    CO_ASSERT_TRUE(pex.has_value());
    EXPECT_EQ(pex->id, 4);
    EXPECT_EQ(parse_pex_message(payload_of(*pex)).value(), out);
    // Theirs reach the host.
    co_await p.send(extended_msg(ours->ut_metadata, make_metadata_data(0, 5, "abcde")));
    co_await p.send(extended_msg(ours->ut_metadata, make_metadata_reject(0)));
    pex_message in;
    in.added.push_back({*peer_endpoint::from_string("127.0.0.8:6000"), 0});
    co_await p.send(extended_msg(ours->ut_pex, make_pex_message(in)));
    co_await p.send(extended_msg(77, "ignored: an id we never assigned"));
    { auto v_ = co_await eventually([&] { return host.pex_msgs.size() == 1; }); CO_ASSERT_TRUE(v_); }
    CO_ASSERT_TRUE(host.metadata_msgs.size() == 2);
    EXPECT_EQ(std::get<0>(host.metadata_msgs[0]), metadata_msg_type::data);
    EXPECT_EQ(std::get<2>(host.metadata_msgs[0]), "abcde");
    EXPECT_EQ(std::get<0>(host.metadata_msgs[1]), metadata_msg_type::reject);
    EXPECT_EQ(host.pex_msgs[0], in);
    EXPECT_FALSE(conn->is_closed());
  });
}

TEST_F(PeerConnection, PexFloodAndMalformedExtensionMessagesClose) {
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    EXT_CONNECT(p, ours);
    for (int i = 0; i < 4; ++i) co_await p.send(extended_msg(ours->ut_pex, make_pex_message({})));
    { auto v_ = co_await p.sees_eof(); EXPECT_TRUE(v_); }
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], peer_errc::pex_flood);
  EXPECT_EQ(host.pex_msgs.size(), 3u);
}

TEST_F(PeerConnection, MalformedMetadataMessageCloses) {
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    EXT_CONNECT(p, ours);
    co_await p.send(extended_msg(ours->ut_metadata, "d8:msg_typei7ee"));
    { auto v_ = co_await p.sees_eof(); EXPECT_TRUE(v_); }
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], extension_errc::bad_msg_type);
}

TEST_F(PeerConnection, WithoutMetadataTheBitfieldIsKeptAndReplayedWhenReady) {
  host.metadata_mode = true;
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    EXT_CONNECT(p, ours);
    EXPECT_FALSE(ours->metadata_size.has_value());
    { auto m_ = bitfield_msg({0, 2}); co_await p.send(std::move(m_)); }
    co_await p.send(msg([](auto& o) { wire::write_have(o, piece_index{3}); }));
    // A request while we have no metadata is ignored, not a protocol error.
    co_await p.send(msg([](auto& o) { wire::write_request(o, {piece_index{0}, 0, block_size}); }));
    asio::steady_timer t(ioc, 200ms);
    co_await t.async_wait(use_tuple);
    EXPECT_TRUE(host.has_calls.empty());
    EXPECT_TRUE(host.haves.empty());
    EXPECT_FALSE(conn->is_closed());
    host.metadata_mode = false;
    conn->metadata_ready();
    { auto v_ = co_await p.expect<wire::interested>(); CO_ASSERT_TRUE(v_.has_value()); }
  });
  ASSERT_EQ(host.has_calls.size(), 1u);
  EXPECT_TRUE(host.has_calls[0].get(0));
  EXPECT_TRUE(host.has_calls[0].get(2));
  EXPECT_EQ(host.haves, (std::vector<piece_index>{piece_index{3}}));
  EXPECT_EQ(conn->pieces().count(), 3);
}

// --- bounds on what a peer can make us hold (issue 9) ---

/// A receive buffer so small that the peer's TCP window stays (nearly) shut: set on the acceptor
/// before the connection, so the accepted socket starts with it.
void shrink_peer_window(tcp::acceptor& a) {
  a.set_option(asio::socket_base::receive_buffer_size(4096));
}

/// `n` ut_metadata requests for piece `piece`, with the peer-side id `id` we told it.
std::vector<std::uint8_t> metadata_requests(std::uint8_t id, std::int32_t piece, int n) {
  std::vector<std::uint8_t> out;
  const std::string one = make_metadata_request(piece);
  for (int i = 0; i < n; ++i) {
    wire::write_extended(out, id, {reinterpret_cast<const std::uint8_t*>(one.data()), one.size()});
  }
  return out;
}

TEST_F(PeerConnection, PeerThatAsksWithoutReadingIsClosedAtTheHardBacklogLimit) {
  shrink_peer_window(acceptor);
  host.served_metadata = std::string(200 * 1024, 'm');
  peer_connection_settings s;
  s.max_send_backlog = 64 * 1024;
  s.max_send_backlog_hard = 256 * 1024;
  s.max_metadata_requests_per_minute = 1 << 30;  // only the backlog limits apply
  make(s);
  conn->start_outgoing();
  std::size_t peak = 0;
  int sent = 0;
  run([&]() -> awaitable<void> {
    EXT_CONNECT(p, ours);
    extension_handshake theirs;
    theirs.ut_metadata = 9;
    co_await p.send(extended_msg(0, make_extension_handshake(theirs)));
    // Never reads again: every answer stays with the connection. 200,000 requests would queue
    // about 3 MiB of rejects (and 16 KiB answers before them) without a limit.
    while (host.disconnects.empty() && sent < 200000) {
      if (!co_await p.send(metadata_requests(ours->ut_metadata, sent % 13, 500))) break;
      sent += 500;
      peak = std::max(peak, conn->stats().send_backlog);
    }
    { auto v_ = co_await eventually([&] { return !host.disconnects.empty(); }); EXPECT_TRUE(v_); }
  }, 30s);
  ASSERT_EQ(host.disconnects.size(), 1u) << "after " << sent << " requests, backlog " << peak;
  EXPECT_EQ(host.disconnects[0], peer_errc::send_backlog);
  // One message (a 16 KiB metadata piece) may pass the limit before the check closes.
  EXPECT_LE(peak, 256u * 1024 + 20 * 1024);
  EXPECT_EQ(host.calls_after_disconnect, 0);
}

TEST_F(PeerConnection, MetadataRequestOverTheSoftBacklogGetsARejectNotData) {
  host.served_metadata = std::string(40 * 1024, 'm');
  peer_connection_settings s;
  s.max_send_backlog = 64 * 1024;
  s.max_metadata_requests_per_minute = 1 << 30;
  // An upload limit of 1 byte/s: whatever we queue stays queued, whatever the kernel would take.
  auto manager = std::make_shared<bandwidth_manager>(ioc.get_executor());
  s.upload_bandwidth = {manager, std::make_shared<bandwidth_channel>(1), nullptr};
  make(s);
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake(std::nullopt, true);
    extension_handshake theirs;
    theirs.ut_metadata = 9;
    co_await p.send(extended_msg(0, make_extension_handshake(theirs)));
    { auto v_ = co_await eventually([&] { return conn->peer_extensions().has_value(); }); CO_ASSERT_TRUE(v_); }
    constexpr std::uint8_t our_ut_metadata = 2;  // what our extended handshake tells peers
    // Below the soft limit each request queues a 16 KiB answer: four of them pass 64 KiB.
    for (int i = 0; i < 4; ++i) {
      const auto before = conn->stats().send_backlog;
      co_await p.send(metadata_requests(our_ut_metadata, 0, 1));
      auto v_ = co_await eventually([&] { return conn->stats().send_backlog > before; });
      CO_ASSERT_TRUE(v_);
      EXPECT_GT(conn->stats().send_backlog - before, 16u * 1024) << "request " << i;
    }
    const auto backlog = conn->stats().send_backlog;
    CO_ASSERT_TRUE(backlog >= s.max_send_backlog) << "backlog " << backlog;
    co_await p.send(metadata_requests(our_ut_metadata, 1, 1));
    { auto v_ = co_await eventually([&] { return conn->stats().send_backlog > backlog; }); CO_ASSERT_TRUE(v_); }
    EXPECT_LT(conn->stats().send_backlog - backlog, 100u) << "a 16 KiB answer was queued over the soft limit";
    EXPECT_FALSE(conn->is_closed());
  });
}

TEST_F(PeerConnection, WriteThatMakesNoProgressClosesAfterTheStallTimeout) {
  shrink_peer_window(acceptor);
  host.served_metadata = std::string(40 * 1024, 'm');
  peer_connection_settings s;
  s.send_stall_timeout = 1s;
  // Nothing else may close it: every request gets 16 KiB of data, none of it is rejected.
  s.max_send_backlog = 16 << 20;
  s.max_send_backlog_hard = 32 << 20;
  s.max_metadata_requests_per_minute = 1 << 30;
  make(s);
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    EXT_CONNECT(p, ours);
    extension_handshake theirs;
    theirs.ut_metadata = 9;
    co_await p.send(extended_msg(0, make_extension_handshake(theirs)));
    // 6.4 MiB of answers: more than the kernel's send buffer holds (Linux: at most tcp_wmem's
    // 4 MiB), and the peer's window is shut, so a write stays pending.
    for (int i = 0; i < 8; ++i) {
      const auto before = conn->stats().received_bytes;
      co_await p.send(metadata_requests(ours->ut_metadata, 0, 50));
      auto v_ = co_await eventually([&] { return conn->stats().received_bytes > before; });
      CO_ASSERT_TRUE(v_);
    }
    { auto v_ = co_await eventually([&] { return conn->stats().received_bytes >= 68 + 8 * 50 * 31; }); CO_ASSERT_TRUE(v_); }
    CO_ASSERT_TRUE(conn->stats().send_backlog > 0);
    // The peer is not inactive (it sent just now) but never reads.
    { auto v_ = co_await eventually([&] { return !host.disconnects.empty(); }, 5s); EXPECT_TRUE(v_); }
  }, 10s);
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], peer_errc::send_stalled);
}

TEST_F(PeerConnection, ReceiveBufferShrinksBackAfterALongMessage) {
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake(std::nullopt, true);
    { auto v_ = co_await eventually([&] { return conn->handshake_done(); }); CO_ASSERT_TRUE(v_); }
    EXPECT_EQ(conn->stats().receive_buffer, 256u * 1024);
    // An extension message with an id we never assigned: read whole (the codec cannot skip a
    // known id), then ignored.
    co_await p.send(extended_msg(77, std::string(700 * 1024, 'x')));
    co_await p.send(msg(wire::write_interested));
    { auto v_ = co_await eventually([&] { return conn->peer_interested(); }); CO_ASSERT_TRUE(v_); }
    EXPECT_EQ(conn->stats().receive_buffer, 256u * 1024);
    EXPECT_FALSE(conn->is_closed());
  });
}

TEST_F(PeerConnection, UnknownMessageIdIsSkippedAsItArrivesNotBuffered) {
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake();
    { auto v_ = co_await eventually([&] { return conn->handshake_done(); }); CO_ASSERT_TRUE(v_); }
    // id 0x63, 900 KiB of body (under the 1 MiB message limit): the first 100 KiB now.
    constexpr std::uint32_t body = 900 * 1024;
    std::vector<std::uint8_t> head{static_cast<std::uint8_t>(body >> 24), static_cast<std::uint8_t>(body >> 16),
                                   static_cast<std::uint8_t>(body >> 8), static_cast<std::uint8_t>(body), 0x63};
    head.resize(5 + 100 * 1024, 0xab);
    const auto before = conn->stats().received_bytes;
    co_await p.send(head);
    {
      auto v_ = co_await eventually([&] { return conn->stats().received_bytes >= before + std::int64_t(head.size()); });
      CO_ASSERT_TRUE(v_);
    }
    EXPECT_EQ(conn->stats().receive_buffer, 256u * 1024) << "the unknown message is being buffered";
    co_await p.send(std::vector<std::uint8_t>(body - 1 - 100 * 1024, 0xcd));
    co_await p.send(msg(wire::write_interested));  // decoded right after the skipped bytes
    { auto v_ = co_await eventually([&] { return conn->peer_interested(); }); CO_ASSERT_TRUE(v_); }
    EXPECT_EQ(conn->stats().receive_buffer, 256u * 1024);
    EXPECT_FALSE(conn->is_closed());
  });
}

TEST_F(PeerConnection, BitfieldBeforeMetadataLongerThanTheFixedCeilingCloses) {
  host.metadata_mode = true;
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    EXT_CONNECT(p, ours);
    // No metadata_size from the peer: at most max_metadata_size / 20 pieces (104,858 bytes).
    std::vector<std::uint8_t> big;
    wire::write_bitfield(big, std::vector<std::uint8_t>(104858 + 1, 0xff));
    co_await p.send(big);
    { auto v_ = co_await p.sees_eof(); EXPECT_TRUE(v_); }
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], peer_errc::bad_bitfield);
}

TEST_F(PeerConnection, BitfieldBeforeMetadataIsBoundedByThePeersMetadataSize) {
  host.metadata_mode = true;
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    EXT_CONNECT(p, ours);
    extension_handshake theirs;
    theirs.ut_metadata = 3;
    theirs.metadata_size = 20 * 100 + 150;  // at most 108 pieces: 14 bytes of bitfield
    co_await p.send(extended_msg(0, make_extension_handshake(theirs)));
    std::vector<std::uint8_t> fits;
    wire::write_bitfield(fits, std::vector<std::uint8_t>(14, 0xff));
    co_await p.send(fits);
    co_await p.send(msg(wire::write_interested));
    { auto v_ = co_await eventually([&] { return conn->peer_interested(); }); CO_ASSERT_TRUE(v_); }
    EXPECT_FALSE(conn->is_closed());
    std::vector<std::uint8_t> too_long;
    wire::write_bitfield(too_long, std::vector<std::uint8_t>(15, 0xff));
    co_await p.send(too_long);
    { auto v_ = co_await p.sees_eof(); EXPECT_TRUE(v_); }
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], peer_errc::bad_bitfield);
}

TEST_F(PeerConnection, MetadataSizeArrivingAfterALongerBitfieldCloses) {
  host.metadata_mode = true;
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    EXT_CONNECT(p, ours);
    std::vector<std::uint8_t> bits;
    wire::write_bitfield(bits, std::vector<std::uint8_t>(1000, 0xff));  // 8,000 pieces
    co_await p.send(bits);
    extension_handshake theirs;
    theirs.ut_metadata = 3;
    theirs.metadata_size = 20 * 100;  // but an info dictionary with room for 100
    co_await p.send(extended_msg(0, make_extension_handshake(theirs)));
    { auto v_ = co_await p.sees_eof(); EXPECT_TRUE(v_); }
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], peer_errc::bad_bitfield);
}

TEST_F(PeerConnection, HaveBeforeMetadataBeyondThePeersMetadataSizeCloses) {
  host.metadata_mode = true;
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    EXT_CONNECT(p, ours);
    extension_handshake theirs;
    theirs.ut_metadata = 3;
    theirs.metadata_size = 20 * 100;  // room for 100 pieces, which the bitfield bound rounds to 104
    co_await p.send(extended_msg(0, make_extension_handshake(theirs)));
    co_await p.send(msg([](auto& o) { wire::write_have(o, piece_index{103}); }));
    co_await p.send(msg(wire::write_interested));
    { auto v_ = co_await eventually([&] { return conn->peer_interested(); }); CO_ASSERT_TRUE(v_); }
    EXPECT_FALSE(conn->is_closed());
    co_await p.send(msg([](auto& o) { wire::write_have(o, piece_index{104}); }));
    { auto v_ = co_await p.sees_eof(); EXPECT_TRUE(v_); }
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], peer_errc::have_out_of_range);
}

TEST_F(PeerConnection, ExceptionFromTheHostClosesTheConnectionOnce) {
  host.throw_from = "on_peer_have";
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake();
    co_await p.send(msg([](auto& o) { wire::write_have(o, piece_index{1}); }));
    { auto v_ = co_await p.sees_eof(); EXPECT_TRUE(v_); }
  });
  EXPECT_EQ(host.thrown, 1);
  ASSERT_EQ(host.disconnects.size(), 1u) << "the torrent would keep counting the connection";
  EXPECT_EQ(host.disconnects[0], peer_errc::internal_error);
  EXPECT_EQ(host.calls_after_disconnect, 0);
  EXPECT_TRUE(conn->is_closed());
}

TEST_F(PeerConnection, HostThrowingFromEveryAbortStillHearsOfTheDisconnectOnce) {
  host.make_all_available();
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await unchoked_seed();
    { auto v_ = co_await p.expect<wire::request>(); CO_ASSERT_TRUE(v_.has_value()); }
    { auto v_ = co_await eventually([&] { return conn->stats().outstanding_requests >= 2; }); CO_ASSERT_TRUE(v_); }
    host.throw_from = "on_request_aborted";
    co_await p.send(msg(wire::write_choke));  // the first abort throws; close() aborts the rest
    { auto v_ = co_await p.sees_eof(); EXPECT_TRUE(v_); }
  });
  EXPECT_GE(host.thrown, 2);
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], peer_errc::internal_error);
}


// --- BEP 6 Fast Extension ---

std::vector<std::uint8_t> reject_msg(int piece, int begin, int length) {
  return msg([&](auto& o) { wire::write_reject_request(o, {piece_index{piece}, begin, length}); });
}

TEST_F(PeerConnection, FastPeerHaveAllIsTakenAsAFullBitfield) {
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake(std::nullopt, false, true);
    co_await p.send(msg(wire::write_have_all));
    { auto v_ = co_await p.expect<wire::interested>(); CO_ASSERT_TRUE(v_.has_value()); }
    EXPECT_TRUE(conn->supports_fast());
    EXPECT_TRUE(conn->sent_have_all());
    EXPECT_TRUE(conn->is_seed());
    EXPECT_EQ(conn->pieces().count(), num_pieces);
    CO_ASSERT_TRUE(host.has_calls.size() == 1u);
    EXPECT_EQ(host.has_calls[0].count(), num_pieces);
  });
  EXPECT_TRUE(host.disconnects.empty());
}

TEST_F(PeerConnection, FastPeerHaveNoneIsAnEmptySetAndASecondOneCloses) {
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake(std::nullopt, false, true);
    co_await p.send(msg(wire::write_have_none));
    { auto v_ = co_await eventually([&] { return conn->sent_have_none(); }); CO_ASSERT_TRUE(v_); }
    EXPECT_EQ(conn->pieces().size(), num_pieces);
    EXPECT_EQ(conn->pieces().count(), 0);
    EXPECT_FALSE(conn->am_interested());
    // A have is fine after it; a have_all is not (the set was given already).
    co_await p.send(msg([](auto& o) { wire::write_have(o, piece_index{2}); }));
    co_await p.send(msg(wire::write_have_all));
    { auto v_ = co_await p.sees_eof(); EXPECT_TRUE(v_); }
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], make_error_code(peer_errc::unexpected_have_all));
  EXPECT_EQ(host.haves, std::vector<piece_index>{piece_index{2}});
}

TEST_F(PeerConnection, HaveAllFromAPeerWithoutTheFastBitCloses) {
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake();
    co_await p.send(msg(wire::write_have_all));
    { auto v_ = co_await p.sees_eof(); EXPECT_TRUE(v_); }
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], make_error_code(peer_errc::fast_not_negotiated));
  EXPECT_FALSE(conn->supports_fast());
}

TEST_F(PeerConnection, SeedSendsHaveAllToAFastPeerAndBitfieldToOthers) {
  have_everything(host);
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake(std::nullopt, false, true);
    CO_ASSERT_TRUE(co_await p.read_message());
    EXPECT_TRUE(std::holds_alternative<wire::have_all>(p.message())) << "index " << p.message().index();
  });
}

TEST_F(PeerConnection, EmptyLeecherSendsHaveNoneToAFastPeer) {
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake(std::nullopt, false, true);
    CO_ASSERT_TRUE(co_await p.read_message());
    EXPECT_TRUE(std::holds_alternative<wire::have_none>(p.message())) << "index " << p.message().index();
  });
}

TEST_F(PeerConnection, FastPeerGetsTheCanonicalAllowedFastSet) {
  peer_connection_settings s;
  s.allowed_fast_set_size = 3;
  make(s);
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake(std::nullopt, false, true);
    std::vector<piece_index> got;
    for (int i = 0; i < 3; ++i) {
      auto m = co_await p.expect<wire::allowed_fast>();
      CO_ASSERT_TRUE(m.has_value());
      got.push_back(m->piece);
    }
    // The set of 127.0.0.1 (the address we dialled) for this torrent.
    EXPECT_EQ(got, allowed_fast_set({127, 0, 0, 1}, host.ti.info_hash().best(), num_pieces, 3));
    EXPECT_EQ(conn->allowed_fast_to_peer(), got);
  });
}

TEST_F(PeerConnection, ChokedFastPeerIsServedItsAllowedFastPiecesAndRejectedTheRest) {
  have_everything(host);
  peer_connection_settings s;
  s.allowed_fast_set_size = 2;
  make(s);
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake(std::nullopt, false, true);
    { auto v_ = co_await p.expect<wire::have_all>(); CO_ASSERT_TRUE(v_.has_value()); }
    const auto allowed = allowed_fast_set({127, 0, 0, 1}, host.ti.info_hash().best(), num_pieces, 2);
    CO_ASSERT_TRUE(allowed.size() == 2u);
    int other = 0;
    while (std::find(allowed.begin(), allowed.end(), piece_index{other}) != allowed.end()) ++other;
    co_await p.send(msg(wire::write_interested));
    EXPECT_TRUE(conn->am_choking());
    co_await p.send(msg([&](auto& o) { wire::write_request(o, {piece_index{other}, 0, block_size}); }));
    co_await p.send(msg([&](auto& o) { wire::write_request(o, {allowed[0], 0, block_size}); }));
    auto rej = co_await p.expect<wire::reject_request>();
    CO_ASSERT_TRUE(rej.has_value());
    EXPECT_EQ(*rej, (wire::reject_request{piece_index{other}, 0, block_size}));
    auto got = co_await p.expect<wire::piece>();
    CO_ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->piece, allowed[0]);
    EXPECT_EQ(got->data.size(), static_cast<std::size_t>(block_size));
    EXPECT_TRUE(conn->am_choking());
  });
  EXPECT_TRUE(host.disconnects.empty());
}

TEST_F(PeerConnection, ChokingAFastPeerRejectsEveryQueuedRequest) {
  have_everything(host);
  host.hold_reads = true;
  peer_connection_settings s;
  s.allowed_fast_set_size = 0;  // nothing served while choked
  make(s);
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake(std::nullopt, false, true);
    { auto v_ = co_await p.expect<wire::have_all>(); CO_ASSERT_TRUE(v_.has_value()); }
    co_await p.send(msg(wire::write_interested));
    { auto v_ = co_await eventually([&] { return conn->peer_interested(); }); CO_ASSERT_TRUE(v_); }
    conn->unchoke();
    { auto v_ = co_await p.expect<wire::unchoke>(); CO_ASSERT_TRUE(v_.has_value()); }
    const std::vector<wire::request> asked = {{piece_index{0}, 0, block_size},
                                              {piece_index{1}, 0, block_size},
                                              {piece_index{2}, block_size, block_size}};
    for (const auto& r : asked) co_await p.send(msg([&](auto& o) { wire::write_request(o, r); }));
    { auto v_ = co_await eventually([&] { return conn->stats().queued_uploads == 3; }); CO_ASSERT_TRUE(v_); }
    conn->choke();
    { auto v_ = co_await p.expect<wire::choke>(); CO_ASSERT_TRUE(v_.has_value()); }
    std::vector<wire::request> rejected;
    for (int i = 0; i < 3; ++i) {
      auto r = co_await p.expect<wire::reject_request>();
      CO_ASSERT_TRUE(r.has_value());
      rejected.push_back({r->piece, r->begin, r->length});
    }
    EXPECT_EQ(rejected, asked);
    host.release_reads();  // the reads in flight find no request: nothing is sent
    { auto v_ = co_await p.expect<wire::piece>(300ms); EXPECT_FALSE(v_.has_value()) << "served after the choke"; }
    EXPECT_EQ(conn->stats().queued_uploads, 0);
  });
  EXPECT_TRUE(host.disconnects.empty());
}

TEST_F(PeerConnection, RejectReturnsTheBlockToThePickerAndAnUnrequestedRejectCloses) {
  host.make_all_available();
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake(std::nullopt, false, true);
    co_await p.send(msg(wire::write_have_all));
    { auto v_ = co_await p.expect<wire::interested>(); CO_ASSERT_TRUE(v_.has_value()); }
    co_await p.send(msg(wire::write_unchoke));
    auto first = co_await p.expect<wire::request>();
    CO_ASSERT_TRUE(first.has_value());
    co_await p.send(reject_msg(first->piece.value, first->begin, first->length));
    { auto v_ = co_await eventually([&] { return host.aborted.size() == 1; }); CO_ASSERT_TRUE(v_); }
    EXPECT_EQ(host.aborted[0].piece, first->piece);
    EXPECT_EQ(host.aborted[0].block.value, first->begin / block_size);
    EXPECT_FALSE(conn->is_closed());
    // The same reject again: that request is not outstanding any more, nor was it given up.
    co_await p.send(reject_msg(first->piece.value, first->begin, first->length));
    { auto v_ = co_await p.sees_eof(); EXPECT_TRUE(v_); }
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], make_error_code(peer_errc::unexpected_reject));
}

TEST_F(PeerConnection, LateRejectAfterAChokeIsNotAnError) {
  host.make_all_available();
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake(std::nullopt, false, true);
    co_await p.send(msg(wire::write_have_all));
    { auto v_ = co_await p.expect<wire::interested>(); CO_ASSERT_TRUE(v_.has_value()); }
    co_await p.send(msg(wire::write_unchoke));
    auto first = co_await p.expect<wire::request>();
    CO_ASSERT_TRUE(first.has_value());
    co_await p.send(msg(wire::write_choke));  // our requests go back to the picker at once
    co_await p.send(reject_msg(first->piece.value, first->begin, first->length));
    co_await p.send(msg(wire::write_keep_alive));
    { auto v_ = co_await eventually([&] { return conn->peer_choking() && host.aborted.size() >= 1; }); CO_ASSERT_TRUE(v_); }
    { auto v_ = co_await p.sees_eof(300ms); EXPECT_FALSE(v_); }
  });
  EXPECT_TRUE(host.disconnects.empty());
}

TEST_F(PeerConnection, ChokedByAFastPeerWeDownloadItsAllowedFastPieces) {
  host.make_all_available();
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake(std::nullopt, false, true);
    co_await p.send(msg(wire::write_have_all));
    { auto v_ = co_await p.expect<wire::interested>(); CO_ASSERT_TRUE(v_.has_value()); }
    { auto v_ = co_await p.read_message(200ms); EXPECT_FALSE(v_ && std::holds_alternative<wire::request>(p.message())) << "requested while choked"; }
    co_await p.send(msg([](auto& o) { wire::write_allowed_fast(o, piece_index{3}); }));
    // Both blocks of piece 3, and nothing else.
    for (int b = 0; b < 2; ++b) {
      auto r = co_await p.expect<wire::request>();
      CO_ASSERT_TRUE(r.has_value());
      EXPECT_EQ(r->piece, piece_index{3});
      co_await p.send(piece_msg(3, r->begin, static_cast<std::size_t>(r->length), 9));
    }
    { auto v_ = co_await eventually([&] { return host.blocks.size() == 2; }); CO_ASSERT_TRUE(v_); }
    EXPECT_EQ(host.blocks[0].first.piece, piece_index{3});
    EXPECT_EQ(host.blocks[1].first.piece, piece_index{3});
    EXPECT_TRUE(conn->peer_choking());
    EXPECT_EQ(conn->allowed_fast_from_peer(), std::vector<piece_index>{piece_index{3}});
  });
  EXPECT_TRUE(host.disconnects.empty());
}

TEST_F(PeerConnection, SuggestedPiecesArePickedFirstAndTheListIsBounded) {
  host.make_all_available();
  peer_connection_settings s;
  s.max_suggested_pieces = 2;
  make(s);
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake(std::nullopt, false, true);
    co_await p.send(msg(wire::write_have_all));
    for (int piece : {1, 2, 4, 4}) co_await p.send(msg([&](auto& o) { wire::write_suggest_piece(o, piece_index{piece}); }));
    { auto v_ = co_await p.expect<wire::interested>(); CO_ASSERT_TRUE(v_.has_value()); }
    // The fourth (a duplicate) is here once a keep-alive sent after it is.
    co_await p.send(msg(wire::write_keep_alive));
    { auto v_ = co_await eventually([&] { return conn->stats().received_bytes >= 68 + 5 + 4 * 9 + 4; }); CO_ASSERT_TRUE(v_); }
    // 1 dropped (the oldest) when 4 came; the second 4 ignored.
    EXPECT_EQ(conn->suggested_pieces(), (std::vector<piece_index>{piece_index{2}, piece_index{4}}));
    co_await p.send(msg(wire::write_unchoke));
    auto r = co_await p.expect<wire::request>();
    CO_ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->piece, piece_index{2});
  });
}

TEST_F(PeerConnection, AllowedFastAndSuggestOutsideTheTorrentClose) {
  make();
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake(std::nullopt, false, true);
    co_await p.send(msg([](auto& o) { wire::write_allowed_fast(o, piece_index{num_pieces}); }));
    { auto v_ = co_await p.sees_eof(); EXPECT_TRUE(v_); }
  });
  ASSERT_EQ(host.disconnects.size(), 1u);
  EXPECT_EQ(host.disconnects[0], make_error_code(peer_errc::piece_out_of_range));
}

TEST_F(PeerConnection, AllowedFastFromThePeerIsBounded) {
  peer_connection_settings s;
  s.max_allowed_fast_received = 2;
  make(s);
  conn->start_outgoing();
  run([&]() -> awaitable<void> {
    auto p = co_await accept_and_handshake(std::nullopt, false, true);
    for (int piece : {0, 1, 2, 3, 1}) co_await p.send(msg([&](auto& o) { wire::write_allowed_fast(o, piece_index{piece}); }));
    co_await p.send(msg([](auto& o) { wire::write_have(o, piece_index{4}); }));
    { auto v_ = co_await eventually([&] { return host.haves.size() == 1; }); CO_ASSERT_TRUE(v_); }
    EXPECT_EQ(conn->allowed_fast_from_peer(), (std::vector<piece_index>{piece_index{0}, piece_index{1}}));
  });
  EXPECT_TRUE(host.disconnects.empty());
}

}  // namespace
}  // namespace tessera::detail
