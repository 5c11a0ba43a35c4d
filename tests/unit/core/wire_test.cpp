#include "core/wire.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace tessera::detail::wire {
namespace {

using bytes = std::vector<std::uint8_t>;

constexpr std::uint32_t limit = 16 * 1024 + 9;

bytes from_string(std::string_view s) { return bytes(s.begin(), s.end()); }

/// Decodes `in` in one go and expects one whole message that uses every byte.
message decode_whole(const bytes& in) {
  auto r = decode_message(in, limit);
  EXPECT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.consumed, in.size());
  return r.msg;
}

template <class T>
T decode_as(const bytes& in) {
  auto msg = decode_whole(in);
  EXPECT_TRUE(std::holds_alternative<T>(msg)) << "variant index " << msg.index();
  if (auto* p = std::get_if<T>(&msg)) return *p;
  return T{};
}

TEST(Wire, EmptyMessagesRoundTripAsFiveBytes) {
  bytes out;
  write_choke(out);
  EXPECT_EQ(out, (bytes{0, 0, 0, 1, 0}));
  decode_as<choke>(out);
  out.clear();
  write_unchoke(out);
  EXPECT_EQ(out, (bytes{0, 0, 0, 1, 1}));
  decode_as<unchoke>(out);
  out.clear();
  write_interested(out);
  EXPECT_EQ(out, (bytes{0, 0, 0, 1, 2}));
  decode_as<interested>(out);
  out.clear();
  write_not_interested(out);
  EXPECT_EQ(out, (bytes{0, 0, 0, 1, 3}));
  decode_as<not_interested>(out);
}

TEST(Wire, KeepAliveIsFourZeroBytes) {
  bytes out;
  write_keep_alive(out);
  EXPECT_EQ(out, (bytes{0, 0, 0, 0}));
  decode_as<keep_alive>(out);
}

TEST(Wire, HaveRoundTripsBigEndianIndex) {
  bytes out;
  write_have(out, piece_index{0x01020304});
  EXPECT_EQ(out, (bytes{0, 0, 0, 5, 4, 1, 2, 3, 4}));
  EXPECT_EQ(decode_as<have>(out), have{piece_index{0x01020304}});
}

TEST(Wire, BitfieldRoundTripsItsBytes) {
  bytes bits{0xff, 0x80, 0x00, 0x41};
  bytes out;
  write_bitfield(out, bits);
  EXPECT_EQ(out.size(), 4u + 1 + bits.size());
  auto bf = decode_as<bitfield>(out);
  EXPECT_TRUE(std::ranges::equal(bf.bits, bits));
}

TEST(Wire, RequestAndCancelRoundTrip) {
  bytes out;
  request r{piece_index{7}, 16384, 16384};
  write_request(out, r);
  EXPECT_EQ(out, (bytes{0, 0, 0, 13, 6, 0, 0, 0, 7, 0, 0, 0x40, 0, 0, 0, 0x40, 0}));
  EXPECT_EQ(decode_as<request>(out), r);
  out.clear();
  cancel c{piece_index{123456}, 32768, 1000};
  write_cancel(out, c);
  EXPECT_EQ(out[4], 8);
  EXPECT_EQ(decode_as<cancel>(out), c);
}

TEST(Wire, PieceHeaderPlusDataDecodesToDataSpanIntoInput) {
  bytes out;
  bytes data(1000);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7);
  write_piece_header(out, piece_index{42}, 16384, static_cast<std::int32_t>(data.size()));
  EXPECT_EQ(out.size(), 13u);
  out.insert(out.end(), data.begin(), data.end());
  auto p = decode_as<piece>(out);
  EXPECT_EQ(p.piece, piece_index{42});
  EXPECT_EQ(p.begin, 16384);
  ASSERT_EQ(p.data.size(), data.size());
  EXPECT_EQ(p.data.data(), out.data() + 13);  // no copy: points into the input
  EXPECT_TRUE(std::ranges::equal(p.data, data));
}

TEST(Wire, PieceWithNoDataIsAccepted) {
  bytes out;
  write_piece_header(out, piece_index{1}, 0, 0);
  auto p = decode_as<piece>(out);
  EXPECT_TRUE(p.data.empty());
}

TEST(Wire, PortRoundTrips) {
  bytes out;
  write_port(out, 6881);
  EXPECT_EQ(out, (bytes{0, 0, 0, 3, 9, 0x1a, 0xe1}));
  EXPECT_EQ(decode_as<port>(out), port{6881});
}

