#include "remote_select.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

using namespace tessera::cli;

namespace {

const std::vector<torrent_ref> torrents = {
    {1, "eb2c915f9a80c092e514e52efb940edeb13166a3"},
    {2, "424e9a9c5a85934d2152b0c1c4639487c862d7de"},
    {5, "eb2d000000000000000000000000000000000000"},
};

std::vector<std::int64_t> ok(std::vector<std::string> tokens) {
  auto r = resolve_ids(tokens, torrents);
  EXPECT_TRUE(r) << (r ? "" : r.error());
  return r ? *r : std::vector<std::int64_t>{};
}

std::string error(std::vector<std::string> tokens) {
  auto r = resolve_ids(tokens, torrents);
  EXPECT_FALSE(r);
  return r ? "" : r.error();
}

}  // namespace

TEST(ResolveIds, NumbersAndPrefixesInTheOrderGivenEachOnce) {
  EXPECT_EQ(ok({"2", "1"}), (std::vector<std::int64_t>{2, 1}));
  EXPECT_EQ(ok({"424e"}), (std::vector<std::int64_t>{2}));
  EXPECT_EQ(ok({"EB2C9", "1", "eb2c915f9a80c092e514e52efb940edeb13166a3"}), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(ok({"eb2d", "424E9A9C5A85934D2152B0C1C4639487C862D7DE"}), (std::vector<std::int64_t>{5, 2}));
  EXPECT_EQ(ok({}), (std::vector<std::int64_t>{}));
}

TEST(ResolveIds, UnknownNumberIsAnError) {
  EXPECT_EQ(error({"1", "7"}), "no torrent with ID 7");
  EXPECT_EQ(error({"3"}), "no torrent with ID 3");
  EXPECT_EQ(error({"99999999999999999999999"}), "no torrent with ID 99999999999999999999999");
}

TEST(ResolveIds, UnknownAndAmbiguousPrefixesAreErrors) {
  EXPECT_EQ(error({"ffff"}), "no torrent whose info-hash starts with 'ffff'");
  EXPECT_EQ(error({"eb2"}), "'eb2' is ambiguous: it starts the info-hash of torrents 1, 5");
  EXPECT_EQ(error({"e"}), "'e' is ambiguous: it starts the info-hash of torrents 1, 5");
}

TEST(ResolveIds, NeitherNumberNorHexIsAnError) {
  EXPECT_EQ(error({"xyz"}), "'xyz' is neither a torrent ID nor an info-hash prefix");
  EXPECT_EQ(error({"-1"}), "'-1' is neither a torrent ID nor an info-hash prefix");
  EXPECT_EQ(error({""}), "'' is neither a torrent ID nor an info-hash prefix");
  EXPECT_EQ(error({std::string(41, 'a')}), "'" + std::string(41, 'a') + "' is neither a torrent ID nor an info-hash prefix");
}

TEST(ResolveIds, FortyDigitsAreAHashNotANumber) {
  const std::vector<torrent_ref> digits = {{3, "1234567890123456789012345678901234567890"}};
  auto r = resolve_ids({"1234567890123456789012345678901234567890"}, digits);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<std::int64_t>{3}));
}

TEST(TorrentRefs, ReadsIdAndHashSkippingMalformedEntries) {
  auto v = boost::json::parse(R"({"torrents":[{"id":4,"hashString":"ABCD"},{"id":"x","hashString":"ef"},
      {"hashString":"12"},{"id":6},7,{"id":8,"hashString":"00ff"}]})");
  auto refs = torrent_refs_of(v.as_object());
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0].id, 4);
  EXPECT_EQ(refs[0].hash, "abcd");
  EXPECT_EQ(refs[1].id, 8);
  EXPECT_TRUE(torrent_refs_of(boost::json::object{}).empty());
  EXPECT_TRUE(torrent_refs_of(boost::json::parse(R"({"torrents":3})").as_object()).empty());
}

TEST(IndexList, NumbersAndRangesSortedOnce) {
  auto r = parse_index_list("3, 0,2-4 ,1-1");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(*r, (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  r = parse_index_list("7");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<std::int64_t>{7}));
}

TEST(IndexList, BadListsAreErrorsNamingThePart) {
  auto message = [](std::string_view text) {
    auto r = parse_index_list(text);
    EXPECT_FALSE(r) << text;
    return r ? std::string() : r.error();
  };
  EXPECT_EQ(message(""), "empty file list");
  EXPECT_EQ(message("1,,2"), "empty item in file list '1,,2'");
  EXPECT_EQ(message("1,"), "empty item in file list '1,'");
  EXPECT_EQ(message("a"), "'a' is not a file index or range (e.g. 0,2-4)");
  EXPECT_EQ(message("-3"), "'-3' is not a file index or range (e.g. 0,2-4)");
  EXPECT_EQ(message("1-2-3"), "'1-2-3' is not a file index or range (e.g. 0,2-4)");
  EXPECT_EQ(message("5-2"), "'5-2' is a reversed range");
  EXPECT_EQ(message("99999999"), "'99999999' is not a file index or range (e.g. 0,2-4)");
}
