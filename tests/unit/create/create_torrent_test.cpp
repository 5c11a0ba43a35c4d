#include "tessera/create_torrent.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <stop_token>

#include "core/bencode.hpp"
#include "core/merkle.hpp"
#include "create_test_util.hpp"
#include "tessera/hasher.hpp"

namespace tessera {
namespace {

using detail::bdecode;
using detail::bvalue;
using test::create_temp_dir;
using test::test_bytes;
using test::write_file;

bvalue decode(const std::string& bytes) {
  auto v = bdecode(bytes);
  EXPECT_TRUE(v) << "created torrent is not bencode";
  return v ? *v : bvalue();
}

/// SHA-1 of each piece of `stream`.
std::string v1_pieces(const std::string& stream, std::int64_t piece) {
  std::string out;
  for (std::size_t off = 0; off < stream.size(); off += static_cast<std::size_t>(piece)) {
    out += sha1(std::string_view(stream).substr(off, static_cast<std::size_t>(piece))).to_bytes();
  }
  return out;
}

/// BEP 52 pieces root and piece layer of `data`, computed from the merkle module directly.
merkle::file_tree_hashes v2_hashes(const std::string& data, std::int64_t piece) {
  std::vector<sha256_hash> blocks;
  for (std::size_t off = 0; off < data.size(); off += block_size) {
    blocks.push_back(sha256(std::string_view(data).substr(off, block_size)));
  }
  return merkle::hash_file(blocks, static_cast<std::int64_t>(data.size()), piece);
}

std::string concat(const std::vector<sha256_hash>& hs) {
  std::string out;
  for (const auto& h : hs) out += h.to_bytes();
  return out;
}

create_torrent_params params_for(const std::filesystem::path& root, torrent_kind kind, std::int64_t piece) {
  create_torrent_params p;
  p.root = root.string();
  p.kind = kind;
  p.piece_size = piece;
  p.creation_date = 1700000000;
  p.threads = 2;
  return p;
}

TEST(CreateTorrent, SingleFileV1) {
  create_temp_dir dir;
  const auto data = write_file(dir.path / "movie.bin", test_bytes(100000, 1));
  auto made = create_torrent(params_for(dir.path / "movie.bin", torrent_kind::v1, 32768));
  ASSERT_TRUE(made) << made.error().message();
  const bvalue t = decode(made->torrent);
  const bvalue& info = *t.find_dict("info");
  EXPECT_EQ(*info.find_string("name"), "movie.bin");
  EXPECT_EQ(*info.find_int("length"), 100000);
  EXPECT_EQ(*info.find_int("piece length"), 32768);
  EXPECT_EQ(*info.find_string("pieces"), v1_pieces(data, 32768));
  EXPECT_EQ(info.find("files"), nullptr);
  EXPECT_EQ(info.find("file tree"), nullptr);
  EXPECT_EQ(t.find("piece layers"), nullptr);
  EXPECT_EQ(made->info_hashes.v1, sha1(detail::bencode(info)));
  EXPECT_FALSE(made->info_hashes.has_v2());
  EXPECT_EQ(made->num_pieces, 4);
  EXPECT_EQ(made->num_files, 1);
  EXPECT_EQ(made->total_size, 100000);
  ASSERT_TRUE(made->info);
  EXPECT_EQ(made->info->info_hash().v1, made->info_hashes.v1);
  EXPECT_FALSE(made->info->multi_file());
}

TEST(CreateTorrent, NestedFoldersV2) {
  create_temp_dir dir;
  const auto big = write_file(dir.path / "d/a/b/c.bin", test_bytes(70000, 2));
  const auto small = write_file(dir.path / "d/x.txt", test_bytes(100, 3));
  write_file(dir.path / "d/empty", "");
  auto made = create_torrent(params_for(dir.path / "d", torrent_kind::v2, 16384));
  ASSERT_TRUE(made) << made.error().message();
  const bvalue t = decode(made->torrent);
  const bvalue& info = *t.find_dict("info");
  EXPECT_EQ(*info.find_int("meta version"), 2);
  EXPECT_EQ(info.find("pieces"), nullptr);
  EXPECT_EQ(info.find("files"), nullptr);
  const bvalue& tree = *info.find_dict("file tree");
  const bvalue& c = *tree.find_dict("a")->find_dict("b")->find_dict("c.bin")->find_dict("");
  EXPECT_EQ(*c.find_int("length"), 70000);
  const auto big_hashes = v2_hashes(big, 16384);
  EXPECT_EQ(*c.find_string("pieces root"), big_hashes.pieces_root.to_bytes());
  const bvalue& x = *tree.find_dict("x.txt")->find_dict("");
  EXPECT_EQ(*x.find_string("pieces root"), v2_hashes(small, 16384).pieces_root.to_bytes());
  const bvalue& e = *tree.find_dict("empty")->find_dict("");
  EXPECT_EQ(*e.find_int("length"), 0);
  EXPECT_EQ(e.find("pieces root"), nullptr);  // BEP 52: none for an empty file
  const bvalue& layers = *t.find_dict("piece layers");
  ASSERT_EQ(layers.as_dict().size(), 1u);  // only the file larger than a piece
  EXPECT_EQ(*layers.find_string(big_hashes.pieces_root.to_bytes()), concat(big_hashes.piece_layer));
  EXPECT_EQ(made->info_hashes.v2, sha256(detail::bencode(info)));
  EXPECT_FALSE(made->info_hashes.has_v1());
  // Read back by the BEP 52 parser, which checks every piece layer against its root.
  ASSERT_TRUE(made->info);
  EXPECT_EQ(made->info->info_hash(), made->info_hashes);
  EXPECT_EQ(made->info->meta_version(), 2);
  EXPECT_TRUE(made->info->has_all_piece_layers());
  EXPECT_EQ(made->num_files, 3);
  EXPECT_EQ(made->num_pieces, 5 + 1);
}

TEST(CreateTorrent, HybridPadsAndHashesBothWays) {
  create_temp_dir dir;
  const auto a = write_file(dir.path / "d/a", test_bytes(40000, 4));
  const auto b = write_file(dir.path / "d/b", test_bytes(5000, 5));
  auto made = create_torrent(params_for(dir.path / "d", torrent_kind::hybrid, 32768));
  ASSERT_TRUE(made) << made.error().message();
  const bvalue t = decode(made->torrent);
  const bvalue& info = *t.find_dict("info");
  const auto& files = *info.find_list("files");
  ASSERT_EQ(files.size(), 4u);  // a, pad, b, pad (the last file is padded too, as libtorrent does)
  EXPECT_EQ(*files[1].find_string("attr"), "p");
  EXPECT_EQ(*files[1].find_int("length"), 65536 - 40000);
  EXPECT_EQ((*files[1].find_list("path"))[0].as_string(), ".pad");
  EXPECT_EQ((*files[1].find_list("path"))[1].as_string(), std::to_string(65536 - 40000));
  EXPECT_EQ(*files[3].find_int("length"), 32768 - 5000);
  const std::string stream = a + std::string(65536 - 40000, '\0') + b + std::string(32768 - 5000, '\0');
  EXPECT_EQ(*info.find_string("pieces"), v1_pieces(stream, 32768));
  EXPECT_EQ(*info.find_dict("file tree")->find_dict("a")->find_dict("")->find_string("pieces root"),
            v2_hashes(a, 32768).pieces_root.to_bytes());
  EXPECT_TRUE(made->info_hashes.is_hybrid());
  EXPECT_EQ(made->info_hashes.v1, sha1(detail::bencode(info)));
  EXPECT_EQ(made->info_hashes.v2, sha256(detail::bencode(info)));
  ASSERT_TRUE(made->info);
  EXPECT_TRUE(made->info->files()[1].pad);
  EXPECT_EQ(made->num_files, 2);
  EXPECT_EQ(made->num_pieces, 3);
  EXPECT_EQ(made->total_size, 45000);
}

TEST(CreateTorrent, SameInputSameBytesWhateverTheThreads) {
  create_temp_dir dir;
  for (int i = 0; i < 12; ++i) write_file(dir.path / "d" / ("f" + std::to_string(i)), test_bytes(30000 + i * 7777, i));
  auto p = params_for(dir.path / "d", torrent_kind::hybrid, 16384);
  p.threads = 1;
  auto one = create_torrent(p);
  p.threads = 4;
  auto four = create_torrent(p);
  auto again = create_torrent(p);
  ASSERT_TRUE(one && four && again);
  EXPECT_EQ(one->torrent, four->torrent);
  EXPECT_EQ(four->torrent, again->torrent);
}

TEST(CreateTorrent, LargeFileSpansSeveralReadsAndPieces) {
  create_temp_dir dir;
  // 9 MiB + 1: more than two 4 MiB reads; 8 MiB pieces are larger than one read.
  const auto data = write_file(dir.path / "big", test_bytes(9 * 1024 * 1024 + 1, 9));
  for (std::int64_t piece : {16384LL, 8LL * 1024 * 1024}) {
    auto made = create_torrent(params_for(dir.path / "big", torrent_kind::hybrid, piece));
    ASSERT_TRUE(made) << made.error().message();
    const bvalue t = decode(made->torrent);
    const bvalue& info = *t.find_dict("info");
    EXPECT_EQ(*info.find_string("pieces"), v1_pieces(data, piece));
    const auto h = v2_hashes(data, piece);
    EXPECT_EQ(*info.find_dict("file tree")->find_dict("big")->find_dict("")->find_string("pieces root"),
              h.pieces_root.to_bytes());
    EXPECT_EQ(*t.find_dict("piece layers")->find_string(h.pieces_root.to_bytes()), concat(h.piece_layer));
  }
}

TEST(CreateTorrent, OptionsReachTheirKeys) {
  create_temp_dir dir;
  write_file(dir.path / "f", test_bytes(1000, 6));
  auto p = params_for(dir.path / "f", torrent_kind::v1, 16384);
  p.trackers = {{"http://a/announce", "http://b/announce"}, {}, {"udp://c:80"}};
  p.web_seeds = {"http://w/"};
  p.is_private = true;
  p.comment = "a comment";
  p.source = "SRC";
  auto made = create_torrent(p);
  ASSERT_TRUE(made);
  bvalue t = decode(made->torrent);
  EXPECT_EQ(*t.find_string("announce"), "http://a/announce");
  const auto& tiers = *t.find_list("announce-list");
  ASSERT_EQ(tiers.size(), 2u);  // the empty tier is dropped
  EXPECT_EQ(tiers[0].as_list().size(), 2u);
  EXPECT_EQ(tiers[1].as_list()[0].as_string(), "udp://c:80");
  EXPECT_EQ(*t.find_string("url-list"), "http://w/");
  EXPECT_EQ(*t.find_string("comment"), "a comment");
  EXPECT_EQ(t.find_string("created by")->rfind("tessera ", 0), 0u);
  EXPECT_EQ(*t.find_int("creation date"), 1700000000);
  EXPECT_EQ(*t.find_dict("info")->find_int("private"), 1);
  EXPECT_EQ(*t.find_dict("info")->find_string("source"), "SRC");
  ASSERT_TRUE(made->info);
  EXPECT_TRUE(made->info->is_private());
  EXPECT_EQ(made->info->trackers().size(), 2u);

  // Source is in the info dictionary: another source, another info-hash.
  p.source = "OTHER";
  auto other = create_torrent(p);
  ASSERT_TRUE(other);
  EXPECT_NE(other->info_hashes.v1, made->info_hashes.v1);

  // Nothing optional: no such keys. One tracker: `announce` only. Two web seeds: a list.
  create_torrent_params q = params_for(dir.path / "f", torrent_kind::v1, 16384);
  q.creator = "";
  q.creation_date = -1;
  q.trackers = {{"http://only/"}};
  q.web_seeds = {"http://w1/", "http://w2/"};
  auto bare = create_torrent(q);
  ASSERT_TRUE(bare);
  t = decode(bare->torrent);
  EXPECT_EQ(t.find("created by"), nullptr);
  EXPECT_EQ(t.find("creation date"), nullptr);
  EXPECT_EQ(t.find("comment"), nullptr);
  EXPECT_EQ(t.find("announce-list"), nullptr);
  EXPECT_EQ(*t.find_string("announce"), "http://only/");
  EXPECT_EQ(t.find_list("url-list")->size(), 2u);
  EXPECT_EQ(t.find_dict("info")->find("private"), nullptr);
  EXPECT_EQ(t.find_dict("info")->find("source"), nullptr);
  q.creator = "me";
  t = decode(create_torrent(q)->torrent);
  EXPECT_EQ(*t.find_string("created by"), "me");
}

TEST(CreateTorrent, AutoPieceSizeFromTheTotal) {
  create_temp_dir dir;
  write_file(dir.path / "f", test_bytes(3000000, 7));  // above 2,684,355: 32 KiB
  auto made = create_torrent(params_for(dir.path / "f", torrent_kind::hybrid, 0));
  ASSERT_TRUE(made);
  EXPECT_EQ(made->piece_length, 32768);
}

TEST(CreateTorrent, BadPieceSize) {
  create_temp_dir dir;
  write_file(dir.path / "f", "x");
  auto made = create_torrent(params_for(dir.path / "f", torrent_kind::v2, 49152));
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().code, create_errc::bad_piece_size);
  EXPECT_TRUE(create_torrent(params_for(dir.path / "f", torrent_kind::v1, 49152)));
}

std::vector<std::string> v1_paths(const std::string& torrent) {
  std::vector<std::string> out;
  const bvalue t = decode(torrent);
  for (const auto& f : *t.find_dict("info")->find_list("files")) {
    std::string p;
    for (const auto& c : *f.find_list("path")) p += (p.empty() ? "" : "/") + c.as_string();
    out.push_back(p);
  }
  return out;
}

TEST(CreateTorrent, FileOrderV1WholePathsV2ByComponent) {
  create_temp_dir dir;
  for (const char* f : {"d/a/b", "d/a b/x", "d/a-b", "d/a.txt", "d/B"}) write_file(dir.path / f, "0123456789");
  auto v1 = create_torrent(params_for(dir.path / "d", torrent_kind::v1, 16384));
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1_paths(v1->torrent), (std::vector<std::string>{"B", "a b/x", "a-b", "a.txt", "a/b"}));  // mktorrent's
  auto hy = create_torrent(params_for(dir.path / "d", torrent_kind::hybrid, 16384));
  ASSERT_TRUE(hy);
  std::vector<std::string> files;
  for (const auto& p : v1_paths(hy->torrent))
    if (p.rfind(".pad/", 0) != 0) files.push_back(p);
  EXPECT_EQ(files, (std::vector<std::string>{"B", "a/b", "a b/x", "a-b", "a.txt"}));  // libtorrent's
}

