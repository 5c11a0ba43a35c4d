// Tests for the bencode decoder and encoder (BEP 3).
#include "core/bencode.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tessera::detail {
namespace {

/// Decodes `in` and expects failure with `code` at `offset`.
void expect_error(std::string_view in, bencode_errc code, std::size_t offset,
                  const bdecode_limits& limits = {}) {
  auto r = bdecode(in, limits);
  ASSERT_FALSE(r) << "input: " << in;
  EXPECT_EQ(r.error().code, make_error_code(code)) << "input: " << in << " got " << r.error().message();
  EXPECT_EQ(r.error().offset, offset) << "input: " << in;
}

TEST(Bencode, DecodesIntegers) {
  EXPECT_EQ(bdecode("i0e")->as_int(), 0);
  EXPECT_EQ(bdecode("i42e")->as_int(), 42);
  EXPECT_EQ(bdecode("i-42e")->as_int(), -42);
  EXPECT_EQ(bdecode("i9223372036854775807e")->as_int(), INT64_MAX);
  EXPECT_EQ(bdecode("i-9223372036854775808e")->as_int(), INT64_MIN);
}

TEST(Bencode, RejectsMalformedIntegersAtTheirStart) {
  expect_error("i03e", bencode_errc::bad_integer, 0);
  expect_error("i-0e", bencode_errc::bad_integer, 0);
  expect_error("i-03e", bencode_errc::bad_integer, 0);
  expect_error("ie", bencode_errc::bad_integer, 0);
  expect_error("i-e", bencode_errc::bad_integer, 0);
  expect_error("i1x2e", bencode_errc::bad_integer, 0);
  expect_error("i+1e", bencode_errc::bad_integer, 0);
  expect_error("li1ei--1ee", bencode_errc::bad_integer, 4);
}

TEST(Bencode, RejectsIntegersOutsideInt64) {
  expect_error("i9223372036854775808e", bencode_errc::bad_integer, 0);
  expect_error("i-9223372036854775809e", bencode_errc::bad_integer, 0);
  expect_error("i99999999999999999999999999999e", bencode_errc::bad_integer, 0);
}

TEST(Bencode, DecodesStringsWithArbitraryBytes) {
  EXPECT_EQ(bdecode("0:")->as_string(), "");
  EXPECT_EQ(bdecode("4:spam")->as_string(), "spam");
  auto r = bdecode(std::string_view("3:\0\xff:", 5));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->as_string(), std::string("\0\xff:", 3));
}

TEST(Bencode, RejectsBadStringLengths) {
  expect_error("5:spam", bencode_errc::bad_string_length, 0);     // runs past the end
  expect_error("02:ab", bencode_errc::bad_string_length, 0);      // leading zero
  expect_error("l1:a3x:abce", bencode_errc::bad_string_length, 4);  // not a digit
  // Lengths that would overflow size_t, or that merely exceed the input, are refused early.
  expect_error("18446744073709551616:x", bencode_errc::bad_string_length, 0);
  expect_error("99999999999999999999999999999999999999:x", bencode_errc::bad_string_length, 0);
  expect_error("4294967296:x", bencode_errc::bad_string_length, 0);
}

TEST(Bencode, ReportsUnexpectedEndAtInputSize) {
  expect_error("", bencode_errc::unexpected_end, 0);
  expect_error("i12", bencode_errc::unexpected_end, 3);
  expect_error("1", bencode_errc::unexpected_end, 1);
  expect_error("l", bencode_errc::unexpected_end, 1);
  expect_error("li1e", bencode_errc::unexpected_end, 4);
  expect_error("d3:foo", bencode_errc::unexpected_end, 6);
  expect_error("d3:fooi1e", bencode_errc::unexpected_end, 9);
}

TEST(Bencode, RejectsBytesThatCannotStartAValue) {
  expect_error("x", bencode_errc::bad_token, 0);
  expect_error("e", bencode_errc::bad_token, 0);
  expect_error("li1e-e", bencode_errc::bad_token, 4);
}

TEST(Bencode, RejectsTrailingDataUnlessAllowed) {
  expect_error("i1ei2e", bencode_errc::trailing_data, 3);
  bdecode_limits lax;
  lax.allow_trailing = true;
  auto r = bdecode("i1ei2e", lax);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->as_int(), 1);
}

TEST(Bencode, PrefixReportsConsumedBytes) {
  std::size_t consumed = 0;
  auto r = bdecode_prefix("l1:ae garbage", &consumed);
  ASSERT_TRUE(r);
  EXPECT_EQ(consumed, 5u);
  ASSERT_EQ(r->as_list().size(), 1u);
}

TEST(Bencode, RejectsNonStringDictKeys) {
  expect_error("di1ei2ee", bencode_errc::key_not_string, 1);
  expect_error("d1:ai1eli1eei2ee", bencode_errc::key_not_string, 7);
}

TEST(Bencode, StrictModeRejectsUnsortedAndRepeatedKeys) {
  bdecode_limits strict;
  strict.strict_key_order = true;
  expect_error("d1:bi1e1:ai2ee", bencode_errc::unsorted_keys, 7, strict);
  expect_error("d1:ai1e1:ai2ee", bencode_errc::unsorted_keys, 7, strict);
  EXPECT_TRUE(bdecode("d1:ai1e1:bi2ee", strict));
  // Raw byte order: 0xff sorts after 'z'.
  EXPECT_TRUE(bdecode("d1:zi1e1:\xffi2ee", strict));
  expect_error("d1:\xffi1e1:zi2ee", bencode_errc::unsorted_keys, 7, strict);
}

