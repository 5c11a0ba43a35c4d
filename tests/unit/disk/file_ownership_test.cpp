// Tests of file ownership in the files-on-disk backend (issue 9, item 8): a file that was at a
// torrent's path before it is never written into or deleted unless overwriting is allowed,
// symlinks are never followed, hard-linked files are never written through, and the start-up
// check adopts the files its verified pieces were read from.
#include "disk/file_ownership.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "disk/part_file_storage.hpp"
#include "disk_test_util.hpp"

namespace tessera::detail {
namespace {

namespace fs = std::filesystem;
using test::temp_dir;

// Piece 0 = t/a [0,10) + padding [10,16) + t/b [16,32); piece 1 = t/b [32,36) + t/c [36,64);
// piece 2 = t/c [64,66); t/e is empty (at offset 66).
const std::vector<test::file_spec> files = {
    {"t/a", 10}, {"t/.pad/6", 6, true}, {"t/b", 20}, {"t/c", 30}, {"t/e", 0}};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void put(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

timespec mtime_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mtim;
}

bool same_time(timespec a, timespec b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; }

class FileOwnership : public ::testing::Test {
 protected:
  temp_dir dir;
  fs::path dl = dir.path / "dl";
  std::vector<std::uint8_t> content;
  std::shared_ptr<torrent_info> ti = test::make_torrent(files, 32, content);
  std::shared_ptr<storage> st = make_file_storage(ti, dl);
  file_ownership& own = *ownership_of(*st);

  result<bool, storage_error> write_piece(int p) {
    return st->write(p * ti->piece_length(), test::piece_bytes(*ti, content, p));
  }
  static std::vector<bool> only(std::size_t i) {
    std::vector<bool> v(files.size(), false);
    v[i] = true;
    return v;
  }
};

TEST_F(FileOwnership, TheFilesOnDiskBackendTracksOwnershipAndTheOthersDoNot) {
  EXPECT_NE(ownership_of(*st), nullptr);
  EXPECT_EQ(ownership_of(*make_memory_storage(ti)), nullptr);
  EXPECT_EQ(ownership_of(*make_blob_storage(ti, dir.path / "b.blob")), nullptr);
}

TEST_F(FileOwnership, AFileThatWasThereIsNotWrittenIntoAndTheErrorNamesIt) {
  put(dl / "t/b", "the user's own file");
  const auto before = mtime_of(dl / "t/b");
  auto r = write_piece(0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ec, storage_errc::existing_file);
  EXPECT_EQ(r.error().path, (dl / "t/b").string());
  EXPECT_EQ(r.error().message(),
            "write " + (dl / "t/b").string() +
                ": exists and is not part of this download (no piece of it verifies)");
  EXPECT_EQ(slurp(dl / "t/b"), "the user's own file");
  EXPECT_TRUE(same_time(mtime_of(dl / "t/b"), before));
  EXPECT_FALSE(own.owned_files()[2]);
  EXPECT_TRUE(own.owned_files()[0]) << "t/a was created by this write";
}

TEST_F(FileOwnership, WithOverwritingAllowedTheFileIsWrittenIntoAndBecomesTheTorrents) {
  put(dl / "t/b", std::string(40, 'u'));  // longer than the torrent's t/b: never truncated
  own.set_overwrite_existing(true);
  ASSERT_TRUE(write_piece(0));
  ASSERT_TRUE(write_piece(1));
  auto b = slurp(dl / "t/b");
  EXPECT_EQ(b.substr(0, 20), std::string(content.begin() + 16, content.begin() + 36));
  EXPECT_EQ(b.size(), 40u);
  EXPECT_TRUE(own.owned_files()[2]);
}

TEST_F(FileOwnership, FilesTheStorageCreatedAreWrittenAgainAfterTheirDescriptorIsClosed) {
  ASSERT_TRUE(write_piece(0));
  st->close_all();
  ASSERT_TRUE(write_piece(1)) << "t/b is ours: created by the first write";
  EXPECT_EQ(own.owned_files(), (std::vector<bool>{true, false, true, true, false}));
}

TEST_F(FileOwnership, AdoptedFilesAreWrittenInto) {
  put(dl / "t/b", std::string(20, 'u'));
  own.adopt_files(only(2));
  ASSERT_TRUE(write_piece(0));
  EXPECT_EQ(slurp(dl / "t/b").substr(0, 16), std::string(content.begin() + 16, content.begin() + 32));
}

TEST_F(FileOwnership, TwoThreadsWritingTheFirstPiecesOfANewFileBothSucceed) {
  // 64 pieces of 4 KiB in one file: the first writes race to create it.
  std::vector<std::uint8_t> big;
  auto one = test::make_torrent({{"one/f", 64 * 4096}}, 4096, big);
  for (int round = 0; round < 50; ++round) {
    temp_dir d;
    auto s = make_file_storage(one, d.path);
    std::atomic<int> failures{0};
    auto writer = [&](int first) {
      for (int p = first; p < 64; p += 2)
        if (!s->write(p * 4096, test::piece_bytes(*one, big, p))) ++failures;
    };
    std::thread t1(writer, 0), t2(writer, 1);
    t1.join();
    t2.join();
    ASSERT_EQ(failures.load(), 0) << "round " << round;
  }
}

TEST_F(FileOwnership, ASymlinkAtAFilePathIsNeverFollowed) {
  put(dir.path / "outside/target", "outside data");
  fs::create_directories(dl / "t");
  fs::create_symlink(dir.path / "outside/target", dl / "t/b");
  const auto before = mtime_of(dir.path / "outside/target");
  auto r = write_piece(0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ec, storage_errc::symlink);
  EXPECT_EQ(r.error().path, (dl / "t/b").string());
  // Reading through it is not reading the torrent's data either: a short read, no error.
  std::vector<std::uint8_t> buf(32);
  auto got = st->read(32, buf);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, 0u);
  EXPECT_EQ(slurp(dir.path / "outside/target"), "outside data");
  EXPECT_TRUE(same_time(mtime_of(dir.path / "outside/target"), before));
}

TEST_F(FileOwnership, WithOverwritingAllowedASymlinkIsReplacedAndItsTargetLeftAlone) {
  put(dir.path / "outside/target", "outside data");
  fs::create_directories(dl / "t");
  fs::create_symlink(dir.path / "outside/target", dl / "t/b");
  own.set_overwrite_existing(true);
  ASSERT_TRUE(write_piece(0));
  EXPECT_FALSE(fs::is_symlink(dl / "t/b"));
  EXPECT_TRUE(fs::is_regular_file(dl / "t/b"));
  EXPECT_EQ(slurp(dir.path / "outside/target"), "outside data");
}

TEST_F(FileOwnership, ASymlinkedDirectoryIsRefusedEvenWithOverwritingAllowed) {
  fs::create_directories(dir.path / "elsewhere");
  fs::create_directories(dl);
  fs::create_directory_symlink(dir.path / "elsewhere", dl / "t");
  own.set_overwrite_existing(true);
  auto r = write_piece(0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ec, storage_errc::symlinked_directory);
  EXPECT_TRUE(fs::is_empty(dir.path / "elsewhere"));
  auto w = own.check_writable(only(0));
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().ec, storage_errc::symlinked_directory);
}

