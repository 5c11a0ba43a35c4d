// A hand-driven BitTorrent peer over a blocking socket, for session tests that need exact control
// of one connection: handshake, `interested`, then a record of what the session sends back.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <variant>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "core/wire.hpp"
#include "tessera/types.hpp"

namespace tessera::test {

/// Handshakes with a session and records the choke state it is told. Reads time out after 20 ms.
struct raw_leecher {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket s{io};
  bool unchoked = false;
  bool handshake_seen = false;  ///< the session answered with its handshake
  bool eof = false;             ///< the session closed the connection
  std::vector<std::uint8_t> buf;

  /// Connects from `from` (an IP literal; nullptr: the OS's choice) to `to`:`port` and sends a
  /// handshake for `ih` with peer id `id` (zero-padded: the same id twice is a duplicate) and
  /// `interested`. False when the connect or the write fails. An info_hash_t is sent as its
  /// best() 20 bytes (v1, else v2 truncated).
  bool connect(std::uint16_t port, const info_hash_t& ih, const char* id, const char* from = nullptr,
               const char* to = "127.0.0.1") {
    return connect(port, ih.best(), id, from, to);
  }
  bool connect(std::uint16_t port, const sha1_hash& ih, const char* id, const char* from = nullptr,
               const char* to = "127.0.0.1") {
    namespace asio = boost::asio;
    using asio::ip::tcp;
    boost::system::error_code ec;
    const tcp::endpoint remote(asio::ip::make_address(to), port);
    if (from) {
      s.open(remote.protocol(), ec);
      if (!ec) s.bind(tcp::endpoint(asio::ip::make_address(from), 0), ec);
      if (ec) return false;
    }
    s.connect(remote, ec);
    if (ec) return false;
    timeval tv{0, 20 * 1000};
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::vector<std::uint8_t> out;
    peer_id pid;
    for (std::size_t i = 0; i < pid.bytes.size() && id[i] != 0; ++i) pid.bytes[i] = static_cast<std::uint8_t>(id[i]);
    detail::wire::write_handshake(out, {{}, ih, pid});
    detail::wire::write_interested(out);
    asio::write(s, asio::buffer(out), ec);
    return !ec;
  }
  /// Reads and decodes whatever arrives for about `d` (raw recv: Asio's blocking read would
  /// wait past SO_RCVTIMEO).
  void pump(std::chrono::milliseconds d) {
    namespace wire = detail::wire;
    const auto end = std::chrono::steady_clock::now() + d;
    std::vector<std::uint8_t> chunk(64 * 1024);
    while (std::chrono::steady_clock::now() < end) {
      const ssize_t n = ::recv(s.native_handle(), chunk.data(), chunk.size(), 0);
      if (n == 0) {  // closed by the session
        eof = true;
        return;
      }
      if (n < 0) continue;  // timeout
      buf.insert(buf.end(), chunk.begin(), chunk.begin() + n);
      std::size_t at = 0;
      if (!handshake_seen) {
        if (buf.size() < wire::handshake_length) continue;
        at = wire::handshake_length;
        handshake_seen = true;
      }
      for (;;) {
        auto r = wire::decode_message({buf.data() + at, buf.size() - at}, 1 << 20);
        if (r.ec || r.consumed == 0) break;
        at += r.consumed;
        if (std::holds_alternative<wire::unchoke>(r.msg)) unchoked = true;
        if (std::holds_alternative<wire::choke>(r.msg)) unchoked = false;
      }
      buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(at));
    }
  }
};

}  // namespace tessera::test
