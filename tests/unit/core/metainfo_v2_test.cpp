// BEP 52 v2-only and hybrid .torrents (core/metainfo_v2 through parse_torrent), read from torrents
// libtorrent made (v2_torrents.hpp), and the bad inputs of issue 12.
#include <gtest/gtest.h>

#include <string>

#include "core/bencode.hpp"
#include "core/merkle.hpp"
#include "tessera/hasher.hpp"
#include "tessera/torrent_info.hpp"
#include "v2_torrents.hpp"

namespace tessera {
namespace {

using detail::bdict;
using detail::bvalue;

torrent_info parse_ok(const std::string& bytes) {
  auto r = parse_torrent(bytes);
  EXPECT_TRUE(r) << r.error().message();
  return r ? *r : torrent_info{};
}

/// The torrent decoded, changed by `edit`, encoded again (libtorrent's output is canonical, so an
/// unchanged info dictionary keeps its bytes).
template <class F>
std::string edited(const std::string& bytes, F edit) {
  auto v = detail::bdecode(bytes);
  EXPECT_TRUE(v);
  bvalue root = *v;
  edit(root.as_dict());
  return detail::bencode(root);
}

std::error_code error_of(const std::string& bytes) {
  auto r = parse_torrent(bytes);
  return r ? std::error_code{} : r.error();
}

bdict& tree_of(bdict& root) { return root["info"].as_dict()["file tree"].as_dict(); }

TEST(MetainfoV2, V2OnlySingleFileAsLibtorrentMadeIt) {
  const auto& made = test_v2::v2_single;
  const torrent_info ti = parse_ok(made.bytes);
  EXPECT_EQ(ti.meta_version(), 2);
  EXPECT_FALSE(ti.has_v1());
  EXPECT_TRUE(ti.has_v2());
  EXPECT_EQ(ti.info_hash().v2.to_hex(), made.v2_hex);
  EXPECT_TRUE(ti.info_hash().v1.is_zero());
  EXPECT_EQ(ti.info_hash().v2, sha256(ti.info_bytes()));
  EXPECT_EQ(ti.info_hash().best(), ti.info_hash().v2_truncated());
  EXPECT_TRUE(ti.piece_hashes().empty());
  EXPECT_FALSE(ti.multi_file());
  ASSERT_EQ(ti.files().size(), 1u);
  EXPECT_EQ(ti.files()[0].path, "single.bin");
  EXPECT_EQ(ti.files()[0].size, 100000);
  EXPECT_FALSE(ti.files()[0].pieces_root.is_zero());
  EXPECT_EQ(ti.piece_length(), 32768);
  EXPECT_EQ(ti.num_pieces(), made.num_pieces);
  EXPECT_EQ(ti.piece_size(piece_index{3}), 100000 - 3 * 32768);
  ASSERT_EQ(ti.piece_layers().size(), 1u);
  EXPECT_EQ(ti.piece_layers().at(ti.files()[0].pieces_root).size(), 4u);
  EXPECT_TRUE(ti.has_all_piece_layers());
}

TEST(MetainfoV2, V2OnlyMultiFileIsLaidOutOnPieceBoundaries) {
  const auto& made = test_v2::v2_multi;
  const torrent_info ti = parse_ok(made.bytes);
  EXPECT_EQ(ti.info_hash().v2.to_hex(), made.v2_hex);
  EXPECT_TRUE(ti.multi_file());
  struct expect {
    const char* path;
    std::int64_t size, offset;
    bool pad;
  };
  // libtorrent's layout, less its padding after the last file.
  const expect want[] = {{"multi/a.bin", 40000, 0, false},       {"multi/.pad/9152", 9152, 40000, true},
                         {"multi/c.txt", 10, 49152, false},       {"multi/.pad/16374", 16374, 49162, true},
                         {"multi/empty", 0, 65536, false},        {"multi/sub/b.bin", 81927, 65536, false}};
  ASSERT_EQ(ti.files().size(), std::size(want));
  for (std::size_t i = 0; i < std::size(want); ++i) {
    EXPECT_EQ(ti.files()[i].path, want[i].path) << i;
    EXPECT_EQ(ti.files()[i].size, want[i].size) << i;
    EXPECT_EQ(ti.files()[i].offset, want[i].offset) << i;
    EXPECT_EQ(ti.files()[i].pad, want[i].pad) << i;
    EXPECT_EQ(ti.files()[i].pieces_root.is_zero(), want[i].pad || want[i].size == 0) << i;
  }
  EXPECT_EQ(ti.total_size(), 65536 + 81927);
  EXPECT_EQ(ti.num_pieces(), made.num_pieces);  // its last piece is short, not padded
  EXPECT_EQ(ti.piece_size(piece_index{ti.num_pieces() - 1}), 81927 - 5 * 16384);
  EXPECT_EQ(ti.piece_layers().size(), 2u);  // a.bin and b.bin are larger than a piece
  EXPECT_TRUE(ti.has_all_piece_layers());
}

TEST(MetainfoV2, HybridTorrentsHaveBothHashesAndRootsOnTheV1Files) {
  for (const auto* made : {&test_v2::hybrid_single, &test_v2::hybrid_multi}) {
    const torrent_info ti = parse_ok(made->bytes);
    EXPECT_EQ(ti.meta_version(), 2);
    EXPECT_TRUE(ti.info_hash().is_hybrid());
    EXPECT_EQ(ti.info_hash().v1.to_hex(), made->v1_hex);
    EXPECT_EQ(ti.info_hash().v2.to_hex(), made->v2_hex);
    EXPECT_EQ(ti.info_hash().best(), ti.info_hash().v1);
    EXPECT_EQ(ti.num_pieces(), made->num_pieces);
    EXPECT_EQ(static_cast<int>(ti.piece_hashes().size()), made->num_pieces);
    for (const auto& f : ti.files()) {
      EXPECT_EQ(f.pieces_root.is_zero(), f.pad || f.size == 0) << f.path;
      if (!f.pad && f.size > 0) {
        EXPECT_EQ(f.offset % ti.piece_length(), 0) << f.path;
      }
    }
    EXPECT_TRUE(ti.has_all_piece_layers());
  }
}

TEST(MetainfoV2, BareInfoDictionaryHasNoPieceLayers) {
  const torrent_info full = parse_ok(test_v2::v2_multi.bytes);
  auto r = parse_info_dictionary(full.info_bytes());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->info_hash(), full.info_hash());
  EXPECT_TRUE(r->piece_layers().empty());
  EXPECT_FALSE(r->has_all_piece_layers());
  EXPECT_EQ(r->files().size(), full.files().size());
}

TEST(MetainfoV2, PieceLayerOfTheWrongLengthOrContentIsRefused) {
  auto shorten = [](bdict& root) {
    for (auto& [k, v] : root["piece layers"].as_dict()) v = bvalue(v.as_string().substr(32));
  };
  EXPECT_EQ(error_of(edited(test_v2::v2_multi.bytes, shorten)), metainfo_errc::bad_piece_layers);
  auto flip = [](bdict& root) {
    for (auto& [k, v] : root["piece layers"].as_dict()) {
      std::string s = v.as_string();
      s[0] ^= 1;
      v = bvalue(s);
    }
  };
  EXPECT_EQ(error_of(edited(test_v2::hybrid_multi.bytes, flip)), metainfo_errc::piece_layer_mismatch);
  auto unknown = [](bdict& root) { root["piece layers"].as_dict()[std::string(32, 'u')] = std::string(64, 'x'); };
  EXPECT_EQ(error_of(edited(test_v2::v2_single.bytes, unknown)), metainfo_errc::bad_piece_layers);
  auto missing = [](bdict& root) { root["piece layers"] = bvalue(bdict{}); };
  EXPECT_EQ(error_of(edited(test_v2::v2_single.bytes, missing)), metainfo_errc::bad_piece_layers);
}

TEST(MetainfoV2, FileTreeWithDotDotOrMissingRootIsRefused) {
  auto dotdot = [](bdict& root) {
    bdict& tree = tree_of(root);
    auto node = tree["a.bin"];
    tree.erase("a.bin");
    tree[".."] = node;
  };
  EXPECT_EQ(error_of(edited(test_v2::v2_multi.bytes, dotdot)), metainfo_errc::bad_path);
  auto no_root = [](bdict& root) { tree_of(root)["c.txt"].as_dict()[""].as_dict().erase("pieces root"); };
  EXPECT_EQ(error_of(edited(test_v2::v2_multi.bytes, no_root)), metainfo_errc::bad_pieces_root);
  auto short_root = [](bdict& root) { tree_of(root)["c.txt"].as_dict()[""].as_dict()["pieces root"] = "short"; };
  EXPECT_EQ(error_of(edited(test_v2::v2_multi.bytes, short_root)), metainfo_errc::bad_pieces_root);
  auto no_tree = [](bdict& root) { root["info"].as_dict().erase("file tree"); };
  EXPECT_EQ(error_of(edited(test_v2::v2_multi.bytes, no_tree)), metainfo_errc::bad_file_tree);
}

TEST(MetainfoV2, VersionAndPieceLengthRules) {
  auto v3 = [](bdict& root) { root["info"].as_dict()["meta version"] = 3; };
  EXPECT_EQ(error_of(edited(test_v2::v2_single.bytes, v3)), metainfo_errc::unsupported_meta_version);
  auto odd_piece = [](bdict& root) { root["info"].as_dict()["piece length"] = 3 * 16384; };
  EXPECT_EQ(error_of(edited(test_v2::v2_single.bytes, odd_piece)), metainfo_errc::bad_piece_length);
  auto small_piece = [](bdict& root) { root["info"].as_dict()["piece length"] = 8192; };
  EXPECT_EQ(error_of(edited(test_v2::v2_single.bytes, small_piece)), metainfo_errc::bad_piece_length);
  auto huge = [](bdict& root) {
    // A file far beyond max_v2_pieces pieces (no layers, so only the count refuses it).
    root.erase("piece layers");
    tree_of(root)["single.bin"].as_dict()[""].as_dict()["length"] = std::int64_t{1} << 50;
  };
  EXPECT_EQ(error_of(edited(test_v2::v2_single.bytes, huge)), metainfo_errc::too_many_pieces);
}

TEST(MetainfoV2, HybridHalvesMustAgree) {
  auto renamed_v1 = [](bdict& root) {
    auto& files = root["info"].as_dict()["files"].as_list();
    files[0].as_dict()["path"] = bvalue(detail::blist{bvalue("other.bin")});
  };
  EXPECT_EQ(error_of(edited(test_v2::hybrid_multi.bytes, renamed_v1)), metainfo_errc::hybrid_mismatch);
  auto unaligned = [](bdict& root) {
    // Without a.bin's padding c.txt starts at 40000; the piece hashes are left as they are, so
    // fix their count to the new total for the alignment check to be what refuses it.
    auto& info = root["info"].as_dict();
    auto& files = info["files"].as_list();
    files.erase(files.begin() + 1);
    std::int64_t total = 0;
    for (const auto& f : files) total += *f.find_int("length");
    const std::int64_t pieces = (total + 32767) / 32768;
    info["pieces"] = info["pieces"].as_string().substr(0, static_cast<std::size_t>(20 * pieces));
  };
  EXPECT_EQ(error_of(edited(test_v2::hybrid_multi.bytes, unaligned)), metainfo_errc::hybrid_mismatch);
  auto extra_tree_file = [](bdict& root) {
    bdict props;
    props["length"] = 5;
    props["pieces root"] = std::string(32, 'r');
    bdict node;
    node[""] = bvalue(props);
    tree_of(root)["zzz"] = bvalue(node);
    root.erase("piece layers");
  };
  EXPECT_EQ(error_of(edited(test_v2::hybrid_multi.bytes, extra_tree_file)), metainfo_errc::hybrid_mismatch);
  auto v1_folder_other_name = [](bdict& root) {
    auto& info = root["info"].as_dict();
    info.erase("length");
    bdict f;
    f["length"] = 100000;
    f["path"] = bvalue(detail::blist{bvalue("other.bin")});
    info["files"] = bvalue(detail::blist{bvalue(f)});
  };
  EXPECT_EQ(error_of(edited(test_v2::hybrid_single.bytes, v1_folder_other_name)), metainfo_errc::hybrid_mismatch);
}

TEST(MetainfoV2, HybridOfAFolderHoldingOneFile) {
  // libtorrent 2.0 (and `tessera create`) make of a folder "folder" holding only single.bin a v1
  // `files` list of one entry and a file tree of one top-level file: the same file,
  // folder/single.bin.
  auto one_file_folder = [](bdict& root) {
    auto& info = root["info"].as_dict();
    info.erase("length");
    info["name"] = "folder";
    bdict f;
    f["length"] = 100000;
    f["path"] = bvalue(detail::blist{bvalue("single.bin")});
    info["files"] = bvalue(detail::blist{bvalue(f)});
  };
  const torrent_info ti = parse_ok(edited(test_v2::hybrid_single.bytes, one_file_folder));
  EXPECT_TRUE(ti.multi_file());
  ASSERT_EQ(ti.files().size(), 1u);
  EXPECT_EQ(ti.files()[0].path, "folder/single.bin");
  EXPECT_FALSE(ti.files()[0].pieces_root.is_zero());
  EXPECT_TRUE(ti.has_all_piece_layers());
}

}  // namespace
}  // namespace tessera
