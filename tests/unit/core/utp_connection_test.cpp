// uTP connections (BEP 29) joined by a simulated link (utp_link.hpp): setup, transfers both
// ways, wrap-around, loss repair, timeouts, windows, path MTU, FIN, RESET, hostile packets.
#include "core/utp_connection.hpp"

#include <gtest/gtest.h>

#include <cstdio>

#include "utp_link.hpp"

namespace tessera::detail {
namespace {

using namespace std::chrono_literals;
using test::random_bytes;
using test::utp_link;
using state = utp_connection::state;

constexpr std::size_t MiB = 1024 * 1024;

bool both_connected(const utp_link& l) {
  return l.side[0] && l.side[1] && l.side[0]->get_state() == state::connected &&
         l.side[1]->get_state() == state::connected;
}

std::vector<std::uint8_t> encode(const utp_header& h, std::span<const std::uint8_t> sack = {},
                                 std::span<const std::uint8_t> payload = {}) {
  std::vector<std::uint8_t> out;
  encode_utp_packet(out, h, sack, payload);
  return out;
}

TEST(UtpConnection, ConnectAndAcceptFollowBep29Ids) {
  utp_link l;
  l.accept_seq = 500;
  l.connect(0x1234, 1);
  ASSERT_TRUE(l.run_until([&] { return both_connected(l); }, 1s));
  EXPECT_EQ(l.side[0]->recv_id(), 0x1234);
  EXPECT_EQ(l.side[0]->send_id(), 0x1235);
  EXPECT_EQ(l.side[1]->recv_id(), 0x1235);
  EXPECT_EQ(l.side[1]->send_id(), 0x1234);
  EXPECT_TRUE(l.side[0]->rtt().has_sample());  // the SYN's round trip
}

TEST(UtpConnection, InitiatorTakesOnlyTheStateThatAcknowledgesItsSyn) {
  const utp_time t{std::chrono::seconds(5)};
  auto c = utp_connection::connect({}, 50, 1000, t);
  utp_header h;
  h.connection_id = 50;
  h.seq_nr = 7;
  h.wnd_size = 1 << 20;
  for (auto [type, ack] : {std::pair{utp_type::state, 999}, std::pair{utp_type::data, 1000}}) {
    h.type = type;
    h.ack_nr = static_cast<std::uint16_t>(ack);
    const auto bytes = encode(h, {}, std::vector<std::uint8_t>(10, 1));
    c.on_packet(*decode_utp_packet(bytes), t);
    EXPECT_EQ(c.get_state(), state::syn_sent);
  }
  EXPECT_EQ(c.dropped_packets(), 2u);
  EXPECT_EQ(c.readable(), 0u);
  h.type = utp_type::state;
  h.ack_nr = 1000;
  const auto bytes = encode(h);
  c.on_packet(*decode_utp_packet(bytes), t);
  EXPECT_EQ(c.get_state(), state::connected);
  EXPECT_EQ(c.ack_nr(), 6);  // the acceptor's data starts at its ST_STATE's seq_nr
}

TEST(UtpConnection, AcceptRefusesANonSyn) {
  utp_header h;
  h.type = utp_type::data;
  const auto bytes = encode(h);
  auto p = decode_utp_packet(bytes);
  ASSERT_TRUE(p);
  EXPECT_EQ(utp_connection::accept({}, *p, 1, utp_time{}).error(), utp_errc::not_a_syn);
}

TEST(UtpConnection, TransfersSeveralMiBBothWaysAtFullSpeed) {
  utp_link l;
  l.source[0] = random_bytes(6 * MiB, 1);
  l.source[1] = random_bytes(5 * MiB, 2);
  l.connect(7, 1);
  const utp_time start = l.now;
  ASSERT_TRUE(l.run_until([&] { return l.transferred(0) && l.transferred(1); }, 60s));
  EXPECT_EQ(l.sink[1], l.source[0]);
  EXPECT_EQ(l.sink[0], l.source[1]);
  const double seconds = std::chrono::duration<double>(l.now - start).count();
  const double rate = static_cast<double>(6 * MiB) / seconds;
  std::printf("uTP over a 1 ms link, both ways at once: %.1f MB/s each way (%.3f simulated s)\n",
              rate / 1e6, seconds);
  // 1 MiB windows over a 2 ms round trip allow ~500 MB/s; the slow start costs a few round
  // trips. Far above what a cap of a few packets per round trip would give (~2 MB/s).
  EXPECT_GT(rate, 100e6);
  EXPECT_EQ(l.side[0]->timeout_retransmits(), 0u);
}

TEST(UtpConnection, SequenceNumbersWrapMidTransfer) {
  utp_link l;
  l.accept_seq = 65'500;
  l.source[0] = random_bytes(2 * MiB, 3);
  l.source[1] = random_bytes(2 * MiB, 4);
  l.dir[0].loss = l.dir[1].loss = 0.01;
  l.dir[0].reorder = l.dir[1].reorder = 0.05;
  l.connect(9, 65'400);
  ASSERT_TRUE(l.run_until([&] { return l.transferred(0) && l.transferred(1); }, 120s));
  EXPECT_EQ(l.sink[1], l.source[0]);
  EXPECT_EQ(l.sink[0], l.source[1]);
  // Both ran past 65,535 (about 1,500 packets each way).
  EXPECT_LT(l.side[0]->seq_nr(), 65'400);
  EXPECT_LT(l.side[1]->seq_nr(), 65'500);
  EXPECT_LT(l.side[0]->ack_nr(), 65'500);
}

TEST(UtpConnection, SurvivesDuplicationAndReordering) {
  utp_link l(utp_config{}, 5);
  l.source[0] = random_bytes(3 * MiB, 5);
  for (auto& d : l.dir) {
    d.duplicate = 0.05;
    d.reorder = 0.2;
    d.reorder_delay = 4ms;
  }
  l.connect(11, 1);
  ASSERT_TRUE(l.run_until([&] { return l.transferred(0); }, 120s));
  EXPECT_EQ(l.sink[1], l.source[0]);
}

TEST(UtpConnection, LossIsRepairedBySackWithoutATimeout) {
  utp_link l;
  l.source[0] = random_bytes(4 * MiB, 6);
  // Drop a few data packets once each, well before the end (no tail loss).
  int data_seen = 0;
  l.dir[0].filter = [&](const std::vector<std::uint8_t>& b) {
    if ((b[0] >> 4) != static_cast<int>(utp_type::data)) return true;
    ++data_seen;
    return data_seen != 100 && data_seen != 101 && data_seen != 600 && data_seen != 1500;
  };
  l.connect(13, 1);
  ASSERT_TRUE(l.run_until([&] { return l.transferred(0); }, 60s));
  EXPECT_EQ(l.sink[1], l.source[0]);
  EXPECT_GE(l.side[0]->fast_retransmits(), 4u);
  EXPECT_EQ(l.side[0]->timeout_retransmits(), 0u);
}

TEST(UtpConnection, SmallWritesCoalesceWhilePacketsAreInFlight) {
  utp_link l;
  l.dir[0].delay = l.dir[1].delay = 20ms;
  l.connect(41, 1);
  ASSERT_TRUE(l.run_until([&] { return both_connected(l); }, 1s));
  int data_packets = 0;
  l.dir[0].filter = [&](const std::vector<std::uint8_t>& b) {
    data_packets += (b[0] >> 4) == static_cast<int>(utp_type::data);
    return true;
  };
  // 500 writes of 17 bytes (a BEP 3 request each), 1 ms apart: 8.5 KB in 0.5 s.
  std::vector<std::uint8_t> all;
  for (int i = 0; i < 500; ++i) {
    const auto msg = random_bytes(17, static_cast<std::uint32_t>(100 + i));
    all.insert(all.end(), msg.begin(), msg.end());
    ASSERT_EQ(l.side[0]->write(msg, l.now), msg.size());
    l.inject(0, {});  // sends what the connection queued
    l.run_until([] { return false; }, 1ms);
  }
  ASSERT_TRUE(l.run_until([&] { return l.sink[1].size() == all.size(); }, 5s));
  EXPECT_EQ(l.sink[1], all);
  // About one packet per 40 ms round trip instead of one per write.
  EXPECT_LT(data_packets, 50);
  EXPECT_GT(data_packets, 5);
}

TEST(UtpConnection, TripleDuplicateAckAloneTriggersFastRetransmit) {
  // A peer that sends no selective ACK: three duplicate ST_STATEs resend the oldest packet.
  utp_link l;
  l.connect(15, 100);
  ASSERT_TRUE(l.run_until([&] { return both_connected(l); }, 1s));
  l.dir[0].dead = true;  // our data never arrives; we forge the acks instead
  l.source[0] = random_bytes(10'000, 7);
  l.inject(0, {});  // nothing: lets side 0 write
  auto& a = *l.side[0];
  const auto datagrams_before = a.fast_retransmits();
  utp_header h;
  h.type = utp_type::state;
  h.connection_id = a.recv_id();
  h.seq_nr = 1;  // side 1's next sequence number (accept_seq)
  h.ack_nr = 100;  // the SYN: nothing of the data
  h.wnd_size = 1 << 20;
  for (int i = 0; i < 3; ++i) l.inject(0, encode(h));
  EXPECT_EQ(a.fast_retransmits(), datagrams_before + 1);
  EXPECT_EQ(a.timeout_retransmits(), 0u);
}

TEST(UtpConnection, DeadLinkTimesOut) {
  utp_link l;
  l.source[0] = random_bytes(8 * MiB, 8);
  l.connect(17, 1);
  ASSERT_TRUE(l.run_until([&] { return l.sink[1].size() > MiB; }, 10s));
  l.dir[0].dead = l.dir[1].dead = true;
  const utp_time died = l.now;
  ASSERT_TRUE(l.run_until([&] { return l.side[0]->get_state() == state::timed_out; }, 300s));
  EXPECT_EQ(l.side[0]->error(), utp_errc::timed_out);
  // Six timeouts, doubling from at least 500 ms: 31.5 s at least; and not forever.
  EXPECT_GE(l.now - died, 31s);
  EXPECT_LE(l.now - died, 120s);
  EXPECT_EQ(l.side[0]->next_tick(), utp_time::max());
}

TEST(UtpConnection, LostSynIsSentAgain) {
  utp_link l;
  int syns = 0;
  l.dir[0].filter = [&](const std::vector<std::uint8_t>& b) {
    if ((b[0] >> 4) == static_cast<int>(utp_type::syn)) return ++syns > 1;
    return true;
  };
  l.connect(19, 1);
  ASSERT_TRUE(l.run_until([&] { return both_connected(l); }, 5s));
  EXPECT_EQ(syns, 2);
  EXPECT_GE(l.now - utp_time{std::chrono::seconds(1000)}, 1s);  // the initial 1 s timeout
}

TEST(UtpConnection, IdleConnectionSendsKeepalives) {
  utp_link l;
  int states = 0;
  l.connect(37, 1);
  ASSERT_TRUE(l.run_until([&] { return both_connected(l); }, 1s));
  l.dir[0].filter = [&](const std::vector<std::uint8_t>& b) {
    states += (b[0] >> 4) == static_cast<int>(utp_type::state);
    return true;
  };
  l.run_until([] { return false; }, 100s);
  EXPECT_EQ(states, 3);  // every 29 s of silence
  EXPECT_EQ(l.side[0]->get_state(), state::connected);
  EXPECT_EQ(l.side[1]->get_state(), state::connected);
}

TEST(UtpConnection, AcceptorSendsNoDataBeforeTheInitiatorHasItsState) {
  // The acceptor's ST_STATE (its first sequence number) is lost and it has data to send: if the
  // data went out at once and its first packet were lost too, the initiator would take the
  // second for the first. The acceptor waits until the initiator shows it has the ST_STATE.
  utp_link l;
  l.source[1] = random_bytes(100'000, 20);
  std::vector<int> first_types;
  int n = 0;
  bool data_dropped = false;
  l.dir[1].filter = [&](const std::vector<std::uint8_t>& b) {
    const int type = b[0] >> 4;
    if (first_types.size() < 2) first_types.push_back(type);
    if (++n == 1) return false;  // the ST_STATE answering the SYN
    if (type == static_cast<int>(utp_type::data) && !data_dropped) {
      data_dropped = true;  // and the first data packet
      return false;
    }
    return true;
  };
  l.connect(39, 1);
  ASSERT_TRUE(l.run_until([&] { return l.transferred(1); }, 10s));
  EXPECT_EQ(l.sink[0], l.source[1]);
  // The ST_STATE, then the ST_STATE again for the SYN sent again; no data in between.
  const int st = static_cast<int>(utp_type::state);
  EXPECT_EQ(first_types, (std::vector<int>{st, st}));
}

TEST(UtpConnection, ReceiverWindowIsRespectedWhenTheApplicationDoesNotRead) {
  utp_config cfg;
  cfg.receive_buffer = 256 * 1024;
  utp_link l(cfg);
  l.app_reads[1] = false;
  l.source[0] = random_bytes(2 * MiB, 9);
  l.connect(21, 1);
  std::int64_t worst_excess = 0;
  l.after_step = [&](utp_link& k) {
    if (!k.side[1]) return;
    EXPECT_LE(k.side[1]->readable(), cfg.receive_buffer);
    const auto& a = *k.side[0];
    worst_excess = std::max(worst_excess, a.bytes_in_flight() - static_cast<std::int64_t>(a.peer_window()));
  };
  l.run_until([] { return false; }, 10s);
  // Full but for less than a packet (the sender sends no runt packets into a small window).
  EXPECT_GT(l.side[1]->readable(), cfg.receive_buffer - l.side[0]->packet_size());
  EXPECT_LT(l.side[1]->advertised_window(), l.side[0]->packet_size());
  EXPECT_EQ(l.side[0]->get_state(), state::connected);
  // At most a window probe (one packet) beyond what the peer allowed.
  EXPECT_LE(worst_excess, static_cast<std::int64_t>(l.side[0]->packet_size()));
  l.app_reads[1] = true;
  l.inject(1, {});  // the application reads again
  ASSERT_TRUE(l.run_until([&] { return l.transferred(0); }, 60s));
  EXPECT_EQ(l.sink[1], l.source[0]);
}

TEST(UtpConnection, MtuProbingFindsThePathMtu) {
  utp_config cfg;
  cfg.packet_floor = utp_packet_floor(false);
  cfg.packet_ceiling = utp_packet_ceiling(1500, false);  // 1,472
  utp_link l(cfg);
  l.dir[0].mtu = 1400;
  l.dir[1].mtu = 1400;
  l.source[0] = random_bytes(4 * MiB, 10);
  l.connect(23, 1);
  ASSERT_TRUE(l.run_until([&] { return l.transferred(0); }, 60s));
  EXPECT_EQ(l.sink[1], l.source[0]);
  const auto& a = *l.side[0];
  EXPECT_FALSE(a.mtu().searching());
  EXPECT_LE(a.packet_size(), 1400u);
  EXPECT_GE(a.packet_size(), 1400u - utp_mtu_search::granularity);
  EXPECT_GT(l.probes_dropped, 0u);
  // A lost probe is no congestion: no timeout, no window collapse.
  EXPECT_EQ(a.timeout_retransmits(), 0u);
}

TEST(UtpConnection, MtuProbingReachesTheCeilingOnAWidePath) {
  utp_config cfg;
  cfg.packet_ceiling = utp_packet_ceiling(1500, false);
  utp_link l(cfg);
  l.source[0] = random_bytes(2 * MiB, 11);
  l.connect(25, 1);
  ASSERT_TRUE(l.run_until([&] { return l.transferred(0); }, 60s));
  EXPECT_GE(l.side[0]->packet_size(), 1472u - utp_mtu_search::granularity);
  EXPECT_EQ(l.probes_dropped, 0u);
}

TEST(UtpConnection, FinClosesBothSidesAfterAllData) {
  utp_link l;
  l.source[0] = random_bytes(MiB + 123, 12);
  l.source[1] = random_bytes(1000, 13);
  l.close_when_written[0] = true;
  l.connect(27, 1);
  ASSERT_TRUE(l.run_until([&] { return l.side[1] && l.side[1]->eof(); }, 30s));
  EXPECT_EQ(l.sink[1], l.source[0]);
  EXPECT_EQ(l.side[1]->get_state(), state::connected);  // half closed: side 1 may still send
  EXPECT_EQ(l.side[0]->get_state(), state::fin_sent);
  l.close_when_written[1] = true;
  l.inject(1, {});
  ASSERT_TRUE(l.run_until([&] {
    return l.side[0]->get_state() == state::closed && l.side[1]->get_state() == state::closed;
  }, 30s));
  EXPECT_EQ(l.sink[0], l.source[1]);
  EXPECT_TRUE(l.side[0]->eof());
  EXPECT_FALSE(l.side[0]->error());
  EXPECT_EQ(l.side[0]->write(std::span(l.source[0]), l.now), 0u);
}

TEST(UtpConnection, FinWithLossStillDeliversEverything) {
  utp_link l(utp_config{}, 3);
  l.source[0] = random_bytes(MiB, 14);
  l.dir[0].loss = l.dir[1].loss = 0.03;
  l.close_when_written[0] = l.close_when_written[1] = true;
  l.connect(29, 1);
  ASSERT_TRUE(l.run_until([&] {
    return l.side[1] && l.side[0]->get_state() == state::closed && l.side[1]->get_state() == state::closed;
  }, 120s)) << static_cast<int>(l.side[0]->get_state()) << " " << static_cast<int>(l.side[1]->get_state())
             << " " << l.sink[1].size() << " " << l.side[0]->eof() << l.side[1]->eof();
  EXPECT_EQ(l.sink[1], l.source[0]);
}

TEST(UtpConnection, ResetEndsThePeer) {
  utp_link l;
  l.source[0] = random_bytes(4 * MiB, 15);
  l.connect(31, 1);
  ASSERT_TRUE(l.run_until([&] { return l.sink[1].size() > 100'000; }, 10s));
  l.side[1]->abort(l.now);
  l.inject(1, {});  // sends the RESET
  ASSERT_TRUE(l.run_until([&] { return l.side[0]->get_state() == state::reset; }, 1s));
  EXPECT_EQ(l.side[0]->error(), utp_errc::connection_reset);
  EXPECT_EQ(l.side[1]->get_state(), state::closed);
  EXPECT_EQ(l.side[0]->next_tick(), utp_time::max());
}

TEST(UtpConnection, DataSentAgainWithAStaleAckIsTakenAndAcknowledged) {
  // A peer that resends a packet with the header of its first transmission (our ack was lost)
  // carries an ack_nr behind what it acknowledged since: the data must still be taken, or the
  // peer resends it until it gives up (seen with libtorrent 2.0 on a loaded loopback).
  utp_link l;
  l.source[0] = random_bytes(64 * 1024, 40);
  l.source[1] = random_bytes(64 * 1024, 41);
  l.connect(61, 1);
  ASSERT_TRUE(l.run_until([&] { return l.transferred(0) && l.transferred(1); }, 10s));
  l.run_until([] { return false; }, 200ms);  // every acknowledgement through: nothing in flight
  auto& b = *l.side[1];
  ASSERT_EQ(b.bytes_in_flight(), 0);
  const std::size_t before = l.sink[1].size();
  utp_header h;
  h.type = utp_type::data;
  h.connection_id = b.recv_id();
  h.seq_nr = static_cast<std::uint16_t>(b.ack_nr() + 1);
  h.ack_nr = static_cast<std::uint16_t>(b.seq_nr() - 20);  // behind b's acknowledged packets
  h.wnd_size = 1 << 20;
  const std::vector<std::uint8_t> payload(700, 0x5A);
  l.inject(1, encode(h, {}, payload));
  l.run_until([] { return false; }, 50ms);
  EXPECT_EQ(b.stale_ack_packets(), 1u);
  ASSERT_EQ(l.sink[1].size(), before + payload.size());
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), l.sink[1].end() - 700));
  EXPECT_EQ(b.ack_nr(), h.seq_nr);  // acknowledged
  // An ack_nr ahead of anything b sent is still a lie: dropped, data and all.
  const auto dropped = b.dropped_packets();
  h.seq_nr = static_cast<std::uint16_t>(b.ack_nr() + 1);
  h.ack_nr = static_cast<std::uint16_t>(b.seq_nr() + 100);
  l.inject(1, encode(h, {}, payload));
  l.run_until([] { return false; }, 50ms);
  EXPECT_EQ(b.dropped_packets(), dropped + 1);
  EXPECT_EQ(l.sink[1].size(), before + payload.size());
}

TEST(UtpConnection, HostilePacketsDoNotBreakATransfer) {
  utp_link l;
  l.source[0] = random_bytes(3 * MiB, 16);
  l.source[1] = random_bytes(MiB, 17);
  l.connect(33, 1);
  ASSERT_TRUE(l.run_until([&] { return l.sink[1].size() > MiB / 2; }, 10s));
  auto& a = *l.side[0];
  auto& b = *l.side[1];
  const std::vector<std::uint8_t> junk(1000, 0xAB);
  const std::vector<std::uint8_t> all_sacked(max_sack_bytes, 0xFF);
  for (int round = 0; round < 50; ++round) {
    utp_header h;
    h.type = utp_type::data;
    h.wnd_size = 0xFFFFFFFF;
    // Wrong connection id.
    h.connection_id = static_cast<std::uint16_t>(b.recv_id() + 7);
    h.seq_nr = static_cast<std::uint16_t>(round);
    l.inject(1, encode(h, {}, junk));
    // Right id, acknowledging packets b never sent.
    h.connection_id = b.recv_id();
    h.ack_nr = static_cast<std::uint16_t>(b.recv_id() + 30'000 + round);
    l.inject(1, encode(h, all_sacked, junk));
    // Right id, data far beyond the reorder window (and an ack of nothing ever sent).
    h.connection_id = a.recv_id();
    h.seq_nr = static_cast<std::uint16_t>(a.ack_nr() + 2000 + round);
    h.ack_nr = static_cast<std::uint16_t>(a.seq_nr() + 5 + round);
    l.inject(0, encode(h, {}, junk));
    h.ack_nr = static_cast<std::uint16_t>(b.ack_nr());  // now a true one: the data is what is dropped
    l.inject(0, encode(h, {}, junk));
    // A true acknowledgement with a huge window: taken, bounded.
    utp_header s;
    s.type = utp_type::state;
    s.connection_id = b.recv_id();
    s.seq_nr = a.seq_nr();
    s.ack_nr = a.ack_nr();
    s.wnd_size = 0xFFFFFFFF;
    l.inject(1, encode(s));
    EXPECT_EQ(b.peer_window(), utp_connection::max_peer_window);
    // A SYN into an established connection.
    h.type = utp_type::syn;
    l.inject(1, encode(h));
    l.run_until([] { return false; }, 20ms);
  }
  EXPECT_GT(b.dropped_packets(), 100u);
  EXPECT_GT(a.dropped_packets(), 0u);
  EXPECT_LE(a.cwnd(), utp_config{}.max_cwnd);
  ASSERT_TRUE(l.run_until([&] { return l.transferred(0) && l.transferred(1); }, 60s));
  EXPECT_EQ(l.sink[1], l.source[0]);
  EXPECT_EQ(l.sink[0], l.source[1]);
}

TEST(UtpConnection, WindowShrinksAboveTheTargetDelayAndGrowsBelow) {
  utp_config cfg;
  cfg.max_cwnd = 64 * 1024;  // a small ceiling keeps the simulated bytes few
  utp_link l(cfg);
  l.dir[0].delay = l.dir[1].delay = 10ms;
  l.source[0] = random_bytes(48 * MiB, 19);
  l.connect(43, 1);
  ASSERT_TRUE(l.run_until([&] { return l.sink[1].size() > 2 * MiB; }, 30s));  // base delay: 10 ms
  auto& a = *l.side[0];
  // A standing queue of 200 ms on the data's path: above the 100 ms target.
  l.dir[0].extra_delay = 200ms;
  l.run_until([] { return false; }, 1s);
  const std::int64_t high = a.cwnd();
  l.run_until([] { return false; }, 5s);
  EXPECT_GE(a.ledbat().queueing_delay(), 190ms);
  EXPECT_LT(a.cwnd(), high - 10'000);
  // The queue drains to 20 ms: below the target.
  l.dir[0].extra_delay = 20ms;
  l.run_until([] { return false; }, 1s);
  const std::int64_t low = a.cwnd();
  l.run_until([] { return false; }, 5s);
  EXPECT_LE(a.ledbat().queueing_delay(), 25ms);
  EXPECT_GT(a.cwnd(), low + 10'000);
  EXPECT_EQ(a.timeout_retransmits(), 0u);
}

TEST(UtpConnection, LedbatKeepsTheBottleneckQueueNearTheTarget) {
  utp_link l;
  l.dir[0].rate = 2'000'000;  // 2 MB/s bottleneck, 10 ms each way
  l.dir[0].delay = l.dir[1].delay = 10ms;
  l.source[0] = random_bytes(40 * MiB, 18);
  l.connect(35, 1);
  ASSERT_TRUE(l.run_until([&] { return l.sink[1].size() > 4 * MiB; }, 30s));
  // From here, sample the queueing delay the sender sees and the throughput.
  const std::size_t start_bytes = l.sink[1].size();
  const utp_time start = l.now;
  double sum = 0;
  int n = 0;
  utp_duration worst{0};
  l.after_step = [&](utp_link& k) {
    const auto d = k.side[0]->ledbat().queueing_delay();
    sum += static_cast<double>(d.count());
    ++n;
    worst = std::max(worst, d);
  };
  l.run_until([] { return false; }, 10s);
  const double mean_ms = sum / n / 1000;
  const double rate = static_cast<double>(l.sink[1].size() - start_bytes) /
                      std::chrono::duration<double>(l.now - start).count();
  std::printf("LEDBAT at a 2 MB/s bottleneck: mean queueing delay %.1f ms (worst %.1f), %.2f MB/s\n", mean_ms,
              static_cast<double>(worst.count()) / 1000, rate / 1e6);
  EXPECT_GT(mean_ms, 50);
  EXPECT_LT(mean_ms, 150);
  EXPECT_LT(worst, 300ms);
  EXPECT_GT(rate, 0.9 * 2'000'000);
}

}  // namespace
}  // namespace tessera::detail