TEST(Wire, ExtendedRoundTripsIdAndPayload) {
  bytes payload = from_string("d1:md11:ut_metadatai3eee");
  bytes out;
  write_extended(out, 0, payload);
  EXPECT_EQ(out[4], 20);
  auto e = decode_as<extended>(out);
  EXPECT_EQ(e.id, 0);
  EXPECT_TRUE(std::ranges::equal(e.payload, payload));
  out.clear();
  write_extended(out, 3, {});
  auto e2 = decode_as<extended>(out);
  EXPECT_EQ(e2.id, 3);
  EXPECT_TRUE(e2.payload.empty());
}

TEST(Wire, UnknownIdIsSkippedWithItsPayload) {
  // A made-up id without payload and one with a payload.
  bytes in{0, 0, 0, 1, 0x12, 0, 0, 0, 3, 0x63, 0xaa, 0xbb};
  auto r = decode_message(in, limit);
  ASSERT_FALSE(r.ec);
  EXPECT_EQ(r.consumed, 5u);
  auto u = std::get<unknown>(r.msg);
  EXPECT_EQ(u.id, 0x12);
  EXPECT_TRUE(u.payload.empty());
  auto rest = std::span(in).subspan(r.consumed);
  auto r2 = decode_message(rest, limit);
  ASSERT_FALSE(r2.ec);
  EXPECT_EQ(r2.consumed, 7u);
  auto u2 = std::get<unknown>(r2.msg);
  EXPECT_EQ(u2.id, 0x63);
  EXPECT_EQ(u2.payload.size(), 2u);
  EXPECT_EQ(u2.payload[1], 0xbb);
}

TEST(Wire, IncompleteUnknownIdIsHandedBackWithTheBytesToSkip) {
  // id 0x63 announcing 1000 bytes of body, 10 of them here: nothing to wait for.
  bytes in{0, 0, 0x03, 0xe8, 0x63};
  in.resize(in.size() + 10, 0xaa);
  auto r = decode_message(in, limit);
  ASSERT_FALSE(r.ec);
  EXPECT_EQ(r.consumed, in.size());
  EXPECT_EQ(r.skip, 4u + 1000u - in.size());
  auto u = std::get<unknown>(r.msg);
  EXPECT_EQ(u.id, 0x63);
  EXPECT_EQ(u.payload.size(), 10u);
  EXPECT_EQ(r.needed, 0u);
}

TEST(Wire, CompleteUnknownIdNeedsNoSkip) {
  bytes in{0, 0, 0, 3, 0x63, 1, 2, 0, 0, 0, 0};  // a keep-alive follows
  auto r = decode_message(in, limit);
  ASSERT_FALSE(r.ec);
  EXPECT_EQ(r.consumed, 7u);
  EXPECT_EQ(r.skip, 0u);
}

detail::hash_request sample_hash_request() {
  detail::hash_request r;
  for (int i = 0; i < 32; ++i) r.pieces_root.bytes[i] = static_cast<std::uint8_t>(i + 1);
  r.base_layer = 0;
  r.index = 4;
  r.length = 4;
  r.proof_layers = 3;  // uncles at layers 2 and 3
  return r;
}

TEST(Wire, HashRequestAndRejectDecodeTheirFields) {
  const auto r = sample_hash_request();
  bytes out;
  write_hash_request(out, r);
  EXPECT_EQ(out.size(), 4u + 1u + 48u);
  EXPECT_EQ(out[4], 21);
  EXPECT_EQ(decode_as<hash_request_msg>(out).request, r);
  out.clear();
  write_hash_reject(out, r);
  EXPECT_EQ(out[4], 23);
  EXPECT_EQ(decode_as<hash_reject_msg>(out).request, r);
}

TEST(Wire, HashesDecodeHeaderAndKeepThePayload) {
  const auto r = sample_hash_request();
  detail::hashes_message m{r, std::vector<sha256_hash>(4 + 2)};
  for (std::size_t i = 0; i < m.hashes.size(); ++i) m.hashes[i].bytes[0] = static_cast<std::uint8_t>(i + 7);
  bytes out;
  write_hashes(out, m);
  EXPECT_EQ(out[4], 22);
  const auto h = decode_as<hashes_msg>(out);
  EXPECT_EQ(h.request, r);
  EXPECT_EQ(h.payload.size(), 48u + 6u * 32u);
  auto full = decode_hashes(h.payload);
  ASSERT_TRUE(full);
  EXPECT_EQ(full->hashes, m.hashes);
}

