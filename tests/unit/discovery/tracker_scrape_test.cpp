// Scrape (BEP 48 over HTTP, BEP 15 action 2 over UDP): the scrape URL, the HTTP request and reply
// parser, the UDP packets, and both clients against in-process fake trackers.
#include <gtest/gtest.h>

#include "core/bencode.hpp"
#include "discovery/scraper.hpp"
#include "discovery/tracker_parse.hpp"
#include "discovery/udp_tracker_wire.hpp"
#include "discovery_test_support.hpp"

namespace tessera::detail {
namespace {

using namespace std::chrono_literals;
using bytes = std::vector<std::uint8_t>;
using test::get32;
using test::get64;
using test::put32;
using test::put64;

sha1_hash hash_of(std::uint8_t seed) {
  sha1_hash h;
  for (std::size_t i = 0; i < h.bytes.size(); ++i) h.bytes[i] = static_cast<std::uint8_t>(seed + i * 7);
  return h;
}

std::string entry(std::int64_t complete, std::int64_t downloaded, std::int64_t incomplete) {
  return "d8:completei" + std::to_string(complete) + "e10:downloadedi" + std::to_string(downloaded) +
         "e10:incompletei" + std::to_string(incomplete) + "ee";
}

/// A bencoded scrape reply with `files` holding `entries` (20-byte key, bencoded value).
std::string scrape_body(const std::vector<std::pair<sha1_hash, std::string>>& entries, std::string extra = {}) {
  std::string files = "d";
  auto sorted = entries;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first.to_bytes() < b.first.to_bytes(); });
  for (const auto& [h, v] : sorted) files += "20:" + h.to_bytes() + v;
  files += "e";
  return "d5:files" + files + extra + "e";
}

// ---- the scrape URL (BEP 48) --------------------------------------------------------------------

TEST(ScrapeUrl, LastPathComponentAnnounceBecomesScrape) {
  EXPECT_EQ(http_scrape_url("http://example.com/announce"), "http://example.com/scrape");
  EXPECT_EQ(http_scrape_url("http://example.com/x/announce"), "http://example.com/x/scrape");
  EXPECT_EQ(http_scrape_url("http://example.com/announce.php"), "http://example.com/scrape.php");
  EXPECT_EQ(http_scrape_url("http://example.com/announce?x2%0644"), "http://example.com/scrape?x2%0644");
  EXPECT_EQ(http_scrape_url("https://example.com:8443/pk/announce?passkey=ab/cd"),
            "https://example.com:8443/pk/scrape?passkey=ab/cd");
  EXPECT_EQ(http_scrape_url("HTTP://example.com/announce#frag"), "HTTP://example.com/scrape");
}

TEST(ScrapeUrl, WithoutAnnounceInTheLastComponentThereIsNoScrape) {
  EXPECT_EQ(http_scrape_url("http://example.com/a"), "");
  EXPECT_EQ(http_scrape_url("http://example.com/announce/"), "");       // last component is empty
  EXPECT_EQ(http_scrape_url("http://example.com/x%064announce"), "");   // not at the start
  EXPECT_EQ(http_scrape_url("http://example.com/announce/x"), "");      // not the last component
  EXPECT_EQ(http_scrape_url("http://example.com/Announce"), "");        // case matters
  EXPECT_EQ(http_scrape_url("http://example.com"), "");
  EXPECT_EQ(http_scrape_url("http://example.com?announce"), "");        // in the query, not the path
  EXPECT_EQ(http_scrape_url("http://example.com/tracker?u=/announce"), "");
  EXPECT_EQ(http_scrape_url("udp://example.com:80/announce"), "");
  EXPECT_EQ(http_scrape_url("ftp://example.com/announce"), "");
  EXPECT_EQ(http_scrape_url(""), "");
}

