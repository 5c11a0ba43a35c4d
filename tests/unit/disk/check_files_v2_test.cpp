// check_files (tessera/check.hpp) on BEP 52 torrents: v2-only pieces verified by SHA-256 against
// their file's piece layer (or pieces root), hybrid pieces by both hashes, and v2 files whose
// layer the torrent lacks reported unverifiable.
#include <gtest/gtest.h>

#include <fstream>

#include "../support/v2_test_torrent.hpp"
#include "core/torrent_info_builder.hpp"
#include "disk_test_util.hpp"
#include "tessera/check.hpp"

namespace tessera {
namespace {

using detail::test::temp_dir;
using test_support::random_bytes;

enum class v2_kind { v2_only, hybrid };

// A v2-only or hybrid torrent (test_support::make_v2_torrent: files v2test/f0, f1, ...) of files
// of `sizes` bytes of random content.
test_support::v2_test_torrent make_torrent(const std::vector<std::size_t>& sizes, std::int64_t piece_length,
                                           v2_kind kind, bool with_layers = true) {
  std::vector<std::vector<std::uint8_t>> contents;
  for (std::size_t i = 0; i < sizes.size(); ++i) contents.push_back(random_bytes(sizes[i], 52 + static_cast<unsigned>(i)));
  return test_support::make_v2_torrent(contents, piece_length, kind == v2_kind::hybrid, with_layers);
}

void write_files(const torrent_info& ti, const std::vector<std::uint8_t>& content, const std::filesystem::path& dir) {
  for (const auto& f : ti.files()) {
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

const file_entry& entry(const torrent_info& ti, const std::string& path) {
  for (const auto& f : ti.files())
    if (f.path == path) return f;
  ADD_FAILURE() << "no file " << path;
  static const file_entry none;
  return none;
}

const file_check& file_named(const check_report& r, const std::string& path) {
  for (const auto& f : r.files)
    if (f.path == path) return f;
  ADD_FAILURE() << "no file " << path;
  static const file_check none;
  return none;
}

// 16 KiB pieces. a = f0, 50,000 bytes (pieces 0-3, the last one 848 bytes of it), f1 empty,
// b = f2, 70,001 (4-8), c = f3, 10,000 (9: one piece, checked against its pieces root), d = f4,
// 32,768 (10-11, ends on a boundary). Padding after a, b and c: 12 pieces.
constexpr const char* a = "v2test/f0";
constexpr const char* empty = "v2test/f1";
constexpr const char* b = "v2test/f2";
constexpr const char* c = "v2test/f3";
constexpr const char* d = "v2test/f4";

struct five_files {
  test_support::v2_test_torrent t;
  torrent_info* ti = &t.ti;
  temp_dir dir;
  explicit five_files(v2_kind k, bool layers = true)
      : t(make_torrent({50'000, 0, 70'001, 10'000, 32'768}, 16 * 1024, k, layers)) {
    write_files(*ti, t.stream, dir.path);
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
    EXPECT_EQ(r->bytes_verified, t.ti->total_size());
    for (const auto& f : r->files) {
      if (f.state == file_check_state::padding) continue;
      EXPECT_EQ(f.state, file_check_state::complete) << f.path;
      EXPECT_EQ(f.bytes_verified, f.size) << f.path;
      EXPECT_EQ(f.on_disk, f.size) << f.path;
    }
    EXPECT_EQ(file_named(*r, a).pieces_total, 4);
    EXPECT_EQ(file_named(*r, empty).pieces_total, 0);
    EXPECT_EQ(file_named(*r, b).pieces_total, 5);
    EXPECT_EQ(file_named(*r, c).pieces_total, 1);
    EXPECT_EQ(file_named(*r, d).pieces_total, 2);
  }
  auto r = check_files(*t.ti, t.dir.path);  // default options: one read per run
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->complete());
}

TEST_P(CheckFilesV2, OneCorruptByteFailsExactlyItsPieceAndFile) {
  five_files t(GetParam());
  flip_byte(t.dir.path / b, 40'000);  // b's piece 2: stream piece 6
  auto r = check_files(*t.ti, t.dir.path, small_reads(2));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->complete());
  expect_only_failed(*r, {b_first + 2});
  const file_check& fb = file_named(*r, b);
  EXPECT_EQ(fb.state, file_check_state::incomplete);
  EXPECT_EQ(fb.pieces_verified, 4);
  EXPECT_EQ(fb.bytes_verified, 70'001 - 16 * 1024);
  for (const char* other : {a, empty, c, d})
    EXPECT_EQ(file_named(*r, other).state, file_check_state::complete) << other;
}

TEST_P(CheckFilesV2, ACorruptLastByteFailsOnlyItsOwnFile) {
  // a.bin's last piece holds 848 bytes of it and padding: no other file shares it, unlike v1.
  five_files t(GetParam());
  flip_byte(t.dir.path / a, 49'999);
  auto r = check_files(*t.ti, t.dir.path, small_reads(1));
  ASSERT_TRUE(r);
  expect_only_failed(*r, {a_first + 3});
  EXPECT_EQ(file_named(*r, a).state, file_check_state::incomplete);
  EXPECT_EQ(file_named(*r, a).bytes_verified, 3 * 16 * 1024);
  EXPECT_EQ(file_named(*r, b).state, file_check_state::complete);
}

TEST_P(CheckFilesV2, AOnePieceFileIsCheckedAgainstItsPiecesRoot) {
  five_files t(GetParam());
  flip_byte(t.dir.path / c, 9'999);
  auto r = check_files(*t.ti, t.dir.path, small_reads(2));
  ASSERT_TRUE(r);
  expect_only_failed(*r, {c_piece});
  EXPECT_EQ(file_named(*r, c).state, file_check_state::incomplete);
  EXPECT_EQ(file_named(*r, c).pieces_verified, 0);
  EXPECT_EQ(file_named(*r, d).state, file_check_state::complete);
}

TEST_P(CheckFilesV2, MissingAndShortFilesFailTheirPiecesOnly) {
  five_files t(GetParam());
  std::filesystem::remove(t.dir.path / b);
  std::filesystem::resize_file(t.dir.path / d, 20'000);  // d's piece 1 stops short
  std::filesystem::remove(t.dir.path / empty);
  auto r = check_files(*t.ti, t.dir.path, small_reads(2));
  ASSERT_TRUE(r);
  expect_only_failed(*r, {b_first, b_first + 1, b_first + 2, b_first + 3, b_first + 4, d_first + 1});
  EXPECT_EQ(file_named(*r, b).state, file_check_state::missing);
  EXPECT_EQ(file_named(*r, b).on_disk, -1);
  EXPECT_EQ(file_named(*r, empty).state, file_check_state::missing);
  EXPECT_EQ(file_named(*r, d).state, file_check_state::short_file);
  EXPECT_EQ(file_named(*r, d).on_disk, 20'000);
  EXPECT_EQ(file_named(*r, d).pieces_verified, 1);
  EXPECT_EQ(file_named(*r, a).state, file_check_state::complete);
  EXPECT_EQ(file_named(*r, c).state, file_check_state::complete);
  EXPECT_FALSE(r->complete());
}

TEST_P(CheckFilesV2, PiecesLargerThanAReadAreHashedAcrossReads) {
  // 64 KiB pieces read 16 KiB at a time: every v2 piece (and v1 piece) arrives in four slices.
  auto t = make_torrent({200'000, 70'000}, 64 * 1024, GetParam());
  temp_dir dir;
  write_files(t.ti, t.stream, dir.path);
  auto r = check_files(t.ti, dir.path, small_reads(2, 16 * 1024));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->complete());
  EXPECT_EQ(r->pieces_verified, 6);  // x: 4 pieces, y: 2
  flip_byte(dir.path / "v2test/f1", 65'536);  // the second file's second piece
  r = check_files(t.ti, dir.path, small_reads(1, 16 * 1024));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->pieces_verified, 5);
  EXPECT_FALSE(r->verified[5]);
}

TEST_P(CheckFilesV2, ASingleFileOfOnePiece) {
  auto t = make_torrent({20'000}, 32 * 1024, GetParam(), false);
  ASSERT_EQ(t.ti.num_pieces(), 1);
  temp_dir dir;
  write_files(t.ti, t.stream, dir.path);
  auto r = check_files(t.ti, dir.path, small_reads(1));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->complete());  // no layer needed: the pieces root is the piece's hash
  flip_byte(dir.path / "v2test/f0", 0);
  r = check_files(t.ti, dir.path, small_reads(1));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->complete());
  EXPECT_EQ(r->pieces_verified, 0);
  EXPECT_EQ(r->files[0].state, file_check_state::incomplete);
}

INSTANTIATE_TEST_SUITE_P(Kinds, CheckFilesV2, ::testing::Values(v2_kind::v2_only, v2_kind::hybrid),
                         [](const auto& param_info) { return param_info.param == v2_kind::v2_only ? "V2Only" : "Hybrid"; });

TEST(CheckFilesV2Only, WithoutPieceLayersLargerFilesAreUnverifiable) {
  five_files t(v2_kind::v2_only, false);
  flip_byte(t.dir.path / a, 10);  // not read: still only unverifiable
  auto r = check_files(*t.ti, t.dir.path, small_reads(2));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->complete());
  EXPECT_EQ(r->pieces_verified, 1);  // c.bin's one piece
  EXPECT_TRUE(r->verified[c_piece]);
  EXPECT_EQ(r->pieces_unverifiable, pieces - 1);
  for (int p = 0; p < pieces; ++p) EXPECT_EQ(r->unverifiable[static_cast<std::size_t>(p)], p != c_piece) << p;
  for (const char* path : {a, b, d}) {
    const file_check& f = file_named(*r, path);
    EXPECT_EQ(f.state, file_check_state::unverifiable) << path;
    EXPECT_EQ(f.pieces_verified, 0) << path;
    EXPECT_NE(f.error.find("piece layer"), std::string::npos) << f.error;
  }
  EXPECT_EQ(file_named(*r, c).state, file_check_state::complete);
  EXPECT_EQ(file_named(*r, empty).state, file_check_state::complete);
  EXPECT_EQ(std::string(to_string(file_check_state::unverifiable)), "unverifiable");

  // A missing or short file is reported as such, layer or not.
  std::filesystem::remove(t.dir.path / b);
  std::filesystem::resize_file(t.dir.path / d, 1);
  r = check_files(*t.ti, t.dir.path, small_reads(1));
  ASSERT_TRUE(r);
  EXPECT_EQ(file_named(*r, b).state, file_check_state::missing);
  EXPECT_EQ(file_named(*r, d).state, file_check_state::short_file);
  EXPECT_EQ(file_named(*r, a).state, file_check_state::unverifiable);
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
  const sha256_hash b_root = entry(*t.ti, b).pieces_root;
  *t.ti = tessera::detail::edited(*t.ti, [&](auto& tb) {
    tb.piece_layers.at(b_root)[1] = sha256(std::string_view("not it"));
  });
  // And the SHA-1 of d's piece 0 is wrong while its SHA-256 matches.
  *t.ti = tessera::detail::edited(*t.ti, [&](auto& tb) {
    tb.piece_hashes[d_first] = sha1(std::string_view("not it"));
  });
  auto r = check_files(*t.ti, t.dir.path, small_reads(2));
  ASSERT_TRUE(r);
  expect_only_failed(*r, {b_first + 1, d_first});
  EXPECT_EQ(file_named(*r, b).state, file_check_state::incomplete);
  EXPECT_EQ(file_named(*r, d).state, file_check_state::incomplete);
  EXPECT_EQ(file_named(*r, a).state, file_check_state::complete);
}

TEST(CheckFilesHashChoice, EitherHalfOfAHybridAloneComparesOnlyItsOwnHashes) {
  five_files t(v2_kind::hybrid);
  const sha256_hash b_root = entry(*t.ti, b).pieces_root;
  *t.ti = tessera::detail::edited(*t.ti, [&](auto& tb) {
    tb.piece_layers.at(b_root)[1] = sha256(std::string_view("not it"));  // b's piece 1: SHA-256 wrong
    tb.piece_hashes[d_first] = sha1(std::string_view("not it"));          // d's piece 0: SHA-1 wrong
  });
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
  EXPECT_EQ(file_named(*r, a).state, file_check_state::unverifiable);
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
  for (const auto& f : t.ti->files()) {
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