TEST_F(FileOwnership, AHardLinkedFileIsNeverWrittenThroughEvenWhenOwned) {
  put(dir.path / "library/copy", std::string(20, 'l'));
  fs::create_directories(dl / "t");
  fs::create_hard_link(dir.path / "library/copy", dl / "t/b");
  own.adopt_files(only(2));
  own.set_overwrite_existing(true);
  auto r = write_piece(0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ec, storage_errc::hard_linked);
  EXPECT_EQ(slurp(dir.path / "library/copy"), std::string(20, 'l'));
}

TEST_F(FileOwnership, AFileHardLinkedAfterItWasOpenedIsNotWrittenAgain) {
  ASSERT_TRUE(write_piece(0));  // t/b open for writing now
  fs::create_directories(dir.path / "library");
  fs::create_hard_link(dl / "t/b", dir.path / "library/copy");
  const std::string before = slurp(dir.path / "library/copy");
  auto r = write_piece(1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ec, storage_errc::hard_linked);
  EXPECT_EQ(slurp(dir.path / "library/copy"), before);
}

TEST_F(FileOwnership, AZeroLengthFileAlreadyThereIsLeftAsItIsAndNotOwned) {
  put(dl / "t/e", "not empty");
  ASSERT_TRUE(write_piece(2));  // reaches t/e's offset
  EXPECT_EQ(slurp(dl / "t/e"), "not empty");
  EXPECT_FALSE(own.owned_files()[4]);
  ASSERT_TRUE(st->remove_files());
  EXPECT_EQ(slurp(dl / "t/e"), "not empty");
}

TEST_F(FileOwnership, RemoveFilesDeletesOnlyTheTorrentsOwnFiles) {
  put(dl / "t/b", "the user's own file");
  put(dl / "t/c", std::string(30, 'v'));
  own.adopt_files(only(3));  // e.g. a verified piece was read from it
  ASSERT_FALSE(write_piece(0));  // creates t/a, then refuses t/b
  ASSERT_TRUE(fs::exists(dl / "t/a"));
  ASSERT_TRUE(st->remove_files());
  EXPECT_FALSE(fs::exists(dl / "t/a"));
  EXPECT_FALSE(fs::exists(dl / "t/c"));
  EXPECT_EQ(slurp(dl / "t/b"), "the user's own file");
}