TEST(Wire, HashMessagesOfTheWrongSizeAreErrors) {
  bytes req;
  write_hash_request(req, sample_hash_request());
  auto longer = req;
  longer[3] += 1;  // 50 bytes of body
  longer.push_back(0);
  EXPECT_EQ(decode_message(longer, limit).ec, wire_errc::bad_message_length);
  // A length judged on the prefix and id alone: no need to wait for the body.
  const bytes short_reject{0, 0, 0, 20, 23, 1, 2, 3};
  EXPECT_EQ(decode_message(short_reject, limit).ec, wire_errc::bad_message_length);
  // `hashes` whose hash count does not match its header (6 expected, 5 sent).
  detail::hashes_message m{sample_hash_request(), std::vector<sha256_hash>(5)};
  bytes out;
  write_hashes(out, m);
  EXPECT_EQ(decode_message(out, 1 << 20).ec, detail::hash_errc::bad_message_length);
}

TEST(Wire, HashRequestFieldsOutOfRangeAreErrors) {
  auto r = sample_hash_request();
  r.length = 3;  // not a power of two
  bytes out;
  write_hash_request(out, r);
  EXPECT_EQ(decode_message(out, limit).ec, detail::hash_errc::bad_request);
  r = sample_hash_request();
  r.index = 2;  // not a multiple of length
  out.clear();
  write_hash_reject(out, r);
  EXPECT_EQ(decode_message(out, limit).ec, detail::hash_errc::bad_request);
  r = sample_hash_request();
  r.base_layer = -1;
  out.clear();
  write_hashes(out, {r, std::vector<sha256_hash>(4)});
  EXPECT_EQ(decode_message(out, 1 << 20).ec, detail::hash_errc::bad_request);
}

TEST(Wire, IncompleteHashesAreBufferedNotSkipped) {
  detail::hashes_message m{sample_hash_request(), std::vector<sha256_hash>(6)};
  bytes out;
  write_hashes(out, m);
  auto r = decode_message(std::span(out).first(100), 1 << 20);
  ASSERT_FALSE(r.ec);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_EQ(r.skip, 0u);
  EXPECT_EQ(r.needed, out.size());
}

TEST(Wire, IncompleteKnownIdIsBufferedNotSkipped) {
  bytes in;
  write_piece_header(in, piece_index{0}, 0, 100);
  auto r = decode_message(in, limit);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_EQ(r.skip, 0u);
  EXPECT_EQ(r.needed, in.size() + 100);
}

TEST(Wire, UnknownIdLongerThanTheLimitIsStillAnError) {
  bytes in{0, 0x10, 0, 0, 0x63, 0};
  EXPECT_EQ(decode_message(in, limit).ec, wire_errc::message_too_long);
}

TEST(Wire, SeveralMessagesInOneBufferDecodeInOrder) {
  bytes buf;
  write_unchoke(buf);
  write_have(buf, piece_index{3});
  write_keep_alive(buf);
  write_request(buf, {piece_index{3}, 0, 16384});
  std::span<const std::uint8_t> rest = buf;
  std::vector<std::size_t> kinds;
  while (!rest.empty()) {
    auto r = decode_message(rest, limit);
    ASSERT_FALSE(r.ec);
    ASSERT_GT(r.consumed, 0u);
    kinds.push_back(r.msg.index());
    rest = rest.subspan(r.consumed);
  }
  EXPECT_EQ(kinds, (std::vector<std::size_t>{2, 5, 0, 7}));
}

TEST(Wire, PartialPrefixNeedsFourBytes) {
  bytes out;
  write_have(out, piece_index{9});
  for (std::size_t n = 0; n < 4; ++n) {
    auto r = decode_message(std::span(out).first(n), limit);
    EXPECT_FALSE(r.ec);
    EXPECT_EQ(r.consumed, 0u);
    EXPECT_EQ(r.needed, 4u) << n;
  }
}

TEST(Wire, PartialBodyNeedsWholeMessageLength) {
  bytes out;
  write_piece_header(out, piece_index{1}, 0, 100);
  out.resize(out.size() + 100, 0x5a);
  for (std::size_t n = 4; n < out.size(); ++n) {
    auto r = decode_message(std::span(out).first(n), limit);
    EXPECT_FALSE(r.ec) << n;
    EXPECT_EQ(r.consumed, 0u) << n;
    EXPECT_EQ(r.needed, out.size()) << n;
  }
  auto r = decode_message(out, limit);
  EXPECT_EQ(r.consumed, out.size());
}