TEST(CreateTorrent, ExcludeGlobsOnPathAndName) {
  create_temp_dir dir;
  write_file(dir.path / "d/keep.txt", "k");
  write_file(dir.path / "d/x.log", "l");
  write_file(dir.path / "d/sub/y.log", "l");
  write_file(dir.path / "d/sub/keep2", "k");
  write_file(dir.path / "d/skipdir/z", "z");
  write_file(dir.path / "d/other/w", "w");
  auto p = params_for(dir.path / "d", torrent_kind::v1, 16384);
  p.exclude = {"*.log", "skipdir", "other/*"};
  auto made = create_torrent(p);
  ASSERT_TRUE(made);
  EXPECT_EQ(v1_paths(made->torrent), (std::vector<std::string>{"keep.txt", "sub/keep2"}));
  p.exclude = {"*"};
  auto none = create_torrent(p);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, create_errc::no_files);
}

TEST(CreateTorrent, HiddenFilesAreListed) {
  create_temp_dir dir;
  write_file(dir.path / "d/.hidden", "h");
  write_file(dir.path / "d/.dir/f", "f");
  auto made = create_torrent(params_for(dir.path / "d", torrent_kind::v1, 16384));
  ASSERT_TRUE(made);
  EXPECT_EQ(v1_paths(made->torrent), (std::vector<std::string>{".dir/f", ".hidden"}));
}

