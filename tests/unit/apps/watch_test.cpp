// `tessera watch`'s pure parts: the Server-Sent Events reader (pieces, line ends, comments, the
// bound on a line) and the lines it prints, for a terminal and as JSON.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <ctime>

#include "sse_reader.hpp"
#include "watch_format.hpp"

using namespace tessera::cli;

namespace {

std::vector<sse_event> feed_all(sse_reader& r, std::string_view bytes) {
  auto events = r.feed(bytes);
  EXPECT_TRUE(events) << events.error();
  return events ? *events : std::vector<sse_event>{};
}

/// A local time today at 12:34:56.
std::time_t at_noon() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  tm.tm_hour = 12;
  tm.tm_min = 34;
  tm.tm_sec = 56;
  return std::mktime(&tm);
}

}  // namespace

TEST(SseReader, ReadsEventsSplitAnywhere) {
  const std::string stream =
      "event: hello\nid: 1\ndata: {\"a\":1}\n\n: ping\n\nevent: tick\r\nid: 2\r\ndata: {}\r\n\r\n"
      "event: x\rid: 3\rdata: 1\rdata: 2\r\r";
  for (std::size_t piece : {std::size_t{1}, std::size_t{2}, std::size_t{7}, stream.size()}) {
    sse_reader r;
    std::vector<sse_event> got;
    for (std::size_t i = 0; i < stream.size(); i += piece) {
      auto more = feed_all(r, std::string_view(stream).substr(i, piece));
      got.insert(got.end(), more.begin(), more.end());
    }
    ASSERT_EQ(got.size(), 3u) << piece;
    EXPECT_EQ(got[0].name, "hello");
    EXPECT_EQ(got[0].id, "1");
    EXPECT_EQ(got[0].data, "{\"a\":1}");
    EXPECT_EQ(got[1].name, "tick");
    EXPECT_EQ(got[1].id, "2");
    EXPECT_EQ(got[1].data, "{}");
    EXPECT_EQ(got[2].name, "x");
    EXPECT_EQ(got[2].data, "1\n2");  // data lines join with a newline
    EXPECT_EQ(r.comments(), 1u);
  }
}

TEST(SseReader, FollowsTheStandardsFieldRules) {
  sse_reader r;
  // No event name: "message". No space after the colon; a field without a colon; an event
  // without data is not dispatched; the id carries over to later events; unknown fields ignored.
  auto got = feed_all(r, "data:x\n\nevent: empty\nid: 9\n\nretry: 10\nfoo: bar\ndata\n\n");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].name, "message");
  EXPECT_EQ(got[0].data, "x");
  EXPECT_EQ(got[0].id, "");
  EXPECT_EQ(got[1].name, "message");
  EXPECT_EQ(got[1].data, "");
  EXPECT_EQ(got[1].id, "9");
  EXPECT_TRUE(feed_all(r, "data: unfinished").empty());  // waits for the blank line
  EXPECT_EQ(feed_all(r, "\n\n").size(), 1u);
}

TEST(SseReader, ALineLongerThanTheLimitOrANulIsAnError) {
  sse_reader r(16);
  EXPECT_TRUE(r.feed("data: 0123456789\n"));  // 16 bytes: fine
  auto bad = r.feed("data: 0123456789a");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("longer than"), std::string::npos);
  EXPECT_FALSE(r.feed("\n\n"));  // unusable afterwards

  sse_reader data_too_long(16);  // many short data lines add up
  auto events = data_too_long.feed("data: 0123456789\ndata: 0123456789\n");
  EXPECT_FALSE(events);

  sse_reader nul;
  EXPECT_FALSE(nul.feed(std::string_view("data: a\0b\n", 10)));
}

