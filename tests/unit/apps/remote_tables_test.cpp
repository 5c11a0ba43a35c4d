#include "remote_tables.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

using namespace tessera::cli;

namespace {

boost::json::object obj(std::string_view text) { return boost::json::parse(text).as_object(); }

}  // namespace

TEST(RenderTorrentList, RowsInIdOrderWithSumLine) {
  auto args = obj(R"({"torrents":[
    {"id":2,"name":"beta","status":4,"error":0,"eta":-2,"leftUntilDone":500000,"sizeWhenDone":2000000,
     "rateDownload":1500,"rateUpload":0,"uploadRatio":-1},
    {"id":1,"name":"alpha.bin","status":6,"error":3,"eta":-1,"leftUntilDone":0,"sizeWhenDone":1234567,
     "rateDownload":0,"rateUpload":250000,"uploadRatio":2.5}]})");
  EXPECT_EQ(render_torrent_list(args),
            "  ID  Done     Have      ETA          Up       Down  Ratio  Status       Name\n"
            "  1*  100%  1.23 MB     Done  250.0 kB/s      0 B/s   2.50  Seeding      alpha.bin\n"
            "   2   75%  1.50 MB  Unknown       0 B/s  1.50 kB/s   None  Downloading  beta\n"
            "Sum:        2.73 MB           250.0 kB/s  1.50 kB/s\n");
}

TEST(RenderTorrentList, EmptyListHasHeaderAndSum) {
  EXPECT_EQ(render_torrent_list(obj(R"({"torrents":[]})")),
            "  ID  Done  Have  ETA     Up   Down  Ratio  Status  Name\n"
            "Sum:         0 B       0 B/s  0 B/s\n");
}

TEST(RenderTorrentList, NamesFromTheDaemonAreMadePrintable) {
  auto args = obj(R"({"torrents":[{"id":1,"name":"evil\u001b[2Jname","status":0,"sizeWhenDone":0}]})");
  const std::string out = render_torrent_list(args);
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
  EXPECT_NE(out.find("evil\\x1b[2Jname"), std::string::npos) << out;
  EXPECT_NE(out.find("n/a"), std::string::npos) << out;
}

TEST(RenderFileList, IndexesDonePriorityWantedSizeName) {
  auto t = obj(R"({"id":2,"name":"beta","priorities":[1,0,-1],"wanted":[1,0,true],
    "files":[{"name":"beta/a","length":2000,"bytesCompleted":1000},
             {"name":"beta/b","length":0,"bytesCompleted":0},
             {"name":"beta/c","length":1000000,"bytesCompleted":1000000}]})");
  EXPECT_EQ(render_file_list(t),
            "beta (3 files):\n"
            "#  Done  Priority  Get     Size  Name\n"
            "0   50%  High      Yes  2.00 kB  beta/a\n"
            "1  100%  Normal    No       0 B  beta/b\n"
            "2  100%  Low       Yes  1.00 MB  beta/c\n");
}

TEST(RenderTorrentInfo, SectionsWithAlignedKeysAndLimitsInKilobytes) {
  auto t = obj(R"({"id":1,"name":"alpha","hashString":"ab","status":6,"sizeWhenDone":1000,"leftUntilDone":0,
    "haveValid":1000,"totalSize":1000,"downloadLimited":true,"downloadLimit":100,"uploadLimited":false,
    "uploadLimit":7,"seedRatioMode":1,"seedRatioLimit":2,"bandwidthPriority":-1,"pieceSize":32768,
    "error":2,"errorString":"tracker said no"})");
  const std::string out = render_torrent_info(t);
  EXPECT_NE(out.find("NAME\n  ID:     1\n  Name:   alpha\n  Hash:   ab\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  State:          Seeding\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  Percent Done:   100%\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  Error:          tracker said no\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  Download limit:        100.0 kB/s\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  Upload limit:          Unlimited\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  Ratio limit:           2.00\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  Bandwidth priority:    Low\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  Piece size:   32.0 KiB\n"), std::string::npos) << out;
}

TEST(RenderStats, CountsSpeedsAndBothPeriods) {
  auto s = obj(R"({"torrentCount":3,"activeTorrentCount":1,"pausedTorrentCount":2,"downloadSpeed":2000,
    "uploadSpeed":0,"current-stats":{"uploadedBytes":3000,"downloadedBytes":1500,"secondsActive":65},
    "cumulative-stats":{"uploadedBytes":5,"downloadedBytes":0,"secondsActive":3725,"sessionCount":4}})");
  EXPECT_EQ(render_stats(s),
            "Torrents: 3 (1 active, 2 paused)\n"
            "Speed: down 2.00 kB/s, up 0 B/s\n"
            "CURRENT SESSION\n"
            "  Uploaded:   3.00 kB\n"
            "  Downloaded: 1.50 kB\n"
            "  Ratio:      2.00\n"
            "  Duration:   1m05s\n"
            "TOTAL\n"
            "  Uploaded:   5 B\n"
            "  Downloaded: 0 B\n"
            "  Ratio:      Inf\n"
            "  Duration:   1h02m\n"
            "  Sessions:   4\n");
}

TEST(RenderSession, SortedAlignedKeysStringsBareOthersJson) {
  auto s = obj(R"({"version":"3.00","speed-limit-down":100,"dht-enabled":false,"units":{"size-bytes":1000}})");
  EXPECT_EQ(render_session(s),
            "dht-enabled:      false\n"
            "speed-limit-down: 100\n"
            "units:            {\"size-bytes\":1000}\n"
            "version:          3.00\n");
}
