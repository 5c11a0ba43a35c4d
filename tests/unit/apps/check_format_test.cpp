// apps/tessera/check_format: what `tessera check` prints.
#include "check_format.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "core/torrent_info_builder.hpp"

namespace tessera::cli {
namespace {

TEST(CheckFormat, FailedPieceRangesAreCompact) {
  std::vector<bool> v{true, false, true, false, false, false, true, false};
  EXPECT_EQ(failed_piece_ranges(v, 0, 7), "1, 3-5, 7");
  EXPECT_EQ(failed_piece_ranges(v, 4, 6), "4-5");
  EXPECT_EQ(failed_piece_ranges(v, 0, 7, 2), "1, 3-5, ...");
  EXPECT_EQ(failed_piece_ranges(v, 6, 6), "");
}

struct sample {
  torrent_info ti;
  check_report r;
  sample() {
    tessera::detail::torrent_info_builder b;
    b.name = "t";
    b.piece_length = 16;
    b.piece_hashes.resize(4);
    b.total_size = 60;
    b.files = {{"t/a", 30, 0}, {"t/b\x1b", 10, 30}, {"t/c", 20, 40}};
    ti = std::move(b).build();
    r.verified = {true, false, true, true};
    r.pieces_total = 4;
    r.pieces_verified = 3;
    r.bytes_total = 60;
    r.bytes_verified = 44;
    r.threads = 2;
    r.elapsed = std::chrono::milliseconds(500);
    r.files = {{"t/a", 30, 30, 2, 1, 16, file_check_state::incomplete, {}},
               {"t/b\x1b", 10, -1, 1, 0, 0, file_check_state::missing, {}},
               {"t/c", 20, 20, 2, 2, 20, file_check_state::complete, {}}};
  }
};

TEST(CheckFormat, TextNamesEachFileAndItsFailedPieces) {
  sample s;
  const std::string text = check_report_text(s.ti, s.r);
  EXPECT_NE(text.find("incomplete"), std::string::npos) << text;
  EXPECT_NE(text.find("t/a  (failed pieces 1)"), std::string::npos) << text;
  EXPECT_NE(text.find("t/b\\x1b  (not found)"), std::string::npos) << text;  // escaped
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_NE(text.find("pieces: 3/4 verified"), std::string::npos) << text;
  EXPECT_NE(text.find("2 threads"), std::string::npos) << text;
  EXPECT_NE(text.find("result: INCOMPLETE: 2 files not complete, 1 piece failed"), std::string::npos) << text;
}

TEST(CheckFormat, JsonCarriesEveryFileAndFailedPiece) {
  sample s;
  auto v = boost::json::parse(check_report_json(s.ti, s.r));
  const auto& o = v.as_object();
  EXPECT_FALSE(o.at("complete").as_bool());
  EXPECT_EQ(o.at("pieces_verified").as_int64(), 3);
  EXPECT_EQ(o.at("failed_pieces").as_array().size(), 1u);
  EXPECT_EQ(o.at("failed_pieces").as_array()[0].as_int64(), 1);
  const auto& files = o.at("files").as_array();
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[1].as_object().at("state").as_string(), "missing");
  EXPECT_EQ(files[1].as_object().at("on_disk").as_int64(), -1);
  EXPECT_EQ(files[0].as_object().at("bytes_verified").as_int64(), 16);
  EXPECT_EQ(o.at("bytes_per_second").as_int64(), 120);
}

// A v2-only torrent without piece layers: t/a (pieces 0-1) cannot be verified, t/c (piece 2, its
// pieces root) verified, piece 3 (t/d) failed.
struct unverifiable_sample {
  torrent_info ti;
  check_report r;
  unverifiable_sample() {
    tessera::detail::torrent_info_builder b;
    b.name = "t";
    b.meta_version = 2;
    b.piece_length = 16;
    b.total_size = 60;
    b.files = {{"t/a", 30, 0}, {"t/.pad/2", 2, 30, true}, {"t/c", 16, 32}, {"t/d", 12, 48}};
    ti = std::move(b).build();
    r.verified = {false, false, true, false};
    r.unverifiable = {true, true, false, false};
    r.pieces_total = 4;
    r.pieces_verified = 1;
    r.pieces_unverifiable = 2;
    r.bytes_total = 60;
    r.bytes_verified = 16;
    r.threads = 1;
    r.elapsed = std::chrono::milliseconds(100);
    r.files = {{"t/a", 30, 30, 2, 0, 0, file_check_state::unverifiable, "no piece layer"},
               {"t/.pad/2", 2, 2, 1, 0, 0, file_check_state::padding, {}},
               {"t/c", 16, 16, 1, 1, 16, file_check_state::complete, {}},
               {"t/d", 12, 12, 1, 0, 0, file_check_state::incomplete, {}}};
  }
};

TEST(CheckFormat, UnverifiableFilesAndPiecesAreNamedApartFromFailures) {
  unverifiable_sample s;
  const std::string text = check_report_text(s.ti, s.r);
  EXPECT_NE(text.find("unverifiable"), std::string::npos) << text;
  EXPECT_NE(text.find("t/a  (no piece layer in the torrent: cannot be verified)"), std::string::npos) << text;
  EXPECT_NE(text.find("t/d  (failed pieces 3)"), std::string::npos) << text;
  EXPECT_NE(text.find("pieces: 1/4 verified (25.0%), 16 B of 60 B, 2 unverifiable\n"), std::string::npos) << text;
  EXPECT_NE(text.find("result: INCOMPLETE: 2 files not complete, 1 piece failed, 2 unverifiable\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find(".pad"), std::string::npos) << text;

  auto v = boost::json::parse(check_report_json(s.ti, s.r));
  const auto& o = v.as_object();
  EXPECT_FALSE(o.at("complete").as_bool());
  EXPECT_EQ(o.at("pieces_unverifiable").as_int64(), 2);
  ASSERT_EQ(o.at("failed_pieces").as_array().size(), 1u);  // only the piece that was hashed
  EXPECT_EQ(o.at("failed_pieces").as_array()[0].as_int64(), 3);
  const auto& a = o.at("files").as_array()[0].as_object();
  EXPECT_EQ(a.at("state").as_string(), "unverifiable");
  EXPECT_EQ(a.at("error").as_string(), "no piece layer");
}

}  // namespace
}  // namespace tessera::cli
