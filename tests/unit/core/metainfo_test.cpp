// Tests for .torrent parsing and validation (BEP 3, 5 `nodes`, 12, 19, 27, 47).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "../support/address_space_limit.hpp"
#include "core/bencode.hpp"
#include "tessera/hasher.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera {
namespace {

using detail::bdict;
using detail::bencode;
using detail::blist;
using detail::bvalue;

/// `n` distinct 20-byte piece hashes.
std::string pieces(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += std::string(20, static_cast<char>('a' + i % 26));
  return out;
}

bdict single_info(std::int64_t length = 40000, std::int64_t piece_length = 16384) {
  bdict info;
  info["name"] = "file.bin";
  info["piece length"] = piece_length;
  info["length"] = length;
  info["pieces"] = pieces(static_cast<std::size_t>((length + piece_length - 1) / piece_length));
  return info;
}

bdict file(std::int64_t length, blist path, std::string attr = {}) {
  bdict f;
  f["length"] = length;
  f["path"] = std::move(path);
  if (!attr.empty()) f["attr"] = attr;
  return f;
}

/// A multi-file info dict; `pieces` is sized to the files with piece length 16 KiB.
bdict multi_info(blist files) {
  std::int64_t total = 0;
  for (const auto& f : files)
    if (const auto* len = f.find_int("length"); len && *len > 0 && *len < (1 << 30)) total += *len;
  bdict info;
  info["name"] = "folder";
  info["piece length"] = 16384;
  info["pieces"] = pieces(static_cast<std::size_t>((total + 16383) / 16384));
  info["files"] = std::move(files);
  return info;
}

std::string torrent(bdict info, bdict extra = {}) {
  extra["info"] = std::move(info);
  if (!extra.contains("announce")) extra["announce"] = "http://127.0.0.1:6969/announce";
  return bencode(extra);
}

std::error_code parse_error(const std::string& data) {
  auto r = parse_torrent(data);
  return r ? std::error_code{} : r.error();
}

std::error_code info_error(bdict info) { return parse_error(torrent(std::move(info))); }

TEST(Metainfo, ParsesSingleFileTorrent) {
  bdict info = single_info(40000);
  info["private"] = 1;
  bdict extra;
  extra["comment"] = "hello";
  extra["created by"] = "tessera test";
  extra["creation date"] = std::int64_t{1700000000};
  const std::string data = torrent(info, extra);
  auto r = parse_torrent(data);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->name(), "file.bin");
  EXPECT_FALSE(r->multi_file());
  EXPECT_EQ(r->piece_length(), 16384);
  EXPECT_EQ(r->total_size(), 40000);
  ASSERT_EQ(r->num_pieces(), 3);
  EXPECT_EQ(r->piece_hashes()[1], *sha1_hash::from_bytes(std::string(20, 'b')));
  EXPECT_EQ(r->piece_size(piece_index{0}), 16384);
  EXPECT_EQ(r->piece_size(piece_index{2}), 40000 - 2 * 16384);
  ASSERT_EQ(r->files().size(), 1u);
  EXPECT_EQ(r->files()[0].path, "file.bin");
  EXPECT_EQ(r->files()[0].size, 40000);
  EXPECT_EQ(r->files()[0].offset, 0);
  EXPECT_TRUE(r->is_private());
  EXPECT_EQ(r->comment(), "hello");
  EXPECT_EQ(r->created_by(), "tessera test");
  EXPECT_EQ(r->creation_date(), 1700000000);
  EXPECT_EQ(r->info_bytes(), bencode(info));
  EXPECT_EQ(r->info_hash().v1, sha1(bencode(info)));
  EXPECT_FALSE(r->info_hash().has_v2());  // a v1 torrent
}

