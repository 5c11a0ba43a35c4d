// HTTP tracker announces: response parsing (BEP 3/7/23), URL building, and announce_http against
// an in-process fake tracker on 127.0.0.1.
#include <gtest/gtest.h>

#include "core/bencode.hpp"
#include "discovery/tracker_parse.hpp"
#include "discovery_test_support.hpp"

namespace tessera::detail {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::make_address;
using boost::asio::ip::tcp;
using test::sample_request;

std::string compact4(const char* ip, std::uint16_t port) {
  auto b = make_address(ip).to_v4().to_bytes();
  std::string s(b.begin(), b.end());
  s += static_cast<char>(port >> 8);
  s += static_cast<char>(port & 0xff);
  return s;
}

std::string compact6(const char* ip, std::uint16_t port) {
  auto b = make_address(ip).to_v6().to_bytes();
  std::string s(b.begin(), b.end());
  s += static_cast<char>(port >> 8);
  s += static_cast<char>(port & 0xff);
  return s;
}

tcp::endpoint ep(const char* ip, std::uint16_t port) { return {make_address(ip), port}; }

TEST(HttpAnnounceParse, CompactPeersAndCounters) {
  bdict d;
  d["interval"] = 900;
  d["min interval"] = 60;
  d["complete"] = 5;
  d["incomplete"] = 7;
  d["tracker id"] = "tid-1";
  d["warning message"] = "be nice";
  d["peers"] = compact4("10.0.0.1", 6881) + compact4("192.168.1.2", 51413);
  auto r = parse_http_announce_response(bencode(bvalue(d)));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->interval, 900s);
  EXPECT_EQ(r->min_interval, 60s);
  EXPECT_EQ(r->complete, 5);
  EXPECT_EQ(r->incomplete, 7);
  EXPECT_EQ(r->tracker_id, "tid-1");
  EXPECT_EQ(r->warning, "be nice");
  ASSERT_EQ(r->peers.size(), 2u);
  EXPECT_EQ(r->peers[0], ep("10.0.0.1", 6881));
  EXPECT_EQ(r->peers[1], ep("192.168.1.2", 51413));
}

TEST(HttpAnnounceParse, DictionaryPeersSkipHostNamesAndBadPorts) {
  blist peers;
  peers.push_back(bvalue(bdict{{"ip", "10.1.2.3"}, {"port", 6881}, {"peer id", std::string(20, 'x')}}));
  peers.push_back(bvalue(bdict{{"ip", "tracker.example"}, {"port", 6881}}));  // host name
  peers.push_back(bvalue(bdict{{"ip", "10.1.2.4"}, {"port", 0}}));            // port 0
  peers.push_back(bvalue(bdict{{"ip", "10.1.2.5"}, {"port", 70000}}));        // out of range
  peers.push_back(bvalue(bdict{{"ip", "10.1.2.6"}, {"port", -1}}));
  peers.push_back(bvalue(bdict{{"port", 6881}}));                             // no ip
  peers.push_back(bvalue("not a dict"));
  peers.push_back(bvalue(bdict{{"ip", "2001:db8::1"}, {"port", 6882}}));
  peers.push_back(bvalue(bdict{{"ip", "10.1.2.3"}, {"port", 6881}}));  // duplicate
  bdict d{{"interval", 1800}, {"peers", bvalue(peers)}};
  auto r = parse_http_announce_response(bencode(bvalue(d)));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->peers.size(), 2u);
  EXPECT_EQ(r->peers[0], ep("10.1.2.3", 6881));
  EXPECT_EQ(r->peers[1], ep("2001:db8::1", 6882));
}

TEST(HttpAnnounceParse, Peers6AreEighteenBytesEach) {
  bdict d{{"interval", 1800},
          {"peers", compact4("10.0.0.1", 1)},
          {"peers6", compact6("2001:db8::2", 6881) + compact6("::1", 80)}};
  auto r = parse_http_announce_response(bencode(bvalue(d)));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->peers.size(), 3u);
  EXPECT_EQ(r->peers[1], ep("2001:db8::2", 6881));
  EXPECT_EQ(r->peers[2], ep("::1", 80));
}

