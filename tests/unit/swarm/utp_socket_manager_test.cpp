// utp_socket_manager and utp_stream over real UDP sockets on loopback (swarm/udp_socket), IPv4
// and IPv6: connect/accept, bulk transfers both ways checked byte for byte, eof, resets, connect
// failures, many connections, hostile datagrams, the bounds, close with operations pending; and
// a manager fed random datagrams with no socket at all.
#include "swarm/utp_socket_manager.hpp"

#include <algorithm>
#include <deque>
#include <optional>
#include <random>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include "core/utp_packet.hpp"
#include "swarm/udp_socket.hpp"

namespace tessera::detail {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::udp;
using boost::system::error_code;
using namespace std::chrono_literals;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

/// Runs `io` until `done()` holds or `limit` passes; returns done().
template <class Pred>
bool run_until(asio::io_context& io, Pred done, std::chrono::steady_clock::duration limit = 30s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < end) {
    io.run_one_for(10ms);
    if (io.stopped()) io.restart();
  }
  return done();
}

/// Byte i of side `side`'s stream: a pattern no shifted or swapped stream reproduces.
std::uint8_t pattern(int side, std::uint64_t i) {
  return static_cast<std::uint8_t>((i * 2654435761ULL >> 7) ^ (i >> 13) ^ static_cast<std::uint64_t>(side * 77));
}

struct pair_fixture {
  asio::io_context io;
  std::shared_ptr<udp_socket> a;
  std::shared_ptr<udp_socket> b;
  std::deque<utp_stream> accepted;  // b's incoming streams

  explicit pair_fixture(const asio::ip::address& addr, utp_manager_settings settings = {},
                        std::optional<utp_manager_settings> b_settings = std::nullopt) {
    error_code ec;
    a = udp_socket::open(io.get_executor(), udp::endpoint(addr, 0), settings, ec);
    EXPECT_FALSE(ec) << ec.message();
    b = udp_socket::open(io.get_executor(), udp::endpoint(addr, 0), b_settings.value_or(settings), ec);
    EXPECT_FALSE(ec) << ec.message();
    b->utp()->set_accept_handler([this](utp_stream s) { accepted.push_back(std::move(s)); });
  }

  /// a connects to b; returns a's stream (b's is accepted.back() once the peer's first packet came).
  std::optional<utp_stream> connect() {
    std::optional<std::pair<error_code, utp_stream>> r;
    asio::co_spawn(io, a->utp()->connect(b->local_endpoint()),
                   [&](std::exception_ptr, std::pair<error_code, utp_stream> v) { r = std::move(v); });
    if (!run_until(io, [&] { return r.has_value(); })) return std::nullopt;
    EXPECT_FALSE(r->first) << r->first.message();
    if (r->first) return std::nullopt;
    return std::move(r->second);
  }
};

/// Writes `total` pattern bytes of `side`, then shuts the send side if asked.
awaitable<void> writer(utp_stream& s, int side, std::uint64_t total, bool shutdown, error_code& result) {
  std::vector<std::uint8_t> buf(64 * 1024);
  std::uint64_t sent = 0;
  while (sent < total) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), total - sent));
    for (std::size_t i = 0; i < n; ++i) buf[i] = pattern(side, sent + i);
    std::size_t off = 0;
    while (off < n) {
      auto [ec, w] = co_await s.async_write_some(asio::buffer(buf.data() + off, n - off), use_tuple);
      if (ec) {
        result = ec;
        co_return;
      }
      off += w;
    }
    sent += n;
  }
  if (shutdown) s.shutdown_send();
  result = {};
}

/// Reads until eof or `total` bytes, checking each against side `side`'s pattern.
awaitable<void> reader(utp_stream& s, int side, std::uint64_t total, bool until_eof, std::uint64_t& got,
                       std::uint64_t& mismatches, error_code& result) {
  std::vector<std::uint8_t> buf(64 * 1024);
  for (;;) {
    if (!until_eof && got >= total) break;
    auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), use_tuple);
    if (ec) {
      result = ec;
      co_return;
    }
    for (std::size_t i = 0; i < n; ++i) mismatches += buf[i] != pattern(side, got + i);
    got += n;
  }
  result = {};
}

