// http_fetch's Cookie header (torrent-add's `cookies`): sent to the first URL's origin, kept on a
// redirect within it, dropped on a redirect elsewhere; unsafe values refused before connecting.
#include <gtest/gtest.h>

#include "discovery/http_fetch.hpp"
#include "discovery_test_support.hpp"

namespace tessera::detail {
namespace {

using namespace std::chrono_literals;
using reply = test::fake_http_tracker::reply;

struct HttpFetchCookies : ::testing::Test {
  boost::asio::io_context io;

  auto fetch(const std::string& url, std::string cookie) {
    return test::run(io, http_fetch(url, 5s, redirect_policy{}, std::nullopt, 1 << 20, std::move(cookie)));
  }
};

TEST_F(HttpFetchCookies, SentToTheUrlsOriginAndAcrossARedirectWithinIt) {
  test::fake_http_tracker server(io, [](const std::string& target) {
    return target == "/moved" ? reply{302, "", "/file.torrent"} : reply{200, "d4:infod4:name1:xee"};
  });
  auto r = fetch(server.url("/moved"), "uid=7; pass=abc");
  ASSERT_TRUE(r && *r) << (r ? r->error().message : "hung");
  EXPECT_EQ((*r)->body, "d4:infod4:name1:xee");
  ASSERT_EQ(server.cookies().size(), 2u);
  EXPECT_EQ(server.cookies()[0], "uid=7; pass=abc");
  EXPECT_EQ(server.cookies()[1], "uid=7; pass=abc");
}

TEST_F(HttpFetchCookies, NotSentToAnotherOriginARedirectLeadsTo) {
  test::fake_http_tracker elsewhere(io, [](const std::string&) { return reply{200, "body"}; });
  const std::string target = elsewhere.url("/file.torrent");  // another port: another origin
  test::fake_http_tracker first(io, [target](const std::string&) { return reply{302, "", target}; });
  auto r = fetch(first.url("/get"), "session=secret");
  ASSERT_TRUE(r && *r) << (r ? r->error().message : "hung");
  ASSERT_EQ(first.cookies().size(), 1u);
  EXPECT_EQ(first.cookies()[0], "session=secret");
  ASSERT_EQ(elsewhere.cookies().size(), 1u);
  EXPECT_EQ(elsewhere.cookies()[0], "") << "the cookie followed a redirect to another origin";
}

TEST_F(HttpFetchCookies, NoneWithoutCookies) {
  test::fake_http_tracker server(io, [](const std::string&) { return reply{200, "body"}; });
  auto r = fetch(server.url("/file.torrent"), "");
  ASSERT_TRUE(r && *r) << (r ? r->error().message : "hung");
  ASSERT_EQ(server.cookies().size(), 1u);
  EXPECT_EQ(server.cookies()[0], "");
}

TEST_F(HttpFetchCookies, LineBreaksAndOversizedValuesAreRefusedWithoutARequest) {
  test::fake_http_tracker server(io, [](const std::string&) { return reply{200, "body"}; });
  for (const std::string& bad : {std::string("a=b\r\nX-Injected: 1"), std::string("a=b\nc"),
                                 std::string("a=b\0c", 5), std::string(max_cookie_bytes + 1, 'x')}) {
    auto r = fetch(server.url("/file.torrent"), bad);
    ASSERT_TRUE(r);
    ASSERT_FALSE(*r);
    EXPECT_EQ(r->error().ec, tracker_errc::unsupported_url);
  }
  EXPECT_TRUE(server.targets().empty());
}

}  // namespace
}  // namespace tessera::detail
