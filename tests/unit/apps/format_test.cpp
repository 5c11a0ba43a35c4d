#include "format.hpp"

#include <gtest/gtest.h>

using namespace tessera;
using namespace tessera::cli;

TEST(FormatBytes, UsesBinaryUnitsWithOneDecimal) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(5LL * 1024 * 1024), "5.0 MiB");
  EXPECT_EQ(format_bytes(3LL << 30), "3.0 GiB");
}

TEST(FormatRate, AppendsPerSecond) { EXPECT_EQ(format_rate(2048), "2.0 KiB/s"); }

TEST(FormatEta, ScalesUnitsAndShowsUnknown) {
  EXPECT_EQ(format_eta(std::nullopt), "--");
  EXPECT_EQ(format_eta(std::chrono::seconds(9)), "9s");
  EXPECT_EQ(format_eta(std::chrono::seconds(65)), "1m05s");
  EXPECT_EQ(format_eta(std::chrono::seconds(3725)), "1h02m");
  EXPECT_EQ(format_eta(std::chrono::seconds(90000)), "1d01h");
}

TEST(ProgressLine, ShowsPercentSizesRatesPeersAndEta) {
  torrent_status st;
  st.state = torrent_state::downloading;
  st.total_size = 4LL << 20;
  st.total_done = 1LL << 20;
  st.download_rate = 1LL << 20;
  st.num_peers = 3;
  auto line = progress_line(st);
  EXPECT_NE(line.find("25.0%"), std::string::npos) << line;
  EXPECT_NE(line.find("1.0 MiB/4.0 MiB"), std::string::npos) << line;
  EXPECT_NE(line.find("down 1.0 MiB/s"), std::string::npos) << line;
  EXPECT_NE(line.find("peers 3"), std::string::npos) << line;
  EXPECT_NE(line.find("eta 3s"), std::string::npos) << line;
}

TEST(ProgressLine, ShowsUploadRateAndUploadedTotal) {
  torrent_status st;
  st.state = torrent_state::downloading;
  st.total_size = 4LL << 20;
  st.upload_rate = 512 * 1024;
  st.total_uploaded = 3LL << 20;
  auto line = progress_line(st);
  EXPECT_NE(line.find("up 512.0 KiB/s"), std::string::npos) << line;
  EXPECT_NE(line.find("up 3.0 MiB "), std::string::npos) << line;
}

TEST(ProgressLine, SeedingShowsRatioUploadedRateAndPeers) {
  torrent_status st;
  st.state = torrent_state::seeding;
  st.total_size = 4LL << 20;
  st.total_done = st.total_size;
  st.total_uploaded = 6LL << 20;
  st.upload_rate = 1LL << 20;
  st.num_peers = 2;
  auto line = progress_line(st);
  EXPECT_EQ(line.rfind("seeding", 0), 0u) << line;
  EXPECT_NE(line.find("ratio 1.50"), std::string::npos) << line;
  EXPECT_NE(line.find("up 6.0 MiB"), std::string::npos) << line;
  EXPECT_NE(line.find("up 1.0 MiB/s"), std::string::npos) << line;
  EXPECT_NE(line.find("peers 2"), std::string::npos) << line;
}

TEST(ShareRatio, IsUploadedOverTheLargerOfDownloadedAndSize) {
  torrent_status st;
  EXPECT_EQ(share_ratio(st), 0.0);
  st.total_size = 100;
  st.total_uploaded = 50;
  EXPECT_DOUBLE_EQ(share_ratio(st), 0.5);
  st.total_downloaded = 200;  // wasted bytes count: Transmission's rule
  EXPECT_DOUBLE_EQ(share_ratio(st), 0.25);
}

TEST(ProgressLine, ShowsCheckingProgressWhileChecking) {
  torrent_status st;
  st.state = torrent_state::checking;
  st.num_pieces = 200;
  st.pieces_checked = 50;
  EXPECT_NE(progress_line(st).find("checking  25.0% (50/200 pieces)"), std::string::npos)
      << progress_line(st);
}

TEST(Printable, EscapesEveryControlCharacterAsHexBytes) {
  EXPECT_EQ(printable("\x1b[2J"), "\\x1b[2J");
  EXPECT_EQ(printable("a\x1b]0;title\x07z"), "a\\x1b]0;title\\x07z");
  EXPECT_EQ(printable(std::string("nul\0tab\tnl\ncr\rdel\x7f", 18)), "nul\\x00tab\\x09nl\\x0acr\\x0ddel\\x7f");
  EXPECT_EQ(printable("csi\xc2\x9b" "2J"), "csi\\xc2\\x9b2J");  // U+009B: the 8-bit CSI
}

TEST(Printable, EscapesBidiMarksAndInvalidUtf8ButKeepsText) {
  EXPECT_EQ(printable("gpj.\xe2\x80\xae" "exe"), "gpj.\\xe2\\x80\\xaeexe");
  EXPECT_EQ(printable("bad\xff\xc3"), "bad\\xff\\xc3");
  EXPECT_EQ(printable("\xc0\xae"), "\\xc0\\xae");  // overlong '.'
  const std::string text = "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 http://t/a?x=1\\y";
  EXPECT_EQ(printable(text), text);
  EXPECT_EQ(printable(""), "");
}
