// check_files (tessera/check.hpp) on BEP 52 torrents: v2-only pieces verified by SHA-256 against
// their file's piece layer (or pieces root), hybrid pieces by both hashes, and v2 files whose
// layer the torrent lacks reported unverifiable.
#include <gtest/gtest.h>

#include <fstream>

#include "disk_test_util.hpp"
#include "tessera/check.hpp"
#include "v2_test_util.hpp"

namespace tessera {
namespace {

using detail::test::make_v2_torrent;
using detail::test::temp_dir;
using detail::test::v2_kind;

void write_files(const torrent_info& ti, const std::vector<std::uint8_t>& content, const std::filesystem::path& dir) {
  for (const auto& f : ti.files) {
    if (f.pad) continue;
    const auto p = dir / f.path;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(content.data() + f.offset), f.size);
  }
}

void flip_byte(const std::filesystem::path& p, std::int64_t at) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(at);
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(at);
  f.write(&c, 1);
}

check_options small_reads(int threads, std::int64_t read_bytes = 64 * 1024) {
  check_options o;
  o.threads = threads;
  o.read_bytes = read_bytes;
  return o;
}

const file_check& file_named(const check_report& r, const std::string& path) {
  for (const auto& f : r.files)
    if (f.path == path) return f;
  ADD_FAILURE() << "no file " << path;
  static const file_check none;
  return none;
}