class UtpSockets : public ::testing::TestWithParam<const char*> {
 protected:
  asio::ip::address addr() const { return asio::ip::make_address(GetParam()); }
};

TEST_P(UtpSockets, ConnectAcceptAndExchangeBothWays) {
  pair_fixture f(addr());
  auto s = f.connect();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->remote_endpoint(), f.b->local_endpoint());
  EXPECT_EQ(s->local_endpoint(), f.a->local_endpoint());
  const std::string hello = "hello over utp";
  std::optional<error_code> wrote;
  s->async_write_some(asio::buffer(hello), [&](error_code ec, std::size_t n) {
    EXPECT_EQ(n, hello.size());
    wrote = ec;
  });
  ASSERT_TRUE(run_until(f.io, [&] { return wrote && !f.accepted.empty(); }));
  EXPECT_FALSE(*wrote);
  utp_stream& peer = f.accepted.front();
  EXPECT_EQ(peer.remote_endpoint(), f.a->local_endpoint());
  std::string got;
  std::array<char, 64> buf{};
  std::optional<error_code> read_ec;
  std::function<void()> read_more = [&] {
    peer.async_read_some(asio::buffer(buf), [&](error_code ec, std::size_t n) {
      got.append(buf.data(), n);
      if (ec || got.size() >= hello.size()) {
        read_ec = ec;
      } else {
        read_more();
      }
    });
  };
  read_more();
  ASSERT_TRUE(run_until(f.io, [&] { return read_ec.has_value(); }));
  EXPECT_FALSE(*read_ec);
  EXPECT_EQ(got, hello);

  // And back.
  const std::string reply = "and back";
  peer.async_write_some(asio::buffer(reply), [](error_code, std::size_t) {});
  std::optional<std::size_t> n_back;
  s->async_read_some(asio::buffer(buf), [&](error_code ec, std::size_t n) {
    EXPECT_FALSE(ec);
    n_back = n;
  });
  ASSERT_TRUE(run_until(f.io, [&] { return n_back.has_value(); }));
  EXPECT_EQ(std::string(buf.data(), *n_back), reply);
  EXPECT_EQ(f.a->utp()->stats().connections, 1U);
  EXPECT_EQ(f.b->utp()->stats().incoming_connections, 1U);
  EXPECT_EQ(f.a->utp()->stats().payload_bytes_sent, hello.size());
  EXPECT_EQ(f.b->utp()->stats().payload_bytes_received, hello.size());
}

TEST_P(UtpSockets, SixtyFourMiBEachWayAtOnceArriveIntact) {
  pair_fixture f(addr());
  auto s = f.connect();
  ASSERT_TRUE(s);
  constexpr std::uint64_t total = 64ULL << 20;
  error_code wa{asio::error::would_block}, wb{asio::error::would_block};
  error_code ra{asio::error::would_block}, rb{asio::error::would_block};
  std::uint64_t got_a = 0, got_b = 0, bad_a = 0, bad_b = 0;
  asio::co_spawn(f.io, writer(*s, 0, total, true, wa), asio::detached);
  ASSERT_TRUE(run_until(f.io, [&] { return !f.accepted.empty(); }));
  utp_stream& peer = f.accepted.front();
  asio::co_spawn(f.io, writer(peer, 1, total, true, wb), asio::detached);
  asio::co_spawn(f.io, reader(peer, 0, total, true, got_b, bad_b, rb), asio::detached);
  asio::co_spawn(f.io, reader(*s, 1, total, true, got_a, bad_a, ra), asio::detached);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(run_until(
      f.io, [&] { return ra != asio::error::would_block && rb != asio::error::would_block; }, 100s))
      << "a got " << got_a << ", b got " << got_b;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_FALSE(wa);
  EXPECT_FALSE(wb);
  EXPECT_EQ(ra, asio::error::eof);
  EXPECT_EQ(rb, asio::error::eof);
  EXPECT_EQ(got_a, total);
  EXPECT_EQ(got_b, total);
  EXPECT_EQ(bad_a, 0U);
  EXPECT_EQ(bad_b, 0U);
  RecordProperty("MBps_each_way", static_cast<int>(static_cast<double>(total) / secs / 1e6));
  EXPECT_EQ(f.a->utp()->stats().payload_bytes_sent, total);
  EXPECT_EQ(f.a->utp()->stats().payload_bytes_received, total);
}