TEST(Metainfo, InfoDictionaryAloneParsesAndWrapsIntoATorrentFileWithTheSameInfoHash) {
  const std::string info = bencode(single_info(40000));
  auto bare = parse_info_dictionary(info);
  ASSERT_TRUE(bare) << bare.error().message();
  EXPECT_EQ(bare->info_hash().v1, sha1(info));
  EXPECT_TRUE(bare->trackers().empty());
  EXPECT_FALSE(parse_info_dictionary("i1e"));

  const std::vector<std::vector<std::string>> tiers = {{"http://a/announce", "udp://b:1"}, {"http://c/x"}};
  auto file = parse_torrent(make_torrent_file(info, tiers));
  ASSERT_TRUE(file) << file.error().message();
  EXPECT_EQ(file->info_hash().v1, sha1(info));
  EXPECT_EQ(file->info_bytes(), info);
  EXPECT_EQ(file->trackers(), tiers);
  auto no_trackers = parse_torrent(make_torrent_file(info, {}));
  ASSERT_TRUE(no_trackers);
  EXPECT_TRUE(no_trackers->trackers().empty());
  EXPECT_TRUE(no_trackers->web_seeds().empty());

  const std::vector<std::string> seeds = {"http://w/one/", "https://w/two"};
  auto with_seeds = parse_torrent(make_torrent_file(info, tiers, seeds));
  ASSERT_TRUE(with_seeds) << with_seeds.error().message();
  EXPECT_EQ(with_seeds->info_bytes(), info);
  EXPECT_EQ(with_seeds->trackers(), tiers);
  EXPECT_EQ(with_seeds->web_seeds(), seeds);
}

TEST(Metainfo, SpanOverloadMatchesStringOverload) {
  const std::string data = torrent(single_info());
  auto a = parse_torrent(data);
  auto b = parse_torrent(std::as_bytes(std::span(data.data(), data.size())));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->info_hash(), b->info_hash());
}

TEST(Metainfo, ParsesMultiFileTorrentWithNestedPathsAndOffsets) {
  auto r = parse_torrent(torrent(multi_info({
      file(10, {"a.txt"}),
      file(0, {"sub", "empty"}),
      file(30000, {"sub", "deeper", "c.dat"}),
  })));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->multi_file());
  EXPECT_EQ(r->name(), "folder");
  ASSERT_EQ(r->files().size(), 3u);
  EXPECT_EQ(r->files()[0].path, "folder/a.txt");
  EXPECT_EQ(r->files()[1].path, "folder/sub/empty");
  EXPECT_EQ(r->files()[2].path, "folder/sub/deeper/c.dat");
  EXPECT_EQ(r->files()[0].offset, 0);
  EXPECT_EQ(r->files()[1].offset, 10);
  EXPECT_EQ(r->files()[1].size, 0);
  EXPECT_EQ(r->files()[2].offset, 10);
  EXPECT_EQ(r->total_size(), 30010);
  EXPECT_EQ(r->num_pieces(), 2);
  EXPECT_FALSE(r->is_private());
}

TEST(Metainfo, ReadsPaddingAndAttributes) {
  auto r = parse_torrent(torrent(multi_info({
      file(100, {"a"}, "x"),
      file(16284, {".pad", "16284"}, "p"),
      file(100, {"b"}, "h"),
      file(16284, {".pad", "16284"}, "p"),  // same conventional pad path: allowed
      file(1, {"c"}),
  })));
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->files().size(), 5u);
  EXPECT_TRUE(r->files()[0].executable);
  EXPECT_FALSE(r->files()[0].pad);
  EXPECT_TRUE(r->files()[1].pad);
  EXPECT_EQ(r->files()[1].path, "folder/.pad/16284");
  EXPECT_TRUE(r->files()[2].hidden);
  EXPECT_TRUE(r->files()[3].pad);
  EXPECT_EQ(r->files()[2].offset, 16384);
  EXPECT_EQ(r->files()[4].offset, 32768);
  EXPECT_EQ(r->total_size(), 32769);  // padding counts toward the torrent's byte stream
  EXPECT_EQ(r->num_pieces(), 3);
}