TEST(HttpAnnounceParse, CompactPeersWithPortZeroAreDropped) {
  bdict d{{"interval", 1800}, {"peers", compact4("10.0.0.1", 0) + compact4("10.0.0.2", 5)}};
  auto r = parse_http_announce_response(bencode(bvalue(d)));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->peers.size(), 1u);
  EXPECT_EQ(r->peers[0], ep("10.0.0.2", 5));
}

/// A compact IPv4 list of `n` distinct peers in 127.0.0.0/8, in order: peer i is nth_compact(i).
std::string many_compact_peers(std::size_t n) {
  std::string s;
  s.reserve(n * 6);
  for (std::size_t i = 0; i < n; ++i) {
    const auto a = static_cast<std::uint32_t>(0x7F000000u | (i & 0xFFFFFF));
    for (int shift = 24; shift >= 0; shift -= 8) s += static_cast<char>(a >> shift);
    s += static_cast<char>(0x1A);  // port 6666
    s += static_cast<char>(0x0A);
  }
  return s;
}

tcp::endpoint nth_compact(std::size_t i) {
  return {boost::asio::ip::address_v4(static_cast<std::uint32_t>(0x7F000000u | (i & 0xFFFFFF))), 6666};
}

TEST(HttpAnnounceParse, TwoMebibyteReplyYieldsAtMostTheCapInTheTrackersOrder) {
  // The largest body announce_http accepts (2 MiB) filled with distinct compact peers: 349,520
  // of them. Only the first max_peers_per_reply are taken. (Before the cap, every one of them was
  // compared with all before it: ~6e10 comparisons.)
  const std::size_t n = ((2u << 20) - 64) / 6;
  bdict d{{"interval", 1800}, {"peers", many_compact_peers(n)}};
  const std::string body = bencode(bvalue(d));
  ASSERT_LE(body.size(), 2u << 20);
  auto r = parse_http_announce_response(body);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->peers.size(), max_peers_per_reply);
  EXPECT_EQ(max_peers_per_reply, 200u) << "libtorrent's num_want; docs/hardening.md says 200";
  for (std::size_t i = 0; i < r->peers.size(); ++i) ASSERT_EQ(r->peers[i], nth_compact(i)) << i;
}

TEST(HttpAnnounceParse, DuplicatesDoNotUseUpTheCap) {
  std::string peers;
  for (int i = 0; i < 1000; ++i) peers += compact4("10.0.0.1", 6881);
  peers += compact4("10.0.0.2", 6881) + compact4("10.0.0.1", 6881);
  bdict d{{"interval", 1800},
          {"peers", peers},
          {"peers6", compact6("2001:db8::1", 1) + compact6("2001:db8::1", 1)}};
  auto r = parse_http_announce_response(bencode(bvalue(d)));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->peers.size(), 3u);
  EXPECT_EQ(r->peers[0], ep("10.0.0.1", 6881));
  EXPECT_EQ(r->peers[1], ep("10.0.0.2", 6881));
  EXPECT_EQ(r->peers[2], ep("2001:db8::1", 1));
}

