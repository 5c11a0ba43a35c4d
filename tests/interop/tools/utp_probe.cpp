// utp_probe: opens one uTP connection (BEP 29, tessera's utp_socket_manager on a real UDP socket)
// to HOST:PORT, sends a BitTorrent handshake (BEP 3) for INFO_HASH, and prints the peer's
// handshake and its first message (normally the bitfield), one `key=value` line each, for
// tests/interop/test_utp_probe.py. With --blocks N it then sends interested and, once unchoked,
// requests the first N 16 KiB blocks of piece 0 and prints the SHA-1 of the bytes received
// (the test compares it with the file's). With --listen-port P (0: any) it accepts instead: prints
// `listening=PORT`, then the dialling peer's handshake, answers with its own and a full bitfield of
// --pieces N pieces, and prints the peer's first message (interested, from a leecher). Exit 0 on success, 1 with an `error=` line otherwise.
//
//   utp_probe --bind 127.0.0.5 --peer 127.0.0.6:6881 --info-hash <40 hex> [--blocks N] [--timeout S]
//   utp_probe --bind 127.0.0.5 --listen-port 0 --info-hash <40 hex> --pieces N [--timeout S]
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <openssl/sha.h>

#include "swarm/udp_socket.hpp"

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::udp;
using boost::system::error_code;
using tessera::detail::utp_stream;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t block_size = 16384;

std::string hex(const std::uint8_t* p, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

awaitable<error_code> read_exact(utp_stream& s, std::uint8_t* p, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    auto [ec, k] = co_await s.async_read_some(asio::buffer(p + got, n - got), use_tuple);
    if (ec) co_return ec;
    got += k;
  }
  co_return error_code{};
}

awaitable<error_code> write_all(utp_stream& s, const std::vector<std::uint8_t>& bytes) {
  std::size_t off = 0;
  while (off < bytes.size()) {
    auto [ec, k] = co_await s.async_write_some(asio::buffer(bytes.data() + off, bytes.size() - off), use_tuple);
    if (ec) co_return ec;
    off += k;
  }
  co_return error_code{};
}

void put32(std::vector<std::uint8_t>& v, std::uint32_t x) {
  for (int i = 3; i >= 0; --i) v.push_back(static_cast<std::uint8_t>(x >> (8 * i)));
}

std::uint32_t get32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

struct message {
  std::uint32_t length = 0;  // 0: keep-alive
  int id = -1;
  std::vector<std::uint8_t> payload;
};

awaitable<std::pair<error_code, message>> read_message(utp_stream& s) {
  std::array<std::uint8_t, 4> len{};
  message m;
  if (auto ec = co_await read_exact(s, len.data(), 4)) co_return std::pair{ec, m};
  m.length = get32(len.data());
  if (m.length > 1024 * 1024) co_return std::pair{error_code(asio::error::message_size), m};
  if (m.length == 0) co_return std::pair{error_code{}, m};
  std::vector<std::uint8_t> body(m.length);
  if (auto ec = co_await read_exact(s, body.data(), body.size())) co_return std::pair{ec, m};
  m.id = body[0];
  m.payload.assign(body.begin() + 1, body.end());
  co_return std::pair{error_code{}, m};
}

