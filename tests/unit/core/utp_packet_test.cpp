// BEP 29 packet codec: round trips, every refusal, sequence arithmetic.
#include "core/utp_packet.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tessera::detail {
namespace {

std::vector<std::uint8_t> header_bytes(std::uint8_t type_ver, std::uint8_t ext) {
  std::vector<std::uint8_t> b(utp_header_size, 0);
  b[0] = type_ver;
  b[1] = ext;
  return b;
}

TEST(UtpPacket, RoundTripsHeaderSackAndPayload) {
  utp_header h;
  h.type = utp_type::state;
  h.connection_id = 0xBEEF;
  h.timestamp_us = 0x01020304;
  h.timestamp_diff_us = 0xFFFFFFFE;
  h.wnd_size = 1 << 20;
  h.seq_nr = 65535;
  h.ack_nr = 7;
  const std::vector<std::uint8_t> sack{0x05, 0, 0, 0x80};
  const std::vector<std::uint8_t> payload{'a', 'b', 'c'};
  std::vector<std::uint8_t> out;
  encode_utp_packet(out, h, sack, payload);
  ASSERT_EQ(out.size(), utp_header_size + 2 + sack.size() + payload.size());
  EXPECT_EQ(out[0], 0x21);  // type 2 in the high nibble, version 1 in the low
  EXPECT_EQ(out[1], utp_sack_extension);
  EXPECT_EQ(out[2], 0xBE);
  EXPECT_EQ(out[3], 0xEF);
  auto p = decode_utp_packet(out);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->header, h);
  EXPECT_EQ(std::vector<std::uint8_t>(p->sack.begin(), p->sack.end()), sack);
  EXPECT_EQ(std::vector<std::uint8_t>(p->payload.begin(), p->payload.end()), payload);
}

TEST(UtpPacket, RoundTripsEveryTypeWithoutExtensions) {
  for (int t = 0; t <= 4; ++t) {
    utp_header h;
    h.type = static_cast<utp_type>(t);
    h.seq_nr = static_cast<std::uint16_t>(t * 1000);
    std::vector<std::uint8_t> out;
    encode_utp_packet(out, h, {}, {});
    ASSERT_EQ(out.size(), utp_header_size);
    auto p = decode_utp_packet(out);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->header, h);
    EXPECT_TRUE(p->sack.empty());
    EXPECT_TRUE(p->payload.empty());
  }
}

TEST(UtpPacket, RefusesShortHeaders) {
  for (std::size_t n = 0; n < utp_header_size; ++n) {
    std::vector<std::uint8_t> b(n, 0x01);
    EXPECT_EQ(decode_utp_packet(b).error(), utp_errc::truncated_header) << n;
  }
}

TEST(UtpPacket, RefusesBadVersionAndType) {
  EXPECT_EQ(decode_utp_packet(header_bytes(0x00, 0)).error(), utp_errc::bad_version);
  EXPECT_EQ(decode_utp_packet(header_bytes(0x02, 0)).error(), utp_errc::bad_version);
  EXPECT_EQ(decode_utp_packet(header_bytes(0x51, 0)).error(), utp_errc::bad_type);
  EXPECT_EQ(decode_utp_packet(header_bytes(0xF1, 0)).error(), utp_errc::bad_type);
  EXPECT_TRUE(decode_utp_packet(header_bytes(0x41, 0)));
}

TEST(UtpPacket, RefusesExtensionChainsRunningPastThePacket) {
  auto b = header_bytes(0x01, 1);  // a SACK announced, no extension header
  EXPECT_EQ(decode_utp_packet(b).error(), utp_errc::truncated_extension);
  b.push_back(0);  // half a header
  EXPECT_EQ(decode_utp_packet(b).error(), utp_errc::truncated_extension);
  b.push_back(8);  // 8 bytes announced, 4 there
  b.insert(b.end(), 4, 0xFF);
  EXPECT_EQ(decode_utp_packet(b).error(), utp_errc::truncated_extension);
  b.insert(b.end(), 4, 0xFF);
  EXPECT_TRUE(decode_utp_packet(b));
  b[utp_header_size] = 77;  // the chain goes on to a 77 with no bytes left
  EXPECT_EQ(decode_utp_packet(b).error(), utp_errc::truncated_extension);
}

TEST(UtpPacket, RefusesBadSackLengths) {
  for (std::size_t len : {0, 1, 3, 5, 6, 132, 252}) {
    auto b = header_bytes(0x21, 1);
    b.push_back(0);
    b.push_back(static_cast<std::uint8_t>(len));
    b.insert(b.end(), len, 0);
    EXPECT_EQ(decode_utp_packet(b).error(), utp_errc::bad_sack_length) << len;
  }
  auto b = header_bytes(0x21, 1);
  b.push_back(0);
  b.push_back(static_cast<std::uint8_t>(max_sack_bytes));
  b.insert(b.end(), max_sack_bytes, 0);
  EXPECT_TRUE(decode_utp_packet(b));
}

TEST(UtpPacket, RefusesTwoSacks) {
  auto b = header_bytes(0x21, 1);
  b.insert(b.end(), {1, 4, 1, 0, 0, 0});
  b.insert(b.end(), {0, 4, 2, 0, 0, 0});
  EXPECT_EQ(decode_utp_packet(b).error(), utp_errc::duplicate_sack);
}

TEST(UtpPacket, SkipsUnknownExtensions) {
  auto b = header_bytes(0x01, 9);
  b.insert(b.end(), {1, 3, 'x', 'y', 'z'});  // extension 9, 3 bytes, then a SACK
  b.insert(b.end(), {0, 4, 0x0F, 0, 0, 0});
  b.insert(b.end(), {'d', 'a', 't', 'a'});
  auto p = decode_utp_packet(b);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->sack.size(), 4u);
  EXPECT_EQ(p->sack[0], 0x0F);
  EXPECT_EQ(std::string(p->payload.begin(), p->payload.end()), "data");
}

TEST(UtpPacket, BoundsChainsOfEmptyExtensions) {
  // Each empty extension names another: the chain advances 2 bytes at a time but is cut at
  // max_extensions, whatever the datagram's size.
  auto b = header_bytes(0x01, 9);
  for (std::size_t i = 0; i < max_extensions; ++i) b.insert(b.end(), {9, 0});
  EXPECT_EQ(decode_utp_packet(b).error(), utp_errc::too_many_extensions);
  b.back() = 0;
  b[b.size() - 2] = 0;  // the last one ends the chain
  EXPECT_TRUE(decode_utp_packet(b));
}

TEST(UtpPacket, SequenceArithmeticWraps) {
  EXPECT_EQ(seq_distance(65535, 0), 1);
  EXPECT_EQ(seq_distance(65530, 4), 10);
  EXPECT_TRUE(seq_less(65535, 0));
  EXPECT_TRUE(seq_less(65000, 100));
  EXPECT_FALSE(seq_less(100, 65000));
  EXPECT_FALSE(seq_less(5, 5));
}

TEST(UtpPacket, ErrorsHaveACategory) {
  const std::error_code ec = utp_errc::bad_sack_length;
  EXPECT_STREQ(ec.category().name(), "tessera.utp");
  EXPECT_FALSE(ec.message().empty());
}

}  // namespace
}  // namespace tessera::detail
