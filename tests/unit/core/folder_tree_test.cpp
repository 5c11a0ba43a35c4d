// Tests for folder_tree (a torrent's folders and files as a tree), the torrent_info builder's
// invariant checks, and the edits that make new torrent_infos (with_trackers, rename).
#include "tessera/folder_tree.hpp"

#include <gtest/gtest.h>

#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "core/torrent_info_builder.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera {
namespace {

using node_id = folder_tree::node_id;

/// A v1 torrent of `files` ({path, size, pad}) at 16-byte pieces, hashes zero.
torrent_info make(const std::string& name, const std::vector<std::tuple<std::string, std::int64_t, bool>>& files) {
  detail::torrent_info_builder b;
  b.name = name;
  b.piece_length = 16;
  b.multi_file = files.size() != 1 || std::get<0>(files[0]) != name;
  for (const auto& [path, size, pad] : files) {
    file_entry f;
    f.path = path;
    f.size = size;
    f.offset = b.total_size;
    f.pad = pad;
    b.files.push_back(f);
    b.total_size += size;
  }
  b.piece_hashes.resize(static_cast<std::size_t>((b.total_size + 15) / 16));
  return std::move(b).build();
}

std::vector<std::string> names(const folder_tree& t, std::span<const node_id> nodes) {
  std::vector<std::string> out;
  for (node_id n : nodes) out.emplace_back(t.name(n));
  return out;
}

TEST(FolderTree, NestedFoldersKeepTheFileListOrderAndLinkParents) {
  const auto ti = make("t", {{"t/b/x", 4, false}, {"t/a", 4, false}, {"t/b/c/y", 4, false}, {"t/b/c/z", 4, false}});
  const folder_tree& tree = ti.file_tree();
  // root, t, b, x, a, c, y, z
  ASSERT_EQ(tree.size(), 8u);
  EXPECT_EQ(tree.num_folders(), 3u);  // t, t/b, t/b/c
  ASSERT_EQ(tree.children(folder_tree::root).size(), 1u);
  const node_id t = tree.children(folder_tree::root)[0];
  EXPECT_EQ(tree.name(t), "t");
  EXPECT_FALSE(tree.is_file(t));
  EXPECT_EQ(names(tree, tree.children(t)), (std::vector<std::string>{"b", "a"}));
  const node_id c = tree.find("t/b/c");
  ASSERT_NE(c, folder_tree::no_node);
  EXPECT_EQ(names(tree, tree.children(c)), (std::vector<std::string>{"y", "z"}));
  EXPECT_EQ(tree.parent(c), tree.find("t/b"));
  EXPECT_EQ(tree.parent(t), folder_tree::root);
  EXPECT_EQ(tree.parent(folder_tree::root), folder_tree::no_node);
  EXPECT_EQ(tree.path(c), "t/b/c");
  // Every file's node leads back to its file_entry.
  for (int i = 0; i < 4; ++i) {
    const node_id n = tree.node_of_file(file_index{i});
    ASSERT_NE(n, folder_tree::no_node);
    EXPECT_TRUE(tree.is_file(n));
    EXPECT_EQ(tree.file(n), file_index{i});
    EXPECT_EQ(tree.path(n), ti.file(file_index{i}).path);
  }
  EXPECT_EQ(tree.files_under(tree.find("t/b")), (std::vector<file_index>{file_index{0}, file_index{2}, file_index{3}}));
  // Deepest first: c before b before t.
  const auto folders = tree.folders_deepest_first();
  EXPECT_EQ(names(tree, folders), (std::vector<std::string>{"c", "b", "t"}));
}

TEST(FolderTree, ASingleFileTorrentIsOneFileUnderTheRoot) {
  const auto ti = make("movie.mkv", {{"movie.mkv", 40, false}});
  const folder_tree& tree = ti.file_tree();
  ASSERT_EQ(tree.size(), 2u);
  EXPECT_EQ(tree.num_folders(), 0u);
  const node_id f = tree.find("movie.mkv");
  ASSERT_NE(f, folder_tree::no_node);
  EXPECT_TRUE(tree.is_file(f));
  EXPECT_EQ(tree.file(f), file_index{0});
  EXPECT_TRUE(tree.folders_deepest_first().empty());
}

TEST(FolderTree, PaddingFilesAndFoldersOfOnlyPaddingAreLeftOut) {
  const auto ti = make("t", {{"t/a", 10, false}, {"t/.pad/6", 6, true}, {"t/b", 10, false}, {"t/.pad/6", 6, true},
                             {"t/c", 4, false}});
  const folder_tree& tree = ti.file_tree();
  EXPECT_EQ(tree.size(), 5u);  // root, t, a, b, c
  EXPECT_EQ(tree.find("t/.pad"), folder_tree::no_node);
  EXPECT_EQ(tree.find("t/.pad/6"), folder_tree::no_node);
  EXPECT_EQ(tree.node_of_file(file_index{1}), folder_tree::no_node);
  EXPECT_EQ(tree.file(tree.find("t/c")), file_index{4});
  EXPECT_EQ(tree.files_under(tree.find("t")), (std::vector<file_index>{file_index{0}, file_index{2}, file_index{4}}));
}

TEST(FolderTree, LookupHitsAndMisses) {
  const auto ti = make("t", {{"t/ab/c", 4, false}, {"t/a", 4, false}, {"t/abc", 4, false}});
  const folder_tree& tree = ti.file_tree();
  EXPECT_EQ(tree.find(""), folder_tree::root);
  EXPECT_NE(tree.find("t"), folder_tree::no_node);
  EXPECT_EQ(tree.find("t/"), tree.find("t"));  // one trailing '/' is ignored
  EXPECT_NE(tree.find("t/ab/c"), folder_tree::no_node);
  EXPECT_EQ(tree.find("t/ab/c/"), tree.find("t/ab/c"));
  EXPECT_EQ(tree.find("t/a/c"), folder_tree::no_node);  // a is a file, not a folder
  EXPECT_EQ(tree.find("t/ab/"), tree.find("t/ab"));
  EXPECT_EQ(tree.find("t/ab/cd"), folder_tree::no_node);
  EXPECT_EQ(tree.find("t/b"), folder_tree::no_node);
  EXPECT_EQ(tree.find("t//a"), folder_tree::no_node);
  EXPECT_EQ(tree.find("/t"), folder_tree::no_node);
  EXPECT_EQ(tree.find("u"), folder_tree::no_node);
  EXPECT_EQ(tree.node_of_file(file_index{3}), folder_tree::no_node);   // out of range
  EXPECT_EQ(tree.node_of_file(file_index{-1}), folder_tree::no_node);
}

TEST(FolderTree, ACollidingFileGetsNoNode) {
  // The parser refuses this (duplicate_path); the tree stays well formed all the same.
  const auto ti = make("t", {{"t/a", 4, false}, {"t/a", 4, false}, {"t/a/b", 4, false}});
  const folder_tree& tree = ti.file_tree();
  EXPECT_EQ(tree.size(), 3u);  // root, t, a
  EXPECT_EQ(tree.file(tree.find("t/a")), file_index{0});
  EXPECT_EQ(tree.node_of_file(file_index{1}), folder_tree::no_node);
  EXPECT_EQ(tree.node_of_file(file_index{2}), folder_tree::no_node);
}

TEST(FolderTree, ARenamedFolderIsInTheNewTorrentsTreeAndNotInTheOld) {
  const auto ti = make("t", {{"t/sub/a", 4, false}, {"t/.pad/12", 12, true}, {"t/sub/b", 4, false}, {"t/c", 4, false}});
  auto renamed = rename_torrent_path(ti, "t/sub", "dir");
  ASSERT_TRUE(renamed);
  const folder_tree& tree = renamed->file_tree();
  EXPECT_EQ(tree.find("t/sub"), folder_tree::no_node);
  const node_id dir = tree.find("t/dir");
  ASSERT_NE(dir, folder_tree::no_node);
  EXPECT_EQ(names(tree, tree.children(dir)), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(tree.files_under(dir), (std::vector<file_index>{file_index{0}, file_index{2}}));
  EXPECT_EQ(renamed->file(file_index{2}).path, "t/dir/b");
  EXPECT_EQ(renamed->file(file_index{1}).path, "t/.pad/12");  // not beneath t/sub
  // The original is unchanged.
  EXPECT_NE(ti.file_tree().find("t/sub"), folder_tree::no_node);
  EXPECT_EQ(ti.file(file_index{0}).path, "t/sub/a");
  // A sibling's name is taken.
  auto taken = rename_torrent_path(*renamed, "t/dir", "c");
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error(), std::errc::file_exists);
  auto missing = rename_torrent_path(*renamed, "t/sub", "x");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), std::errc::no_such_file_or_directory);
  // The top folder: the name changes too.
  auto top = rename_torrent_path(*renamed, "t", "u");
  ASSERT_TRUE(top);
  EXPECT_EQ(top->name(), "u");
  EXPECT_EQ(top->file(file_index{1}).path, "u/.pad/12");
  EXPECT_NE(top->file_tree().find("u/dir/b"), folder_tree::no_node);
}

