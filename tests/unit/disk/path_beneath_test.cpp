// Tests of the path checks and of opening strictly beneath a directory, with openat2 and with the
// component-walk fallback used on kernels without it.
#include "disk/path_beneath.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>

#include "disk/storage.hpp"
#include "disk_test_util.hpp"

namespace tessera::detail {
namespace {

namespace fs = std::filesystem;
using test::temp_dir;

TEST(SplitRelativePath, AcceptsPlainComponents) {
  auto r = split_relative_path("t/sub dir/file.bin");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<std::string>{"t", "sub dir", "file.bin"}));
  EXPECT_TRUE(split_relative_path("..."));  // a name of three dots is only a name
  EXPECT_TRUE(split_relative_path(".hidden"));
}

TEST(SplitRelativePath, RefusesEverythingThatCouldLeaveTheDirectory) {
  for (std::string p :
       std::vector<std::string>{"", "/etc/passwd", "..", "../x", "t/../x", "t/..", "./x", "t/.",
                                "t//x", "t/", std::string("t/a\0b", 5)})
    EXPECT_FALSE(split_relative_path(p)) << p;
}

// Runs the test body with openat2 and again with the O_NOFOLLOW walk.
class OpenBeneath : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { set_openat2_enabled_for_testing(GetParam()); }
  void TearDown() override { set_openat2_enabled_for_testing(true); }
  temp_dir dir;
};

TEST_P(OpenBeneath, OpensAndCreatesInsideTheDirectory) {
  int root = ::open(dir.path.c_str(), O_PATH | O_DIRECTORY);
  ASSERT_GE(root, 0);
  std::vector<std::string> comps{"a", "b", "f"};
  ASSERT_FALSE(make_dirs_beneath(root, comps, 2));
  EXPECT_TRUE(fs::is_directory(dir.path / "a/b"));
  int fd = open_beneath(root, "a/b/f", O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  ::close(fd);
  EXPECT_TRUE(fs::is_regular_file(dir.path / "a/b/f"));
  ASSERT_FALSE(make_dirs_beneath(root, comps, 2));  // already there: fine
  ::close(root);
}

TEST_P(OpenBeneath, SymlinkLeavingTheDirectoryIsNotFollowed) {
  fs::create_directories(dir.path / "root");
  fs::create_directories(dir.path / "outside");
  fs::create_directory_symlink(dir.path / "outside", dir.path / "root/link");
  fs::create_symlink("../outside/file", dir.path / "root/filelink");
  int root = ::open((dir.path / "root").c_str(), O_PATH | O_DIRECTORY);
  ASSERT_GE(root, 0);
  EXPECT_LT(open_beneath(root, "link/x", O_RDWR | O_CREAT, 0644), 0);
  EXPECT_LT(open_beneath(root, "filelink", O_RDWR | O_CREAT, 0644), 0);
  std::vector<std::string> comps{"link", "sub", "f"};
  EXPECT_TRUE(make_dirs_beneath(root, comps, 2));
  EXPECT_TRUE(fs::is_empty(dir.path / "outside"));
  ::close(root);
}

TEST_P(OpenBeneath, FileStorageRefusesTheEscapeToo) {
  fs::create_directories(dir.path / "dl");
  fs::create_directories(dir.path / "outside");
  fs::create_directory_symlink(dir.path / "outside", dir.path / "dl/t");
  std::vector<std::uint8_t> content;
  auto ti = test::make_torrent({{"t/x", 8}}, 8, content);
  auto st = make_file_storage(ti, dir.path / "dl");
  EXPECT_FALSE(st->write(0, content));
  EXPECT_TRUE(fs::is_empty(dir.path / "outside"));
}

// Issue 9, item 8: a symlink staying inside the directory is not followed either (openat2
// RESOLVE_NO_SYMLINKS, like the walk): it could point a write at another file of the download.
TEST_P(OpenBeneath, SymlinkStayingInsideIsNotFollowedEither) {
  fs::create_directories(dir.path / "real");
  std::ofstream(dir.path / "real/f") << "x";
  fs::create_directory_symlink("real", dir.path / "alias");
  fs::create_symlink("real/f", dir.path / "flink");
  int root = ::open(dir.path.c_str(), O_PATH | O_DIRECTORY);
  ASSERT_GE(root, 0);
  int fd = open_beneath(root, "alias/f", O_RDONLY);
  EXPECT_LT(fd, 0);
  if (fd >= 0) ::close(fd);
  fd = open_beneath(root, "flink", O_RDWR);
  EXPECT_LT(fd, 0);
  EXPECT_EQ(errno, ELOOP);
  if (fd >= 0) ::close(fd);
  fd = open_beneath(root, "real/f", O_RDONLY);  // the real path still opens
  EXPECT_GE(fd, 0);
  if (fd >= 0) ::close(fd);
  EXPECT_EQ(symlink_component_beneath(root, {"alias", "f"}, 1), 0);
  EXPECT_EQ(symlink_component_beneath(root, {"real", "f"}, 1), -1);
  ::close(root);
}

INSTANTIATE_TEST_SUITE_P(Openat2AndWalk, OpenBeneath, ::testing::Values(true, false),
                         [](const auto& p) { return p.param ? "openat2" : "walk"; });

}  // namespace
}  // namespace tessera::detail