TEST_F(FileOwnership, MoveFilesMovesOnlyOwnFilesAndNeverReplacesATarget) {
  put(dl / "t/b", "the user's own file");
  ASSERT_FALSE(write_piece(0));  // t/a is ours, t/b is not
  put(dir.path / "new/t/a", "already at the target");
  auto r = st->move_files(dir.path / "new");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ec, storage_errc::target_exists);
  EXPECT_EQ(r.error().message(),
            "rename " + (dir.path / "new/t/a").string() + ": already exists at the new place (not replaced)");
  EXPECT_EQ(slurp(dir.path / "new/t/a"), "already at the target");
  EXPECT_TRUE(fs::exists(dl / "t/a")) << "nothing moved before the refusal";
  fs::remove(dir.path / "new/t/a");
  ASSERT_TRUE(st->move_files(dir.path / "new"));
  EXPECT_TRUE(fs::exists(dir.path / "new/t/a"));
  EXPECT_FALSE(fs::exists(dir.path / "new/t/b"));
  EXPECT_EQ(slurp(dl / "t/b"), "the user's own file");
}

TEST_F(FileOwnership, CheckWritableNamesTheFirstFileAWriteWouldRefuse) {
  EXPECT_TRUE(own.check_writable(std::vector<bool>(files.size(), true))) << "nothing there yet";
  put(dl / "t/c", std::string(30, 'u'));
  EXPECT_TRUE(own.check_writable(only(2)));
  auto r = own.check_writable(std::vector<bool>(files.size(), true));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ec, storage_errc::existing_file);
  EXPECT_EQ(r.error().path, (dl / "t/c").string());
  own.set_overwrite_existing(true);
  EXPECT_TRUE(own.check_writable(std::vector<bool>(files.size(), true)));
}

// --- what the start-up check does -----------------------------------------------------------

TEST(FileOwnershipHelpers, FilesOfPiecesAndFilesToWrite) {
  std::vector<std::uint8_t> content;
  auto ti = test::make_torrent(files, 32, content);
  bitfield have(3);
  have.set(2);
  EXPECT_EQ(files_of_pieces(*ti, have), (std::vector<bool>{false, false, false, true, false}));
  have.set(0);
  EXPECT_EQ(files_of_pieces(*ti, have), (std::vector<bool>{true, false, true, true, false}));
  // Piece 1 is missing: t/b and t/c will be written, unless skipped; padding and empty never.
  EXPECT_EQ(files_to_write(*ti, have, {}), (std::vector<bool>{false, false, true, true, false}));
  EXPECT_EQ(files_to_write(*ti, have, {true, true, true, false, true}),
            (std::vector<bool>{false, false, true, false, false}));
}

TEST_F(FileOwnership, TheCheckAdoptsFilesOfVerifiedPiecesAndRefusesTheOthers) {
  // An earlier run left t/a and t/b with piece 0 verified; the user has a t/c of their own.
  fs::create_directories(dl / "t");
  std::ofstream(dl / "t/a", std::ios::binary).write(reinterpret_cast<const char*>(content.data()), 10);
  std::ofstream(dl / "t/b", std::ios::binary).write(reinterpret_cast<const char*>(content.data() + 16), 16);
  put(dl / "t/c", std::string(30, 'u'));
  bitfield have(3);
  have.set(0);
  auto e = claim_checked_files(*st, *ti, have, {});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->ec, storage_errc::existing_file);
  EXPECT_EQ(e->path, (dl / "t/c").string());
  EXPECT_TRUE(own.owned_files()[0]);
  EXPECT_TRUE(own.owned_files()[2]);
  // Skipped, t/c is not written: no error. t/b still is (piece 1 is missing) and is ours now.
  EXPECT_FALSE(claim_checked_files(*st, *ti, have, {true, true, true, false, true}));
  auto w = write_piece(1);  // t/c is refused at the write too
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().ec, storage_errc::existing_file);
  EXPECT_EQ(slurp(dl / "t/c"), std::string(30, 'u'));
}

TEST_F(FileOwnership, PiecesHeldInThePartFileDoNotMakeTheirFilesTheTorrents) {
  auto parts = make_part_file_storage(make_file_storage(ti, dl), ti, dl / ".parts");
  ASSERT_TRUE(parts->initialize());
  parts->set_skipped({false, false, false, true, false});  // t/c skipped: piece 1 goes to the part file
  ASSERT_TRUE(parts->write(32, test::piece_bytes(*ti, content, 1)));
  ASSERT_EQ(parts->held_pieces(), std::vector<int>{1});
  put(dl / "t/c", std::string(30, 'u'));  // the user's file appears where the skipped one would be
  bitfield have(3);
  have.set(1);  // verified, read from the part file
  EXPECT_FALSE(claim_checked_files(*parts, *ti, have, {true, true, true, false, true}));
  EXPECT_FALSE(parts->owned_files()[3]);
  // Wanted again: the part file's bytes must not go into the user's file.
  parts->set_skipped({});
  auto r = parts->move_unskipped();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ec, storage_errc::existing_file);
  EXPECT_EQ(slurp(dl / "t/c"), std::string(30, 'u'));
}

}  // namespace
}  // namespace tessera::detail