TEST(Wire, FixedSizeMessagesWithWrongLengthAreRejected) {
  struct bad {
    std::uint8_t id;
    std::uint32_t length;
  };
  for (auto [id, length] : {bad{0, 2}, bad{1, 5}, bad{2, 3}, bad{3, 2}, bad{4, 4}, bad{4, 6},
                            bad{6, 12}, bad{6, 14}, bad{8, 17}, bad{9, 2}, bad{9, 4}}) {
    bytes in{0, 0, 0, static_cast<std::uint8_t>(length), id};
    in.resize(4 + length, 0);
    auto r = decode_message(in, limit);
    EXPECT_EQ(r.ec, wire_errc::bad_message_length) << int(id) << " length " << length;
    EXPECT_EQ(r.consumed, 0u);
  }
}

TEST(Wire, FastExtensionMessagesRoundTrip) {
  bytes out;
  write_have_all(out);
  EXPECT_EQ(out, (bytes{0, 0, 0, 1, 0x0e}));
  decode_as<have_all>(out);
  out.clear();
  write_have_none(out);
  EXPECT_EQ(out, (bytes{0, 0, 0, 1, 0x0f}));
  decode_as<have_none>(out);
  out.clear();
  write_suggest_piece(out, piece_index{0x01020304});
  EXPECT_EQ(out, (bytes{0, 0, 0, 5, 0x0d, 1, 2, 3, 4}));
  EXPECT_EQ(decode_as<suggest_piece>(out).piece, piece_index{0x01020304});
  out.clear();
  write_allowed_fast(out, piece_index{300});
  EXPECT_EQ(out, (bytes{0, 0, 0, 5, 0x11, 0, 0, 1, 0x2c}));
  EXPECT_EQ(decode_as<allowed_fast>(out).piece, piece_index{300});
  out.clear();
  write_reject_request(out, {piece_index{7}, 0x4000, 0x4000});
  EXPECT_EQ(out, (bytes{0, 0, 0, 13, 0x10, 0, 0, 0, 7, 0, 0, 0x40, 0, 0, 0, 0x40, 0}));
  EXPECT_EQ(decode_as<reject_request>(out), (reject_request{piece_index{7}, 0x4000, 0x4000}));
}

TEST(Wire, FastExtensionMessagesWithWrongLengthAreRejected) {
  struct bad {
    std::uint8_t id;
    std::uint32_t length;
  };
  for (auto [id, length] : {bad{0x0d, 1}, bad{0x0d, 4}, bad{0x0d, 6}, bad{0x0e, 2}, bad{0x0e, 5},
                            bad{0x0f, 2}, bad{0x10, 5}, bad{0x10, 12}, bad{0x10, 14},
                            bad{0x11, 1}, bad{0x11, 9}}) {
    bytes in{0, 0, 0, static_cast<std::uint8_t>(length), id};
    in.resize(4 + length, 0);
    auto r = decode_message(in, limit);
    EXPECT_EQ(r.ec, wire_errc::bad_message_length) << int(id) << " length " << length;
    EXPECT_EQ(r.consumed, 0u);
  }
  // A have_all claiming 1000 bytes is refused on its id alone, not skipped as it streams in.
  bytes in{0, 0, 0x03, 0xe8, 0x0e};
  EXPECT_EQ(decode_message(in, limit).ec, wire_errc::bad_message_length);
}

TEST(Wire, IncompleteFastExtensionMessageIsBufferedNotSkipped) {
  bytes in{0, 0, 0, 13, 0x10, 0, 0, 0};
  auto r = decode_message(in, limit);
  ASSERT_FALSE(r.ec);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_EQ(r.skip, 0u);
  EXPECT_EQ(r.needed, 17u);
}

TEST(Wire, FastBitIsReservedByteSevenMaskFour) {
  handshake h;
  EXPECT_FALSE(h.supports_fast());
  h.reserved[7] = 0x04;
  EXPECT_TRUE(h.supports_fast());
  h.reserved[7] = 0xfb;
  EXPECT_FALSE(h.supports_fast());
}

TEST(Wire, WrongLengthIsRejectedAsSoonAsTheIdArrives) {
  // A `have` claiming 1000 bytes: no need to wait for the body to know it is bad.
  bytes in{0, 0, 0x03, 0xe8, 4};
  auto r = decode_message(in, limit);
  EXPECT_EQ(r.ec, wire_errc::bad_message_length);
}

