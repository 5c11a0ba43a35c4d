// BEP 47 on disk: symlink files (disk/symlink_file and the file storage creating them) and the
// executable attribute.
#include "disk/symlink_file.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/torrent_info_builder.hpp"
#include "disk/file_ownership.hpp"
#include "disk/posix.hpp"
#include "disk/storage.hpp"
#include "disk_test_util.hpp"
#include "tessera/check.hpp"

namespace tessera::detail {
namespace {

namespace fs = std::filesystem;
using test::temp_dir;

TEST(SymlinkText, IsRelativeFromTheLinksFolder) {
  EXPECT_EQ(*symlink_text("t/l", "t/a", "t"), "a");
  EXPECT_EQ(*symlink_text("t/links/l", "t/bin/tool", "t"), "../bin/tool");
  EXPECT_EQ(*symlink_text("t/a/b/l", "t/a/x", "t"), "../x");
  EXPECT_EQ(*symlink_text("t/a/l", "t/a/b/c", "t"), "b/c");
  EXPECT_EQ(*symlink_text("t/a/b/l", "t/a", "t"), "../../a");  // a folder above the link
}

TEST(SymlinkText, RefusesPathsOutsideTheRootFolder) {
  for (auto [link, target] : {std::pair{"t/l", "u/a"}, {"u/l", "t/a"}, {"t/l", "t/../x"}, {"t/l", "/etc"},
                              {"t/l", "t"}, {"t/l", "t//a"}, {"../l", "t/a"}}) {
    auto r = symlink_text(link, target, "t");
    EXPECT_FALSE(r) << link << " -> " << target;
    if (!r) {
      EXPECT_EQ(r.error(), std::errc::invalid_argument);
    }
  }
}

TEST(SymlinkText, StaysBeneathChecksEveryStep) {
  EXPECT_TRUE(symlink_stays_beneath("t/a/l", "../b", "t"));
  EXPECT_TRUE(symlink_stays_beneath("t/a/l", "./b/../c", "t"));
  EXPECT_FALSE(symlink_stays_beneath("t/a/l", "../../t/b", "t"));  // leaves t on the way
  EXPECT_FALSE(symlink_stays_beneath("t/l", "..", "t"));
  EXPECT_FALSE(symlink_stays_beneath("t/l", "/etc/passwd", "t"));
  EXPECT_FALSE(symlink_stays_beneath("t/l", "", "t"));
  EXPECT_FALSE(symlink_stays_beneath("t/a/l", "..", "t"));  // the root folder itself
}

TEST(SymlinkCreate, NeverReplacesWhatIsThereAndNeverFollowsAFolderLink) {
  temp_dir dir;
  fd_guard root(::open(dir.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  auto made = create_symlink_beneath(root.fd, "t/sub/l", "../a", "t");
  ASSERT_TRUE(made) << made.error().message();
  EXPECT_TRUE(*made);
  EXPECT_EQ(fs::read_symlink(dir.path / "t/sub/l"), "../a");
  // Again: the same link is there already, ours.
  made = create_symlink_beneath(root.fd, "t/sub/l", "../a", "t");
  ASSERT_TRUE(made);
  EXPECT_TRUE(*made);
  // A user's file at the path stays as it is.
  { std::ofstream(dir.path / "t/user") << "mine"; }
  made = create_symlink_beneath(root.fd, "t/user", "a", "t");
  ASSERT_TRUE(made);
  EXPECT_FALSE(*made);
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(dir.path / "t/user")));
  // A folder on the way that is a symlink (to outside) is not followed.
  temp_dir outside;
  fs::create_directory_symlink(outside.path, dir.path / "t/out");
  made = create_symlink_beneath(root.fd, "t/out/l", "../a", "t");
  ASSERT_FALSE(made);
  EXPECT_TRUE(fs::is_empty(outside.path));
  // A text leaving the root is refused before anything is made.
  made = create_symlink_beneath(root.fd, "t/esc", "../../etc/passwd", "t");
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error(), std::errc::invalid_argument);
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir.path / "t/esc")));
}

// A torrent: t/bin/tool (executable, 40 bytes), t/data (30 bytes), t/links/tool -> bin/tool,
// t/latest -> bin; 32-byte pieces.
std::shared_ptr<torrent_info> linked_torrent(std::vector<std::uint8_t>& content) {
  auto ti = test::make_torrent({{"t/bin/tool", 40}, {"t/data", 30}, {"t/links/tool", 0}, {"t/latest", 0}}, 32, content);
  ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*ti, [&](auto& tb) {
    tb.multi_file = true;
    tb.files[0].executable = true;
    tb.files[2].symlink = true;
    tb.files[2].symlink_target = "bin/tool";
    tb.files[3].symlink = true;
    tb.files[3].symlink_target = "bin";
  }));
  return ti;
}