TEST(ScrapeUrl, UdpTrackersAreAlwaysScraped) {
  EXPECT_EQ(udp_scrape_url("udp://t.example:6969/announce"), "udp://t.example:6969/scrape");
  EXPECT_EQ(udp_scrape_url("udp://t.example:6969"), "udp://t.example:6969");
  EXPECT_EQ(udp_scrape_url("udp://t.example:6969/x"), "udp://t.example:6969/x");
  EXPECT_EQ(scrape_url_of("udp://t.example:6969"), "udp://t.example:6969");
  EXPECT_EQ(scrape_url_of("http://t.example/announce"), "http://t.example/scrape");
  EXPECT_EQ(scrape_url_of("http://t.example/tracker"), "");
  EXPECT_EQ(scrape_url_of("wss://t.example/announce"), "");
}

TEST(ScrapeRequest, OneInfoHashParameterPerHashPercentEncoded) {
  const std::vector<sha1_hash> hashes{hash_of(1), hash_of(200)};
  const auto url = build_http_scrape_url("http://t/scrape", hashes);
  EXPECT_EQ(url, "http://t/scrape?info_hash=" + percent_encode(hashes[0].to_bytes()) +
                     "&info_hash=" + percent_encode(hashes[1].to_bytes()));
  // A passkey query is kept and extended.
  EXPECT_EQ(build_http_scrape_url("http://t/scrape?pk=1", std::span(hashes).first(1)),
            "http://t/scrape?pk=1&info_hash=" + percent_encode(hashes[0].to_bytes()));
  EXPECT_EQ(build_http_scrape_url("http://t/scrape?pk=1&", std::span(hashes).first(1)),
            "http://t/scrape?pk=1&info_hash=" + percent_encode(hashes[0].to_bytes()));
}

// ---- the HTTP reply -----------------------------------------------------------------------------

TEST(ScrapeParse, FiguresOfTheHashesAskedInTheirOrder) {
  const std::vector<sha1_hash> asked{hash_of(9), hash_of(3)};
  const auto body = scrape_body({{hash_of(3), entry(5, 7, 2)}, {hash_of(9), entry(1, 0, 4)}, {hash_of(50), entry(9, 9, 9)}});
  auto r = parse_http_scrape_response(body, asked);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->entries.size(), 2u);
  EXPECT_EQ(r->entries[0], (scrape_entry{.complete = 1, .downloaded = 0, .incomplete = 4}));
  EXPECT_EQ(r->entries[1], (scrape_entry{.complete = 5, .downloaded = 7, .incomplete = 2}));
  EXPECT_EQ(r->min_request_interval, 0s);
}

TEST(ScrapeParse, AHashTheTrackerDoesNotListIsUnknown) {
  const std::vector<sha1_hash> asked{hash_of(1), hash_of(2)};
  auto r = parse_http_scrape_response(scrape_body({{hash_of(2), entry(1, 2, 3)}}), asked);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->entries[0].has_value());
  ASSERT_TRUE(r->entries[1].has_value());
  r = parse_http_scrape_response("d5:filesdee", asked);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->entries[0] || r->entries[1]);
}

TEST(ScrapeParse, MissingNegativeOrMistypedCountsAreMinusOne) {
  const std::vector<sha1_hash> asked{hash_of(1)};
  auto r = parse_http_scrape_response(scrape_body({{hash_of(1), "d8:completei-5e10:downloaded3:abc4:name1:xe"}}), asked);
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->entries[0]);
  EXPECT_EQ(*r->entries[0], scrape_entry{});
  // An entry that is not a dictionary is as good as absent.
  r = parse_http_scrape_response(scrape_body({{hash_of(1), "i5e"}}), asked);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->entries[0]);
  // A key that is not 20 bytes long never matches.
  r = parse_http_scrape_response("d5:filesd3:abc" + entry(1, 1, 1) + "ee", asked);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->entries[0]);
}