TEST(WatchFormat, JsonLinesCarryTheEventItsIdAndItsData) {
  auto line = watch_json_line(sse_event{"tick", "12", R"({"torrents":[{"id":3,"percentDone":0.5}]})"});
  ASSERT_TRUE(line) << line.error();
  EXPECT_EQ(boost::json::parse(*line),
            boost::json::parse(R"({"event":"tick","id":12,"data":{"torrents":[{"id":3,"percentDone":0.5}]}})"));
  EXPECT_EQ(line->find('\n'), std::string::npos);
  auto text_id = watch_json_line(sse_event{"x", "abc", "{}"});
  ASSERT_TRUE(text_id);
  EXPECT_EQ(boost::json::parse(*text_id).at("id"), "abc");
  auto bad = watch_json_line(sse_event{"tick", "1", "{not json"});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("not JSON"), std::string::npos);
}

TEST(WatchFormat, TerminalLinesNameTorrentsAndSummariseTicks) {
  watch_printer p;
  const std::time_t t = at_noon();
  auto line = [&](const char* name, const char* data) {
    auto l = p.line(sse_event{name, "1", data}, t);
    EXPECT_TRUE(l) << l.error();
    return l ? *l : std::string();
  };
  EXPECT_EQ(line("hello", R"({"version":"0.1.0","rpc-version":17,"session-id":"abcdefghijkl","interval":1000})"),
            "12:34:56  hello             tessera 0.1.0, rpc-version 17, session abcdefgh...");
  EXPECT_EQ(line("torrent-added", R"({"id":3,"name":"ubuntu.iso","hashString":"ab"})"),
            "12:34:56  torrent-added     #3 ubuntu.iso");
  EXPECT_EQ(line("tick", R"({"torrents":[{"id":3,"percentDone":0.452,"rateDownload":1200000,"rateUpload":0}],)"
                         R"("session":{"downloadSpeed":1200000,"uploadSpeed":0}})"),
            "12:34:56  tick              down 1.20 MB/s  up 0 B/s  #3 ubuntu.iso 45.2% 1.20 MB/s/0 B/s");
  // A later tick carries only what changed: the rest is remembered.
  EXPECT_EQ(line("tick", R"({"torrents":[{"id":3,"rateUpload":5000}]})"),
            "12:34:56  tick              down 1.20 MB/s  up 0 B/s  #3 ubuntu.iso 45.2% 1.20 MB/s/5.00 kB/s");
  EXPECT_EQ(line("torrent-state", R"({"id":3,"status":6,"previous":4})"),
            "12:34:56  torrent-state     #3 ubuntu.iso: Downloading -> Seeding");
  EXPECT_EQ(line("torrent-finished", R"({"id":3,"name":"ubuntu.iso","status":6})"),
            "12:34:56  torrent-finished  #3 ubuntu.iso: Seeding");
  EXPECT_EQ(line("torrent-error", R"({"id":3,"error":3,"errorString":"disk\u001b[31m full"})"),
            "12:34:56  torrent-error     #3 ubuntu.iso: error 3: disk\\x1b[31m full");  // escapes made harmless
  EXPECT_EQ(line("metadata-received", R"({"id":4,"name":"debian"})"), "12:34:56  metadata-received #4 debian");
  EXPECT_EQ(line("torrent-removed", R"({"id":3})"), "12:34:56  torrent-removed   #3 ubuntu.iso");
  EXPECT_EQ(line("torrent-removed", R"({"id":3})"), "12:34:56  torrent-removed   #3");  // forgotten
  EXPECT_EQ(line("reset", "{}").substr(0, 28), "12:34:56  reset             ");

  // At most five torrents named per tick.
  std::string many = R"({"torrents":[)";
  for (int i = 1; i <= 8; ++i) many += (i > 1 ? "," : "") + std::string(R"({"id":)") + std::to_string(10 + i) + "}";
  many += "]}";
  const std::string l = line("tick", many.c_str());
  EXPECT_NE(l.find("#15 "), std::string::npos);
  EXPECT_EQ(l.find("#16 "), std::string::npos);
  EXPECT_TRUE(l.ends_with(" (+3 more)")) << l;

  EXPECT_FALSE(p.line(sse_event{"tick", "1", "[1,2]"}, t));  // not an object
}