TEST(Metainfo, PrefersUtf8NameAndPath) {
  bdict f = file(5, {"legacy"});
  f["path.utf-8"] = blist{"d\xc3\xa9j\xc3\xa0", "vu.txt"};
  bdict info = multi_info({f});
  info["name.utf-8"] = "caf\xc3\xa9";
  auto r = parse_torrent(torrent(info));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->name(), "caf\xc3\xa9");
  EXPECT_EQ(r->files()[0].path, "caf\xc3\xa9/d\xc3\xa9j\xc3\xa0/vu.txt");
}

TEST(Metainfo, Utf8PathIsSanitisedToo) {
  bdict f = file(5, {"fine"});
  f["path.utf-8"] = blist{"..", "etc"};
  EXPECT_EQ(info_error(multi_info({f})), metainfo_errc::bad_path);
  bdict info = single_info();
  info["name.utf-8"] = "..";
  EXPECT_EQ(info_error(info), metainfo_errc::bad_path);
}

TEST(Metainfo, KeepsPasskeyAnnounceUrlVerbatim) {
  bdict extra;
  extra["announce"] = "http://127.0.0.1:6969/announce?passkey=0123abcd&x=%20";
  auto r = parse_torrent(torrent(single_info(), extra));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->trackers().size(), 1u);
  EXPECT_EQ(r->trackers()[0], std::vector<std::string>{"http://127.0.0.1:6969/announce?passkey=0123abcd&x=%20"});
}

TEST(Metainfo, AnnounceListTiersWinOverAnnounce) {
  bdict extra;
  extra["announce"] = "http://127.0.0.1:1/ignored";
  extra["announce-list"] = blist{
      blist{"http://127.0.0.1:2/a", "udp://127.0.0.1:3"},
      blist{},                               // empty tier: dropped
      blist{bvalue(5), "http://127.0.0.1:4/c", ""},  // non-strings and empty URLs dropped
      bvalue("not a tier"),
  };
  auto r = parse_torrent(torrent(single_info(), extra));
  ASSERT_TRUE(r);
  const std::vector<std::vector<std::string>> expected{
      {"http://127.0.0.1:2/a", "udp://127.0.0.1:3"}, {"http://127.0.0.1:4/c"}};
  EXPECT_EQ(r->trackers(), expected);
}

TEST(Metainfo, EmptyAnnounceListFallsBackToAnnounce) {
  bdict extra;
  extra["announce"] = "http://127.0.0.1:1/announce";
  extra["announce-list"] = blist{blist{}};
  auto r = parse_torrent(torrent(single_info(), extra));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->trackers().size(), 1u);
  EXPECT_EQ(r->trackers()[0][0], "http://127.0.0.1:1/announce");
}

TEST(Metainfo, NoTrackersIsAllowed) {
  bdict extra;
  extra["announce"] = "";
  auto r = parse_torrent(torrent(single_info(), extra));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->trackers().empty());
}

TEST(Metainfo, UrlListAsString) {
  bdict extra;
  extra["url-list"] = "http://127.0.0.1:8000/files/";
  auto r = parse_torrent(torrent(single_info(), extra));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->web_seeds(), std::vector<std::string>{"http://127.0.0.1:8000/files/"});
}

TEST(Metainfo, UrlListAsList) {
  bdict extra;
  extra["url-list"] = blist{"http://127.0.0.1:8000/a", bvalue(1), "http://127.0.0.1:8001/b"};
  auto r = parse_torrent(torrent(single_info(), extra));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->web_seeds(), (std::vector<std::string>{"http://127.0.0.1:8000/a", "http://127.0.0.1:8001/b"}));
}

