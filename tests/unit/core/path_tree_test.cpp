// Tests for the interned tree of a torrent's paths: collisions and the folder list.
#include "core/path_tree.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tessera::detail {
namespace {

TEST(PathTree, FilesMayNotShareAPathWithAFileOrAFolder) {
  const std::vector<std::string> paths = {"t/a/b", "t/a/c", "t/a/b", "t/a", "t/a/b/x", "t/d"};
  path_tree tree;
  EXPECT_TRUE(tree.add_file(paths[0]));
  EXPECT_TRUE(tree.add_file(paths[1]));   // a sibling
  EXPECT_FALSE(tree.add_file(paths[2]));  // the same file
  EXPECT_FALSE(tree.add_file(paths[3]));  // a file where a folder is
  EXPECT_FALSE(tree.add_file(paths[4]));  // a folder where a file is
  EXPECT_TRUE(tree.add_file(paths[5]));
}

TEST(PathTree, ComponentsAreComparedWholeNotAsPrefixes) {
  const std::vector<std::string> paths = {"t/ab/c", "t/a", "t/abc", "t/ab/cd", "t/ab/c.d"};
  path_tree tree;
  for (const auto& p : paths) EXPECT_TRUE(tree.add_file(p)) << p;
}

TEST(PathTree, FoldersComeDeepestFirstAsPrefixesOfTheGivenPaths) {
  const std::vector<std::string> paths = {"t/x/y/z/f", "t/x/g", "t/w/h", "single"};
  path_tree tree;
  for (const auto& p : paths) ASSERT_TRUE(tree.add_file(p));
  const auto folders = tree.folders_deepest_first();
  const std::vector<std::string> got(folders.begin(), folders.end());
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0], "t/x/y/z");
  EXPECT_EQ(got[1], "t/x/y");
  // Depth 2, in either order, then the top folder.
  EXPECT_TRUE((got[2] == "t/x" && got[3] == "t/w") || (got[2] == "t/w" && got[3] == "t/x"));
  EXPECT_EQ(got[4], "t");
  EXPECT_EQ(folders[0].data(), paths[0].data());  // a view into the path, not a copy
}

TEST(PathTree, AFolderUnderAFileIsNotListed) {
  const std::vector<std::string> paths = {"t/f", "t/f/sub/x"};
  path_tree tree;
  EXPECT_TRUE(tree.add_file(paths[0]));
  EXPECT_FALSE(tree.add_file(paths[1]));
  const auto folders = tree.folders_deepest_first();
  ASSERT_EQ(folders.size(), 1u);
  EXPECT_EQ(folders[0], "t");
}

}  // namespace
}  // namespace tessera::detail