TEST(FolderTree, CopiesAreIndependentValues) {
  auto ti = make("t", {{"t/a/b", 4, false}});
  const folder_tree copy = ti.file_tree();
  ti = make("u", {{"u/x", 4, false}});
  EXPECT_NE(copy.find("t/a/b"), folder_tree::no_node);
  EXPECT_EQ(copy.path(copy.find("t/a/b")), "t/a/b");
  const folder_tree empty;
  EXPECT_EQ(empty.size(), 1u);
  EXPECT_EQ(empty.find("t"), folder_tree::no_node);
}

TEST(TorrentInfoBuilder, BrokenInvariantsThrowLogicError) {
  detail::torrent_info_builder ok;
  ok.name = "t";
  ok.piece_length = 16;
  ok.files.push_back({"t", 20, 0});
  ok.total_size = 20;
  ok.piece_hashes.resize(2);
  EXPECT_EQ(ok.build().num_pieces(), 2);

  auto broken = ok;
  broken.piece_hashes.resize(3);  // 20 bytes are 2 pieces of 16
  EXPECT_THROW(broken.build(), std::logic_error);
  broken = ok;
  broken.total_size = 21;
  EXPECT_THROW(broken.build(), std::logic_error);
  broken = ok;
  broken.files.push_back({"u", 4, 12});  // overlaps the first file
  broken.total_size = 24;
  EXPECT_THROW(broken.build(), std::logic_error);
  broken = ok;
  broken.meta_version = 3;
  EXPECT_THROW(broken.build(), std::logic_error);
  broken = ok;
  broken.piece_length = 0;
  EXPECT_THROW(broken.build(), std::logic_error);
}

TEST(TorrentInfo, WithTrackersChangesOnlyTheTrackersOfTheCopy) {
  const auto ti = make("t", {{"t/a", 4, false}});
  const auto edited = ti.with_trackers({{"http://127.0.0.1:1/announce"}, {"udp://127.0.0.1:2"}});
  EXPECT_TRUE(ti.trackers().empty());
  ASSERT_EQ(edited.trackers().size(), 2u);
  EXPECT_EQ(edited.trackers()[1][0], "udp://127.0.0.1:2");
  EXPECT_EQ(edited.info_hash(), ti.info_hash());
  EXPECT_EQ(edited.files().size(), 1u);
  EXPECT_NE(edited.file_tree().find("t/a"), folder_tree::no_node);
}

}  // namespace
}  // namespace tessera