TEST(HttpAnnounceParse, CapCountsPeersAndPeers6AndDictionaryListsTogether) {
  // 150 IPv4 + 150 IPv6: 200 in all, the IPv4 ones first.
  std::string v6;
  for (int i = 1; i <= 150; ++i) v6 += compact6(("2001:db8::" + std::to_string(i)).c_str(), 1);
  bdict d{{"interval", 1800}, {"peers", many_compact_peers(150)}, {"peers6", v6}};
  auto r = parse_http_announce_response(bencode(bvalue(d)));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->peers.size(), max_peers_per_reply);
  EXPECT_EQ(r->peers[149], nth_compact(149));
  EXPECT_EQ(r->peers[150], ep("2001:db8::1", 1));
  EXPECT_EQ(r->peers[199], ep("2001:db8::50", 1));

  std::string list = "d8:intervali1800e5:peersl";  // 1,000 dictionary entries, written out
  for (int i = 0; i < 1000; ++i) {
    const std::string ip = "10.9." + std::to_string(i / 250) + "." + std::to_string(i % 250);
    list += "d2:ip" + std::to_string(ip.size()) + ":" + ip + "4:porti7ee";
  }
  list += "ee";
  auto rl = parse_http_announce_response(list);
  ASSERT_TRUE(rl) << rl.error().message;
  ASSERT_EQ(rl->peers.size(), max_peers_per_reply);
  EXPECT_EQ(rl->peers.back(), ep("10.9.0.199", 7));
}

TEST(HttpAnnounceParse, FailureReasonIsAnErrorWithItsText) {
  auto r = parse_http_announce_response("d14:failure reason17:torrent not founde");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ec, tracker_errc::failure_reason);
  EXPECT_EQ(r.error().message, "torrent not found");
  EXPECT_EQ(r.error().ec.category().name(), std::string("tessera.tracker"));
}

TEST(HttpAnnounceParse, LyingIntervalsAreClamped) {
  bdict huge{{"interval", std::int64_t{1} << 62}, {"min interval", std::int64_t{1} << 62}, {"peers", ""}};
  auto r = parse_http_announce_response(bencode(bvalue(huge)));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->interval, std::chrono::seconds(24 * 3600));
  EXPECT_EQ(r->min_interval, std::chrono::seconds(24 * 3600));

  bdict negative{{"interval", -5}, {"min interval", -5}, {"complete", -3}, {"peers", ""}};
  r = parse_http_announce_response(bencode(bvalue(negative)));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->interval, 30s);
  EXPECT_EQ(r->min_interval, 0s);
  EXPECT_EQ(r->complete, -1);

  bdict tiny{{"interval", 1}, {"peers", ""}};
  r = parse_http_announce_response(bencode(bvalue(tiny)));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->interval, 30s);
}

TEST(HttpAnnounceParse, MalformedInputIsBadResponseNeverACrash) {
  const char* inputs[] = {"", "garbage", "i42e", "le", "d8:intervali10ee" /* no peers */,
                          "d5:peers5:abcdee" /* 5 bytes */, "d5:peersi3ee",
                          "d8:intervali1800e6:peers61:xe", "d8:interval",
                          "d5:peers0:8:interval3:abce" /* interval not an int: ignored */};
  for (const char* in : inputs) {
    auto r = parse_http_announce_response(in);
    if (std::string_view(in) == "d5:peers0:8:interval3:abce") {
      ASSERT_TRUE(r) << in;
      EXPECT_EQ(r->interval, 1800s);
      continue;
    }
    ASSERT_FALSE(r) << in;
    EXPECT_EQ(r.error().ec, tracker_errc::bad_response) << in;
  }
}

TEST(HttpAnnounceUrl, PercentEncodesRawBytesAndListsParameters) {
  auto req = sample_request();
  req.info_hash.bytes[0] = 0x00;
  req.info_hash.bytes[1] = 0xff;
  req.info_hash.bytes[2] = '~';
  req.info_hash.bytes[3] = ' ';
  req.event = announce_event::started;
  req.uploaded = 10;
  req.downloaded = 20;
  req.left = 30;
  auto url = build_http_announce_url("http://t.example/announce", req);
  EXPECT_EQ(url.rfind("http://t.example/announce?info_hash=%00%FF~%20", 0), 0u) << url;
  EXPECT_NE(url.find("&peer_id=ABCDEFGHIJKLMNOPQRST&"), std::string::npos) << url;
  EXPECT_NE(url.find("&port=6881&uploaded=10&downloaded=20&left=30&compact=1&numwant=50&key=DEADBEEF"),
            std::string::npos) << url;
  EXPECT_NE(url.find("&event=started"), std::string::npos);
  EXPECT_EQ(url.find("trackerid"), std::string::npos);
}