TEST(ScrapeParse, FailureReasonIsAnErrorWithItsText) {
  auto r = parse_http_scrape_response("d14:failure reason12:unregisterede", std::vector<sha1_hash>{hash_of(1)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ec, tracker_errc::failure_reason);
  EXPECT_EQ(r.error().message, "unregistered");
  // A reason longer than 1 KiB is cut (it goes to logs and the RPC).
  const std::string longer(5000, 'x');
  r = parse_http_scrape_response("d14:failure reason5000:" + longer + "e", std::vector<sha1_hash>{hash_of(1)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.size(), 1024u);
}

TEST(ScrapeParse, MinRequestIntervalIsReadAndClamped) {
  const std::vector<sha1_hash> asked{hash_of(1)};
  auto r = parse_http_scrape_response(scrape_body({}, "5:flagsd20:min_request_intervali3600ee"), asked);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->min_request_interval, 3600s);
  r = parse_http_scrape_response(scrape_body({}, "5:flagsd20:min_request_intervali99999999999ee"), asked);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->min_request_interval, tracker_interval_ceiling);
  r = parse_http_scrape_response(scrape_body({}, "5:flagsd20:min_request_intervali-7ee"), asked);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->min_request_interval, 0s);
}

TEST(ScrapeParse, MalformedRepliesAreBadResponseNeverACrash) {
  const std::vector<sha1_hash> asked{hash_of(1)};
  for (std::string body : {std::string(), std::string("garbage"), std::string("le"), std::string("i5e"),
                           std::string("de"), std::string("d5:filesi1ee"), std::string("d5:files4:abcde"),
                           std::string("d5:filesd20:"), std::string("d5:filesle"), std::string("d5:filesdee trailing")}) {
    auto r = parse_http_scrape_response(body, asked);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().ec, tracker_errc::bad_response) << body;
  }
}

TEST(ScrapeParse, DeepNestingAndTooManyValuesAreRefused) {
  const std::vector<sha1_hash> asked{hash_of(1)};
  // Root, files, entry, and a value nested in the entry: depth 4 is allowed, 5 is not.
  auto ok = parse_http_scrape_response(scrape_body({{hash_of(1), "d1:xli1eee"}}), asked);
  EXPECT_TRUE(ok);
  auto deep = parse_http_scrape_response(scrape_body({{hash_of(1), "d1:xlli1eeee"}}), asked);
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error().ec, tracker_errc::bad_response);
  // A whole-database reply past the item cap.
  std::string many = "d5:filesd";
  for (std::size_t i = 0; i < max_scrape_body_items / 4 + 10; ++i) {
    char key[21];
    std::snprintf(key, sizeof key, "%020zu", i);
    many += "20:" + std::string(key, 20) + entry(1, 1, 1);
  }
  many += "ee";
  auto r = parse_http_scrape_response(many, asked);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ec, tracker_errc::bad_response);
}

// ---- the UDP packets (BEP 15) -------------------------------------------------------------------

TEST(UdpScrapeWire, RequestLayout) {
  const std::vector<sha1_hash> hashes{hash_of(1), hash_of(2)};
  auto req = udp_wire::build_scrape(0x0102030405060708ULL, 0xCAFEBABE, hashes);
  ASSERT_EQ(req.size(), 16u + 40u);
  EXPECT_EQ(get64(req, 0), 0x0102030405060708ULL);
  EXPECT_EQ(get32(req, 8), 2u);
  EXPECT_EQ(get32(req, 12), 0xCAFEBABEu);
  EXPECT_TRUE(std::equal(hashes[0].bytes.begin(), hashes[0].bytes.end(), req.begin() + 16));
  EXPECT_TRUE(std::equal(hashes[1].bytes.begin(), hashes[1].bytes.end(), req.begin() + 36));
  // Never more than max_scrape_hashes.
  std::vector<sha1_hash> many(max_scrape_hashes + 5, hash_of(3));
  EXPECT_EQ(udp_wire::build_scrape(1, 2, many).size(), 16u + 20u * max_scrape_hashes);
}

bytes scrape_reply(std::uint32_t tid, const std::vector<std::array<std::int32_t, 3>>& triples) {
  bytes out;
  put32(out, 2);
  put32(out, tid);
  for (const auto& t : triples) {
    for (auto v : t) put32(out, static_cast<std::uint32_t>(v));
  }
  return out;
}

