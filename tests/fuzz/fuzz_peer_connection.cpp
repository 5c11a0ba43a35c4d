// Stateful libFuzzer target: one peer_connection per input, against the fake peer_host of the unit
// tests, over a connected socket pair (AF_UNIX: no handshake, no TIME_WAIT, so thousands of
// inputs a second; the connection only reads and writes bytes). The input is a configuration
// byte, then a sequence of operations: wire messages (well-formed ones built from the input, and
// raw bytes), BEP 10 extension messages, calls the torrent makes (choke, have, metadata_ready,
// close...), the peer reading what we sent (or not: a shut window), and a host callback that
// throws. After each operation the io_context runs until idle and the invariants are checked:
//   - the host hears on_disconnect at most once, and nothing after it; exactly once by the end;
//   - the send backlog stays under its hard limit (plus the one message that crosses it);
//   - the receive buffer stays within the message limit;
//   - once closed and released, the connection is freed (no coroutine keeps it alive).
// The 1 s tick and the timeouts never fire (no time passes): the unit tests cover them.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <spdlog/spdlog.h>

#include "../unit/support/fake_peer_host.hpp"
#include "core/extension_messages.hpp"
#include "core/ut_metadata.hpp"
#include "core/ut_pex.hpp"
#include "core/wire.hpp"
#include "swarm/peer_connection.hpp"
#include "swarm/peer_error.hpp"

namespace {

using namespace tessera;
using namespace tessera::detail;
namespace asio = boost::asio;
using asio::ip::tcp;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_peer_connection: invariant broken: %s\n", what);
    std::abort();
  }
}

/// Reads the fuzzer's bytes; past the end everything reads as zero.
struct input {
  std::span<const std::uint8_t> rest;
  bool empty() const { return rest.empty(); }
  std::uint8_t u8() {
    if (rest.empty()) return 0;
    const std::uint8_t v = rest[0];
    rest = rest.subspan(1);
    return v;
  }
  std::uint16_t u16() { return static_cast<std::uint16_t>((u8() << 8) | u8()); }
  std::vector<std::uint8_t> bytes(std::size_t n) {
    n = std::min(n, rest.size());
    std::vector<std::uint8_t> out(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(n));
    rest = rest.subspan(n);
    return out;
  }
};

/// Host callbacks a throw may come from. Not on_disconnect (a host throwing there has heard of
/// the end already).
constexpr const char* throwable[] = {"on_handshake", "on_peer_has", "on_peer_have", "pick_blocks",
                                     "on_block", "on_request_aborted", "on_peer_interest",
                                     "on_extension_handshake", "on_metadata_message", "on_pex",
                                     "read_block"};

/// What the session's network thread does: an exception escaping a handler is logged and the
/// loop goes on. Here: run every ready handler until none is left.
void run_until_idle(asio::io_context& ioc) {
  for (int rounds = 0; rounds < 100000; ++rounds) {
    ioc.restart();
    try {
      if (ioc.poll() == 0) return;
    } catch (const std::runtime_error&) {  // thrown by the fake host from a plain handler
    }
  }
  check(false, "the io_context never became idle");
}

/// A piece index mostly inside the torrent, sometimes just outside or absurd.
piece_index pick_piece(input& in) {
  const std::uint8_t v = in.u8();
  if (v == 0xff) return piece_index{-1};
  if (v == 0xfe) return piece_index{0x7fffffff};
  return piece_index{v % (test::num_pieces + 1)};
}

std::int32_t pick_begin(input& in) {
  const std::uint8_t v = in.u8();
  if (v >= 0xf0) return static_cast<std::int32_t>(v) * 4096 - 0x7fffffff;
  return (v % 3) * block_size;
}

std::int32_t pick_length(input& in) {
  switch (in.u8() % 4) {
    case 0: return block_size;
    case 1: return 1 + in.u8();
    case 2: return 20000 - block_size;  // the last block of the last piece
    default: return block_size + 1;
  }
}