// 16 KiB pieces. a.bin 50,000 (pieces 0-3, the last one 848 bytes of it), an empty file,
// sub/b.bin 70,001 (4-8), c.bin 10,000 (9: one piece, checked against its pieces root),
// d.bin 32,768 (10-11, ends on a boundary). Padding after a, b and c (and, in a hybrid, none
// after d, which ends on a boundary): 12 pieces either way.
struct five_files {
  v2_kind kind;
  std::vector<std::uint8_t> content;
  std::shared_ptr<torrent_info> ti;
  temp_dir dir;
  explicit five_files(v2_kind k, bool layers = true)
      : kind(k),
        ti(make_v2_torrent({{"t/a.bin", 50'000}, {"t/empty", 0}, {"t/sub/b.bin", 70'001}, {"t/c.bin", 10'000},
                            {"t/d.bin", 32'768}},
                           16 * 1024, k, content, layers)) {
    write_files(*ti, content, dir.path);
  }
};

constexpr int a_first = 0, b_first = 4, c_piece = 9, d_first = 10, pieces = 12;

void expect_only_failed(const check_report& r, std::initializer_list<int> failed) {
  ASSERT_EQ(r.verified.size(), static_cast<std::size_t>(pieces));
  for (int p = 0; p < pieces; ++p) {
    const bool bad = std::find(failed.begin(), failed.end(), p) != failed.end();
    EXPECT_EQ(r.verified[static_cast<std::size_t>(p)], !bad) << "piece " << p;
    EXPECT_FALSE(r.unverifiable[static_cast<std::size_t>(p)]) << "piece " << p;
  }
  EXPECT_EQ(r.pieces_verified, pieces - static_cast<int>(failed.size()));
  EXPECT_EQ(r.pieces_unverifiable, 0);
}

class CheckFilesV2 : public ::testing::TestWithParam<v2_kind> {};

TEST_P(CheckFilesV2, CompleteDataVerifiesEveryPieceAndFile) {
  five_files t(GetParam());
  ASSERT_EQ(t.ti->num_pieces(), pieces);
  for (int threads : {1, 2, 4}) {
    auto r = check_files(*t.ti, t.dir.path, small_reads(threads));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_TRUE(r->complete());
    expect_only_failed(*r, {});
    EXPECT_EQ(r->bytes_verified, t.ti->total_size);
    for (const auto& f : r->files) {
      if (f.state == file_check_state::padding) continue;
      EXPECT_EQ(f.state, file_check_state::complete) << f.path;
      EXPECT_EQ(f.bytes_verified, f.size) << f.path;
      EXPECT_EQ(f.on_disk, f.size) << f.path;
    }
    EXPECT_EQ(file_named(*r, "t/a.bin").pieces_total, 4);
    EXPECT_EQ(file_named(*r, "t/empty").pieces_total, 0);
    EXPECT_EQ(file_named(*r, "t/sub/b.bin").pieces_total, 5);
    EXPECT_EQ(file_named(*r, "t/c.bin").pieces_total, 1);
    EXPECT_EQ(file_named(*r, "t/d.bin").pieces_total, 2);
  }
  auto r = check_files(*t.ti, t.dir.path);  // default options: one read per run
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->complete());
}

TEST_P(CheckFilesV2, OneCorruptByteFailsExactlyItsPieceAndFile) {
  five_files t(GetParam());
  flip_byte(t.dir.path / "t/sub/b.bin", 40'000);  // b's piece 2: stream piece 6
  auto r = check_files(*t.ti, t.dir.path, small_reads(2));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->complete());
  expect_only_failed(*r, {b_first + 2});
  const file_check& b = file_named(*r, "t/sub/b.bin");
  EXPECT_EQ(b.state, file_check_state::incomplete);
  EXPECT_EQ(b.pieces_verified, 4);
  EXPECT_EQ(b.bytes_verified, 70'001 - 16 * 1024);
  for (const char* other : {"t/a.bin", "t/empty", "t/c.bin", "t/d.bin"})
    EXPECT_EQ(file_named(*r, other).state, file_check_state::complete) << other;
}

TEST_P(CheckFilesV2, ACorruptLastByteFailsOnlyItsOwnFile) {
  // a.bin's last piece holds 848 bytes of it and padding: no other file shares it, unlike v1.
  five_files t(GetParam());
  flip_byte(t.dir.path / "t/a.bin", 49'999);
  auto r = check_files(*t.ti, t.dir.path, small_reads(1));
  ASSERT_TRUE(r);
  expect_only_failed(*r, {a_first + 3});
  EXPECT_EQ(file_named(*r, "t/a.bin").state, file_check_state::incomplete);
  EXPECT_EQ(file_named(*r, "t/a.bin").bytes_verified, 3 * 16 * 1024);
  EXPECT_EQ(file_named(*r, "t/sub/b.bin").state, file_check_state::complete);
}

TEST_P(CheckFilesV2, AOnePieceFileIsCheckedAgainstItsPiecesRoot) {
  five_files t(GetParam());
  flip_byte(t.dir.path / "t/c.bin", 9'999);
  auto r = check_files(*t.ti, t.dir.path, small_reads(2));
  ASSERT_TRUE(r);
  expect_only_failed(*r, {c_piece});
  EXPECT_EQ(file_named(*r, "t/c.bin").state, file_check_state::incomplete);
  EXPECT_EQ(file_named(*r, "t/c.bin").pieces_verified, 0);
  EXPECT_EQ(file_named(*r, "t/d.bin").state, file_check_state::complete);
}

TEST_P(CheckFilesV2, MissingAndShortFilesFailTheirPiecesOnly) {
  five_files t(GetParam());
  std::filesystem::remove(t.dir.path / "t/sub/b.bin");
  std::filesystem::resize_file(t.dir.path / "t/d.bin", 20'000);  // d's piece 1 stops short
  std::filesystem::remove(t.dir.path / "t/empty");
  auto r = check_files(*t.ti, t.dir.path, small_reads(2));
  ASSERT_TRUE(r);
  expect_only_failed(*r, {b_first, b_first + 1, b_first + 2, b_first + 3, b_first + 4, d_first + 1});
  EXPECT_EQ(file_named(*r, "t/sub/b.bin").state, file_check_state::missing);
  EXPECT_EQ(file_named(*r, "t/sub/b.bin").on_disk, -1);
  EXPECT_EQ(file_named(*r, "t/empty").state, file_check_state::missing);
  EXPECT_EQ(file_named(*r, "t/d.bin").state, file_check_state::short_file);
  EXPECT_EQ(file_named(*r, "t/d.bin").on_disk, 20'000);
  EXPECT_EQ(file_named(*r, "t/d.bin").pieces_verified, 1);
  EXPECT_EQ(file_named(*r, "t/a.bin").state, file_check_state::complete);
  EXPECT_EQ(file_named(*r, "t/c.bin").state, file_check_state::complete);
  EXPECT_FALSE(r->complete());
}

TEST_P(CheckFilesV2, PiecesLargerThanAReadAreHashedAcrossReads) {
  // 64 KiB pieces read 16 KiB at a time: every v2 piece (and v1 piece) arrives in four slices.
  std::vector<std::uint8_t> content;
  auto ti = make_v2_torrent({{"t/x.bin", 200'000}, {"t/y.bin", 70'000}}, 64 * 1024, GetParam(), content);
  temp_dir dir;
  write_files(*ti, content, dir.path);
  auto r = check_files(*ti, dir.path, small_reads(2, 16 * 1024));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->complete());
  EXPECT_EQ(r->pieces_verified, 6);  // x: 4 pieces, y: 2
  flip_byte(dir.path / "t/y.bin", 65'536);  // y's second piece
  r = check_files(*ti, dir.path, small_reads(1, 16 * 1024));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->pieces_verified, 5);
  EXPECT_FALSE(r->verified[5]);
}

TEST_P(CheckFilesV2, ASingleFileOfOnePiece) {
  std::vector<std::uint8_t> content;
  auto ti = make_v2_torrent({{"one.bin", 20'000}}, 32 * 1024, GetParam(), content, false);
  ASSERT_EQ(ti->num_pieces(), 1);
  temp_dir dir;
  write_files(*ti, content, dir.path);
  auto r = check_files(*ti, dir.path, small_reads(1));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->complete());  // no layer needed: the pieces root is the piece's hash
  flip_byte(dir.path / "one.bin", 0);
  r = check_files(*ti, dir.path, small_reads(1));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->complete());
  EXPECT_EQ(r->pieces_verified, 0);
  EXPECT_EQ(r->files[0].state, file_check_state::incomplete);
}

INSTANTIATE_TEST_SUITE_P(Kinds, CheckFilesV2, ::testing::Values(v2_kind::v2_only, v2_kind::hybrid),
                         [](const auto& param_info) { return param_info.param == v2_kind::v2_only ? "V2Only" : "Hybrid"; });

TEST(CheckFilesV2Only, WithoutPieceLayersLargerFilesAreUnverifiable) {
  five_files t(v2_kind::v2_only, false);
  flip_byte(t.dir.path / "t/a.bin", 10);  // not read: still only unverifiable
  auto r = check_files(*t.ti, t.dir.path, small_reads(2));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->complete());
  EXPECT_EQ(r->pieces_verified, 1);  // c.bin's one piece
  EXPECT_TRUE(r->verified[c_piece]);
  EXPECT_EQ(r->pieces_unverifiable, pieces - 1);
  for (int p = 0; p < pieces; ++p) EXPECT_EQ(r->unverifiable[static_cast<std::size_t>(p)], p != c_piece) << p;
  for (const char* path : {"t/a.bin", "t/sub/b.bin", "t/d.bin"}) {
    const file_check& f = file_named(*r, path);
    EXPECT_EQ(f.state, file_check_state::unverifiable) << path;
    EXPECT_EQ(f.pieces_verified, 0) << path;
    EXPECT_NE(f.error.find("piece layer"), std::string::npos) << f.error;
  }
  EXPECT_EQ(file_named(*r, "t/c.bin").state, file_check_state::complete);
  EXPECT_EQ(file_named(*r, "t/empty").state, file_check_state::complete);
  EXPECT_EQ(std::string(to_string(file_check_state::unverifiable)), "unverifiable");

  // A missing or short file is reported as such, layer or not.
  std::filesystem::remove(t.dir.path / "t/sub/b.bin");
  std::filesystem::resize_file(t.dir.path / "t/d.bin", 1);
  r = check_files(*t.ti, t.dir.path, small_reads(1));
  ASSERT_TRUE(r);
  EXPECT_EQ(file_named(*r, "t/sub/b.bin").state, file_check_state::missing);
  EXPECT_EQ(file_named(*r, "t/d.bin").state, file_check_state::short_file);
  EXPECT_EQ(file_named(*r, "t/a.bin").state, file_check_state::unverifiable);
}

TEST(CheckFilesHybrid, WithoutPieceLayersTheSha1StillVerifies) {
  five_files t(v2_kind::hybrid, false);
  auto r = check_files(*t.ti, t.dir.path, small_reads(2));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->complete());
  expect_only_failed(*r, {});
}

TEST(CheckFilesHybrid, APieceNeedsBothHashes) {
  five_files t(v2_kind::hybrid);
  // The data is right; the torrent's SHA-256 of b's piece 1 is not: that piece fails though its
  // SHA-1 matches.
  const sha256_hash b_root = t.ti->files[3].pieces_root;  // a, pad, empty, b
  ASSERT_EQ(t.ti->files[3].path, "t/sub/b.bin");
  t.ti->piece_layers.at(b_root)[1] = sha256(std::string_view("not it"));
  // And the SHA-1 of d's piece 0 is wrong while its SHA-256 matches.
  t.ti->piece_hashes[d_first] = sha1(std::string_view("not it"));
  auto r = check_files(*t.ti, t.dir.path, small_reads(2));
  ASSERT_TRUE(r);
  expect_only_failed(*r, {b_first + 1, d_first});
  EXPECT_EQ(file_named(*r, "t/sub/b.bin").state, file_check_state::incomplete);
  EXPECT_EQ(file_named(*r, "t/d.bin").state, file_check_state::incomplete);
  EXPECT_EQ(file_named(*r, "t/a.bin").state, file_check_state::complete);
}

TEST(CheckFilesHashChoice, EitherHalfOfAHybridAloneComparesOnlyItsOwnHashes) {
  five_files t(v2_kind::hybrid);
  const sha256_hash b_root = t.ti->files[3].pieces_root;
  t.ti->piece_layers.at(b_root)[1] = sha256(std::string_view("not it"));  // b's piece 1: SHA-256 wrong
  t.ti->piece_hashes[d_first] = sha1(std::string_view("not it"));          // d's piece 0: SHA-1 wrong
  auto o = small_reads(2);
  o.hashes = check_hashes::v1_only;
  auto r = check_files(*t.ti, t.dir.path, o);
  ASSERT_TRUE(r);
  expect_only_failed(*r, {d_first});
  o.hashes = check_hashes::v2_only;
  r = check_files(*t.ti, t.dir.path, o);
  ASSERT_TRUE(r);
  expect_only_failed(*r, {b_first + 1});

  // The v2 half alone of a hybrid without layers is a v2-only torrent without them.
  five_files bare(v2_kind::hybrid, false);
  r = check_files(*bare.ti, bare.dir.path, o);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->pieces_verified, 1);
  EXPECT_EQ(r->pieces_unverifiable, pieces - 1);
  EXPECT_EQ(file_named(*r, "t/a.bin").state, file_check_state::unverifiable);
}

TEST(CheckFilesHashChoice, AHashKindTheTorrentLacksIsAnError) {
  five_files v2(v2_kind::v2_only);
  check_options o;
  o.hashes = check_hashes::v1_only;
  auto r = check_files(*v2.ti, v2.dir.path, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::invalid_argument);
  o.hashes = check_hashes::v2_only;
  EXPECT_TRUE(check_files(*v2.ti, v2.dir.path, o));

  std::vector<std::uint8_t> content;
  auto v1 = detail::test::make_torrent({{"t/a", 40'000}}, 16 * 1024, content);
  r = check_files(*v1, v2.dir.path, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::invalid_argument);
}

TEST(CheckFilesHybrid, NonZeroBytesWherePaddingIsAreNeverRead) {
  // Padding reads as zeros whatever is at its path: a file there changes nothing.
  five_files t(v2_kind::hybrid);
  for (const auto& f : t.ti->files) {
    if (!f.pad) continue;
    const auto p = t.dir.path / f.path;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << std::string(static_cast<std::size_t>(f.size), 'x');
  }
  auto r = check_files(*t.ti, t.dir.path, small_reads(2));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->complete());
}

}  // namespace
}  // namespace tessera