awaitable<int> probe(std::shared_ptr<tessera::detail::udp_socket> sock, udp::endpoint peer,
                     std::array<std::uint8_t, 20> info_hash, int blocks) {
  auto [ec, s] = co_await sock->utp()->connect(peer);
  if (ec) {
    std::printf("error=connect %s\n", ec.message().c_str());
    co_return 1;
  }
  std::printf("connected=%s:%u\n", s.remote_endpoint().address().to_string().c_str(), s.remote_endpoint().port());
  // BEP 3: pstrlen, pstr, 8 reserved bytes, info_hash, peer_id.
  const std::string proto = "\x13" "BitTorrent protocol";
  const std::string pid = "-TS0001-utpprobe0000";
  std::vector<std::uint8_t> hs(68, 0);
  std::memcpy(hs.data(), proto.data(), 20);
  std::memcpy(hs.data() + 28, info_hash.data(), 20);
  std::memcpy(hs.data() + 48, pid.data(), 20);
  if (auto e = co_await write_all(s, hs)) {
    std::printf("error=write handshake %s\n", e.message().c_str());
    co_return 1;
  }
  std::array<std::uint8_t, 68> theirs{};
  if (auto e = co_await read_exact(s, theirs.data(), theirs.size())) {
    std::printf("error=read handshake %s\n", e.message().c_str());
    co_return 1;
  }
  std::printf("handshake_protocol=%.*s\n", 19, reinterpret_cast<const char*>(theirs.data() + 1));
  std::printf("handshake_info_hash=%s\n", hex(theirs.data() + 28, 20).c_str());
  std::printf("handshake_peer_id=%s\n", hex(theirs.data() + 48, 20).c_str());
  // The first message that is not a keep-alive or an extension handshake (id 20).
  message first;
  for (;;) {
    auto [e, m] = co_await read_message(s);
    if (e) {
      std::printf("error=read message %s\n", e.message().c_str());
      co_return 1;
    }
    if (m.id == -1 || m.id == 20) continue;
    first = std::move(m);
    break;
  }
  int pieces = 0;
  for (auto b : first.payload) pieces += __builtin_popcount(b);
  std::printf("first_message_id=%d\nfirst_message_length=%u\nfirst_message_bits_set=%d\n", first.id, first.length,
              first.id == 5 ? pieces : -1);
  std::fflush(stdout);
  if (blocks > 0) {
    const std::vector<std::uint8_t> interested{0, 0, 0, 1, 2};
    if (auto e = co_await write_all(s, interested)) co_return 1;
    bool unchoked = false;
    int received = 0;
    std::vector<std::uint8_t> data(static_cast<std::size_t>(blocks) * block_size);
    while (received < blocks) {
      auto [e, m] = co_await read_message(s);
      if (e) {
        std::printf("error=read %s\n", e.message().c_str());
        co_return 1;
      }
      if (m.id == 1 && !unchoked) {
        unchoked = true;
        std::vector<std::uint8_t> req;
        for (int i = 0; i < blocks; ++i) {
          put32(req, 13);
          req.push_back(6);
          put32(req, 0);
          put32(req, static_cast<std::uint32_t>(i * block_size));
          put32(req, block_size);
        }
        if (auto w = co_await write_all(s, req)) co_return 1;
      } else if (m.id == 7 && m.payload.size() == 8 + block_size && get32(m.payload.data()) == 0) {
        const std::uint32_t begin = get32(m.payload.data() + 4);
        if (begin % block_size == 0 && begin / block_size < static_cast<std::uint32_t>(blocks)) {
          std::memcpy(data.data() + begin, m.payload.data() + 8, block_size);
          ++received;
        }
      }
    }
    std::array<std::uint8_t, 20> digest{};
    SHA1(data.data(), data.size(), digest.data());
    std::printf("blocks_received=%d\nblocks_sha1=%s\n", received, hex(digest.data(), digest.size()).c_str());
  }
  s.close();
  co_return 0;
}