TEST(Bencode, LaxModeAcceptsUnsortedKeysAndKeepsFirstRepeat) {
  auto r = bdecode("d1:bi1e1:ai2e1:bi3ee");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r->find_int("a"), 2);
  EXPECT_EQ(*r->find_int("b"), 1);
}

TEST(Bencode, EnforcesDepthLimit) {
  bdecode_limits limits;
  limits.max_depth = 3;
  EXPECT_TRUE(bdecode("lllleeee", bdecode_limits{}));
  EXPECT_TRUE(bdecode("llleee", limits));
  expect_error("lllleeee", bencode_errc::depth_exceeded, 3, limits);
  expect_error("d1:ad1:bd1:cleeee", bencode_errc::depth_exceeded, 12, limits);
  // The default limit protects the stack from deeply nested hostile input.
  std::string deep(100000, 'l');
  deep += std::string(100000, 'e');
  expect_error(deep, bencode_errc::depth_exceeded, 100);
}

TEST(Bencode, EnforcesItemLimit) {
  bdecode_limits limits;
  limits.max_items = 3;
  EXPECT_TRUE(bdecode("li1ei2ee", limits));
  expect_error("li1ei2ei3ee", bencode_errc::too_many_items, 7, limits);
  // Dictionary keys count as items.
  expect_error("d1:ai1e1:bi2ee", bencode_errc::too_many_items, 7, limits);
}

TEST(Bencode, ErrorMessageNamesTheOffset) {
  auto r = bdecode("li1ei03ee");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "bad integer at offset 4");
  EXPECT_STREQ(bencode_category().name(), "tessera.bencode");
}

TEST(Bencode, FindHelpersCheckTypes) {
  auto r = bdecode("d1:ai1e1:b1:x1:cle1:ddee");
  ASSERT_TRUE(r);
  EXPECT_NE(r->find_int("a"), nullptr);
  EXPECT_EQ(r->find_string("a"), nullptr);
  EXPECT_EQ(*r->find_string("b"), "x");
  EXPECT_NE(r->find_list("c"), nullptr);
  EXPECT_NE(r->find_dict("d"), nullptr);
  EXPECT_EQ(r->find_dict("c"), nullptr);
  EXPECT_EQ(r->find("zz"), nullptr);
  EXPECT_EQ(bvalue(5).find("a"), nullptr);
}

TEST(Bencode, EncodesCanonically) {
  bdict d;
  d["zeta"] = 1;
  d["alpha"] = blist{bvalue("x"), bvalue(-7), bvalue(bdict{})};
  d[std::string("\xff", 1)] = "";
  EXPECT_EQ(bencode(d), "d5:alphal1:xi-7edee4:zetai1e1:\xff" "0:e");
  EXPECT_EQ(bencode(bvalue(INT64_MIN)), "i-9223372036854775808e");
}

TEST(Bencode, RoundTripsValues) {
  const std::string docs[] = {
      "i0e", "0:", "le", "de", "d4:infod6:lengthi10e4:name3:abcee",
      "l4:spami-1ed3:cow3:mooee", std::string("5:\0\x01\x02\x03\x04", 7)};
  for (const auto& doc : docs) {
    auto r = bdecode(doc);
    ASSERT_TRUE(r) << doc;
    EXPECT_EQ(bencode(*r), doc);
  }
}

TEST(Bencode, ReencodingSortsUnsortedInput) {
  auto r = bdecode("d1:bi1e1:ai2ee");
  ASSERT_TRUE(r);
  EXPECT_EQ(bencode(*r), "d1:ai2e1:bi1ee");
}

TEST(Bencode, FindRawValueReturnsExactBytes) {
  const std::string doc = "d8:announce3:url4:infod4:name1:x1:ai1ee5:zzzzzi0ee";
  EXPECT_EQ(find_raw_value(doc, "info"), "d4:name1:x1:ai1ee");
  EXPECT_EQ(find_raw_value(doc, "announce"), "3:url");
  EXPECT_EQ(find_raw_value(doc, "zzzzz"), "i0e");
  EXPECT_TRUE(find_raw_value(doc, "name").empty());  // nested keys are not top-level
  EXPECT_TRUE(find_raw_value(doc, "missing").empty());
}

TEST(Bencode, FindRawValueIsEmptyOnMalformedInput) {
  EXPECT_TRUE(find_raw_value("d4:infode", "info").empty());  // truncated
  EXPECT_TRUE(find_raw_value("d4:infodeei1e", "info").empty());  // trailing
  EXPECT_TRUE(find_raw_value("l4:infodee", "info").empty());  // not a dict
  EXPECT_TRUE(find_raw_value("", "info").empty());
}

TEST(Bencode, FindRawValueUsesFirstRepeatLikeBdecode) {
  const std::string doc = "d4:infoi1e4:infoi2ee";
  EXPECT_EQ(find_raw_value(doc, "info"), "i1e");
  EXPECT_EQ(*bdecode(doc)->find_int("info"), 1);
}

}  // namespace
}  // namespace tessera::detail