std::span<const std::uint8_t> as_span(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// One BEP 3 message built from the input.
void write_message(input& in, std::vector<std::uint8_t>& out) {
  switch (in.u8() % 17) {
    case 0: wire::write_keep_alive(out); break;
    case 1: wire::write_choke(out); break;
    case 2: wire::write_unchoke(out); break;
    case 3: wire::write_interested(out); break;
    case 4: wire::write_not_interested(out); break;
    case 5: wire::write_have(out, pick_piece(in)); break;
    case 6: {
      // Mostly the right size (1 byte for 5 pieces), sometimes not.
      const std::size_t n = in.u8() % 8 == 0 ? in.u8() % 4 : 1;
      auto bits = in.bytes(n);
      bits.resize(n, 0xff);
      wire::write_bitfield(out, bits);
      break;
    }
    case 7: {
      const auto p = pick_piece(in);
      const auto b = pick_begin(in);
      wire::write_request(out, {p, b, pick_length(in)});
      break;
    }
    case 8: {
      const auto p = pick_piece(in);
      const auto b = pick_begin(in);
      wire::write_cancel(out, {p, b, pick_length(in)});
      break;
    }
    case 9: {
      // A block for what we likely requested (block b of piece p), its data from the input.
      const auto p = pick_piece(in);
      const auto b = pick_begin(in);
      const std::int32_t len = in.u8() % 2 ? block_size : 20000 - block_size;
      wire::write_piece_header(out, p, b, len);
      auto data = in.bytes(16);
      data.resize(static_cast<std::size_t>(len), 0x5a);
      out.insert(out.end(), data.begin(), data.end());
      break;
    }
    case 10: wire::write_port(out, in.u16()); break;
    // BEP 6 (some handshakes set the fast bit: each is then handled, otherwise fatal).
    case 11: in.u8() % 2 ? wire::write_have_all(out) : wire::write_have_none(out); break;
    case 12: wire::write_suggest_piece(out, pick_piece(in)); break;
    case 13: wire::write_allowed_fast(out, pick_piece(in)); break;
    case 14: {
      const auto p = pick_piece(in);
      const auto b = pick_begin(in);
      wire::write_reject_request(out, {p, b, pick_length(in)});
      break;
    }
    default: {
      // An id this codec does not know, announcing up to 64 KiB of body, part of it sent: the
      // rest arrives with the next bytes (or never).
      const std::uint32_t len = 1 + in.u16();
      const std::uint8_t id = static_cast<std::uint8_t>(in.u8() % 2 ? 10 + in.u8() % 3 : 24 + in.u8() % 10);
      const std::uint8_t head[5] = {static_cast<std::uint8_t>(len >> 24), static_cast<std::uint8_t>(len >> 16),
                                    static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len), id};
      // One byte at a time: GCC 12 -O2 reports a -Wstringop-overflow false positive for a range
      // insert of this small array.
      for (const auto b : head) out.push_back(b);
      const auto body = in.bytes(in.u8());
      out.insert(out.end(), body.begin(), body.end());
      break;
    }
  }
}

/// One BEP 10 message built from the input: our ids are 0 (handshake), 1 (ut_pex), 2 (ut_metadata).
void write_extension_message(input& in, std::vector<std::uint8_t>& out) {
  std::string payload;
  std::uint8_t id = 0;
  switch (in.u8() % 6) {
    case 0: {
      extension_handshake h;
      if (const auto v = in.u8()) h.ut_metadata = v;
      if (const auto v = in.u8(); v % 2) h.ut_pex = v;
      if (const auto v = in.u16(); v != 0) h.metadata_size = v * 4;
      if (const auto v = in.u8(); v != 0) h.reqq = v;
      payload = make_extension_handshake(h);
      id = extended_handshake_id;
      break;
    }
    case 1:
      payload = make_metadata_request(in.u8() % 4);
      id = 2;
      break;
    case 2: {
      const auto n = in.u8();
      payload = in.u8() % 2 ? make_metadata_reject(n % 4)
                            : make_metadata_data(n % 4, 20000, std::string(in.u8(), 'd'));
      id = 2;
      break;
    }
    case 3: {
      pex_message m;
      for (int i = in.u8() % 4; i > 0; --i) {
        peer_endpoint e;
        e.addr[0] = 127;
        e.addr[3] = in.u8();
        e.port = in.u16();
        m.added.push_back({e, in.u8()});
      }
      payload = make_pex_message(m);
      id = 1;
      break;
    }
    case 4:
      // Many metadata requests at once: the amplification a peer with a shut window uses.
      payload = make_metadata_request(in.u8() % 2);
      for (int i = 0, n = 1 + in.u8(); i < n; ++i) wire::write_extended(out, 2, as_span(payload));
      return;
    default: {
      id = in.u8();
      const auto raw = in.bytes(in.u8() % 64);
      payload.assign(raw.begin(), raw.end());
      break;
    }
  }
  wire::write_extended(out, id, as_span(payload));
}