TEST(Metainfo, DhtNodesAreHostPortPairsAndMalformedEntriesAreSkipped) {
  bdict extra;
  extra["nodes"] = blist{
      blist{"127.0.0.1", bvalue(6881)},
      blist{"localhost", bvalue(7000)},
      blist{"::1", bvalue(65535)},
      bvalue("127.0.0.1:6881"),                     // not a list
      blist{"127.0.0.1"},                           // no port
      blist{bvalue(6881), "127.0.0.1"},             // swapped
      blist{"", bvalue(6881)},                      // empty host
      blist{std::string(254, 'h'), bvalue(6881)},   // host longer than a DNS name
      blist{std::string("a\0b", 3), bvalue(6881)}, // NUL inside
      blist{"127.0.0.1", bvalue(0)},                // port out of range
      blist{"127.0.0.1", bvalue(65536)},
      blist{"127.0.0.1", bvalue(6881), bvalue(1)},  // not a pair
  };
  auto r = parse_torrent(torrent(single_info(), extra));
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->dht_nodes().size(), 3u);
  EXPECT_EQ(r->dht_nodes()[0].host, "127.0.0.1");
  EXPECT_EQ(r->dht_nodes()[0].port, 6881);
  EXPECT_EQ(r->dht_nodes()[1].host, "localhost");
  EXPECT_EQ(r->dht_nodes()[1].port, 7000);
  EXPECT_EQ(r->dht_nodes()[2].host, "::1");
  EXPECT_EQ(r->dht_nodes()[2].port, 65535);
}

TEST(Metainfo, DhtNodesAreBoundedAndAbsentOrNonListNodesGiveNone) {
  blist many;
  for (int i = 0; i < 1000; ++i) many.push_back(blist{"127.0.0.1", bvalue(1000 + i)});
  bdict extra;
  extra["nodes"] = std::move(many);
  auto r = parse_torrent(torrent(single_info(), extra));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->dht_nodes().size(), max_torrent_dht_nodes);
  EXPECT_EQ(r->dht_nodes().back().port, 1000 + max_torrent_dht_nodes - 1);

  auto none = parse_torrent(torrent(single_info()));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->dht_nodes().empty());
  bdict not_list;
  not_list["nodes"] = "127.0.0.1:6881";
  auto odd = parse_torrent(torrent(single_info(), not_list));
  ASSERT_TRUE(odd) << "a malformed `nodes` never rejects the torrent";
  EXPECT_TRUE(odd->dht_nodes().empty());
}

TEST(Metainfo, InfoHashIsOverRawBytesEvenWhenKeysAreUnsorted) {
  // `pieces` before `name`: not canonical. A re-encode would sort the keys and change the hash.
  const std::string info = "d6:pieces20:" + std::string(20, 'p') +
                           "4:name3:abc12:piece lengthi16384e6:lengthi100ee";
  const std::string data = "d8:announce3:url4:info" + info + "e";
  auto r = parse_torrent(data);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->info_bytes(), info);
  EXPECT_EQ(r->info_hash().v1, sha1(info));
  const std::string reencoded = bencode(*detail::bdecode(info));
  ASSERT_NE(reencoded, info);
  EXPECT_NE(r->info_hash().v1, sha1(reencoded));
}

TEST(Metainfo, RejectsInvalidBencode) {
  EXPECT_EQ(parse_error("d4:info"), metainfo_errc::bencode);
  EXPECT_EQ(parse_error(""), metainfo_errc::bencode);
  EXPECT_EQ(parse_error(torrent(single_info()) + "x"), metainfo_errc::bencode);
}

TEST(Metainfo, RejectsNonDictionaries) {
  EXPECT_EQ(parse_error("li1ee"), metainfo_errc::not_a_dictionary);
  EXPECT_EQ(parse_error("d4:infoi1ee"), metainfo_errc::not_a_dictionary);
}

TEST(Metainfo, RejectsMissingInfo) {
  EXPECT_EQ(parse_error("d8:announce3:urle"), metainfo_errc::missing_info);
}

TEST(Metainfo, RejectsMissingName) {
  bdict info = single_info();
  info.erase("name");
  EXPECT_EQ(info_error(info), metainfo_errc::missing_name);
  info["name"] = 5;
  EXPECT_EQ(info_error(info), metainfo_errc::missing_name);
}