TEST(HttpAnnounceUrl, PasskeyQueryIsKeptAndAppendedWithAmpersand) {
  auto req = sample_request();
  req.tracker_id = "a b";
  auto url = build_http_announce_url("https://t.example/ann?passkey=abc#frag", req);
  EXPECT_EQ(url.rfind("https://t.example/ann?passkey=abc&info_hash=", 0), 0u) << url;
  EXPECT_EQ(url.find('#'), std::string::npos);
  EXPECT_EQ(url.find("event="), std::string::npos) << "event none is omitted";
  EXPECT_NE(url.find("&trackerid=a%20b"), std::string::npos);
  EXPECT_EQ(url.find("?&"), std::string::npos);
}

TEST(HttpAnnounceUrl, NegativeCountersAreSentAsZero) {
  auto req = sample_request();
  req.left = -5;
  req.event = announce_event::stopped;
  auto url = build_http_announce_url("http://t/a", req);
  EXPECT_NE(url.find("&left=0&"), std::string::npos) << url;
  EXPECT_NE(url.find("&event=stopped"), std::string::npos);
}

TEST(HttpAnnounceUrl, PercentEncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(percent_encode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(percent_encode(std::string("\x01/?&=%", 6)), "%01%2F%3F%26%3D%25");
}

// ---- against a fake tracker ------------------------------------------------------------------

struct HttpAnnounceLive : ::testing::Test {
  boost::asio::io_context io;
};

TEST_F(HttpAnnounceLive, AnnouncesAndParsesTheReply) {
  test::fake_http_tracker tracker(io, [](const std::string&) {
    bdict d{{"interval", 120}, {"peers", compact4("127.0.0.5", 7000)}};
    return test::fake_http_tracker::reply{200, bencode(bvalue(d))};
  });
  auto req = sample_request();
  req.event = announce_event::started;
  auto r = test::run(io, announce_http(tracker.url("/announce?passkey=xyz"), req, 5s));
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(*r) << r->error().message;
  EXPECT_EQ((*r)->interval, 120s);
  ASSERT_EQ((*r)->peers.size(), 1u);
  EXPECT_EQ((*r)->peers[0], ep("127.0.0.5", 7000));
  ASSERT_EQ(tracker.targets().size(), 1u);
  EXPECT_EQ(tracker.targets()[0].rfind("/announce?passkey=xyz&info_hash=", 0), 0u) << tracker.targets()[0];
  EXPECT_NE(tracker.targets()[0].find("&event=started"), std::string::npos);
  EXPECT_EQ(tracker.state->hosts[0], "127.0.0.1:" + std::to_string(tracker.port()));
}

TEST_F(HttpAnnounceLive, LocalAddressIsTheSourceTheTrackerSees) {
  test::fake_http_tracker tracker(io, [](const std::string&) {
    bdict d{{"interval", 60}, {"peers", ""}};
    return test::fake_http_tracker::reply{200, bencode(bvalue(d))};
  });
  auto req = sample_request();
  auto r = test::run(io, announce_http(tracker.url(), req, 5s));  // unset: the OS picks 127.0.0.1
  ASSERT_TRUE(r && *r) << (r ? r->error().message : "hung");
  req.local_address = make_address("127.0.0.4");
  r = test::run(io, announce_http(tracker.url(), req, 5s));
  ASSERT_TRUE(r && *r) << (r ? r->error().message : "hung");
  ASSERT_EQ(tracker.sources().size(), 2u);
  EXPECT_EQ(tracker.sources()[0], make_address("127.0.0.1"));
  EXPECT_EQ(tracker.sources()[1], make_address("127.0.0.4"));
  EXPECT_EQ(tracker.targets()[1].find("127.0.0.4"), std::string::npos) << "not sent as ip=";
}

TEST_F(HttpAnnounceLive, FollowsRedirects) {
  test::fake_http_tracker target(io, [](const std::string&) {
    return test::fake_http_tracker::reply{200, "d8:intervali100e5:peers0:e"};
  });
  const std::string final_url = target.url("/real");
  test::fake_http_tracker redirector(io, [final_url](const std::string&) {
    return test::fake_http_tracker::reply{302, "", final_url + "?info_hash=x"};
  });
  auto r = test::run(io, announce_http(redirector.url(), sample_request(), 5s));
  ASSERT_TRUE(r && *r) << (r ? r->error().message : "hung");
  EXPECT_EQ((*r)->interval, 100s);
  ASSERT_EQ(target.targets().size(), 1u);
  EXPECT_EQ(target.targets()[0], "/real?info_hash=x");
}

TEST_F(HttpAnnounceLive, GivesUpAfterThreeRedirects) {
  std::string self_url;
  test::fake_http_tracker loop(io, [&](const std::string&) {
    return test::fake_http_tracker::reply{301, "", "/again"};
  });
  auto r = test::run(io, announce_http(loop.url(), sample_request(), 5s));
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().ec, tracker_errc::http_status);
  EXPECT_EQ(loop.targets().size(), 4u);  // the first request and three redirects
}