void send_to(int fd, const std::vector<std::uint8_t>& bytes) {
  // Non-blocking: what does not fit (we do not read the connection's answers either) is dropped;
  // the connection sees a truncated stream, which is one more thing a peer can do.
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

void drain(int fd) {
  std::uint8_t buf[65536];
  while (::recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
  }
}

/// One call the torrent makes on the connection.
void host_call(input& in, test::fake_host& host, peer_connection& c) {
  switch (in.u8() % 12) {
    case 0: c.choke(); break;
    case 1: c.unchoke(); break;
    case 2: {
      const auto p = pick_piece(in);
      host.our_bits.resize(host.ti.num_pieces());
      if (p.value >= 0 && p.value < host.ti.num_pieces()) host.our_bits.set(p.value);
      c.send_have(p);
      break;
    }
    case 3: c.cancel_request({pick_piece(in), block_index{in.u8() % 3}}); break;
    case 4: c.request_more(); break;
    case 5: c.update_interest(); break;
    case 6:
      host.metadata_mode = false;
      c.metadata_ready();
      break;
    case 7: c.send_metadata_request(in.u8() % 4); break;
    case 8: c.send_pex({}); break;
    case 9: host.release_reads(); break;
    case 10: host.make_all_available(); break;
    default: c.close(peer_errc::closed_by_host); break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // the failures the fake host provokes are logged as errors
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static asio::io_context ioc;
  input in{{data, size}};

  test::fake_host host;
  host.ioc = &ioc;
  const std::uint8_t cfg = in.u8();
  host.metadata_mode = cfg & 0x01;
  host.pex = cfg & 0x02;
  if (cfg & 0x04) host.served_metadata = std::string(20000, 'i');
  if (cfg & 0x08) {
    for (int p = 0; p < host.ti.num_pieces(); p += 2) host.our_bits.set(p);
  }
  host.hold_reads = cfg & 0x10;
  if (cfg & 0x20) host.make_all_available();
  host.keep_blocks = false;

  int fds[2];
  check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0, "socketpair");
  const int peer = fds[1];
  tcp::socket ours(ioc);
  ours.assign(tcp::v4(), fds[0]);

  const peer_connection_settings settings;  // production limits
  auto conn = std::make_shared<peer_connection>(ioc.get_executor(), host, 1, host.ti.info_hash(),
                                                tcp::endpoint(asio::ip::make_address("127.0.0.2"), 6881),
                                                settings);
  wire::handshake h;
  h.info_hash = (cfg & 0x40) ? host.ti.info_hash().best() : sha1_hash{};  // sometimes another torrent
  if (cfg & 0x80) h.reserved[5] |= 0x10;                          // BEP 10
  if (((cfg >> 5) ^ (cfg >> 3)) & 1) h.reserved[7] |= 0x04;       // BEP 6: bit 5 xor bit 3
  h.id = test::id_of("-FZ0001-fuzzfuzzfuzz");
  conn->start_incoming(peer_stream(std::move(ours)), h);
  run_until_idle(ioc);

  // Holds the settings' hard limit, the 16 KiB metadata piece that may cross it, and our bitfield.
  const std::size_t backlog_bound = settings.max_send_backlog_hard + 32 * 1024;
  const std::size_t receive_bound = 1024 * 1024 + 4;  // the message limit and its prefix
  bool reading = true;
  for (int ops = 0; ops < 256 && !in.empty(); ++ops) {
    std::vector<std::uint8_t> out;
    switch (in.u8() % 8) {
      case 0:
      case 1:
      case 2: write_message(in, out); break;
      case 3: write_extension_message(in, out); break;
      case 4: out = in.bytes(in.u8()); break;  // raw bytes
      case 5: {
        const char* keep = host.throw_from;
        host.throw_from = nullptr;  // the torrent's own calls: its exceptions are its own
        host_call(in, host, *conn);
        host.throw_from = keep;
        break;
      }
      case 6: reading = !reading; break;  // the peer stops (or starts again) reading
      default: {
        const auto v = in.u8();
        host.throw_from = v < std::size(throwable) ? throwable[v] : nullptr;
        break;
      }
    }
    if (!out.empty()) send_to(peer, out);
    run_until_idle(ioc);
    if (reading) {
      drain(peer);
      run_until_idle(ioc);
    }
    const auto st = conn->stats();
    check(st.send_backlog <= backlog_bound, "send backlog above its hard limit");
    check(st.receive_buffer <= receive_bound, "receive buffer above the message limit");
    check(host.disconnects.size() <= 1, "on_disconnect more than once");
    check(host.calls_after_disconnect == 0, "host called after on_disconnect");
    check(host.disconnects.empty() || conn->is_closed(), "on_disconnect but not closed");
  }

  host.throw_from = nullptr;
  conn->close(peer_errc::closed_by_host);
  run_until_idle(ioc);
  check(host.disconnects.size() == 1, "on_disconnect not exactly once");
  check(host.calls_after_disconnect == 0, "host called after on_disconnect");
  std::weak_ptr<peer_connection> weak = conn;
  conn.reset();
  host.held.clear();  // read completions the torrent never delivered
  run_until_idle(ioc);
  check(weak.expired(), "a closed connection is still alive");
  ::close(peer);
  return 0;
}