// Listening mode: the first accepted uTP connection's handshake is read and printed, ours (the
// same info-hash) and a full bitfield of --pieces pieces are sent back, and the peer's next message is printed.
awaitable<int> serve(utp_stream s, std::array<std::uint8_t, 20> info_hash, int pieces) {
  std::printf("accepted=%s:%u\n", s.remote_endpoint().address().to_string().c_str(), s.remote_endpoint().port());
  std::array<std::uint8_t, 68> theirs{};
  if (auto e = co_await read_exact(s, theirs.data(), theirs.size())) {
    std::printf("error=read handshake %s\n", e.message().c_str());
    co_return 1;
  }
  std::printf("handshake_protocol=%.*s\n", 19, reinterpret_cast<const char*>(theirs.data() + 1));
  std::printf("handshake_info_hash=%s\n", hex(theirs.data() + 28, 20).c_str());
  std::printf("handshake_peer_id=%s\n", hex(theirs.data() + 48, 20).c_str());
  std::fflush(stdout);
  const std::string proto = "\x13" "BitTorrent protocol";
  const std::string pid = "-TS0001-utpprobe0000";
  std::vector<std::uint8_t> hs(68, 0);
  std::memcpy(hs.data(), proto.data(), 20);
  std::memcpy(hs.data() + 28, info_hash.data(), 20);
  std::memcpy(hs.data() + 48, pid.data(), 20);
  // A full bitfield of `pieces` pieces: the peer, wanting them, answers with interested.
  const std::size_t bytes = static_cast<std::size_t>(pieces + 7) / 8;
  put32(hs, static_cast<std::uint32_t>(1 + bytes));
  hs.push_back(5);
  for (std::size_t i = 0; i < bytes; ++i) {
    const int left = pieces - static_cast<int>(8 * i);
    hs.push_back(left >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - left)));
  }
  if (auto e = co_await write_all(s, hs)) co_return 1;
  for (;;) {
    auto [e, m] = co_await read_message(s);
    if (e) {
      std::printf("error=read message %s\n", e.message().c_str());
      co_return 1;
    }
    if (m.id == -1 || m.id == 20) continue;
    std::printf("first_message_id=%d\nfirst_message_length=%u\n", m.id, m.length);
    break;
  }
  s.close();
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string bind_ip = "127.0.0.1", peer_arg, info_hex;
  int listen_port = -1;
  int pieces = 1;
  int blocks = 0;
  double timeout = 30;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--bind") bind_ip = v;
    else if (k == "--peer") peer_arg = v;
    else if (k == "--listen-port") listen_port = std::atoi(v.c_str());
    else if (k == "--pieces") pieces = std::max(1, std::atoi(v.c_str()));
    else if (k == "--info-hash") info_hex = v;
    else if (k == "--blocks") blocks = std::atoi(v.c_str());
    else if (k == "--timeout") timeout = std::atof(v.c_str());
  }
  const auto colon = peer_arg.rfind(':');
  if ((colon == std::string::npos && listen_port < 0) || info_hex.size() != 40) {
    std::fprintf(stderr,
                 "usage: utp_probe --bind IP (--peer IP:PORT | --listen-port P) --info-hash HEX40 [--blocks N] "
                 "[--timeout S]\n");
    return 2;
  }
  std::array<std::uint8_t, 20> ih{};
  for (std::size_t i = 0; i < 20; ++i) ih[i] = static_cast<std::uint8_t>(std::stoi(info_hex.substr(2 * i, 2), nullptr, 16));
  error_code ec;
  asio::io_context io;
  const unsigned short port = static_cast<unsigned short>(listen_port < 0 ? 0 : listen_port);
  auto sock = tessera::detail::udp_socket::open(io.get_executor(), udp::endpoint(asio::ip::make_address(bind_ip), port), {}, ec);
  if (ec) {
    std::printf("error=bind %s\n", ec.message().c_str());
    return 1;
  }
  int rc = -1;
  auto done = [&](std::exception_ptr, int r) {
    rc = r;
    io.stop();
  };
  if (listen_port >= 0) {
    std::printf("listening=%u\n", sock->local_endpoint().port());
    std::fflush(stdout);
    bool served = false;
    sock->utp()->set_accept_handler([&](utp_stream s) {
      if (served) return;  // one connection is the whole test
      served = true;
      asio::co_spawn(io, serve(std::move(s), ih, pieces), done);
    });
  } else {
    const udp::endpoint peer(asio::ip::make_address(peer_arg.substr(0, colon), ec),
                             static_cast<unsigned short>(std::atoi(peer_arg.c_str() + colon + 1)));
    if (ec) {
      std::printf("error=bad peer address\n");
      return 2;
    }
    asio::co_spawn(io, probe(sock, peer, ih, blocks), done);
  }
  io.run_for(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(timeout)));
  if (rc == -1) {
    std::printf("error=timeout\n");
    rc = 1;
  }
  std::fflush(stdout);
  sock->close();
  return rc;
}
