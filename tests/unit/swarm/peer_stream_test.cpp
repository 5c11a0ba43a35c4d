// peer_stream on real loopback TCP sockets: held bytes come first, plaintext passes unchanged,
// RC4 output on the wire is the plaintext encrypted exactly once, reads decrypt.
#include "swarm/peer_stream.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace tessera::detail {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

/// A connected pair of TCP sockets on 127.0.0.1.
struct socket_pair {
  asio::io_context io;
  tcp::socket a{io};
  tcp::socket b{io};
  socket_pair() {
    tcp::acceptor acc(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    a.connect(acc.local_endpoint());
    acc.accept(b);
  }
  /// Runs `f` to completion on the io_context; an exception inside fails the test.
  template <class F>
  void run(F f) {
    bool done = false;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      co_await f();
      done = true;
    }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    io.run();
    EXPECT_TRUE(done);
  }
};

rc4 key_rc4(std::uint8_t fill) {
  sha1_hash k;
  std::fill(k.bytes.begin(), k.bytes.end(), fill);
  auto r = rc4::mse(k);
  EXPECT_TRUE(r.has_value());
  return std::move(*r);
}

std::vector<std::uint8_t> pattern(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i * 7 + i / 251);
  return v;
}

TEST(PeerStream, HeldBytesAreReadBeforeTheTransport) {
  socket_pair sp;
  peer_stream s(std::move(sp.a));
  const std::vector<std::uint8_t> held{1, 2, 3};
  s.push_received(held);
  EXPECT_EQ(s.buffered(), 3u);
  boost::system::error_code aec;
  EXPECT_EQ(s.available(aec), 3u);  // nothing arrived on the socket yet
  EXPECT_EQ(s.transport(), peer_transport::tcp);
  EXPECT_FALSE(s.encrypted());
  sp.run([&]() -> asio::awaitable<void> {
    // Held bytes make the stream readable without the socket.
    const auto wec = co_await s.wait_readable();
    EXPECT_FALSE(wec);
    const std::vector<std::uint8_t> later{4, 5, 6, 7};
    co_await asio::async_write(sp.b, asio::buffer(later), asio::use_awaitable);
    std::vector<std::uint8_t> got(2);
    auto [ec1, n1] = co_await s.read_some(got);  // smaller than the held bytes
    EXPECT_FALSE(ec1);
    EXPECT_EQ(n1, 2u);
    EXPECT_EQ(got, (std::vector<std::uint8_t>{1, 2}));
    std::vector<std::uint8_t> rest(16);
    auto [ec2, n2] = co_await s.read_some(rest);  // the last held byte, alone
    EXPECT_EQ(n2, 1u);
    EXPECT_EQ(rest[0], 3);
    std::vector<std::uint8_t> all;
    while (all.size() < later.size()) {
      auto [ec3, n3] = co_await s.read_some(rest);
      EXPECT_FALSE(ec3);
      if (ec3) break;
      all.insert(all.end(), rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(n3));
    }
    EXPECT_EQ(all, later);
    EXPECT_EQ(s.buffered(), 0u);
  });
}

TEST(PeerStream, PlaintextWritesAreTheCallersBytes) {
  socket_pair sp;
  peer_stream s(std::move(sp.a));
  const auto data = pattern(300'000);
  sp.run([&]() -> asio::awaitable<void> {
    std::vector<std::uint8_t> wire(data.size());
    auto reader = asio::async_read(sp.b, asio::buffer(wire), asio::use_awaitable);
    auto [wec, written] = co_await s.write(data);
    EXPECT_FALSE(wec);
    EXPECT_EQ(written, data.size());
    co_await std::move(reader);
    EXPECT_EQ(wire, data);
  });
}

TEST(PeerStream, EncryptedWritesPutEachByteOnTheWireEncryptedOnce) {
  socket_pair sp;
  peer_stream s(std::move(sp.a));
  s.set_cipher(stream_cipher(key_rc4(0x11), key_rc4(0x22)));
  EXPECT_TRUE(s.encrypted());
  const auto data = pattern(1'000'003);  // larger than a socket buffer: partial writes happen below
  auto expected = data;
  auto ref = key_rc4(0x11);
  ref.apply(expected);
  std::vector<std::uint8_t> wire(data.size());
  std::size_t wire_read = 0;
  // The reader runs beside the writer; io.run() returns once both are done.
  asio::co_spawn(sp.io, [&]() -> asio::awaitable<void> {
    wire_read = co_await asio::async_read(sp.b, asio::buffer(wire), asio::use_awaitable);
  }, asio::detached);
  sp.run([&]() -> asio::awaitable<void> {
    // Written in uneven slices, as the writer does.
    std::size_t off = 0;
    bool ok = true;
    for (std::size_t slice = 1; off < data.size(); slice = slice * 3 + 1) {
      const std::size_t n = std::min(slice, data.size() - off);
      auto [ec, w] = co_await s.write_some(std::span(data).subspan(off, n));
      if (ec) { ok = false; break; }
      EXPECT_EQ(w, n);  // encrypted: all or an error
      off += w;
    }
    EXPECT_TRUE(ok);
  });
  EXPECT_EQ(wire_read, data.size());
  EXPECT_TRUE(wire == expected);
  EXPECT_FALSE(wire == data);
}

TEST(PeerStream, EncryptedReadsDecryptInPlaceAndHeldBytesAreNotDecryptedAgain) {
  socket_pair sp;
  peer_stream s(std::move(sp.a));
  s.set_cipher(stream_cipher(key_rc4(0x11), key_rc4(0x22)));
  const std::vector<std::uint8_t> held{9, 8, 7};  // plaintext already (decrypted by the handshake)
  s.push_received(held);
  const auto data = pattern(70'000);
  auto on_wire = data;
  auto peer_out = key_rc4(0x22);
  peer_out.apply(on_wire);
  sp.run([&]() -> asio::awaitable<void> {
    co_await asio::async_write(sp.b, asio::buffer(on_wire), asio::use_awaitable);
    std::vector<std::uint8_t> got;
    std::vector<std::uint8_t> buf(4096);
    while (got.size() < held.size() + data.size()) {
      auto [ec, n] = co_await s.read_some(buf);
      EXPECT_FALSE(ec);
      if (ec) break;
      got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    }
    auto want = held;
    want.insert(want.end(), data.begin(), data.end());
    EXPECT_TRUE(got == want);
  });
}

TEST(PeerStream, CloseEndsPendingReadsAndIsIdempotent) {
  socket_pair sp;
  peer_stream s(std::move(sp.a));
  sp.run([&]() -> asio::awaitable<void> {
    asio::post(sp.io, [&] { s.close(); });
    std::vector<std::uint8_t> buf(16);
    auto [ec, n] = co_await s.read_some(buf);
    EXPECT_TRUE(ec);
    EXPECT_EQ(n, 0u);
  });
  s.close();
  EXPECT_FALSE(s.is_open());
}

}  // namespace
}  // namespace tessera::detail