TEST(Wire, PieceAndExtendedShorterThanTheirHeadersAreRejected) {
  bytes short_piece{0, 0, 0, 8, 7, 0, 0, 0, 1, 0, 0, 0};
  EXPECT_EQ(decode_message(short_piece, limit).ec, wire_errc::bad_message_length);
  bytes short_extended{0, 0, 0, 1, 20};
  EXPECT_EQ(decode_message(short_extended, limit).ec, wire_errc::bad_message_length);
}

TEST(Wire, OversizedPrefixIsRejectedBeforeTheBodyArrives) {
  bytes in{0xff, 0xff, 0xff, 0xff};
  auto r = decode_message(in, limit);
  EXPECT_EQ(r.ec, wire_errc::message_too_long);
  EXPECT_EQ(r.consumed, 0u);
  bytes just_over{0, 0, 0x40, 0x0a};  // 16384 + 10
  EXPECT_EQ(decode_message(just_over, limit).ec, wire_errc::message_too_long);
  bytes at_limit{0, 0, 0x40, 0x09};  // 16384 + 9: allowed, needs its body
  auto ok = decode_message(at_limit, limit);
  EXPECT_FALSE(ok.ec);
  EXPECT_EQ(ok.needed, 4u + limit);
}

TEST(Wire, ErrorsHaveTheWireCategory) {
  std::error_code ec = wire_errc::bad_protocol;
  EXPECT_STREQ(ec.category().name(), "tessera.wire");
  EXPECT_FALSE(ec.message().empty());
  EXPECT_NE(std::error_code(wire_errc::message_too_long).message(),
            std::error_code(wire_errc::bad_message_length).message());
}

handshake sample_handshake() {
  handshake h;
  h.reserved[5] = 0x10;
  h.reserved[7] = 0x05;
  for (int i = 0; i < 20; ++i) {
    h.info_hash.bytes[i] = static_cast<std::uint8_t>(i);
    h.id.bytes[i] = static_cast<std::uint8_t>(200 + i);
  }
  return h;
}

TEST(Wire, HandshakeRoundTrips) {
  bytes out;
  const auto h = sample_handshake();
  write_handshake(out, h);
  ASSERT_EQ(out.size(), handshake_length);
  EXPECT_EQ(out[0], 19);
  EXPECT_EQ(std::string(out.begin() + 1, out.begin() + 20), "BitTorrent protocol");
  auto parsed = parse_handshake(out);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->reserved, h.reserved);
  EXPECT_EQ(parsed->info_hash, h.info_hash);
  EXPECT_EQ(parsed->id, h.id);
  EXPECT_TRUE(parsed->supports_extensions());
  EXPECT_TRUE(parsed->supports_fast());
  EXPECT_TRUE(parsed->supports_dht());
  EXPECT_FALSE(parsed->supports_v2());
}

TEST(Wire, V2BitIsReservedByteSevenMaskSixteen) {
  // BEP 52: reserved_byte[7] |= 0x10 announces v2 support.
  handshake h;
  EXPECT_FALSE(h.supports_v2());
  h.reserved[7] = 0x10;
  EXPECT_TRUE(h.supports_v2());
  EXPECT_FALSE(h.supports_dht());
  EXPECT_FALSE(h.supports_fast());
  h.reserved[7] = 0xef;  // every other bit
  EXPECT_FALSE(h.supports_v2());
}

TEST(Wire, HandshakeWithOtherProtocolStringIsRejected) {
  bytes out;
  write_handshake(out, sample_handshake());
  auto bad_len = out;
  bad_len[0] = 18;
  EXPECT_EQ(parse_handshake(bad_len).error(), wire_errc::bad_protocol);
  auto bad_text = out;
  bad_text[1] = 'b';
  EXPECT_EQ(parse_handshake(bad_text).error(), wire_errc::bad_protocol);
  auto http = from_string("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  http.resize(handshake_length, ' ');
  EXPECT_EQ(parse_handshake(http).error(), wire_errc::bad_protocol);
}

TEST(Wire, ShortHandshakeIsRejectedNotOverRead) {
  bytes out;
  write_handshake(out, sample_handshake());
  out.pop_back();
  EXPECT_FALSE(parse_handshake(out));
}

TEST(Wire, DecodingUnalignedInputWorks) {
  // The message starts at an odd address inside a bigger buffer.
  bytes buf(3, 0xee);
  write_request(buf, {piece_index{0x7fffffff}, 0x01020304, 16384});
  auto r = decode_message(std::span(buf).subspan(3), limit);
  ASSERT_FALSE(r.ec);
  EXPECT_EQ(std::get<request>(r.msg), (request{piece_index{0x7fffffff}, 0x01020304, 16384}));
}

}  // namespace
}  // namespace tessera::detail::wire