TEST_P(UtpSockets, ReadAfterPeerCloseGivesDataThenEof) {
  pair_fixture f(addr());
  auto s = f.connect();
  ASSERT_TRUE(s);
  error_code w{asio::error::would_block};
  asio::co_spawn(f.io, writer(*s, 0, 300'000, false, w), asio::detached);
  ASSERT_TRUE(run_until(f.io, [&] { return !w && !f.accepted.empty(); }));
  s->close();
  EXPECT_FALSE(s->is_open());
  std::uint64_t got = 0, bad = 0;
  error_code r{asio::error::would_block};
  asio::co_spawn(f.io, reader(f.accepted.front(), 0, 0, true, got, bad, r), asio::detached);
  ASSERT_TRUE(run_until(f.io, [&] { return r != asio::error::would_block; }));
  EXPECT_EQ(r, asio::error::eof);
  EXPECT_EQ(got, 300'000U);
  EXPECT_EQ(bad, 0U);
  // The closing side's connection goes once both FINs are through and it has lingered.
  f.accepted.front().close();
  EXPECT_TRUE(run_until(f.io, [&] {
    return f.a->utp()->stats().connections == 0 && f.b->utp()->stats().connections == 0;
  }));
}

TEST_P(UtpSockets, PeerResetFailsPendingRead) {
  pair_fixture f(addr());
  auto s = f.connect();
  ASSERT_TRUE(s);
  s->async_write_some(asio::buffer("x", 1), [](error_code, std::size_t) {});
  ASSERT_TRUE(run_until(f.io, [&] { return !f.accepted.empty(); }));
  std::optional<error_code> r;
  std::array<char, 8> buf{};
  s->async_read_some(asio::buffer(buf), [&](error_code ec, std::size_t) { r = ec; });
  f.b->close();  // b's manager resets its connections
  ASSERT_TRUE(run_until(f.io, [&] { return r.has_value(); }));
  EXPECT_EQ(*r, asio::error::connection_reset);
}

TEST_P(UtpSockets, ConnectToNobodyTimesOut) {
  utp_manager_settings settings;
  settings.connect_timeout = 1500ms;
  pair_fixture f(addr(), settings);
  const udp::endpoint nobody = f.b->local_endpoint();
  f.b->close();  // the port is free now: SYNs go unanswered
  std::optional<std::pair<error_code, utp_stream>> r;
  asio::co_spawn(f.io, f.a->utp()->connect(nobody),
                 [&](std::exception_ptr, std::pair<error_code, utp_stream> v) { r = std::move(v); });
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(run_until(f.io, [&] { return r.has_value(); }, 10s));
  EXPECT_EQ(r->first, asio::error::timed_out);
  EXPECT_FALSE(r->second.is_open());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1400ms);
  EXPECT_TRUE(run_until(f.io, [&] { return f.a->utp()->stats().connections == 0; }));
}

TEST_P(UtpSockets, ConnectToSocketWithoutAcceptorIsReset) {
  pair_fixture f(addr());
  f.b->utp()->set_accept_handler(nullptr);
  std::optional<std::pair<error_code, utp_stream>> r;
  asio::co_spawn(f.io, f.a->utp()->connect(f.b->local_endpoint()),
                 [&](std::exception_ptr, std::pair<error_code, utp_stream> v) { r = std::move(v); });
  ASSERT_TRUE(run_until(f.io, [&] { return r.has_value(); }, 5s));
  EXPECT_EQ(r->first, asio::error::connection_reset);
}

TEST_P(UtpSockets, ManyConnectionsAtOnce) {
  utp_manager_settings settings;
  settings.syns_per_second_per_source = 100;  // all come from one address
  settings.max_half_open_incoming = 100;
  pair_fixture f(addr(), settings);
  constexpr int n = 40;
  constexpr std::uint64_t each = 200'000;
  std::vector<std::optional<std::pair<error_code, utp_stream>>> conns(n);
  for (int i = 0; i < n; ++i) {
    asio::co_spawn(f.io, f.a->utp()->connect(f.b->local_endpoint()),
                   [&, i](std::exception_ptr, std::pair<error_code, utp_stream> v) { conns[i] = std::move(v); });
  }
  ASSERT_TRUE(run_until(f.io, [&] {
    return std::all_of(conns.begin(), conns.end(), [](const auto& c) { return c.has_value(); });
  }));
  std::vector<error_code> w(n, asio::error::would_block);
  for (int i = 0; i < n; ++i) {
    ASSERT_FALSE(conns[i]->first) << i << ": " << conns[i]->first.message();
    asio::co_spawn(f.io, writer(conns[i]->second, i, each, true, w[i]), asio::detached);
  }
  ASSERT_TRUE(run_until(f.io, [&] { return f.accepted.size() == n; }));
  // Each accepted stream carries one writer's pattern: find whose by its remote id, read it all.
  std::vector<std::uint64_t> got(n, 0), bad(n, 0);
  std::vector<error_code> r(n, asio::error::would_block);
  // The streams are accepted in arrival order: the first byte names the writer (pattern(side, 0)
  // is side * 77 mod 256, distinct for every side).
  std::vector<int> side_of(n, -1);
  for (int i = 0; i < n; ++i) {
    std::optional<std::pair<error_code, std::size_t>> one;
    std::array<std::uint8_t, 1> b1{};
    f.accepted[i].async_read_some(asio::buffer(b1), [&](error_code ec, std::size_t k) { one = {ec, k}; });
    ASSERT_TRUE(run_until(f.io, [&] { return one.has_value(); }));
    ASSERT_FALSE(one->first);
    for (int side = 0; side < n; ++side) {
      if (pattern(side, 0) == b1[0] && std::find(side_of.begin(), side_of.end(), side) == side_of.end()) {
        side_of[i] = side;
        break;
      }
    }
    ASSERT_NE(side_of[i], -1);
    got[i] = 1;
  }
  for (int i = 0; i < n; ++i) {
    asio::co_spawn(f.io, reader(f.accepted[i], side_of[i], each, true, got[i], bad[i], r[i]), asio::detached);
  }
  ASSERT_TRUE(run_until(f.io, [&] {
    return std::all_of(r.begin(), r.end(), [](const error_code& e) { return e != asio::error::would_block; });
  }, 60s));
  for (int i = 0; i < n; ++i) {
    EXPECT_FALSE(w[i]) << i;
    EXPECT_EQ(r[i], asio::error::eof) << i;
    EXPECT_EQ(got[i], each) << i;
    EXPECT_EQ(bad[i], 0U) << i;
  }
  EXPECT_EQ(f.b->utp()->stats().incoming_connections, static_cast<std::uint64_t>(n));
}

TEST_P(UtpSockets, CloseWithReadAndWritePendingAbortsThem) {
  pair_fixture f(addr());
  auto s = f.connect();
  ASSERT_TRUE(s);
  // The peer never reads: writes fill the send buffer (1 MiB) and then wait.
  std::vector<std::uint8_t> big(4 << 20, 7);
  std::optional<error_code> w, r;
  std::size_t written = 0;
  std::function<void()> write_more = [&] {
    s->async_write_some(asio::buffer(big), [&](error_code ec, std::size_t n) {
      written += n;
      if (ec) {
        w = ec;
      } else {
        write_more();
      }
    });
  };
  write_more();
  std::array<char, 16> buf{};
  s->async_read_some(asio::buffer(buf), [&](error_code ec, std::size_t) { r = ec; });
  // Wait until the writes stall: the send buffer and the peer's receive window are full.
  std::size_t last = 0;
  auto stalled_since = std::chrono::steady_clock::now();
  ASSERT_TRUE(run_until(f.io, [&] {
    if (written != last) {
      last = written;
      stalled_since = std::chrono::steady_clock::now();
    }
    return written > 0 && std::chrono::steady_clock::now() - stalled_since > 300ms;
  }));
  EXPECT_FALSE(w.has_value());
  EXPECT_FALSE(r.has_value());
  s->close();
  ASSERT_TRUE(run_until(f.io, [&] { return w.has_value() && r.has_value(); }));
  EXPECT_EQ(*w, asio::error::operation_aborted);
  EXPECT_EQ(*r, asio::error::operation_aborted);
  EXPECT_LT(written, big.size());
}

TEST_P(UtpSockets, GarbageAndUnknownConnectionsGetRateLimitedResets) {
  utp_manager_settings settings;
  settings.resets_per_second = 10;
  pair_fixture f(addr(), settings);
  // A raw socket sends garbage, then data packets for connections that do not exist.
  udp::socket raw(f.io, udp::endpoint(addr(), 0));
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    std::vector<std::uint8_t> junk(rng() % 100);
    for (auto& c : junk) c = static_cast<std::uint8_t>(rng());
    raw.send_to(asio::buffer(junk), f.b->local_endpoint());
  }
  constexpr int unknown = 100;
  for (int i = 0; i < unknown; ++i) {
    utp_header h;
    h.type = utp_type::data;
    h.connection_id = static_cast<std::uint16_t>(1000 + i);
    h.seq_nr = static_cast<std::uint16_t>(i);
    std::vector<std::uint8_t> out;
    const std::array<std::uint8_t, 3> payload{1, 2, 3};
    encode_utp_packet(out, h, {}, payload);
    raw.send_to(asio::buffer(out), f.b->local_endpoint());
  }
  ASSERT_TRUE(run_until(f.io, [&] {
    const auto st = f.b->utp()->stats();
    return st.resets_sent + st.resets_suppressed == unknown;
  }));
  const auto st = f.b->utp()->stats();
  // A burst of at most resets_per_second (plus what refilled while the burst arrived).
  EXPECT_GE(st.resets_sent, 10U);
  EXPECT_LE(st.resets_sent, 15U);
  EXPECT_EQ(st.connections, 0U);
  // The RESETs that went out name the connection they answer.
  raw.non_blocking(true);
  std::array<std::uint8_t, 1500> buf{};
  udp::endpoint from;
  error_code ec;
  std::size_t resets = 0;
  run_until(f.io, [&] {
    const std::size_t n = raw.receive_from(asio::buffer(buf), from, 0, ec);
    if (!ec) {
      auto p = decode_utp_packet(std::span<const std::uint8_t>(buf.data(), n));
      EXPECT_TRUE(p);
      if (p) {
        EXPECT_EQ(p->header.type, utp_type::reset);
        EXPECT_GE(p->header.connection_id, 1000);
        EXPECT_LT(p->header.connection_id, 1000 + unknown);
      }
      ++resets;
    }
    return resets == st.resets_sent;
  }, 5s);
  EXPECT_EQ(resets, st.resets_sent);
  // The socket still works.
  auto s = f.connect();
  EXPECT_TRUE(s);
}

TEST_P(UtpSockets, ConnectionBoundRefusesMoreSyns) {
  utp_manager_settings settings;
  settings.max_connections = 4;
  settings.syns_per_second_per_source = 100;
  utp_manager_settings b_settings = settings;
  b_settings.max_connections = 3;
  pair_fixture f(addr(), settings, b_settings);
  std::vector<std::optional<std::pair<error_code, utp_stream>>> conns(4);
  for (std::size_t i = 0; i < 3; ++i) {
    asio::co_spawn(f.io, f.a->utp()->connect(f.b->local_endpoint()),
                   [&, i](std::exception_ptr, std::pair<error_code, utp_stream> v) { conns[i] = std::move(v); });
  }
  ASSERT_TRUE(run_until(f.io, [&] { return conns[0] && conns[1] && conns[2]; }));
  for (std::size_t i = 0; i < 3; ++i) EXPECT_FALSE(conns[i]->first);
  // b holds three: the fourth SYN is refused with a RESET.
  std::optional<std::pair<error_code, utp_stream>> fourth;
  asio::co_spawn(f.io, f.a->utp()->connect(f.b->local_endpoint()),
                 [&](std::exception_ptr, std::pair<error_code, utp_stream> v) { fourth = std::move(v); });
  ASSERT_TRUE(run_until(f.io, [&] { return fourth.has_value(); }));
  EXPECT_EQ(fourth->first, asio::error::connection_reset);
  EXPECT_GE(f.b->utp()->stats().syns_refused, 1U);
  // a's own bound (4): with the refused one gone, a fourth and a fifth connect; the fifth fails.
  ASSERT_TRUE(run_until(f.io, [&] { return f.a->utp()->stats().connections == 3; }));
  udp::endpoint nobody;
  {
    udp::socket probe(f.io, udp::endpoint(addr(), 0));
    nobody = probe.local_endpoint();
  }  // closed: SYNs to that port go unanswered, so the attempt stays in syn_sent
  std::optional<std::pair<error_code, utp_stream>> pending;
  asio::co_spawn(f.io, f.a->utp()->connect(nobody),
                 [&](std::exception_ptr, std::pair<error_code, utp_stream> v) { pending = std::move(v); });
  ASSERT_TRUE(run_until(f.io, [&] { return f.a->utp()->stats().connections == 4; }));
  std::optional<std::pair<error_code, utp_stream>> over;
  asio::co_spawn(f.io, f.a->utp()->connect(f.b->local_endpoint()),
                 [&](std::exception_ptr, std::pair<error_code, utp_stream> v) { over = std::move(v); });
  ASSERT_TRUE(run_until(f.io, [&] { return over.has_value(); }));
  EXPECT_EQ(over->first, asio::error::no_buffer_space);
}

TEST_P(UtpSockets, SynFloodFromOneSourceIsBoundedAndHalfOpenExpire) {
  utp_manager_settings settings;
  settings.syns_per_second_per_source = 5;
  settings.max_half_open_incoming = 3;
  settings.half_open_timeout = 500ms;
  pair_fixture f(addr(), settings);
  udp::socket raw(f.io, udp::endpoint(addr(), 0));
  for (int i = 0; i < 50; ++i) {
    utp_header h;
    h.type = utp_type::syn;
    h.connection_id = static_cast<std::uint16_t>(5000 + 2 * i);
    h.seq_nr = 1;
    h.wnd_size = 65536;
    std::vector<std::uint8_t> out;
    encode_utp_packet(out, h, {}, {});
    raw.send_to(asio::buffer(out), f.b->local_endpoint());
  }
  ASSERT_TRUE(run_until(f.io, [&] { return f.b->stats().utp_datagrams == 50; }));
  auto st = f.b->utp()->stats();
  EXPECT_EQ(st.connections, 3U);  // the half-open bound
  EXPECT_EQ(st.syns_refused, 47U);
  EXPECT_EQ(st.incoming_connections, 0U);  // never confirmed: no stream handed out
  EXPECT_TRUE(f.accepted.empty());
  // Never confirmed, they are dropped after half_open_timeout (and their linger).
  ASSERT_TRUE(run_until(f.io, [&] { return f.b->utp()->stats().connections == 0; }, 10s));
  EXPECT_TRUE(f.accepted.empty());
}

TEST_P(UtpSockets, DemultiplexesUtpAndOtherDatagrams) {
  pair_fixture f(addr());
  std::vector<std::string> others;
  f.b->set_other_handler([&](std::span<const std::uint8_t> bytes, const udp::endpoint& from) {
    EXPECT_EQ(from.address(), f.a->local_endpoint().address());
    others.emplace_back(bytes.begin(), bytes.end());
  });
  const std::string dht = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
  EXPECT_FALSE(f.a->send_to({reinterpret_cast<const std::uint8_t*>(dht.data()), dht.size()}, f.b->local_endpoint()));
  auto s = f.connect();  // uTP through the same socket
  ASSERT_TRUE(s);
  ASSERT_TRUE(run_until(f.io, [&] { return others.size() == 1; }));
  EXPECT_EQ(others[0], dht);
  EXPECT_EQ(f.b->stats().other_datagrams, 1U);
  EXPECT_GE(f.b->stats().utp_datagrams, 1U);
  // A uTP-looking header whose extension chain runs past the end is not uTP: it goes to other.
  std::vector<std::uint8_t> bad(20, 0);
  bad[0] = 0x41;  // ST_SYN, version 1
  bad[1] = 1;     // an extension, with no bytes for it
  EXPECT_FALSE(f.a->send_to(bad, f.b->local_endpoint()));
  ASSERT_TRUE(run_until(f.io, [&] { return others.size() == 2; }));
  EXPECT_EQ(others[1], std::string(bad.begin(), bad.end()));
}

TEST_P(UtpSockets, OperationsOnClosedOrEmptyHandlesFail) {
  pair_fixture f(addr());
  utp_stream empty;
  EXPECT_FALSE(empty.is_open());
  std::optional<error_code> r;
  std::array<char, 4> buf{};
  empty.async_read_some(asio::buffer(buf), [&](error_code ec, std::size_t) { r = ec; });
  ASSERT_TRUE(run_until(f.io, [&] { return r.has_value(); }, 5s));
  EXPECT_EQ(*r, asio::error::bad_descriptor);
  error_code ec;
  EXPECT_EQ(empty.available(ec), 0U);
  EXPECT_EQ(ec, asio::error::bad_descriptor);
  empty.close();  // idempotent on an empty handle
  auto s = f.connect();
  ASSERT_TRUE(s);
  s->shutdown_send();
  std::optional<error_code> w;
  s->async_write_some(asio::buffer("x", 1), [&](error_code e, std::size_t) { w = e; });
  ASSERT_TRUE(run_until(f.io, [&] { return w.has_value(); }));
  EXPECT_EQ(*w, asio::error::broken_pipe);
  s->close();
  s->close();
}

INSTANTIATE_TEST_SUITE_P(Loopback, UtpSockets, ::testing::Values("127.0.0.1", "::1"),
                         [](const auto& p) { return std::string(p.param[0] == ':' ? "v6" : "v4"); });

// A manager fed random and mutated datagrams, with no socket: it must neither crash nor grow past
// its bounds, and every datagram it sends must decode.
TEST(UtpManagerFuzz, RandomDatagramsKeepBoundsAndSendValidPackets) {
  asio::io_context io;
  utp_manager_settings settings;
  settings.max_connections = 20;
  settings.max_half_open_incoming = 10;
  std::size_t sent = 0, undecodable = 0;
  auto m = utp_socket_manager::create(io.get_executor(), settings, udp::endpoint(asio::ip::make_address("10.0.0.1"), 6881),
                                      [&](std::span<const std::uint8_t> b, const udp::endpoint&, bool) {
                                        ++sent;
                                        undecodable += !decode_utp_packet(b);
                                        return error_code{};
                                      });
  std::size_t accepted = 0;
  std::vector<utp_stream> streams;
  m->set_accept_handler([&](utp_stream s) {
    ++accepted;
    streams.push_back(std::move(s));
  });
  std::mt19937 rng(12345);
  std::size_t utp = 0;
  for (int i = 0; i < 200'000; ++i) {
    const udp::endpoint from(asio::ip::make_address_v4(0x0a000100u + rng() % 8), static_cast<unsigned short>(1000 + rng() % 4));
    std::vector<std::uint8_t> d;
    if (rng() % 2) {
      // A well-formed header with random fields (types weighted to SYN and DATA), maybe a SACK.
      utp_header h;
      h.type = static_cast<utp_type>(rng() % 5);
      h.connection_id = static_cast<std::uint16_t>(rng() % 64);
      h.seq_nr = static_cast<std::uint16_t>(rng() % 16);
      h.ack_nr = static_cast<std::uint16_t>(rng());
      h.wnd_size = rng();
      h.timestamp_us = rng();
      h.timestamp_diff_us = rng();
      std::vector<std::uint8_t> sack;
      if (rng() % 4 == 0) sack.assign(4 * (1 + rng() % 4), static_cast<std::uint8_t>(rng()));
      std::vector<std::uint8_t> payload(rng() % 1400);
      for (auto& c : payload) c = static_cast<std::uint8_t>(rng());
      encode_utp_packet(d, h, sack, payload);
      if (rng() % 8 == 0) d[rng() % d.size()] ^= static_cast<std::uint8_t>(1 + rng() % 255);
    } else {
      d.resize(rng() % 64);
      for (auto& c : d) c = static_cast<std::uint8_t>(rng());
      if (!d.empty() && rng() % 2) d[0] = static_cast<std::uint8_t>((rng() % 5) << 4 | 1);
    }
    utp += m->on_datagram(d, from);
    ASSERT_LE(m->stats().connections, settings.max_connections);
    if (i % 1000 == 0) io.poll();
  }
  io.poll();
  EXPECT_GT(utp, 0U);
  EXPECT_GT(sent, 0U);
  EXPECT_EQ(undecodable, 0U);
  for (auto& s : streams) s.close();
  m->shutdown();
  io.poll();
  EXPECT_EQ(m->stats().connections, 0U);
}

}  // namespace
}  // namespace tessera::detail

