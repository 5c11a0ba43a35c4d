// Tests for the ut_metadata codec and the metadata assembler (BEP 9).
#include "core/ut_metadata.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tessera/hasher.hpp"

namespace tessera::detail {
namespace {

info_hash_t v1_of(std::string_view s) { return info_hash_t::from_v1(sha1(s)); }

std::string info_bytes(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 31 + 7) & 0xff);
  return s;
}

void expect_parse_error(std::string_view payload, extension_errc e) {
  auto m = parse_metadata_message(payload);
  ASSERT_FALSE(m) << payload;
  EXPECT_EQ(m.error(), make_error_code(e)) << payload << ": " << m.error().message();
}

TEST(UtMetadata, RequestAndRejectRoundTrip) {
  EXPECT_EQ(make_metadata_request(2), "d8:msg_typei0e5:piecei2ee");
  auto r = parse_metadata_message(make_metadata_request(2));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, metadata_msg_type::request);
  EXPECT_EQ(r->piece, 2);
  auto j = parse_metadata_message(make_metadata_reject(5));
  ASSERT_TRUE(j);
  EXPECT_EQ(j->type, metadata_msg_type::reject);
  EXPECT_EQ(j->piece, 5);
  EXPECT_TRUE(j->data.empty());
}

TEST(UtMetadata, DataMessageCarriesTrailingPieceBytes) {
  const std::string info = info_bytes(20000);
  const std::string last = info.substr(16384);
  const std::string payload = make_metadata_data(1, 20000, last);
  auto m = parse_metadata_message(payload);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->type, metadata_msg_type::data);
  EXPECT_EQ(m->piece, 1);
  EXPECT_EQ(m->total_size, 20000);
  EXPECT_EQ(m->data, last);
  auto first = parse_metadata_message(make_metadata_data(0, 20000, info.substr(0, 16384)));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->data.size(), 16384u);
}

TEST(UtMetadata, RejectsMalformedMessages) {
  expect_parse_error("", extension_errc::bad_bencode);
  expect_parse_error("d8:msg_type", extension_errc::bad_bencode);
  expect_parse_error("li0ee", extension_errc::not_a_dictionary);
  expect_parse_error("d5:piecei0ee", extension_errc::bad_msg_type);
  expect_parse_error("d8:msg_typei3e5:piecei0ee", extension_errc::bad_msg_type);
  expect_parse_error("d8:msg_typei-1e5:piecei0ee", extension_errc::bad_msg_type);
  expect_parse_error("d8:msg_typei0ee", extension_errc::bad_piece);
  expect_parse_error("d8:msg_typei0e5:piecei-1ee", extension_errc::bad_piece);
  expect_parse_error("d8:msg_typei0e5:piecei1024ee", extension_errc::bad_piece);
  expect_parse_error("d8:msg_typei1e5:piecei0ee", extension_errc::bad_metadata_size);
  expect_parse_error("d8:msg_typei1e5:piecei0e10:total_sizei0ee", extension_errc::bad_metadata_size);
  expect_parse_error("d8:msg_typei1e5:piecei0e10:total_sizei16777217ee", extension_errc::bad_metadata_size);
  expect_parse_error("d8:msg_typei1e5:piecei1e10:total_sizei100ee" + std::string(100, 'x'), extension_errc::bad_piece);
  expect_parse_error("d8:msg_typei1e5:piecei0e10:total_sizei100ee" + std::string(99, 'x'),
                     extension_errc::bad_piece_length);
  expect_parse_error("d8:msg_typei1e5:piecei0e10:total_sizei100ee" + std::string(101, 'x'),
                     extension_errc::bad_piece_length);
}

TEST(UtMetadata, PieceCountRoundsUp) {
  EXPECT_EQ(metadata_piece_count(1), 1);
  EXPECT_EQ(metadata_piece_count(16384), 1);
  EXPECT_EQ(metadata_piece_count(16385), 2);
  EXPECT_EQ(metadata_piece_count(0), 0);
  EXPECT_EQ(metadata_piece_count(max_metadata_size + 1), 0);
}

TEST(MetadataAssembler, AssemblesPiecesInAnyOrderAndVerifies) {
  const std::string info = info_bytes(40000);
  metadata_assembler a(v1_of(info));
  ASSERT_FALSE(a.set_size(40000));
  EXPECT_EQ(a.piece_count(), 3);
  EXPECT_EQ(a.missing_pieces(), (std::vector<std::int32_t>{0, 1, 2}));
  EXPECT_EQ(a.add_piece(2, info.substr(32768)).value(), false);
  EXPECT_EQ(a.add_piece(0, info.substr(0, 16384)).value(), false);
  EXPECT_EQ(a.add_piece(0, info.substr(0, 16384)).value(), false);  // duplicate ignored
  EXPECT_EQ(a.pieces_received(), 2);
  EXPECT_TRUE(a.have_piece(2));
  EXPECT_FALSE(a.have_piece(1));
  EXPECT_EQ(a.missing_pieces(), (std::vector<std::int32_t>{1}));
  EXPECT_TRUE(a.take_info().empty());  // not complete yet
  EXPECT_EQ(a.add_piece(1, info.substr(16384, 16384)).value(), true);
  EXPECT_EQ(a.take_info(), info);
  EXPECT_FALSE(a.has_size());
}

