// libFuzzer target for uTP (BEP 29): the packet codec (core/utp_packet) and the connection state
// machine (core/utp_connection) fed what a hostile peer or a bad path can send. The first byte
// picks the mode:
//  - parse: the rest is one datagram. A decoded packet re-encodes (its unknown extensions
//    dropped) to a datagram that decodes to the same header, selective ACK and payload.
//  - hostile: one connection (connecting, or accepting a SYN) receives packets built from the
//    input, its connection id and ack_nr set right when the input asks (so the fuzzer gets past
//    the first checks), among writes, reads, ticks, close and abort.
//  - link: two connections joined by a link whose drops, duplicates and reorderings the input
//    chooses; no byte is changed in flight.
// After every event: bytes in flight within the windows (plus one packet), receive bytes within
// the buffer, the window within its bounds, every datagram decodes and fits the packet ceiling,
// next_tick() after a tick lies in the future; in link mode each side has read a prefix of what
// the other wrote.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/utp_connection.hpp"
#include "core/utp_packet.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace tessera;
using namespace tessera::detail;
using namespace std::chrono_literals;

utp_config small_config() {
  utp_config c;
  c.receive_buffer = 64 * 1024;
  c.send_buffer = 64 * 1024;
  c.max_cwnd = 128 * 1024;
  c.packet_floor = 1200;
  c.packet_ceiling = 1472;
  return c;
}

void check_datagrams(const std::vector<utp_datagram>& ds, const utp_config& c) {
  for (const auto& d : ds) {
    FUZZ_CHECK(d.bytes.size() <= c.packet_ceiling);
    FUZZ_CHECK(d.bytes.size() >= utp_header_size);
    FUZZ_CHECK(decode_utp_packet(d.bytes).has_value());
  }
}

void check_connection(const utp_connection& u, const utp_config& c) {
  FUZZ_CHECK(u.bytes_in_flight() >= 0);
  FUZZ_CHECK(u.readable() <= c.receive_buffer);
  FUZZ_CHECK(u.advertised_window() <= c.receive_buffer);
  FUZZ_CHECK(u.cwnd() >= static_cast<std::int64_t>(c.packet_floor));
  FUZZ_CHECK(u.cwnd() <= std::max<std::int64_t>(c.max_cwnd, static_cast<std::int64_t>(c.packet_ceiling)));
  FUZZ_CHECK(u.peer_window() <= utp_connection::max_peer_window);
  FUZZ_CHECK(u.packet_size() >= c.packet_floor && u.packet_size() <= c.packet_ceiling);
  // In flight: within the largest window, plus one packet sent into an empty flight (a window
  // or MTU probe) and the FIN, which ignores the windows. (The window may shrink below what is
  // in flight already: a loss, a timeout, a peer closing its window.)
  FUZZ_CHECK(u.bytes_in_flight() <= c.max_cwnd + static_cast<std::int64_t>(c.packet_ceiling) + 20);
}

void parse_mode(std::span<const std::uint8_t> d) {
  auto p = decode_utp_packet(d);
  if (!p) return;
  FUZZ_CHECK(p->sack.size() % 4 == 0 && p->sack.size() <= max_sack_bytes);
  FUZZ_CHECK(p->payload.size() + utp_header_size <= d.size());
  std::vector<std::uint8_t> out;
  encode_utp_packet(out, p->header, p->sack, p->payload);
  auto q = decode_utp_packet(out);
  FUZZ_CHECK(q.has_value());
  FUZZ_CHECK(q->header == p->header);
  FUZZ_CHECK(std::equal(q->sack.begin(), q->sack.end(), p->sack.begin(), p->sack.end()));
  FUZZ_CHECK(std::equal(q->payload.begin(), q->payload.end(), p->payload.begin(), p->payload.end()));
}

