// Tests of the part file and the storage decorator that keeps skipped files' bytes in it.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <iterator>
#include <optional>

#include "disk/disk_io.hpp"
#include "disk/part_file.hpp"
#include "disk/part_file_storage.hpp"
#include "disk/storage.hpp"
#include "disk_test_util.hpp"

namespace tessera::detail {
namespace {

namespace fs = std::filesystem;
using test::file_spec;
using test::temp_dir;

std::vector<std::uint8_t> bytes(std::initializer_list<int> l) {
  std::vector<std::uint8_t> out;
  for (int x : l) out.push_back(static_cast<std::uint8_t>(x));
  return out;
}

TEST(PartFile, SlotsSurviveReloadAndTheFileGoesAwayWhenEmpty) {
  temp_dir dir;
  const auto path = dir.path / ".x.parts";
  {
    part_file pf(path, 10, 8);
    ASSERT_TRUE(pf.load());
    EXPECT_TRUE(pf.empty());
    EXPECT_FALSE(fs::exists(path));  // nothing written: nothing created
    ASSERT_TRUE(pf.write(7, 2, bytes({1, 2, 3})));
    ASSERT_TRUE(pf.write(3, 0, bytes({9, 9, 9, 9, 9, 9, 9, 9})));
    EXPECT_EQ(pf.pieces(), (std::vector<int>{3, 7}));
  }
  part_file again(path, 10, 8);
  ASSERT_TRUE(again.load());
  EXPECT_EQ(again.pieces(), (std::vector<int>{3, 7}));
  std::vector<std::uint8_t> out(3);
  auto got = again.read(7, 2, out);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, 3u);
  EXPECT_EQ(out, bytes({1, 2, 3}));
  std::vector<std::uint8_t> none(4);
  EXPECT_EQ(*again.read(5, 0, none), 0u);  // not held
  ASSERT_TRUE(again.release(3));
  EXPECT_TRUE(fs::exists(path));
  ASSERT_TRUE(again.release(7));
  EXPECT_TRUE(again.empty());
  EXPECT_FALSE(fs::exists(path));
}

TEST(PartFile, AReleasedSlotIsReusedAndAForeignFileIsIgnored) {
  temp_dir dir;
  const auto path = dir.path / ".y.parts";
  {
    std::ofstream junk(path, std::ios::binary);
    junk << "not a part file at all";
  }
  part_file pf(path, 4, 16);
  ASSERT_TRUE(pf.load());
  EXPECT_TRUE(pf.empty());
  ASSERT_TRUE(pf.write(0, 0, std::vector<std::uint8_t>(16, 1)));
  ASSERT_TRUE(pf.write(1, 0, std::vector<std::uint8_t>(16, 2)));
  ASSERT_TRUE(pf.release(0));
  ASSERT_TRUE(pf.write(2, 0, std::vector<std::uint8_t>(16, 3)));
  // Slot 0 was reused: the file holds two slots.
  EXPECT_EQ(static_cast<std::int64_t>(fs::file_size(path)), pf.header_size() + 2 * 16);
  std::vector<std::uint8_t> out(16);
  ASSERT_EQ(*pf.read(2, 0, out), 16u);
  EXPECT_EQ(out, std::vector<std::uint8_t>(16, 3));
  EXPECT_FALSE(pf.write(1, 10, std::vector<std::uint8_t>(7, 0)));  // past the piece end
}

/// A part file header as the format comment in part_file.hpp describes it.
std::vector<std::uint8_t> header(std::uint32_t pieces, std::uint32_t piece_length,
                                 std::initializer_list<std::uint32_t> index) {
  std::vector<std::uint8_t> out = {'T', 'S', 'P', 'A', 'R', 'T', 'S', '1'};
  auto put = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  put(pieces);
  put(piece_length);
  for (auto v : index) put(v);
  return out;
}

TEST(PartFileHeader, ReadsTheIndexAndIgnoresNonsenseEntries) {
  // Piece 0 in slot 1, piece 1 none, piece 2 slot 1 again (taken: ignored), piece 3 a slot past
  // the piece count (ignored), piece 4 slot 0.
  auto index = parse_part_file_header(header(5, 16, {2, 0, 2, 6, 1}), 5, 16);
  ASSERT_TRUE(index);
  EXPECT_EQ(index->slot_of, (std::vector<int>{1, -1, -1, -1, 0}));
  EXPECT_EQ(index->slot_used, (std::vector<bool>{true, true}));
  EXPECT_EQ(part_file_index_bytes(5), 16 + 4 * 5);
}

TEST(PartFileHeader, AnotherTorrentsOrATruncatedHeaderIsNotOurs) {
  EXPECT_TRUE(parse_part_file_header(header(2, 16, {1, 0}), 2, 16));
  EXPECT_FALSE(parse_part_file_header(header(2, 16, {1, 0}), 3, 16));  // other piece count
  EXPECT_FALSE(parse_part_file_header(header(2, 16, {1, 0}), 2, 32));  // other piece length
  EXPECT_FALSE(parse_part_file_header(header(2, 16, {1}), 2, 16));     // index cut short
  auto bad_magic = header(2, 16, {1, 0});
  bad_magic[7] = '2';
  EXPECT_FALSE(parse_part_file_header(bad_magic, 2, 16));
  EXPECT_FALSE(parse_part_file_header({}, 0, 16));
  EXPECT_FALSE(parse_part_file_header(header(0, 16, {}), -1, 16));
}

TEST(PartFileHeader, IsWhatAPartFileWritesAndLoads) {
  temp_dir dir;
  const auto path = dir.path / ".z.parts";
  {
    part_file pf(path, 3, 8);
    ASSERT_TRUE(pf.write(2, 0, bytes({1})));
    ASSERT_TRUE(pf.write(0, 0, bytes({2})));
  }
  std::ifstream in(path, std::ios::binary);
  std::vector<std::uint8_t> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto index = parse_part_file_header(raw, 3, 8);
  ASSERT_TRUE(index);
  EXPECT_EQ(index->slot_of, (std::vector<int>{1, -1, 0}));
}

TEST(PartFile, ASymlinkAtItsPathIsNotFollowed) {
  temp_dir dir;
  const auto target = dir.path / "elsewhere";
  { std::ofstream(target) << "keep"; }
  fs::create_symlink(target, dir.path / ".z.parts");
  part_file pf(dir.path / ".z.parts", 2, 8);
  EXPECT_FALSE(pf.write(0, 0, bytes({1})));
  EXPECT_EQ(test::read_file(target).size(), 4u);
}

// Pieces of 32 bytes: piece 0 = a [0,20) + b [20,32); piece 1 = b [32,64); piece 2 = b [64,70) +
// c [70,96); piece 3 = c [96,100).
const std::vector<file_spec> three = {{"t/a", 20}, {"t/b", 50}, {"t/c", 30}};

class PartFileStorage : public ::testing::Test {
 protected:
  temp_dir dir;
  std::vector<std::uint8_t> content;
  std::shared_ptr<torrent_info> ti = test::make_torrent(three, 32, content);
  fs::path save = dir.path / "dl";
  fs::path parts = part_file_path(*ti, save);
  std::shared_ptr<part_file_storage> st = make_part_file_storage(make_file_storage(ti, save), ti, parts);