TEST(Bep47OnDisk, CompletedTorrentHasItsExecutableAndItsLinksInside) {
  temp_dir dir;
  std::vector<std::uint8_t> content;
  auto ti = linked_torrent(content);
  auto st = make_file_storage(ti, dir.path / "dl");
  ASSERT_TRUE(st->initialize());
  for (int p = 0; p < ti->num_pieces(); ++p) {
    auto w = st->write(p * ti->piece_length(), test::piece_bytes(*ti, content, p));
    ASSERT_TRUE(w) << w.error().message();
  }
  const auto tool = dir.path / "dl/t/bin/tool";
  struct stat s {};
  ASSERT_EQ(::stat(tool.c_str(), &s), 0);
  const mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(s.st_mode & 0777, 0755 & ~mask);
  ASSERT_EQ(::stat((dir.path / "dl/t/data").c_str(), &s), 0);
  EXPECT_EQ(s.st_mode & 0111, 0u);

  EXPECT_EQ(fs::read_symlink(dir.path / "dl/t/links/tool"), "../bin/tool");
  EXPECT_EQ(fs::read_symlink(dir.path / "dl/t/latest"), "bin");
  EXPECT_EQ(fs::canonical(dir.path / "dl/t/links/tool"), fs::canonical(tool));

  // The check sees the data complete through the regular files (links hold no data).
  auto r = check_files(*ti, dir.path / "dl");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->complete());
  EXPECT_EQ(r->files[2].state, file_check_state::complete);
  fs::remove(dir.path / "dl/t/latest");
  fs::create_symlink("data", dir.path / "dl/t/latest");  // points elsewhere: not the torrent's link
  r = check_files(*ti, dir.path / "dl");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->files[3].state, file_check_state::missing);
  fs::remove(dir.path / "dl/t/latest");
  fs::create_symlink("bin", dir.path / "dl/t/latest");

  // Remove with data unlinks the torrent's links (never their targets' owners' files) and files.
  ASSERT_TRUE(st->remove_files());
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir.path / "dl/t/links/tool")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir.path / "dl/t/latest")));
  EXPECT_FALSE(fs::exists(tool));
}

// Data already in place (seeding what another program wrote): the check, finding every piece,
// creates the links.
TEST(Bep47OnDisk, TheCheckOfCompleteDataCreatesTheLinks) {
  temp_dir dir;
  std::vector<std::uint8_t> content;
  auto ti = linked_torrent(content);
  fs::create_directories(dir.path / "dl/t/bin");
  std::ofstream(dir.path / "dl/t/bin/tool", std::ios::binary).write(reinterpret_cast<const char*>(content.data()), 40);
  std::ofstream(dir.path / "dl/t/data", std::ios::binary).write(reinterpret_cast<const char*>(content.data() + 40), 30);
  auto st = make_file_storage(ti, dir.path / "dl");
  bitfield have(ti->num_pieces());
  have.set(0);
  auto partial = claim_checked_files(*st, *ti, have, {});  // t/data is not the torrent's yet
  ASSERT_TRUE(partial);
  EXPECT_EQ(partial->ec, storage_errc::existing_file);
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir.path / "dl/t/latest")));  // not complete: not yet
  have.set_all();
  EXPECT_FALSE(claim_checked_files(*st, *ti, have, {}));
  EXPECT_EQ(fs::read_symlink(dir.path / "dl/t/links/tool"), "../bin/tool");
  EXPECT_EQ(fs::read_symlink(dir.path / "dl/t/latest"), "bin");
}

TEST(Bep47OnDisk, AUsersFileAtALinksPathIsLeftAlone) {
  temp_dir dir;
  std::vector<std::uint8_t> content;
  auto ti = linked_torrent(content);
  fs::create_directories(dir.path / "dl/t");
  { std::ofstream(dir.path / "dl/t/latest") << "the user's"; }
  auto st = make_file_storage(ti, dir.path / "dl");
  for (int p = 0; p < ti->num_pieces(); ++p) ASSERT_TRUE(st->write(p * ti->piece_length(), test::piece_bytes(*ti, content, p)));
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(dir.path / "dl/t/latest")));
  EXPECT_EQ(test::read_file(dir.path / "dl/t/latest").size(), 10u);
  ASSERT_TRUE(st->remove_files());
  EXPECT_TRUE(fs::exists(dir.path / "dl/t/latest"));  // not the torrent's: kept
}

TEST(Bep47OnDisk, AnEscapingLinkIsRefusedAndNothingIsCreated) {
  // parse_torrent refuses such a target; a torrent_info built by hand reaches the storage.
  temp_dir dir;
  std::vector<std::uint8_t> content;
  auto ti = linked_torrent(content);
  ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*ti, [&](auto& tb) {
    tb.files[3].symlink_target = "../../../etc";
  }));
  auto st = make_file_storage(ti, dir.path / "dl");
  auto init = st->initialize();
  ASSERT_FALSE(init);
  EXPECT_EQ(init.error().ec, std::errc::invalid_argument);
  EXPECT_NE(init.error().path.find("t/latest"), std::string::npos);
  auto w = st->write(0, test::piece_bytes(*ti, content, 0));
  ASSERT_TRUE(w);  // piece 0 does not reach the link (at offset 70, in piece 2)
  auto w2 = st->write(2 * ti->piece_length(), test::piece_bytes(*ti, content, 2));
  ASSERT_FALSE(w2);
  EXPECT_EQ(w2.error().ec, std::errc::invalid_argument);
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir.path / "dl/t/latest")));
}

}  // namespace
}  // namespace tessera::detail