void hostile_mode(tessera::fuzz::byte_reader& in) {
  const utp_config cfg = small_config();
  utp_time now{std::chrono::seconds(1000)};
  std::optional<utp_connection> c;
  if (in.flag()) {
    c = utp_connection::connect(cfg, in.u16(), in.u16(), now);
  } else {
    utp_packet syn;
    syn.header.type = utp_type::syn;
    syn.header.connection_id = in.u16();
    syn.header.seq_nr = in.u16();
    syn.header.wnd_size = in.u32();
    auto a = utp_connection::accept(cfg, syn, in.u16(), now);
    FUZZ_CHECK(a.has_value());
    c.emplace(std::move(*a));
  }
  const std::vector<std::uint8_t> data(4096, 0x5A);
  std::vector<std::uint8_t> sink(8192);
  for (int steps = 0; !in.empty() && steps < 512; ++steps) {
    switch (in.range(0, 7)) {
      case 0:
      case 1:
      case 2: {  // a packet from the "peer"
        const std::uint8_t fix = in.u8();
        const std::string_view raw = in.bytes(in.range(0, 300));
        std::vector<std::uint8_t> bytes(raw.begin(), raw.end());
        if (bytes.size() >= utp_header_size) {
          if (fix & 1) bytes[0] = static_cast<std::uint8_t>((bytes[0] & 0x70) % 0x50 | 1);  // a valid type, version 1
          if (fix & 2) {
            bytes[2] = static_cast<std::uint8_t>(c->recv_id() >> 8);
            bytes[3] = static_cast<std::uint8_t>(c->recv_id());
          }
          if (fix & 4) {  // an ack near what we sent
            const auto ack = static_cast<std::uint16_t>(c->seq_nr() - 1 - (bytes[18] & 7));
            bytes[18] = static_cast<std::uint8_t>(ack >> 8);
            bytes[19] = static_cast<std::uint8_t>(ack);
          }
          if (fix & 8) {  // a seq near what we expect
            const auto seq = static_cast<std::uint16_t>(c->ack_nr() + 1 + (bytes[16] & 15));
            bytes[16] = static_cast<std::uint8_t>(seq >> 8);
            bytes[17] = static_cast<std::uint8_t>(seq);
          }
        }
        if (auto p = decode_utp_packet(bytes)) c->on_packet(*p, now);
        break;
      }
      case 3: c->write(std::span(data).first(static_cast<std::size_t>(in.range(0, 4096))), now); break;
      case 4: c->read(std::span(sink).first(static_cast<std::size_t>(in.range(0, 8192))), now); break;
      case 5: {
        now += utp_duration(in.u16()) * 64;
        if (in.flag() && c->next_tick() != utp_time::max()) now = std::max(now, c->next_tick());
        c->on_tick(now);
        FUZZ_CHECK(c->next_tick() > now);
        break;
      }
      case 6:
        c->close(now);
        break;
      default:
        if (in.range(0, 15) == 0) c->abort(now);
        break;
    }
    check_datagrams(c->take_datagrams(), cfg);
    check_connection(*c, cfg);
  }
}

void link_mode(tessera::fuzz::byte_reader& in) {
  const utp_config cfg = small_config();
  utp_time now{std::chrono::seconds(1000)};
  std::optional<utp_connection> side[2];
  side[0] = utp_connection::connect(cfg, in.u16(), in.u16(), now);
  const std::uint16_t accept_seq = in.u16();
  std::vector<std::uint8_t> source[2];
  for (int s = 0; s < 2; ++s) {
    source[s].resize(static_cast<std::size_t>(in.range(0, 200'000)));
    for (std::size_t i = 0; i < source[s].size(); ++i) source[s][i] = static_cast<std::uint8_t>(i * 7 + s);
  }
  std::size_t written[2] = {0, 0};
  std::vector<std::uint8_t> sink[2];
  std::vector<std::vector<std::uint8_t>> wire[2];  // datagrams on their way to side 1 - i
  auto pump = [&](int s) {
    auto& c = *side[s];
    written[s] += c.write(std::span(source[s]).subspan(written[s]), now);
    std::vector<std::uint8_t> buf(c.readable());
    buf.resize(c.read(buf, now));
    sink[s].insert(sink[s].end(), buf.begin(), buf.end());
    FUZZ_CHECK(sink[s].size() <= source[1 - s].size());
    FUZZ_CHECK(std::equal(sink[s].begin(), sink[s].end(), source[1 - s].begin()));
    auto ds = c.take_datagrams();
    check_datagrams(ds, cfg);
    for (auto& d : ds) wire[s].push_back(std::move(d.bytes));
    check_connection(c, cfg);
  };
  pump(0);
  for (int steps = 0; !in.empty() && steps < 4000; ++steps) {
    const int s = in.range(0, 1);
    const int op = in.range(0, 7);
    auto& q = wire[s];
    if (op <= 4 && !q.empty()) {  // deliver one, maybe not the oldest, maybe twice, maybe never
      const std::size_t i = op == 0 ? std::min<std::size_t>(in.u8(), q.size() - 1) : 0;
      std::vector<std::uint8_t> bytes = q[i];
      const int fate = in.range(0, 15);
      if (fate != 1) q.erase(q.begin() + static_cast<std::ptrdiff_t>(i));  // 1: duplicated
      if (fate == 0) continue;                                            // 0: lost
      auto p = decode_utp_packet(bytes);
      FUZZ_CHECK(p.has_value());
      const int to = 1 - s;
      if (!side[to]) {
        if (to == 1 && p->header.type == utp_type::syn) {
          auto a = utp_connection::accept(cfg, *p, accept_seq, now);
          FUZZ_CHECK(a.has_value());
          side[1].emplace(std::move(*a));
        } else {
          continue;
        }
      } else {
        side[to]->on_packet(*p, now);
      }
      pump(to);
    } else if (op == 5) {
      now += utp_duration(in.u16()) * 16;
      for (int t = 0; t < 2; ++t) {
        if (!side[t]) continue;
        if (side[t]->next_tick() <= now) {
          side[t]->on_tick(now);
          FUZZ_CHECK(side[t]->next_tick() > now);
        }
        pump(t);
      }
    } else if (op == 6 && side[s] && in.range(0, 31) == 0) {
      side[s]->close(now);
      pump(s);
    } else {
      now += 1ms;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int mode = data[0] % 3;
  if (mode == 0) {
    parse_mode(std::span(data + 1, size - 1));
    return 0;
  }
  tessera::fuzz::byte_reader in(data + 1, size - 1);
  if (mode == 1) {
    hostile_mode(in);
  } else {
    link_mode(in);
  }
  return 0;
}