  void SetUp() override { ASSERT_TRUE(st->initialize()); }
  void write_piece(int p) {
    auto r = st->write(p * ti->piece_length(), test::piece_bytes(*ti, content, p));
    ASSERT_TRUE(r) << r.error().message();
  }
  std::vector<std::uint8_t> slice(std::int64_t begin, std::int64_t n) const {
    return {content.begin() + begin, content.begin() + begin + n};
  }
};

TEST_F(PartFileStorage, SkippedFileIsNeverCreatedAndSharedPiecesGoToThePartFile) {
  EXPECT_EQ(parts.filename().string(), "." + ti->info_hash().to_hex() + ".parts");
  st->set_skipped({false, true, false});
  for (int p : {0, 2, 3}) write_piece(p);
  EXPECT_FALSE(fs::exists(save / "t/b"));
  EXPECT_EQ(test::read_file(save / "t/a"), slice(0, 20));
  EXPECT_EQ(test::read_file(save / "t/c"), slice(70, 30));
  EXPECT_EQ(st->held_pieces(), (std::vector<int>{0, 2}));
  // The part file holds b's bytes of the shared pieces.
  auto raw = test::read_file(parts);
  auto holds = [&](std::vector<std::uint8_t> want) {
    return std::search(raw.begin(), raw.end(), want.begin(), want.end()) != raw.end();
  };
  EXPECT_TRUE(holds(slice(20, 12)));
  EXPECT_TRUE(holds(slice(64, 6)));
  // Reads come back whole, from the part file for held pieces.
  std::vector<std::uint8_t> out(32);
  ASSERT_EQ(*st->read(0, out), 32u);
  EXPECT_EQ(out, slice(0, 32));
  ASSERT_EQ(*st->read(64, out), 32u);
  EXPECT_EQ(out, slice(64, 32));
  std::vector<std::uint8_t> tail(4);
  ASSERT_EQ(*st->read(96, tail), 4u);
  EXPECT_EQ(tail, slice(96, 4));
}

TEST_F(PartFileStorage, UnskippingMovesTheBytesIntoTheRealFileAndDeletesThePartFile) {
  st->set_skipped({false, true, false});
  for (int p : {0, 2, 3}) write_piece(p);
  st->set_skipped({false, false, false});
  ASSERT_TRUE(st->move_unskipped());
  EXPECT_TRUE(st->held_pieces().empty());
  EXPECT_FALSE(fs::exists(parts));
  write_piece(1);
  EXPECT_EQ(test::read_file(save / "t/b"), slice(20, 50));
  EXPECT_EQ(test::read_file(save / "t/a"), slice(0, 20));
}

TEST_F(PartFileStorage, APieceKeepsItsSlotWhileAnotherOfItsFilesIsSkipped) {
  // Piece 2 is shared by b and c; skip both, write it, then unskip only b.
  st->set_skipped({false, true, true});
  write_piece(2);
  EXPECT_FALSE(fs::exists(save / "t/b"));
  EXPECT_FALSE(fs::exists(save / "t/c"));
  st->set_skipped({false, false, true});
  ASSERT_TRUE(st->move_unskipped());
  EXPECT_EQ(st->held_pieces(), (std::vector<int>{2}));
  EXPECT_FALSE(fs::exists(save / "t/c"));
  auto b = test::read_file(save / "t/b");
  ASSERT_EQ(b.size(), 50u);
  EXPECT_TRUE(std::equal(b.begin() + 44, b.end(), content.begin() + 64));
}

TEST_F(PartFileStorage, TheStartUpCheckSeesHeldPieces) {
  st->set_skipped({true, false, true});
  for (int p = 0; p < 3; ++p) write_piece(p);  // piece 3 lies in c alone: not downloaded
  EXPECT_FALSE(fs::exists(save / "t/a"));
  st->close_all();
  // A new storage over the same directory (a restart) loads the index from the part file.
  auto again = make_part_file_storage(make_file_storage(ti, save), ti, parts);
  ASSERT_TRUE(again->initialize());
  auto sizes = again->on_disk_sizes();
  ASSERT_EQ(sizes.size(), 3u);
  EXPECT_GE(sizes[0], 20);  // a's bytes exist, in the part file
  EXPECT_EQ(sizes[1], 50);
  // The io_context outlives the pool (declared first): a disk thread may still be inside the
  // post() of the result when the handler has run here.
  boost::asio::io_context ctx;
  disk_io io(2);
  std::optional<check_result> result;
  io.async_check(again, ti, ctx.get_executor(), {}, [&](check_result r) { result = std::move(r); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!result && std::chrono::steady_clock::now() < deadline) {
    ctx.restart();
    ctx.run_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->error);
  EXPECT_EQ(result->have.count(), 3);
  EXPECT_FALSE(result->have.get(3));
  EXPECT_TRUE(result->have.get(0));
  EXPECT_TRUE(result->have.get(2));
}

TEST_F(PartFileStorage, WithNothingSkippedItIsAPassThrough) {
  for (int p = 0; p < ti->num_pieces(); ++p) write_piece(p);
  EXPECT_FALSE(fs::exists(parts));
  EXPECT_EQ(test::read_file(save / "t/b"), slice(20, 50));
  EXPECT_FALSE(st->write(90, std::vector<std::uint8_t>(20, 0)));  // past the end
}

TEST(CreateStorage, DefaultFactoryWrapsFilesOnDiskWithAPartFile) {
  temp_dir dir;
  std::vector<std::uint8_t> content;
  auto ti = test::make_torrent(three, 32, content);
  auto st = create_storage({}, ti, dir.path);
  EXPECT_NE(std::dynamic_pointer_cast<part_file_storage>(st), nullptr);
  EXPECT_EQ(std::dynamic_pointer_cast<part_file_storage>(create_storage(memory_storage_factory(), ti, dir.path)), nullptr);
}

}  // namespace
}  // namespace tessera::detail