TEST(Metainfo, RejectsBadPieceLength) {
  bdict info = single_info();
  info.erase("piece length");
  EXPECT_EQ(info_error(info), metainfo_errc::bad_piece_length);
  for (std::int64_t bad : {std::int64_t{0}, std::int64_t{-16384}, std::int64_t{64 * 1024 * 1024 + 1}}) {
    info["piece length"] = bad;
    EXPECT_EQ(info_error(info), metainfo_errc::bad_piece_length) << bad;
  }
  info["piece length"] = "16384";
  EXPECT_EQ(info_error(info), metainfo_errc::bad_piece_length);
  EXPECT_TRUE(parse_torrent(torrent(single_info(1, 64 * 1024 * 1024))));
}

TEST(Metainfo, RejectsBadPieces) {
  bdict info = single_info();
  info.erase("pieces");
  EXPECT_EQ(info_error(info), metainfo_errc::bad_pieces);
  info["pieces"] = pieces(3).substr(1);
  EXPECT_EQ(info_error(info), metainfo_errc::bad_pieces);
  info["pieces"] = 3;
  EXPECT_EQ(info_error(info), metainfo_errc::bad_pieces);
}

TEST(Metainfo, RejectsPieceCountMismatch) {
  bdict info = single_info(40000);  // needs 3 hashes
  info["pieces"] = pieces(2);
  EXPECT_EQ(info_error(info), metainfo_errc::piece_count_mismatch);
  info["pieces"] = pieces(4);
  EXPECT_EQ(info_error(info), metainfo_errc::piece_count_mismatch);
  info = single_info(32768);  // exactly 2 pieces
  EXPECT_TRUE(parse_torrent(torrent(info)));
  info["pieces"] = pieces(3);
  EXPECT_EQ(info_error(info), metainfo_errc::piece_count_mismatch);
}

TEST(Metainfo, RejectsBadLengths) {
  bdict info = single_info();
  info["length"] = -1;
  EXPECT_EQ(info_error(info), metainfo_errc::bad_length);
  info["length"] = "40000";
  EXPECT_EQ(info_error(info), metainfo_errc::bad_length);
  EXPECT_EQ(info_error(multi_info({file(-5, {"a"})})), metainfo_errc::bad_length);
  bdict no_length;
  no_length["path"] = blist{"a"};
  EXPECT_EQ(info_error(multi_info({file(1, {"b"}), no_length})), metainfo_errc::bad_length);
}

TEST(Metainfo, RejectsTotalSizeOverflow) {
  bdict info = multi_info({file(1, {"a"})});
  info["files"] = blist{file(INT64_MAX, {"a"}), file(INT64_MAX, {"b"})};
  EXPECT_EQ(info_error(info), metainfo_errc::bad_length);
}

TEST(Metainfo, RejectsBadFilesList) {
  bdict info = multi_info({file(1, {"a"})});
  info["files"] = "a";
  EXPECT_EQ(info_error(info), metainfo_errc::bad_files);
  info["files"] = blist{file(1, {"a"}), bvalue(3)};
  EXPECT_EQ(info_error(info), metainfo_errc::bad_files);
}

TEST(Metainfo, RequiresExactlyOneOfLengthAndFiles) {
  bdict both = single_info();
  both["files"] = blist{file(1, {"a"})};
  EXPECT_EQ(info_error(both), metainfo_errc::no_files);
  bdict neither = single_info();
  neither.erase("length");
  EXPECT_EQ(info_error(neither), metainfo_errc::no_files);
  EXPECT_EQ(info_error(multi_info({})), metainfo_errc::no_files);
}

