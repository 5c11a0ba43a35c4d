// Tests for the interned tree of a torrent's paths: collisions.
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

}  // namespace
}  // namespace tessera::detail