TEST(UdpScrapeWire, ReplyTriplesAreSeedersCompletedLeechers) {
  auto r = udp_wire::parse_reply(scrape_reply(7, {{4, 10, 3}, {0, 1, 2}}), 7, udp_wire::action::scrape, false, 2);
  ASSERT_EQ(r.what, udp_wire::reply::kind::scraped);
  ASSERT_EQ(r.scraped.size(), 2u);
  EXPECT_EQ(r.scraped[0], (scrape_entry{.complete = 4, .downloaded = 10, .incomplete = 3}));
  EXPECT_EQ(r.scraped[1], (scrape_entry{.complete = 0, .downloaded = 1, .incomplete = 2}));
}

TEST(UdpScrapeWire, ShortLongNegativeAndForeignRepliesAreBounded) {
  // Fewer triples than asked: only those; a trailing partial triple is ignored.
  auto partial = scrape_reply(7, {{4, 10, 3}});
  partial.push_back(0);
  partial.push_back(1);
  auto r = udp_wire::parse_reply(partial, 7, udp_wire::action::scrape, false, 2);
  ASSERT_EQ(r.what, udp_wire::reply::kind::scraped);
  EXPECT_EQ(r.scraped.size(), 1u);
  // More triples than asked: the extra are not read.
  r = udp_wire::parse_reply(scrape_reply(7, {{1, 1, 1}, {2, 2, 2}, {3, 3, 3}}), 7, udp_wire::action::scrape, false, 1);
  EXPECT_EQ(r.scraped.size(), 1u);
  // Negative counts (as signed 32-bit) are unknown.
  r = udp_wire::parse_reply(scrape_reply(7, {{-1, -5, std::numeric_limits<std::int32_t>::min()}}), 7,
                            udp_wire::action::scrape, false, 1);
  ASSERT_EQ(r.scraped.size(), 1u);
  EXPECT_EQ(r.scraped[0], scrape_entry{});
  // No triple at all: a scrape reply with nothing known.
  r = udp_wire::parse_reply(scrape_reply(7, {}), 7, udp_wire::action::scrape, false, 1);
  EXPECT_EQ(r.what, udp_wire::reply::kind::scraped);
  EXPECT_TRUE(r.scraped.empty());
  // Another transaction, a runt, or an announce reply: ignored.
  EXPECT_EQ(udp_wire::parse_reply(scrape_reply(8, {{1, 1, 1}}), 7, udp_wire::action::scrape, false, 1).what,
            udp_wire::reply::kind::ignore);
  EXPECT_EQ(udp_wire::parse_reply(bytes{0, 0, 0, 2, 0, 0}, 7, udp_wire::action::scrape, false, 1).what,
            udp_wire::reply::kind::ignore);
  bytes announce;
  put32(announce, 1);
  put32(announce, 7);
  put32(announce, 1800);
  put32(announce, 1);
  put32(announce, 1);
  EXPECT_EQ(udp_wire::parse_reply(announce, 7, udp_wire::action::scrape, false, 1).what, udp_wire::reply::kind::ignore);
  // Error action: its text.
  bytes error;
  put32(error, 3);
  put32(error, 7);
  error.insert(error.end(), {'n', 'o'});
  r = udp_wire::parse_reply(error, 7, udp_wire::action::scrape, false, 1);
  ASSERT_EQ(r.what, udp_wire::reply::kind::error);
  EXPECT_EQ(r.message, "no");
}

// ---- the clients against fake trackers ----------------------------------------------------------

constexpr std::uint64_t fake_cid = 0x99AABBCCDDEEFF00ULL;

bytes connect_reply(std::uint32_t tid) {
  bytes out;
  put32(out, 0);
  put32(out, tid);
  put64(out, fake_cid);
  return out;
}

struct ScrapeLive : ::testing::Test {
  boost::asio::io_context io;
  std::shared_ptr<udp_tracker_client> udp = std::make_shared<udp_tracker_client>(io.get_executor(), 100ms);
};