TEST(Metainfo, RejectsPathTraversalInFileComponents) {
  const blist bad_paths[] = {
      {".."},           {"..", "etc", "passwd"}, {"a", "..", "b"}, {"/abs"},
      {"/", "etc"},     {"a/../b"},              {"a/b"},          {"a\\..\\b"},
      {"C:\\x"},        {""},                    {"a", ""},        {"."},
      {"a", ".", "b"},  {std::string("a\0b", 3)}, {},
  };
  for (const auto& path : bad_paths) {
    EXPECT_EQ(info_error(multi_info({file(1, path)})), metainfo_errc::bad_path)
        << bencode(bvalue(path));
  }
  bdict no_path;
  no_path["length"] = 1;
  EXPECT_EQ(info_error(multi_info({no_path})), metainfo_errc::bad_path);
  EXPECT_EQ(info_error(multi_info({file(1, {bvalue(7)})})), metainfo_errc::bad_path);
}

TEST(Metainfo, RejectsUnsafeName) {
  const std::vector<std::string> bad_names{"", ".", "..", "/abs", "a/b", "..\\x", std::string("a\0", 2)};
  for (const auto& bad : bad_names) {
    bdict info = single_info();
    info["name"] = bad;
    EXPECT_EQ(info_error(info), metainfo_errc::bad_path) << bad;
    bdict multi = multi_info({file(1, {"a"})});
    multi["name"] = bad;
    EXPECT_EQ(info_error(multi), metainfo_errc::bad_path) << bad;
  }
}

TEST(Metainfo, DotsInsideNamesAreFine) {
  auto r = parse_torrent(torrent(multi_info({file(1, {"...", "a..b", ".hidden"})})));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->files()[0].path, "folder/.../a..b/.hidden");
}

TEST(Metainfo, RejectsDuplicatePaths) {
  EXPECT_EQ(info_error(multi_info({file(1, {"a", "b"}), file(2, {"a", "b"})})),
            metainfo_errc::duplicate_path);
  // A file where another file needs a folder, in either order.
  EXPECT_EQ(info_error(multi_info({file(1, {"a"}), file(2, {"a", "b"})})), metainfo_errc::duplicate_path);
  EXPECT_EQ(info_error(multi_info({file(1, {"a", "b"}), file(2, {"a"})})), metainfo_errc::duplicate_path);
  EXPECT_TRUE(parse_torrent(torrent(multi_info({file(1, {"a", "b"}), file(2, {"a", "c"})}))));
}

TEST(Metainfo, RejectsOversizedInput) {
  std::string big = torrent(single_info());
  big.resize(10 * 1024 * 1024 + 1, 'x');
  EXPECT_EQ(parse_error(big), std::errc::file_too_large);
}

TEST(Metainfo, ErrorCategoryNamesEveryValue) {
  EXPECT_STREQ(metainfo_category().name(), "tessera.metainfo");
  for (int e = 1; e <= static_cast<int>(metainfo_errc::path_too_long); ++e)
    EXPECT_NE(make_error_code(static_cast<metainfo_errc>(e)).message(), "unknown metainfo error");
}

// --- path limits, sanitising (issue 9) ------------------------------------------------------

/// `n` path components, each `component`.
blist components(std::size_t n, const std::string& component = "a") { return blist(n, bvalue(component)); }