/// Test policy: 127.0.0.2 is "local", every other address (127.0.0.1 included) plays a public one.
bool only_127_0_0_2_is_local(const boost::asio::ip::address& a) { return a == make_address("127.0.0.2"); }

TEST_F(HttpAnnounceLive, PublicTrackerMayNotRedirectToALocalAddress) {
  test::fake_http_tracker local(io, [](const std::string&) {
    return test::fake_http_tracker::reply{200, "d8:intervali100e5:peers0:e"};
  }, "127.0.0.2");
  const std::string local_url = local.url("/internal");
  test::fake_http_tracker public_tracker(io, [local_url](const std::string&) {
    return test::fake_http_tracker::reply{302, "", local_url};
  });
  redirect_policy policy;
  policy.is_local = &only_127_0_0_2_is_local;
  auto r = test::run(io, announce_http(public_tracker.url(), sample_request(), 5s, policy));
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r) << "followed a public tracker's redirect to a local address";
  EXPECT_EQ(r->error().ec, tracker_errc::redirect_refused);
  EXPECT_NE(r->error().message.find("local address"), std::string::npos) << r->error().message;
  EXPECT_EQ(public_tracker.targets().size(), 1u);
  EXPECT_TRUE(local.targets().empty()) << "a request reached the local address";
}

TEST_F(HttpAnnounceLive, PublicToPublicAndLocalToLocalRedirectsAreFollowed) {
  test::fake_http_tracker second(io, [](const std::string&) {
    return test::fake_http_tracker::reply{200, "d8:intervali100e5:peers0:e"};
  });
  const std::string second_url = second.url("/second");
  test::fake_http_tracker first(io, [second_url](const std::string&) {
    return test::fake_http_tracker::reply{302, "", second_url};
  });
  redirect_policy policy;
  policy.is_local = &only_127_0_0_2_is_local;  // both on 127.0.0.1: public to public
  auto r = test::run(io, announce_http(first.url(), sample_request(), 5s, policy));
  ASSERT_TRUE(r && *r) << (r ? r->error().message : "hung");
  EXPECT_EQ(second.targets().size(), 1u);

  // The default policy: 127.0.0.1 is local, and a local tracker may redirect anywhere.
  test::fake_http_tracker other_local(io, [](const std::string&) {
    return test::fake_http_tracker::reply{200, "d8:intervali100e5:peers0:e"};
  }, "127.0.0.2");
  const std::string other_url = other_local.url();
  test::fake_http_tracker local_first(io, [other_url](const std::string&) {
    return test::fake_http_tracker::reply{307, "", other_url};
  });
  r = test::run(io, announce_http(local_first.url(), sample_request(), 5s));
  ASSERT_TRUE(r && *r) << (r ? r->error().message : "hung");
  EXPECT_EQ(other_local.targets().size(), 1u);
}