TEST(MetadataAssembler, HashMismatchResetsPiecesButKeepsSize) {
  const std::string info = info_bytes(20000);
  metadata_assembler a(v1_of(info));
  ASSERT_FALSE(a.set_size(20000));
  ASSERT_TRUE(a.add_piece(0, info.substr(0, 16384)));
  std::string bad = info.substr(16384);
  bad[0] ^= 1;
  auto r = a.add_piece(1, bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error_code(extension_errc::hash_mismatch));
  EXPECT_EQ(a.pieces_received(), 0);
  EXPECT_EQ(a.size(), 20000);
  // A retry from an honest peer then succeeds.
  EXPECT_EQ(a.add_piece(1, info.substr(16384)).value(), false);
  EXPECT_EQ(a.add_piece(0, info.substr(0, 16384)).value(), true);
  EXPECT_EQ(a.take_info(), info);
}

TEST(MetadataAssembler, RejectsBadPieces) {
  metadata_assembler a(v1_of("x"));
  EXPECT_EQ(a.add_piece(0, "x").error(), make_error_code(extension_errc::no_metadata_size));
  EXPECT_EQ(a.set_size(0), make_error_code(extension_errc::bad_metadata_size));
  EXPECT_EQ(a.set_size(max_metadata_size + 1), make_error_code(extension_errc::bad_metadata_size));
  ASSERT_FALSE(a.set_size(20000));
  EXPECT_EQ(a.add_piece(2, std::string(100, 'a')).error(), make_error_code(extension_errc::bad_piece));
  EXPECT_EQ(a.add_piece(-1, std::string(100, 'a')).error(), make_error_code(extension_errc::bad_piece));
  EXPECT_EQ(a.add_piece(0, std::string(100, 'a')).error(), make_error_code(extension_errc::bad_piece_length));
  EXPECT_EQ(a.add_piece(1, std::string(3617, 'a')).error(), make_error_code(extension_errc::bad_piece_length));
  EXPECT_EQ(a.pieces_received(), 0);
}

TEST(MetadataAssembler, ChangingSizeDiscardsPieces) {
  const std::string info = info_bytes(20000);
  metadata_assembler a(v1_of(info));
  ASSERT_FALSE(a.set_size(20000));
  ASSERT_TRUE(a.add_piece(0, info.substr(0, 16384)));
  ASSERT_FALSE(a.set_size(20000));
  EXPECT_EQ(a.pieces_received(), 1);  // same size keeps pieces
  ASSERT_FALSE(a.set_size(30000));
  EXPECT_EQ(a.pieces_received(), 0);
  EXPECT_EQ(a.piece_count(), 2);
}

TEST(MetadataAssembler, AddDataChecksTotalSize) {
  const std::string info = info_bytes(100);
  metadata_assembler a(v1_of(info));
  ASSERT_FALSE(a.set_size(100));
  const std::string wrong = make_metadata_data(0, 99, info.substr(0, 99));
  auto wm = parse_metadata_message(wrong);
  ASSERT_TRUE(wm);
  EXPECT_EQ(a.add_data(*wm).error(), make_error_code(extension_errc::metadata_size_mismatch));
  auto req = parse_metadata_message(make_metadata_request(0));
  EXPECT_EQ(a.add_data(*req).error(), make_error_code(extension_errc::bad_msg_type));
  const std::string good = make_metadata_data(0, 100, info);
  auto gm = parse_metadata_message(good);
  ASSERT_TRUE(gm);
  EXPECT_EQ(a.add_data(*gm).value(), true);
  EXPECT_EQ(a.take_info(), info);
}

TEST(MetadataAssembler, VerifiesV2AndHybridInfoHashes) {
  const std::string info = info_bytes(100);
  // v2 only: the SHA-256 of the info dictionary (BEP 52).
  metadata_assembler v2(info_hash_t{{}, sha256(info)});
  ASSERT_FALSE(v2.set_size(100));
  EXPECT_EQ(v2.add_piece(0, info).value(), true);
  EXPECT_EQ(v2.take_info(), info);
  // Hybrid: both must match; a right v1 with a wrong v2 fails.
  metadata_assembler hybrid(info_hash_t{sha1(info), sha256(info)});
  ASSERT_FALSE(hybrid.set_size(100));
  EXPECT_EQ(hybrid.add_piece(0, info).value(), true);
  sha256_hash wrong = sha256(info);
  wrong.bytes[0] ^= 1;
  metadata_assembler bad(info_hash_t{sha1(info), wrong});
  ASSERT_FALSE(bad.set_size(100));
  EXPECT_EQ(bad.add_piece(0, info).error(), make_error_code(extension_errc::hash_mismatch));
  // No hash at all: nothing can pass.
  metadata_assembler none{info_hash_t{}};
  ASSERT_FALSE(none.set_size(100));
  EXPECT_EQ(none.add_piece(0, info).error(), make_error_code(extension_errc::hash_mismatch));
}

}  // namespace
}  // namespace tessera::detail