TEST(CreateTorrent, EmptyFilesListedButNotAlone) {
  create_temp_dir dir;
  write_file(dir.path / "d/e", "");
  auto none = create_torrent(params_for(dir.path / "d", torrent_kind::hybrid, 16384));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, create_errc::no_data);
  write_file(dir.path / "d/f", "data");
  auto made = create_torrent(params_for(dir.path / "d", torrent_kind::v1, 16384));
  ASSERT_TRUE(made);
  EXPECT_EQ(v1_paths(made->torrent), (std::vector<std::string>{"e", "f"}));
  std::filesystem::create_directories(dir.path / "emptydir");
  auto empty = create_torrent(params_for(dir.path / "emptydir", torrent_kind::v1, 16384));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, create_errc::no_files);
}

TEST(CreateTorrent, MissingRootNamesIt) {
  auto made = create_torrent(params_for("/nonexistent/tessera-create", torrent_kind::v1, 16384));
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().code, std::errc::no_such_file_or_directory);
  EXPECT_EQ(made.error().path, "/nonexistent/tessera-create");
  EXPECT_NE(made.error().message().find("/nonexistent/tessera-create"), std::string::npos);
}

TEST(CreateTorrent, SymlinksNeverLeaveTheRoot) {
  create_temp_dir dir;
  const auto inside = write_file(dir.path / "d/real", "inside bytes");
  write_file(dir.path / "outside", "secret");
  std::filesystem::create_directories(dir.path / "d/folder");
  write_file(dir.path / "d/folder/f", "f");
  std::filesystem::create_symlink(dir.path / "d/real", dir.path / "d/link_in");
  std::filesystem::create_symlink(dir.path / "outside", dir.path / "d/link_out");
  std::filesystem::create_symlink(dir.path / "d/folder", dir.path / "d/link_dir");
  std::filesystem::create_symlink(dir.path / "d/missing", dir.path / "d/dangling");
  auto made = create_torrent(params_for(dir.path / "d", torrent_kind::v1, 16384));
  ASSERT_TRUE(made) << made.error().message();
  EXPECT_EQ(v1_paths(made->torrent), (std::vector<std::string>{"folder/f", "link_in", "real"}));
  EXPECT_EQ(made->skipped, (std::vector<std::string>{"dangling: dangling symlink", "link_dir: symlink to a folder",
                                                      "link_out: symlink out of the root"}));
  EXPECT_EQ(made->total_size, 1 + 2 * static_cast<std::int64_t>(inside.size()));
}