TEST_F(ScrapeLive, UdpConnectsThenScrapesEveryHashInOneRequest) {
  const std::vector<sha1_hash> hashes{hash_of(1), hash_of(2)};
  test::fake_udp_tracker tracker(io, [](const bytes& req) -> std::vector<bytes> {
    if (req.size() == 16 && get32(req, 8) == 0) return {connect_reply(get32(req, 12))};
    if (req.size() == 56 && get64(req, 0) == fake_cid && get32(req, 8) == 2) {
      return {scrape_reply(get32(req, 12), {{6, 11, 2}, {1, 0, 3}})};
    }
    return {};
  });
  auto r = test::run(io, udp->scrape(tracker.url(), hashes, std::nullopt, 2));
  ASSERT_TRUE(r && *r) << (r ? r->error().message : "hung");
  ASSERT_EQ((*r)->entries.size(), 2u);
  EXPECT_EQ((*r)->entries[0], (scrape_entry{.complete = 6, .downloaded = 11, .incomplete = 2}));
  EXPECT_EQ((*r)->entries[1], (scrape_entry{.complete = 1, .downloaded = 0, .incomplete = 3}));
  ASSERT_EQ(tracker.received().size(), 2u);
  const auto& scrape = tracker.received()[1];
  EXPECT_TRUE(std::equal(hashes[1].bytes.begin(), hashes[1].bytes.end(), scrape.begin() + 36));
}

TEST_F(ScrapeLive, UdpErrorActionFailsWithItsText) {
  test::fake_udp_tracker tracker(io, [](const bytes& req) -> std::vector<bytes> {
    if (req.size() == 16 && get32(req, 8) == 0) return {connect_reply(get32(req, 12))};
    bytes error;
    put32(error, 3);
    put32(error, get32(req, 12));
    for (char c : std::string("scrape disabled")) error.push_back(static_cast<std::uint8_t>(c));
    return {error};
  });
  auto r = test::run(io, udp->scrape(tracker.url(), {hash_of(1)}, std::nullopt, 2));
  ASSERT_TRUE(r && !*r);
  EXPECT_EQ((*r).error().ec, tracker_errc::udp_error);
  EXPECT_EQ((*r).error().message, "scrape disabled");
}

TEST_F(ScrapeLive, UdpSilentTrackerTimesOut) {
  test::fake_udp_tracker tracker(io, [](const bytes&) { return std::vector<bytes>{}; });
  auto r = test::run(io, udp->scrape(tracker.url(), {hash_of(1)}, std::nullopt, 1));
  ASSERT_TRUE(r && !*r);
  EXPECT_EQ((*r).error().ec, tracker_errc::timeout);
  EXPECT_EQ(tracker.received().size(), 2u);  // connect, then its retransmission
}

TEST_F(ScrapeLive, HttpSendsTheInfoHashesAndParsesTheReply) {
  const std::vector<sha1_hash> hashes{hash_of(4)};
  test::fake_http_tracker tracker(io, [&](const std::string&) {
    return test::fake_http_tracker::reply(200, scrape_body({{hash_of(4), entry(3, 8, 1)}}));
  });
  auto r = test::run(io, scrape_http(http_scrape_url(tracker.url("/announce")), hashes, 5s, std::nullopt));
  ASSERT_TRUE(r && *r) << (r ? r->error().message : "hung");
  EXPECT_EQ((*r)->entries[0], (scrape_entry{.complete = 3, .downloaded = 8, .incomplete = 1}));
  ASSERT_EQ(tracker.targets().size(), 1u);
  EXPECT_EQ(tracker.targets()[0], "/scrape?info_hash=" + percent_encode(hashes[0].to_bytes()));
}