TEST_F(HttpAnnounceLive, OncePublicEveryLaterHopMustBePublic) {
  // public 127.0.0.1 -> public 127.0.0.1 -> local 127.0.0.2: the second redirect is refused.
  test::fake_http_tracker local(io, [](const std::string&) {
    return test::fake_http_tracker::reply{200, "d8:intervali100e5:peers0:e"};
  }, "127.0.0.2");
  const std::string local_url = local.url();
  test::fake_http_tracker hop2(io, [local_url](const std::string&) {
    return test::fake_http_tracker::reply{301, "", local_url};
  });
  const std::string hop2_url = hop2.url();
  test::fake_http_tracker hop1(io, [hop2_url](const std::string&) {
    return test::fake_http_tracker::reply{301, "", hop2_url};
  });
  redirect_policy policy;
  policy.is_local = &only_127_0_0_2_is_local;
  auto r = test::run(io, announce_http(hop1.url(), sample_request(), 5s, policy));
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().ec, tracker_errc::redirect_refused);
  EXPECT_EQ(hop2.targets().size(), 1u);
  EXPECT_TRUE(local.targets().empty());
}

TEST_F(HttpAnnounceLive, ErrorStatusIsReported) {
  test::fake_http_tracker tracker(io, [](const std::string&) {
    return test::fake_http_tracker::reply{404, "not here"};
  });
  auto r = test::run(io, announce_http(tracker.url(), sample_request(), 5s));
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().ec, tracker_errc::http_status);
  EXPECT_NE(r->error().message.find("404"), std::string::npos);
}

TEST_F(HttpAnnounceLive, FailureReasonIsPassedOn) {
  test::fake_http_tracker tracker(io, [](const std::string&) {
    return test::fake_http_tracker::reply{200, "d14:failure reason12:unregisterede"};
  });
  auto r = test::run(io, announce_http(tracker.url(), sample_request(), 5s));
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().ec, tracker_errc::failure_reason);
  EXPECT_EQ(r->error().message, "unregistered");
}

TEST_F(HttpAnnounceLive, SilentTrackerTimesOut) {
  test::fake_http_tracker tracker(io, [](const std::string&) {
    test::fake_http_tracker::reply r;
    r.never_answer = true;
    return r;
  });
  const auto begin = std::chrono::steady_clock::now();
  auto r = test::run(io, announce_http(tracker.url(), sample_request(), 1s));
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().ec, tracker_errc::timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 3s);
}

TEST_F(HttpAnnounceLive, OversizedBodyIsRejected) {
  test::fake_http_tracker tracker(io, [](const std::string&) {
    return test::fake_http_tracker::reply{200, "d5:peers" + std::to_string(3 << 20) + ":" +
                                                   std::string(3 << 20, 'x') + "e"};
  });
  auto r = test::run(io, announce_http(tracker.url(), sample_request(), 5s));
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
}

TEST_F(HttpAnnounceLive, UnsupportedAndRefusedUrlsFail) {
  auto r = test::run(io, announce_http("ftp://127.0.0.1/x", sample_request(), 2s));
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().ec, tracker_errc::unsupported_url);

  r = test::run(io, announce_http("not a url", sample_request(), 2s));
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().ec, tracker_errc::unsupported_url);

  // A port nobody listens on: grab a free one and close it.
  std::uint16_t port;
  {
    tcp::acceptor a(io, tcp::endpoint(make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }
  r = test::run(io, announce_http("http://127.0.0.1:" + std::to_string(port) + "/a", sample_request(), 2s));
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r);
  EXPECT_TRUE(r->error().ec);
}

}  // namespace
}  // namespace tessera::detail
