// uTP against TCP on loopback, in one process and one thread: a connected pair of each (uTP:
// two udp_sockets with their utp_socket_managers; TCP: an accepted tcp::socket pair), then each
// iteration moves 16 MiB one way with 64 KiB async_write_some/async_read_some calls on both ends,
// the same buffer sizes for both transports. Reported: bytes per second (MB/s in the output) and
// CPU time; everything (both ends, the kernel's share of the syscalls) runs on the benchmark's
// thread, so CPU time is the whole cost. Issue 13's goal: uTP >= 0.5x TCP.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "swarm/udp_socket.hpp"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using boost::system::error_code;

constexpr std::size_t chunk = 64 * 1024;
constexpr std::size_t per_iteration = 16 * 1024 * 1024;

/// Moves `total` bytes from `w` to `r` with callback chains, running `io` until done.
template <class Writer, class Reader>
bool transfer(asio::io_context& io, Writer& w, Reader& r, std::size_t total) {
  static std::vector<std::uint8_t> out(chunk, 0xa5), in(chunk);
  std::size_t sent = 0, got = 0;
  bool failed = false;
  std::function<void()> write_more = [&] {
    w.async_write_some(asio::buffer(out.data(), std::min(chunk, total - sent)), [&](error_code ec, std::size_t n) {
      if (ec) {
        failed = true;
        return;
      }
      sent += n;
      if (sent < total) write_more();
    });
  };
  std::function<void()> read_more = [&] {
    r.async_read_some(asio::buffer(in), [&](error_code ec, std::size_t n) {
      if (ec) {
        failed = true;
        return;
      }
      got += n;
      if (got < total) read_more();
    });
  };
  write_more();
  read_more();
  // A TCP io_context runs out of work between transfers and stops: restart it.
  if (io.stopped()) io.restart();
  while (!failed && (got < total || sent < total)) io.run_one();
  return !failed;
}

void BM_UtpLoopbackStream(benchmark::State& state) {
  asio::io_context io;
  error_code ec;
  const auto lo = asio::ip::make_address("127.0.0.1");
  auto a = tessera::detail::udp_socket::open(io.get_executor(), udp::endpoint(lo, 0), {}, ec);
  auto b = tessera::detail::udp_socket::open(io.get_executor(), udp::endpoint(lo, 0), {}, ec);
  std::optional<tessera::detail::utp_stream> accepted;
  b->utp()->set_accept_handler([&](tessera::detail::utp_stream s) { accepted = std::move(s); });
  std::optional<tessera::detail::utp_stream> client;
  asio::co_spawn(io, a->utp()->connect(b->local_endpoint()),
                 [&](std::exception_ptr, std::pair<error_code, tessera::detail::utp_stream> r) {
                   if (!r.first) client = std::move(r.second);
                 });
  // The acceptor hands the stream out after the initiator's first packet: send one byte.
  while (!client) io.run_one();
  std::uint8_t one = 1;
  client->async_write_some(asio::buffer(&one, 1), [](error_code, std::size_t) {});
  while (!accepted) io.run_one();
  std::uint8_t sink = 0;
  std::optional<std::size_t> n;
  accepted->async_read_some(asio::buffer(&sink, 1), [&](error_code, std::size_t k) { n = k; });
  while (!n) io.run_one();
  for (auto _ : state) {
    if (!transfer(io, *client, *accepted, per_iteration)) {
      state.SkipWithError("uTP transfer failed");
      break;
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(per_iteration));
  const auto st = a->utp()->stats();
  state.counters["retransmits"] = static_cast<double>(st.retransmits);
  state.counters["datagrams"] = static_cast<double>(st.datagrams_sent);
}
BENCHMARK(BM_UtpLoopbackStream)->Unit(benchmark::kMillisecond)->MinTime(3);

void BM_TcpLoopbackStream(benchmark::State& state) {
  asio::io_context io;
  tcp::acceptor acc(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket client(io), server(io);
  client.connect(acc.local_endpoint());
  acc.accept(server);
  client.set_option(tcp::no_delay(true));
  for (auto _ : state) {
    if (!transfer(io, client, server, per_iteration)) {
      state.SkipWithError("TCP transfer failed");
      break;
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(per_iteration));
}
BENCHMARK(BM_TcpLoopbackStream)->Unit(benchmark::kMillisecond)->MinTime(3);

}  // namespace
