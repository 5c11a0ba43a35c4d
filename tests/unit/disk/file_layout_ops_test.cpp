// Tests for the whole-torrent file operations (remove with data, move): what they delete, and
// that the folder list of a torrent costs memory linear in its paths.
#include "disk/file_layout_ops.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "../support/address_space_limit.hpp"
#include "core/torrent_info_builder.hpp"
#include "disk_test_util.hpp"

namespace tessera::detail {
namespace {

namespace fs = std::filesystem;

torrent_info layout(const std::vector<std::string>& paths) {
  tessera::detail::torrent_info_builder ti;
  ti.name = "t";
  ti.multi_file = true;
  ti.piece_length = 16 * 1024;
  for (const auto& p : paths) {
    file_entry f;
    f.path = p;
    f.size = 1;
    f.offset = ti.total_size;
    ti.files.push_back(f);
    ti.total_size += f.size;
  }
  ti.piece_hashes.resize(1);  // a piece of at most a few bytes (its hash is never checked here)
  return std::move(ti).build();
}

/// Every file of `ti` selected (the operations touch only the files the caller selects).
std::vector<bool> all_files(const torrent_info& ti) { return std::vector<bool>(ti.files().size(), true); }

void touch(const fs::path& p) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << "x";
}

TEST(FileLayoutOps, DeleteRemovesTheFilesAndTheFoldersThatEndUpEmptyDeepestFirst) {
  test::temp_dir dir;
  const auto ti = layout({"t/a/b/c/f1", "t/a/f2", "t/d/f3"});
  for (const auto& f : ti.files()) touch(dir.path / f.path);
  touch(dir.path / "t/d/user.txt");  // not the torrent's: it and its folder stay
  auto r = delete_torrent_files(ti, dir.path, all_files(ti));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(fs::exists(dir.path / "t/a"));
  EXPECT_TRUE(fs::exists(dir.path / "t/d/user.txt"));
  EXPECT_FALSE(fs::exists(dir.path / "t/d/f3"));
  EXPECT_TRUE(fs::exists(dir.path / "t"));
}

TEST(FileLayoutOps, MoveTakesDeepFilesAlongAndRemovesTheEmptiedFolders) {
  test::temp_dir from, to;
  std::string deep = "t";
  for (int i = 0; i < 100; ++i) deep += "/d" + std::to_string(i);
  const auto ti = layout({deep + "/f", "t/g"});
  for (const auto& f : ti.files()) touch(from.path / f.path);
  auto r = move_torrent_files(ti, from.path, to.path, all_files(ti), false);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(fs::exists(to.path / deep / "f"));
  EXPECT_TRUE(fs::exists(to.path / "t/g"));
  EXPECT_FALSE(fs::exists(from.path / "t"));
}

TEST(FileLayoutOps, AHandBuiltPathOfFiftyThousandComponentsCostsBoundedMemory) {
  // parse_torrent refuses such a path; the builder (tests, the library's own makers) does not
  // check path lengths. Its folder list, as
  // joined prefixes, was 50,000^2 bytes (2.5 GB); the kernel refuses the path (ENAMETOOLONG),
  // so no folder of it can exist and nothing beneath the directory is touched.
  test::temp_dir dir;
  std::string path = "t";
  for (int i = 0; i < 50'000; ++i) path += "/a";
  const auto ti = layout({path});
  touch(dir.path / "t/keep");
  if (auto why = tessera::test::address_space_limit_problem(); !why.empty()) GTEST_SKIP() << why;
  const int status = tessera::test::run_with_address_space_limit(256u << 20, [&] {
    auto r = delete_torrent_files(ti, dir.path, all_files(ti));
    return !r && r.error().ec == std::errc::filename_too_long;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << tessera::test::describe_wait_status(status);
  EXPECT_TRUE(fs::exists(dir.path / "t/keep"));
}

}  // namespace
}  // namespace tessera::detail