TEST(CreateTorrent, RootNameFromDotAndTrailingSlash) {
  create_temp_dir dir;
  write_file(dir.path / "mydata/f", "x");
  EXPECT_EQ(torrent_name((dir.path / "mydata").string() + "/"), "mydata");
  EXPECT_EQ(torrent_name((dir.path / "mydata").string() + "/."), "mydata");
  EXPECT_EQ(torrent_name("/"), "");
  auto made = create_torrent(params_for((dir.path / "mydata").string() + "/", torrent_kind::v1, 16384));
  ASSERT_TRUE(made);
  EXPECT_EQ(made->name, "mydata");
}

TEST(CreateTorrent, CancelledByStopToken) {
  create_temp_dir dir;
  write_file(dir.path / "f", test_bytes(100000, 8));
  std::stop_source stop;
  stop.request_stop();
  auto p = params_for(dir.path / "f", torrent_kind::hybrid, 16384);
  p.stop = stop.get_token();
  auto made = create_torrent(p);
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().code, create_errc::cancelled);
}

TEST(CreateTorrent, CancelledByProgressCallback) {
  create_temp_dir dir;
  write_file(dir.path / "f", test_bytes(100000, 8));
  auto p = params_for(dir.path / "f", torrent_kind::hybrid, 16384);
  p.progress = [](std::int64_t, std::int64_t) { return false; };
  auto made = create_torrent(p);
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().code, create_errc::cancelled);
}