TEST(MetainfoPaths, APathOfFiftyThousandComponentsIsRefusedAsTooDeepWithinBoundedMemory) {
  // About 150 KB of .torrent. Copying the growing prefix once per component, as the parser
  // did, needs 50,000^2 bytes (2.5 GB): the child below has 256 MiB.
  const std::string data = torrent(multi_info({file(1, components(50'000))}));
  ASSERT_LT(data.size(), 200'000u);
  if (test::address_space_limit_problem().empty()) {
    const int status = test::run_with_address_space_limit(256u << 20, [&] {
      return parse_error(data) == metainfo_errc::path_too_deep;
    });
    // Not parsed here when it failed there: it would take the gigabytes.
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << test::describe_wait_status(status);
  }
  EXPECT_EQ(parse_error(data), metainfo_errc::path_too_deep);
}

TEST(MetainfoPaths, ComponentCountIsCappedAtMaxPathComponents) {
  auto ok = parse_torrent(torrent(multi_info({file(1, components(max_path_components))})));
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(std::count(ok->files()[0].path.begin(), ok->files()[0].path.end(), '/'),
            static_cast<long>(max_path_components));
  EXPECT_EQ(info_error(multi_info({file(1, components(max_path_components + 1))})),
            metainfo_errc::path_too_deep);
  // The `path.utf-8` list is bounded the same way.
  bdict f = file(1, {"a"});
  f["path.utf-8"] = components(max_path_components + 1);
  EXPECT_EQ(info_error(multi_info({f})), metainfo_errc::path_too_deep);
}

TEST(MetainfoPaths, PathBytesAreCappedAtMaxPathBytes) {
  // "folder" (6) + 16 x ("/" + 254 bytes) = 4,086; the last component fills the rest.
  blist path = components(16, std::string(254, 'd'));
  const std::size_t used = 6 + 16 * 255;
  path.push_back(std::string(max_path_bytes - used - 1, 'f'));  // "/" + this: exactly the limit
  auto ok = parse_torrent(torrent(multi_info({file(1, path)})));
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->files()[0].path.size(), max_path_bytes);
  path.back() = path.back().as_string() + "f";
  EXPECT_EQ(info_error(multi_info({file(1, path)})), metainfo_errc::path_too_long);
}

TEST(MetainfoPaths, ManyDeepFilesParseInBoundedMemory) {
  // 1,500 files 100 folders deep, each path ~4 KB and every folder distinct: collision sets of
  // joined prefixes held ~300 MB here; interned components take a few MB.
  blist files;
  for (int i = 0; i < 1500; ++i) {
    blist path;
    for (int d = 0; d < 99; ++d) path.emplace_back(std::to_string(i) + "-" + std::string(30, 'x') + std::to_string(d));
    path.emplace_back("file");
    files.push_back(file(1, path));
  }
  const std::string data = torrent(multi_info(files));
  if (test::address_space_limit_problem().empty()) {
    const int status = test::run_with_address_space_limit(160u << 20, [&] {
      auto r = parse_torrent(data);
      return r && r->files().size() == 1500u;
    });
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << test::describe_wait_status(status);
  }
  auto r = parse_torrent(data);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->files().size(), 1500u);
  EXPECT_EQ(r->files()[1499].path.substr(r->files()[1499].path.size() - 5), "/file");
}

TEST(MetainfoPaths, LongComponentsAreTruncatedKeepingTheExtension) {
  auto r = parse_torrent(torrent(multi_info({
      file(1, {std::string(300, 'x') + ".mkv"}),
      file(1, {std::string(300, 'y') + "." + std::string(20, 'e')}),  // too long to be an extension
  })));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->files()[0].path, "folder/" + std::string(251, 'x') + ".mkv");
  EXPECT_EQ(r->files()[1].path, "folder/" + std::string(255, 'y'));

  bdict info = single_info();
  info["name"] = std::string(400, 'n') + ".iso";
  auto single = parse_torrent(torrent(info));
  ASSERT_TRUE(single) << single.error().message();
  EXPECT_EQ(single->name(), std::string(251, 'n') + ".iso");
  EXPECT_EQ(single->files()[0].path, single->name());
}

TEST(MetainfoPaths, TruncationCutsAtACodePointBoundary) {
  std::string e_acute;
  for (int i = 0; i < 200; ++i) e_acute += "\xc3\xa9";  // 400 bytes
  auto r = parse_torrent(torrent(multi_info({file(1, {e_acute}), file(1, {e_acute + ".txt"})})));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->files()[0].path, "folder/" + e_acute.substr(0, 254));  // 255 would split a character
  EXPECT_EQ(r->files()[1].path, "folder/" + e_acute.substr(0, 250) + ".txt");
}

TEST(MetainfoPaths, ControlCharactersAndInvalidUtf8BecomeUnderscores) {
  bdict info = multi_info({
      file(1, {"a\x1b[2Jb", "tab\there"}),
      file(1, {"nl\nx\x7f"}),
      file(1, {"c1\xc2\x9b" "csi"}),           // U+009B, the 8-bit CSI
      file(1, {"bad\xff\xfe"}),                // not UTF-8 at all
      file(1, {"overlong\xc0\xae"}),           // '.' in a forbidden overlong form
      file(1, {"gpj.\xe2\x80\xae" "exe"}),     // U+202E RIGHT-TO-LEFT OVERRIDE
      file(1, {"caf\xc3\xa9 \xe6\x97\xa5"}),  // real UTF-8 stays as it is
  });
  info["name"] = "\x1b[2J";
  auto r = parse_torrent(torrent(info));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->name(), "_[2J");
  EXPECT_EQ(r->files()[0].path, "_[2J/a_[2Jb/tab_here");
  EXPECT_EQ(r->files()[1].path, "_[2J/nl_x_");
  EXPECT_EQ(r->files()[2].path, "_[2J/c1_csi");
  EXPECT_EQ(r->files()[3].path, "_[2J/bad__");
  EXPECT_EQ(r->files()[4].path, "_[2J/overlong__");
  EXPECT_EQ(r->files()[5].path, "_[2J/gpj._exe");
  EXPECT_EQ(r->files()[6].path, "_[2J/caf\xc3\xa9 \xe6\x97\xa5");
}

TEST(MetainfoPaths, NamesThatSanitiseOrTruncateAlikeCollide) {
  EXPECT_EQ(info_error(multi_info({file(1, {"a\x01"}), file(2, {"a\x02"})})), metainfo_errc::duplicate_path);
  EXPECT_EQ(info_error(multi_info({file(1, {"a_"}), file(2, {"a\x7f"})})), metainfo_errc::duplicate_path);
  EXPECT_EQ(info_error(multi_info({file(1, {"d\x1b", "x"}), file(2, {"d_"})})),
            metainfo_errc::duplicate_path);  // a file where a sanitised folder is
  const std::string stem(300, 's');
  EXPECT_EQ(info_error(multi_info({file(1, {stem + "1.bin"}), file(2, {stem + "2.bin"})})),
            metainfo_errc::duplicate_path);
}

TEST(MetainfoPaths, SanitisingNeverOpensAWayOut) {
  // Separators, NUL, "." and ".." are still refused, not replaced.
  const blist bad[] = {{"a\x01/b"}, {std::string("\x01\0", 2)}, {"..", "\x1b"}, {"\x1b", "."}};
  for (const auto& path : bad)
    EXPECT_EQ(info_error(multi_info({file(1, path)})), metainfo_errc::bad_path) << bencode(bvalue(path));
}

TEST(MetainfoPaths, DeepFoldersStillCollideWithFiles) {
  blist deep = components(60, "d");
  blist as_file = components(30, "d");
  EXPECT_EQ(info_error(multi_info({file(1, deep), file(2, as_file)})), metainfo_errc::duplicate_path);
  EXPECT_EQ(info_error(multi_info({file(1, as_file), file(2, deep)})), metainfo_errc::duplicate_path);
  blist sibling = components(59, "d");
  sibling.push_back("e");
  EXPECT_TRUE(parse_torrent(torrent(multi_info({file(1, deep), file(2, sibling)}))));
}

TEST(Metainfo, LoadReportsMissingFile) {
  auto r = load_torrent_file("/nonexistent-tessera-dir/x.torrent");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::no_such_file_or_directory);
}

TEST(Metainfo, LoadReportsDirectory) {
  auto r = load_torrent_file("/");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::is_a_directory);
}

TEST(Metainfo, LoadParsesWhatItReads) {
  auto r = load_torrent_file("/dev/null");  // readable, empty: not bencode
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), metainfo_errc::bencode);
}

}  // namespace
}  // namespace tessera