namespace tessera::detail {
namespace {

// A receive batch acknowledges a burst of data packets once; outside a batch, each is
// acknowledged at once. The peer is a bare core utp_connection, its datagrams fed by hand.
TEST(UtpManagerBatch, BurstOfDataIsAcknowledgedOncePerBatch) {
  asio::io_context io;
  const udp::endpoint peer_ep(asio::ip::make_address("10.0.0.2"), 7000);
  std::vector<std::vector<std::uint8_t>> sent;
  auto m = utp_socket_manager::create(io.get_executor(), {}, udp::endpoint(asio::ip::make_address("10.0.0.1"), 6881),
                                      [&](std::span<const std::uint8_t> b, const udp::endpoint& to, bool) {
                                        EXPECT_EQ(to, peer_ep);
                                        sent.emplace_back(b.begin(), b.end());
                                        return error_code{};
                                      });
  std::vector<utp_stream> accepted;
  m->set_accept_handler([&](utp_stream s) { accepted.push_back(std::move(s)); });
  auto now = utp_clock::now();
  auto peer = utp_connection::connect(utp_config{}, 100, 1, now);
  auto deliver_to_peer = [&] {
    for (const auto& d : sent) {
      auto p = decode_utp_packet(d);
      ASSERT_TRUE(p);
      peer.on_packet(*p, now);
    }
    sent.clear();
  };
  auto feed = [&](bool batch) {
    auto out = peer.take_datagrams();
    if (batch) m->begin_batch();
    for (const auto& d : out) EXPECT_TRUE(m->on_datagram(d.bytes, peer_ep));
    if (batch) m->end_batch();
    // Data packets fed (the peer may also send an ST_STATE, which is not acknowledged).
    return static_cast<std::size_t>(
        std::count_if(out.begin(), out.end(), [](const utp_datagram& d) { return (d.bytes[0] >> 4) == 0; }));
  };
  feed(false);  // the SYN
  ASSERT_EQ(sent.size(), 1U);  // our ST_STATE
  deliver_to_peer();
  ASSERT_EQ(peer.get_state(), utp_connection::state::connected);
  std::vector<std::uint8_t> data(64'000, 0x42);
  const auto acks = [&] {
    return std::count_if(sent.begin(), sent.end(), [](const auto& d) { return (d[0] >> 4) == 2; });
  };
  // Unbatched rounds while the peer's window opens (slow start from two packets): every data
  // packet gets its own acknowledgement.
  std::size_t burst = 0;
  for (int round = 0; round < 20 && burst < 8; ++round) {
    peer.write(data, now);
    burst = feed(false);
    EXPECT_EQ(acks(), static_cast<std::ptrdiff_t>(burst));
    deliver_to_peer();
  }
  ASSERT_GE(burst, 8U);
  peer.write(data, now);
  const std::size_t burst2 = feed(true);
  ASSERT_GE(burst2, 8U);
  EXPECT_EQ(acks(), 1);  // the last one: it acknowledges the whole burst
  EXPECT_EQ(m->stats().acks_coalesced, burst2 - 1);
  auto last = decode_utp_packet(sent.back());
  ASSERT_TRUE(last);
  EXPECT_EQ(last->header.ack_nr, static_cast<std::uint16_t>(peer.seq_nr() - 1));
  io.poll();
  EXPECT_EQ(accepted.size(), 1U);
  m->shutdown();
}

}  // namespace
}  // namespace tessera::detail
