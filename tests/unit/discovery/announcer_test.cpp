// announcer: BEP 12 tiers, events and the stop sequence, against fake HTTP trackers.
#include <gtest/gtest.h>

#include "core/bencode.hpp"
#include "discovery_test_support.hpp"

namespace tessera::detail {
namespace {

using namespace std::chrono_literals;
using tracker = test::fake_http_tracker;

tracker::reply ok_reply(const std::string&) {
  // 10.0.0.1:6881, compact
  bdict d{{"interval", 1800}, {"peers", std::string("\x0a\x00\x00\x01\x1a\xe1", 6)}};
  return tracker::reply{200, bencode(bvalue(d))};
}
tracker::reply failing_reply(const std::string&) {
  return tracker::reply{200, "d14:failure reason4:nopee"};
}

bool has(const std::string& target, const char* part) { return target.find(part) != std::string::npos; }

struct AnnouncerTest : ::testing::Test {
  boost::asio::io_context io;
  std::vector<std::vector<boost::asio::ip::tcp::endpoint>> peer_batches;
  std::vector<tracker_error> all_failed;
  std::vector<std::string> replies;

  announcer::callbacks callbacks() {
    announcer::callbacks cb;
    cb.make_request = [] { return test::sample_request(); };
    cb.on_peers = [this](const auto& peers) { peer_batches.push_back(peers); };
    cb.on_all_failed = [this](const tracker_error& e) { all_failed.push_back(e); };
    cb.on_reply = [this](const std::string& url, const announce_response&) { replies.push_back(url); };
    return cb;
  }
  announcer::timing fast() {
    announcer::timing t;
    t.http_timeout = 2s;
    return t;
  }
  std::shared_ptr<announcer> make(std::vector<std::vector<std::string>> tiers) {
    return std::make_shared<announcer>(io.get_executor(), nullptr, std::move(tiers), callbacks(), fast());
  }
  void stop(announcer& a) {
    auto stopped = [](announcer* an) -> boost::asio::awaitable<bool> {
      co_await an->stop(2s);
      co_return true;
    };
    ASSERT_TRUE(test::run(io, stopped(&a), 5s));
  }
};

TEST_F(AnnouncerTest, StartedFirstThenCompletedOnceThenPlainReannounce) {
  tracker t(io, ok_reply);
  auto a = make({{t.url()}});
  a->start();
  ASSERT_TRUE(test::run_until(io, [&] { return peer_batches.size() == 1; }));
  ASSERT_EQ(t.targets().size(), 1u);
  EXPECT_TRUE(has(t.targets()[0], "event=started"));
  ASSERT_EQ(peer_batches[0].size(), 1u);
  EXPECT_EQ(peer_batches[0][0].port(), 6881);

  a->completed();
  a->completed();  // only once
  ASSERT_TRUE(test::run_until(io, [&] { return t.targets().size() == 2; }));
  EXPECT_TRUE(has(t.targets()[1], "event=completed"));

  a->reannounce();  // min interval 0: now
  ASSERT_TRUE(test::run_until(io, [&] { return t.targets().size() == 3; }));
  EXPECT_FALSE(has(t.targets()[2], "event="));
  test::run_for(io, 200ms);
  EXPECT_EQ(t.targets().size(), 3u) << "nothing more before the interval";
  stop(*a);
  ASSERT_EQ(t.targets().size(), 4u);
  EXPECT_TRUE(has(t.targets()[3], "event=stopped"));
}

TEST_F(AnnouncerTest, TrackerThatAnswersMovesToTheFrontOfItsTier) {
  tracker bad(io, failing_reply);
  tracker good(io, ok_reply);
  auto a = make({{bad.url(), good.url()}});
  a->start();
  ASSERT_TRUE(test::run_until(io, [&] { return replies.size() == 1; }));
  EXPECT_EQ(replies[0], good.url());
  EXPECT_EQ(a->tiers()[0][0], good.url());
  const auto bad_hits = bad.targets().size();
  EXPECT_LE(bad_hits, 1u);

  a->reannounce();
  ASSERT_TRUE(test::run_until(io, [&] { return replies.size() == 2; }));
  EXPECT_EQ(bad.targets().size(), bad_hits) << "the promoted tracker is asked first";
  EXPECT_EQ(good.targets().size(), 2u);
  EXPECT_TRUE(all_failed.empty());
  stop(*a);
  EXPECT_EQ(bad.targets().size(), bad_hits) << "stopped goes only to trackers that answered";
}

TEST_F(AnnouncerTest, TiersAreTriedInOrderUntilOneAnswers) {
  tracker first(io, failing_reply);
  tracker second(io, ok_reply);
  tracker third(io, ok_reply);
  auto a = make({{first.url()}, {}, {second.url()}, {third.url()}});
  ASSERT_EQ(a->tiers().size(), 3u) << "empty tiers are dropped";
  a->start();
  ASSERT_TRUE(test::run_until(io, [&] { return replies.size() == 1; }));
  EXPECT_EQ(first.targets().size(), 1u);
  EXPECT_EQ(second.targets().size(), 1u);
  EXPECT_EQ(third.targets().size(), 0u);
  EXPECT_EQ(a->tiers()[0][0], first.url()) << "tiers keep their order";
  stop(*a);
}

TEST_F(AnnouncerTest, AllTrackersFailingIsReportedOncePerRound) {
  tracker one(io, failing_reply);
  tracker two(io, [](const std::string&) { return tracker::reply{500, "oops"}; });
  std::vector<std::string> errors;
  auto cb = callbacks();
  cb.on_error = [&](const std::string& url, const tracker_error&) { errors.push_back(url); };
  auto a = std::make_shared<announcer>(io.get_executor(), nullptr,
                                       std::vector<std::vector<std::string>>{{one.url()}, {two.url(), "gopher://x"}},
                                       cb, fast());
  a->start();
  ASSERT_TRUE(test::run_until(io, [&] { return !all_failed.empty(); }));
  EXPECT_EQ(errors.size(), 3u);
  EXPECT_TRUE(peer_batches.empty());
  test::run_for(io, 300ms);
  EXPECT_EQ(all_failed.size(), 1u) << "the retry waits the backoff (30 s)";
  stop(*a);
  EXPECT_EQ(one.targets().size(), 1u) << "no stopped to trackers that never answered";
}

TEST_F(AnnouncerTest, StopIsBoundedByItsTimeout) {
  tracker::reply silent;
  silent.never_answer = true;
  int calls = 0;
  tracker t(io, [&](const std::string& target) {
    return ++calls == 1 ? ok_reply(target) : silent;
  });
  auto a = make({{t.url()}});
  a->start();
  ASSERT_TRUE(test::run_until(io, [&] { return replies.size() == 1; }));
  auto stopped = [](announcer* an) -> boost::asio::awaitable<bool> {
    co_await an->stop(1s);
    co_return true;
  };
  const auto begin = std::chrono::steady_clock::now();
  ASSERT_TRUE(test::run(io, stopped(a.get()), 5s));
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 1800ms);
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace tessera::detail
