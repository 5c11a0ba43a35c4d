#include "torrent/peer_list.hpp"

#include <gtest/gtest.h>

namespace tessera::detail {
namespace {

using namespace std::chrono_literals;
using ep_t = boost::asio::ip::tcp::endpoint;

ep_t ep(const char* ip, unsigned short port) { return {boost::asio::ip::make_address(ip), port}; }

TEST(PeerList, DeduplicatesAndRejectsSelfAndUnusableAddresses) {
  peer_list pl;
  pl.set_self(ep("127.0.0.1", 6881));
  EXPECT_TRUE(pl.add(ep("127.0.0.2", 1000)));
  EXPECT_FALSE(pl.add(ep("127.0.0.2", 1000)));
  EXPECT_FALSE(pl.add(ep("127.0.0.1", 6881)));
  EXPECT_FALSE(pl.add(ep("127.0.0.3", 0)));
  EXPECT_FALSE(pl.add(ep("0.0.0.0", 5)));
  EXPECT_EQ(pl.num_known(), 1);
}

TEST(PeerList, CandidateIsHandedOutOnceWhileConnecting) {
  peer_list pl;
  auto now = peer_list::clock::now();
  pl.add(ep("127.0.0.2", 1000));
  auto c = pl.next_candidate(now);
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, ep("127.0.0.2", 1000));
  EXPECT_TRUE(pl.is_connecting(*c));
  EXPECT_FALSE(pl.next_candidate(now));
}

TEST(PeerList, FailedAttemptsBackOffExponentiallyThenGiveUp) {
  peer_list pl;
  auto now = peer_list::clock::now();
  auto a = ep("127.0.0.2", 1000);
  pl.add(a);
  EXPECT_EQ(peer_list::backoff(1), 30s);
  EXPECT_EQ(peer_list::backoff(2), 60s);
  EXPECT_EQ(peer_list::backoff(3), 120s);
  for (int i = 1; i <= peer_list::max_failures; ++i) {
    auto c = pl.next_candidate(now);
    ASSERT_TRUE(c) << "attempt " << i;
    pl.on_closed(a, false, true, now);
    EXPECT_FALSE(pl.next_candidate(now + peer_list::backoff(i) - 1s));
    now += peer_list::backoff(i);
  }
  EXPECT_FALSE(pl.next_candidate(now + 24h));  // given up
  EXPECT_EQ(pl.num_known(), 0);
}

TEST(PeerList, PeerThatWasConnectedIsRetriedAfterReconnectDelay) {
  peer_list pl;
  auto now = peer_list::clock::now();
  auto a = ep("127.0.0.2", 1000);
  pl.add(a);
  ASSERT_TRUE(pl.next_candidate(now));
  pl.on_closed(a, true, true, now);
  EXPECT_FALSE(pl.next_candidate(now + 1s));
  EXPECT_TRUE(pl.next_candidate(now + peer_list::reconnect_delay));
}

TEST(PeerList, NoRetryForgetsTheAddress) {
  peer_list pl;
  auto now = peer_list::clock::now();
  auto a = ep("127.0.0.2", 1000);
  pl.add(a);
  ASSERT_TRUE(pl.next_candidate(now));
  pl.on_closed(a, true, false, now);
  EXPECT_EQ(pl.num_known(), 0);
  EXPECT_FALSE(pl.next_candidate(now + 24h));
}

TEST(PeerList, BannedAddressIsForgottenAndNeverAddedAgain) {
  peer_list pl;
  auto addr = boost::asio::ip::make_address("127.0.0.9");
  pl.add(ep("127.0.0.9", 1));
  pl.add(ep("127.0.0.9", 2));
  pl.add(ep("127.0.0.8", 1));
  pl.ban(addr);
  EXPECT_TRUE(pl.is_banned(addr));
  EXPECT_EQ(pl.num_known(), 1);
  EXPECT_FALSE(pl.add(ep("127.0.0.9", 3)));
  auto c = pl.next_candidate(peer_list::clock::now());
  ASSERT_TRUE(c);
  EXPECT_EQ(c->address(), boost::asio::ip::make_address("127.0.0.8"));
}

TEST(PeerList, AnIPv6BanCoversItsWholeSlash64) {
  peer_list pl;
  pl.add(ep("2001:db8:1:2::5", 1));
  pl.add(ep("2001:db8:1:2:ffff::9", 2));  // same /64, another host
  pl.add(ep("2001:db8:1:3::5", 3));       // the next /64
  pl.ban(boost::asio::ip::make_address("2001:db8:1:2:abcd::1"));
  EXPECT_TRUE(pl.is_banned(boost::asio::ip::make_address("2001:db8:1:2::5")));
  EXPECT_TRUE(pl.is_banned(boost::asio::ip::make_address("2001:db8:1:2:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(pl.is_banned(boost::asio::ip::make_address("2001:db8:1:3::5")));
  EXPECT_FALSE(pl.add(ep("2001:db8:1:2::77", 4)));
  EXPECT_EQ(pl.num_known(), 1);  // both entries inside the /64 were forgotten
  EXPECT_EQ(pl.num_banned(), 1);
}

TEST(PeerList, AnIPv4BanCoversOneAddressWrittenEitherWay) {
  peer_list pl;
  pl.ban(boost::asio::ip::make_address("::ffff:10.1.2.3"));
  EXPECT_TRUE(pl.is_banned(boost::asio::ip::make_address("10.1.2.3")));
  EXPECT_TRUE(pl.is_banned(boost::asio::ip::make_address("::ffff:10.1.2.3")));
  EXPECT_FALSE(pl.is_banned(boost::asio::ip::make_address("10.1.2.4")));
  EXPECT_FALSE(pl.is_banned(boost::asio::ip::make_address("::ffff:10.1.2.4")));
  EXPECT_EQ(ban_prefix(boost::asio::ip::make_address("192.0.2.7")), boost::asio::ip::make_address("192.0.2.7"));
  EXPECT_EQ(ban_prefix(boost::asio::ip::make_address("2001:db8::1:2:3:4")), boost::asio::ip::make_address("2001:db8::"));
}

TEST(PeerList, SeedsArePassedOverOnlyWhileWeSeed) {
  peer_list pl;
  const auto now = peer_list::clock::now();
  const boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("10.0.0.1"), 6881);
  ASSERT_TRUE(pl.add(ep));
  ASSERT_EQ(pl.next_candidate(now), ep);
  pl.on_closed(ep, true, true, now);
  pl.mark_seed(ep);
  pl.allow_reconnect_now();
  EXPECT_EQ(pl.next_candidate(now, true), std::nullopt) << "we seed: a seed has nothing for us";
  EXPECT_EQ(pl.next_candidate(now, false), ep) << "we download again: the seed is wanted";
}

}  // namespace
}  // namespace tessera::detail