TEST(CreateTorrent, ProgressEndsAtTotal) {
  create_temp_dir dir;
  write_file(dir.path / "d/a", test_bytes(300000, 10));
  write_file(dir.path / "d/b", test_bytes(1234, 11));
  auto p = params_for(dir.path / "d", torrent_kind::hybrid, 16384);
  std::vector<std::pair<std::int64_t, std::int64_t>> calls;
  p.progress = [&](std::int64_t done, std::int64_t total) {
    calls.emplace_back(done, total);
    return true;
  };
  ASSERT_TRUE(create_torrent(p));
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back(), std::make_pair(std::int64_t{301234}, std::int64_t{301234}));
  for (std::size_t i = 1; i < calls.size(); ++i) EXPECT_LE(calls[i - 1].first, calls[i].first);
}

TEST(CreateTorrent, ExecutableAttribute) {
  create_temp_dir dir;
  write_file(dir.path / "d/run.sh", "#!/bin/sh\n");
  write_file(dir.path / "d/data", "d");
  std::filesystem::permissions(dir.path / "d/run.sh", std::filesystem::perms::owner_exec, std::filesystem::perm_options::add);
  auto hy = create_torrent(params_for(dir.path / "d", torrent_kind::hybrid, 16384));
  ASSERT_TRUE(hy);
  const bvalue t = decode(hy->torrent);
  EXPECT_EQ(*t.find_dict("info")->find_dict("file tree")->find_dict("run.sh")->find_dict("")->find_string("attr"), "x");
  EXPECT_EQ(t.find_dict("info")->find_dict("file tree")->find_dict("data")->find_dict("")->find("attr"), nullptr);
  auto v1 = create_torrent(params_for(dir.path / "d", torrent_kind::v1, 16384));
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->torrent.find("4:attr"), std::string::npos);  // as mktorrent: no attributes
}

}  // namespace
}  // namespace tessera