TEST_F(ScrapeLive, HttpOversizedBodyAndErrorStatusFail) {
  test::fake_http_tracker big(io, [](const std::string&) {
    return test::fake_http_tracker::reply(200, std::string(max_scrape_body_bytes + 1, 'x'));
  });
  auto r = test::run(io, scrape_http(big.url("/scrape"), {hash_of(1)}, 5s, std::nullopt));
  ASSERT_TRUE(r && !*r);
  test::fake_http_tracker missing(io, [](const std::string&) { return test::fake_http_tracker::reply(404, "nope"); });
  r = test::run(io, scrape_http(missing.url("/scrape"), {hash_of(1)}, 5s, std::nullopt));
  ASSERT_TRUE(r && !*r);
  EXPECT_EQ((*r).error().ec, tracker_errc::http_status);
}

// ---- the scraper: schedule and requests together ------------------------------------------------

TEST_F(ScrapeLive, ScraperScrapesEveryScrapableTrackerAfterTheFirstAnnounceAndOnDemand) {
  const std::vector<sha1_hash> hashes{hash_of(1), hash_of(2)};
  int udp_scrapes = 0;
  test::fake_udp_tracker udp_tracker(io, [&](const bytes& req) -> std::vector<bytes> {
    if (req.size() == 16 && get32(req, 8) == 0) return {connect_reply(get32(req, 12))};
    if (get32(req, 8) == 2) {
      ++udp_scrapes;
      return {scrape_reply(get32(req, 12), {{1, 2, 3}, {4, 5, 6}})};
    }
    return {};
  });
  test::fake_http_tracker http_tracker(io, [&](const std::string&) {
    return test::fake_http_tracker::reply(200, scrape_body({{hash_of(1), entry(7, 8, 9)}}));
  });
  std::vector<std::string> started;
  std::map<std::string, scrape_response> done;
  scraper::callbacks cb;
  cb.on_start = [&](const std::string& url) { started.push_back(url); };
  cb.on_done = [&](const std::string& url, const result<scrape_response, tracker_error>& r) {
    ASSERT_TRUE(r) << r.error().message;
    done[url] = *r;
  };
  scraper::timing t;
  t.schedule.after_announce = 0s;
  t.schedule.min_forced_gap = 0s;
  const std::string no_scrape = http_tracker.url("/tracker");
  scraper s(io.get_executor(), udp, {{http_tracker.url("/announce"), no_scrape}, {udp_tracker.url()}}, hashes, cb, t);
  EXPECT_EQ(s.urls(), (std::vector<std::string>{http_tracker.url("/announce"), udp_tracker.url()}));
  s.start();
  test::run_for(io, 200ms);
  EXPECT_TRUE(started.empty()) << "nothing before the first announce";
  s.announced();
  ASSERT_TRUE(test::run_until(io, [&] { return done.size() == 2; }));
  EXPECT_EQ(done[udp_tracker.url()].entries[1], (scrape_entry{.complete = 4, .downloaded = 5, .incomplete = 6}));
  EXPECT_EQ(done[http_tracker.url("/announce")].entries[0], (scrape_entry{.complete = 7, .downloaded = 8, .incomplete = 9}));
  EXPECT_FALSE(done[http_tracker.url("/announce")].entries[1].has_value());
  // Next one planned 30 minutes on; the URL without `announce` never was scraped.
  const auto next = s.next_scrape(udp_tracker.url());
  ASSERT_TRUE(next);
  EXPECT_GT(*next, std::chrono::steady_clock::now() + 29min);
  EXPECT_FALSE(s.next_scrape(no_scrape));
  for (const auto& target : http_tracker.targets()) EXPECT_EQ(target.rfind("/scrape?", 0), 0u) << target;
  // Another announce does not scrape again; a forced scrape does, of one tracker only.
  s.announced();
  test::run_for(io, 100ms);
  EXPECT_EQ(udp_scrapes, 1);
  s.force(udp_tracker.url());
  ASSERT_TRUE(test::run_until(io, [&] { return udp_scrapes == 2; }));
  EXPECT_EQ(http_tracker.targets().size(), 1u);
  s.stop();
}

}  // namespace
}  // namespace tessera::detail
