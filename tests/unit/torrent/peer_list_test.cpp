#include "torrent/peer_list.hpp"

#include <gtest/gtest.h>

namespace tessera::detail {
namespace {

using namespace std::chrono_literals;
using ep_t = boost::asio::ip::tcp::endpoint;

ep_t ep(const char* ip, unsigned short port) { return {boost::asio::ip::make_address(ip), port}; }

/// The i-th of many distinct IPv4 endpoints in 127.0.0.0/8.
ep_t nth(std::uint32_t i) {
  return {boost::asio::ip::address_v4(0x7F000000u | ((i / 100) & 0xFFFFFF)),
          static_cast<unsigned short>(1000 + i % 100)};
}

/// A peer list on loopback (the tests' addresses are 127.0.0.x) with user-added addresses.
struct test_list : peer_list {
  using peer_list::peer_list;
  test_list() : peer_list(options{.loopback_allowed = true}) {}
  bool add_user(const ep_t& e) { return add(e, peer_source::user); }
};

TEST(PeerList, DeduplicatesAndRejectsSelfAndUnusableAddresses) {
  test_list pl;
  pl.set_self(ep("127.0.0.1", 6881));
  EXPECT_TRUE(pl.add_user(ep("127.0.0.2", 1000)));
  EXPECT_FALSE(pl.add_user(ep("127.0.0.2", 1000)));
  EXPECT_FALSE(pl.add_user(ep("127.0.0.1", 6881)));
  EXPECT_FALSE(pl.add_user(ep("127.0.0.3", 0)));
  EXPECT_FALSE(pl.add_user(ep("0.0.0.0", 5)));
  EXPECT_EQ(pl.num_known(), 1);
}

TEST(PeerList, RemembersWhoNamedAnAddressFirst) {
  test_list l;
  EXPECT_TRUE(l.add(ep("127.0.0.5", 6881), peer_source::dht));
  EXPECT_FALSE(l.add(ep("127.0.0.5", 6881), peer_source::tracker));
  EXPECT_TRUE(l.add(ep("127.0.0.6", 6881), peer_source::pex));
  EXPECT_EQ(l.source_of(ep("127.0.0.5", 6881)), peer_source::dht);
  EXPECT_EQ(l.source_of(ep("127.0.0.6", 6881)), peer_source::pex);
  EXPECT_FALSE(l.source_of(ep("127.0.0.7", 6881)));
}

TEST(PeerList, RemembersTheSwarmsAnAddressWasFoundIn) {
  // BEP 52: a hybrid's tracker replies, DHT lookups and LSD announces come per swarm (v1 or v2).
  test_list pl;
  EXPECT_EQ(pl.found_in(ep("127.0.0.2", 1000)), swarm_set::none) << "not held";
  EXPECT_TRUE(pl.add(ep("127.0.0.2", 1000), peer_source::tracker, swarm_set::v2));
  EXPECT_EQ(pl.found_in(ep("127.0.0.2", 1000)), swarm_set::v2);
  EXPECT_FALSE(pl.add(ep("127.0.0.2", 1000), peer_source::dht, swarm_set::v1)) << "known already";
  EXPECT_EQ(pl.found_in(ep("127.0.0.2", 1000)), swarm_set::both);
  EXPECT_TRUE(pl.add(ep("127.0.0.3", 1000), peer_source::pex));
  EXPECT_EQ(pl.found_in(ep("127.0.0.3", 1000)), swarm_set::none) << "PEX names no swarm";
  EXPECT_FALSE(pl.add(ep("127.0.0.3", 1000), peer_source::lsd, swarm_set::v2));
  EXPECT_EQ(pl.found_in(ep("127.0.0.3", 1000)), swarm_set::v2);
  // The swarms survive the connection cycle (they are not part of the dial queues).
  auto c = pl.next_candidate(peer_list::clock::now());
  ASSERT_TRUE(c);
  pl.on_closed(*c, true, true, peer_list::clock::now());
  EXPECT_EQ(pl.found_in(ep("127.0.0.2", 1000)), swarm_set::both);
}

TEST(PeerList, CandidateIsHandedOutOnceWhileConnecting) {
  test_list pl;
  auto now = peer_list::clock::now();
  pl.add_user(ep("127.0.0.2", 1000));
  auto c = pl.next_candidate(now);
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, ep("127.0.0.2", 1000));
  EXPECT_TRUE(pl.is_connecting(*c));
  EXPECT_FALSE(pl.next_candidate(now));
}

TEST(PeerList, FailedAttemptsBackOffExponentiallyThenGiveUp) {
  test_list pl;
  auto now = peer_list::clock::now();
  auto a = ep("127.0.0.2", 1000);
  pl.add_user(a);
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
  test_list pl;
  auto now = peer_list::clock::now();
  auto a = ep("127.0.0.2", 1000);
  pl.add_user(a);
  ASSERT_TRUE(pl.next_candidate(now));
  pl.on_closed(a, true, true, now);
  EXPECT_FALSE(pl.next_candidate(now + 1s));
  EXPECT_TRUE(pl.next_candidate(now + peer_list::reconnect_delay));
}

TEST(PeerList, NoRetryForgetsTheAddress) {
  test_list pl;
  auto now = peer_list::clock::now();
  auto a = ep("127.0.0.2", 1000);
  pl.add_user(a);
  ASSERT_TRUE(pl.next_candidate(now));
  pl.on_closed(a, true, false, now);
  EXPECT_EQ(pl.num_known(), 0);
  EXPECT_FALSE(pl.next_candidate(now + 24h));
}

TEST(PeerList, BannedAddressIsForgottenAndNeverAddedAgain) {
  test_list pl;
  auto addr = boost::asio::ip::make_address("127.0.0.9");
  pl.add_user(ep("127.0.0.9", 1));
  pl.add_user(ep("127.0.0.9", 2));
  pl.add_user(ep("127.0.0.8", 1));
  pl.ban(addr);
  EXPECT_TRUE(pl.is_banned(addr));
  EXPECT_EQ(pl.num_known(), 1);
  EXPECT_FALSE(pl.add_user(ep("127.0.0.9", 3)));
  auto c = pl.next_candidate(peer_list::clock::now());
  ASSERT_TRUE(c);
  EXPECT_EQ(c->address(), boost::asio::ip::make_address("127.0.0.8"));
}

TEST(PeerList, AnIPv6BanCoversItsWholeSlash64) {
  test_list pl;
  pl.add_user(ep("2001:db8:1:2::5", 1));
  pl.add_user(ep("2001:db8:1:2:ffff::9", 2));  // same /64, another host
  pl.add_user(ep("2001:db8:1:3::5", 3));       // the next /64
  pl.ban(boost::asio::ip::make_address("2001:db8:1:2:abcd::1"));
  EXPECT_TRUE(pl.is_banned(boost::asio::ip::make_address("2001:db8:1:2::5")));
  EXPECT_TRUE(pl.is_banned(boost::asio::ip::make_address("2001:db8:1:2:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(pl.is_banned(boost::asio::ip::make_address("2001:db8:1:3::5")));
  EXPECT_FALSE(pl.add_user(ep("2001:db8:1:2::77", 4)));
  EXPECT_EQ(pl.num_known(), 1);  // both entries inside the /64 were forgotten
  EXPECT_EQ(pl.num_banned(), 1);
}

TEST(PeerList, AnIPv4BanCoversOneAddressWrittenEitherWay) {
  test_list pl;
  pl.ban(boost::asio::ip::make_address("::ffff:10.1.2.3"));
  EXPECT_TRUE(pl.is_banned(boost::asio::ip::make_address("10.1.2.3")));
  EXPECT_TRUE(pl.is_banned(boost::asio::ip::make_address("::ffff:10.1.2.3")));
  EXPECT_FALSE(pl.is_banned(boost::asio::ip::make_address("10.1.2.4")));
  EXPECT_FALSE(pl.is_banned(boost::asio::ip::make_address("::ffff:10.1.2.4")));
  EXPECT_EQ(ban_prefix(boost::asio::ip::make_address("192.0.2.7")), boost::asio::ip::make_address("192.0.2.7"));
  EXPECT_EQ(ban_prefix(boost::asio::ip::make_address("2001:db8::1:2:3:4")), boost::asio::ip::make_address("2001:db8::"));
}

TEST(PeerList, ADroppedMseAttemptIsRetriedAtOnceInPlaintextThenMseAgainAfterAPlaintextFailure) {
  test_list pl;
  const auto now = peer_list::clock::now();
  const auto a = ep("10.0.0.2", 1);
  ASSERT_TRUE(pl.add_user(a));
  EXPECT_FALSE(pl.dial_plaintext(a));  // MSE first
  ASSERT_EQ(pl.next_candidate(now), a);
  pl.note_encryption(a, true, false);  // the peer dropped our MSE attempt
  pl.retry_now(a, now);
  EXPECT_TRUE(pl.dial_plaintext(a));
  EXPECT_EQ(pl.next_candidate(now), a);  // at once, no back-off
  pl.note_encryption(a, false, false);  // the plaintext attempt was dropped too
  pl.on_closed(a, false, true, now);
  EXPECT_FALSE(pl.dial_plaintext(a));  // MSE again, after the usual back-off
  EXPECT_FALSE(pl.next_candidate(now));
  EXPECT_EQ(pl.next_candidate(now + peer_list::backoff(1)), a);
}

TEST(PeerList, WhatWorkedIsRemembered) {
  test_list pl;
  const auto now = peer_list::clock::now();
  const auto a = ep("10.0.0.3", 1);
  ASSERT_TRUE(pl.add_user(a));
  ASSERT_EQ(pl.next_candidate(now), a);
  pl.note_encryption(a, false, true);  // plaintext got through
  pl.on_closed(a, true, true, now);
  EXPECT_TRUE(pl.dial_plaintext(a));
  pl.note_encryption(a, true, true);  // and later MSE did
  EXPECT_FALSE(pl.dial_plaintext(a));
  EXPECT_FALSE(pl.dial_plaintext(ep("10.0.0.4", 1)));  // unknown
}

TEST(PeerList, ADeferredCandidateComesBackLaterWithoutAFailure) {
  test_list pl;
  const auto now = peer_list::clock::now();
  ASSERT_TRUE(pl.add_user(ep("10.0.0.1", 1)));
  ASSERT_EQ(pl.next_candidate(now), ep("10.0.0.1", 1));
  pl.defer(ep("10.0.0.1", 1), now);
  EXPECT_FALSE(pl.is_connecting(ep("10.0.0.1", 1)));
  EXPECT_FALSE(pl.next_candidate(now));
  EXPECT_EQ(pl.next_candidate(now + peer_list::reconnect_delay), ep("10.0.0.1", 1));
  // Deferring many times never gives the address up.
  for (int i = 0; i < 2 * peer_list::max_failures; ++i) pl.defer(ep("10.0.0.1", 1), now);
  EXPECT_EQ(pl.num_known(), 1);
}

TEST(PeerList, SeedsArePassedOverOnlyWhileWeSeed) {
  test_list pl;
  const auto now = peer_list::clock::now();
  const boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("10.0.0.1"), 6881);
  ASSERT_TRUE(pl.add(ep, peer_source::tracker));
  ASSERT_EQ(pl.next_candidate(now), ep);
  pl.on_closed(ep, true, true, now);
  pl.mark_seed(ep);
  pl.allow_reconnect_now();
  EXPECT_EQ(pl.next_candidate(now, true), std::nullopt) << "we seed: a seed has nothing for us";
  EXPECT_EQ(pl.next_candidate(now, false), ep) << "we download again: the seed is wanted";
}

TEST(PeerList, StaysWithinItsCapAfter350000TrackerAddresses) {
  // What a hostile tracker's 2 MiB compact reply holds, if it all reached the list.
  test_list pl;
  int added = 0;
  for (std::uint32_t i = 0; i < 350'000; ++i) added += pl.add(nth(i), peer_source::tracker) ? 1 : 0;
  EXPECT_EQ(pl.max_size(), peer_list::default_max_size);
  EXPECT_EQ(pl.size(), peer_list::default_max_size);
  EXPECT_EQ(pl.num_known(), peer_list::default_max_size);
  EXPECT_EQ(added, 350'000) << "never-tried addresses make room for new ones";
  // The ones queued first are still there: a flood replaces its own newest entries.
  EXPECT_EQ(pl.next_candidate(peer_list::clock::now()), nth(0));
}

TEST(PeerList, EvictsGivenUpThenMostFailedThenNewestNeverTriedNeverAGoodPeer) {
  test_list pl(peer_list::options{.max_size = 5, .loopback_allowed = true});
  auto now = peer_list::clock::now();
  const ep_t connected = ep("127.0.0.2", 1), was_connected = ep("127.0.0.3", 1),
             failed_once = ep("127.0.0.4", 1), failed_twice = ep("127.0.0.5", 1),
             never = ep("127.0.0.6", 1);
  for (const auto& e : {connected, was_connected, failed_once, failed_twice}) ASSERT_TRUE(pl.add_user(e));
  // Dial the four in order of arrival.
  for (const auto& e : {connected, was_connected, failed_once, failed_twice}) {
    ASSERT_EQ(pl.next_candidate(now), e);
  }
  pl.on_closed(was_connected, true, true, now);
  pl.on_closed(failed_twice, false, true, now);
  pl.on_closed(failed_once, false, true, now + 1s);
  ASSERT_EQ(pl.next_candidate(now + peer_list::backoff(1)), failed_twice);  // due first
  pl.on_closed(failed_twice, false, true, now + peer_list::backoff(1));
  ASSERT_TRUE(pl.add_user(never));
  ASSERT_EQ(pl.size(), 5);

  auto known = [&pl](const ep_t& e) { return pl.is_known(e); };
  // Full: each new address evicts one entry, in the documented order.
  ASSERT_TRUE(pl.add_user(ep("127.0.1.1", 1)));
  EXPECT_FALSE(known(failed_twice)) << "the entry with the most failures goes first";
  EXPECT_TRUE(known(failed_once));
  ASSERT_TRUE(pl.add_user(ep("127.0.1.2", 1)));
  EXPECT_FALSE(known(failed_once)) << "then the other failed one";
  ASSERT_TRUE(pl.add_user(ep("127.0.1.3", 1)));
  EXPECT_TRUE(known(never)) << "then the newest never-tried address, not the oldest";
  EXPECT_FALSE(known(ep("127.0.1.2", 1)));
  EXPECT_TRUE(known(ep("127.0.1.1", 1)));
  EXPECT_EQ(pl.size(), 5);
  EXPECT_TRUE(pl.is_connecting(connected));
  EXPECT_TRUE(known(was_connected));
}

TEST(PeerList, FullOfGoodPeersDropsTheNewAddress) {
  test_list pl(peer_list::options{.max_size = 2, .loopback_allowed = true});
  auto now = peer_list::clock::now();
  const ep_t a = ep("127.0.0.2", 1), b = ep("127.0.0.3", 1);
  pl.add_user(a);
  pl.add_user(b);
  ASSERT_EQ(pl.next_candidate(now), a);  // connected now
  ASSERT_EQ(pl.next_candidate(now), b);
  pl.on_closed(b, true, true, now);       // was connected: a good peer
  EXPECT_FALSE(pl.add(ep("127.0.0.4", 1), peer_source::tracker));
  EXPECT_FALSE(pl.add_user(ep("127.0.0.4", 1)));
  EXPECT_EQ(pl.size(), 2);
  EXPECT_TRUE(pl.is_connecting(a));
  EXPECT_EQ(pl.next_candidate(now + peer_list::reconnect_delay), b);
}

TEST(PeerList, AGoodPeerThatStartsFailingBecomesEvictable) {
  // Otherwise a long-lived list could fill with peers that once worked and are gone for good.
  test_list pl(peer_list::options{.max_size = 1, .loopback_allowed = true});
  auto now = peer_list::clock::now();
  const ep_t once_good = ep("127.0.0.2", 1);
  pl.add_user(once_good);
  ASSERT_EQ(pl.next_candidate(now), once_good);
  pl.on_closed(once_good, true, true, now);
  EXPECT_FALSE(pl.add_user(ep("127.0.0.3", 1))) << "kept while its last connection was good";
  now += peer_list::reconnect_delay;
  ASSERT_EQ(pl.next_candidate(now), once_good);
  pl.on_closed(once_good, false, true, now);  // gone
  EXPECT_TRUE(pl.add_user(ep("127.0.0.3", 1)));
  EXPECT_FALSE(pl.is_known(once_good));
}

TEST(PeerList, GivenUpEntriesAreEvictedBeforeAnyOther) {
  test_list pl(peer_list::options{.max_size = 2, .loopback_allowed = true});
  auto now = peer_list::clock::now();
  const ep_t dead = ep("127.0.0.2", 1), fresh = ep("127.0.0.3", 1);
  pl.add_user(dead);
  for (int i = 1; i <= peer_list::max_failures; ++i) {
    ASSERT_EQ(pl.next_candidate(now), dead);
    pl.on_closed(dead, false, true, now);
    now += peer_list::backoff(i);
  }
  EXPECT_EQ(pl.num_known(), 0);
  pl.add_user(fresh);
  EXPECT_EQ(pl.num_known(), 1);
  ASSERT_TRUE(pl.add_user(ep("127.0.0.4", 1)));
  EXPECT_FALSE(pl.is_known(dead)) << "the given-up entry is the one evicted";
  EXPECT_TRUE(pl.is_known(fresh));
  EXPECT_EQ(pl.size(), 2);
}

TEST(PeerList, CandidatesComeInRetryTimeOrder) {
  test_list pl;
  auto t0 = peer_list::clock::now();
  // Endpoint order and arrival order are a, b; retry order is b, a.
  const ep_t a = ep("127.0.0.2", 1), b = ep("127.0.0.3", 1), c = ep("127.0.0.4", 1);
  pl.add_user(a);
  pl.add_user(b);
  ASSERT_EQ(pl.next_candidate(t0), a);
  ASSERT_EQ(pl.next_candidate(t0), b);
  pl.on_closed(b, false, true, t0);                    // retry at t0 + 30 s
  pl.on_closed(a, false, true, t0 + std::chrono::seconds(10));  // retry at t0 + 40 s
  pl.add_user(c);                                      // due at once
  EXPECT_EQ(pl.next_candidate(t0 + 50s), c);
  EXPECT_EQ(pl.next_candidate(t0 + 50s), b);
  EXPECT_EQ(pl.next_candidate(t0 + 50s), a);
  EXPECT_EQ(pl.next_candidate(t0 + 50s), std::nullopt);
}

TEST(PeerList, DueAddressIsFoundAmongThousandsInBackoff) {
  test_list pl;
  auto now = peer_list::clock::now();
  for (std::uint32_t i = 0; i < 2000; ++i) ASSERT_TRUE(pl.add_user(nth(i)));
  for (std::uint32_t i = 0; i < 2000; ++i) {
    auto c = pl.next_candidate(now);
    ASSERT_TRUE(c);
    pl.on_closed(*c, false, true, now);
  }
  EXPECT_EQ(pl.next_candidate(now + 29s), std::nullopt);
  ASSERT_TRUE(pl.add_user(nth(5000)));
  EXPECT_EQ(pl.next_candidate(now + 29s), nth(5000));
  EXPECT_EQ(pl.next_candidate(now + 30s), nth(0));
}

TEST(PeerList, AddressesFromOthersAreFilteredButTheUsersAreNot) {
  peer_list off_loopback;  // our listen interface is not a loopback address
  for (auto source : {peer_source::tracker, peer_source::dht, peer_source::lsd, peer_source::pex}) {
    EXPECT_FALSE(off_loopback.add(ep("127.0.0.2", 1000), source));
    EXPECT_FALSE(off_loopback.add(ep("::1", 1000), source));
    EXPECT_FALSE(off_loopback.add(ep("224.0.0.1", 1000), source));
    EXPECT_FALSE(off_loopback.add(ep("255.255.255.255", 1000), source));
    EXPECT_FALSE(off_loopback.add(ep("ff02::1", 1000), source));
  }
  EXPECT_TRUE(off_loopback.add(ep("10.0.0.2", 1000), peer_source::pex));
  EXPECT_TRUE(off_loopback.add(ep("127.0.0.2", 1000), peer_source::user)) << "--peer is the user's choice";
  EXPECT_FALSE(off_loopback.add(ep("127.0.0.2", 0), peer_source::user)) << "port 0 never";
  EXPECT_EQ(off_loopback.num_known(), 2);

  peer_list on_loopback(peer_list::options{.loopback_allowed = true});
  EXPECT_TRUE(on_loopback.add(ep("127.0.0.2", 1000), peer_source::tracker));
  EXPECT_TRUE(on_loopback.add(ep("::1", 1000), peer_source::dht));
  EXPECT_FALSE(on_loopback.add(ep("224.0.0.1", 1000), peer_source::lsd));
  EXPECT_FALSE(on_loopback.add(ep("0.0.0.0", 1000), peer_source::pex));
  EXPECT_EQ(on_loopback.num_known(), 2);
}

TEST(PeerList, TcpFirstThenUtpAfterATcpFailureThenBackToTcpAfterAUtpFailure) {
  test_list pl;
  const auto a = ep("127.0.0.2", 1000);
  ASSERT_TRUE(pl.add_user(a));
  EXPECT_FALSE(pl.dial_utp(a));                         // nothing known: TCP first
  EXPECT_TRUE(pl.note_transport(a, false, false));      // TCP failed: uTP is worth a try now
  EXPECT_TRUE(pl.dial_utp(a));
  EXPECT_FALSE(pl.note_transport(a, true, false));      // uTP failed too: nothing left to try now
  EXPECT_FALSE(pl.dial_utp(a));                         // back to TCP, and uTP is not tried again
  EXPECT_FALSE(pl.note_transport(a, false, false));
  EXPECT_FALSE(pl.dial_utp(a));
  EXPECT_FALSE(pl.dial_utp(ep("127.0.0.9", 1)));        // unknown addresses: TCP
  EXPECT_FALSE(pl.note_transport(ep("127.0.0.9", 1), false, false));
}

TEST(PeerList, AnAdvertisedOrWorkingUtpPeerIsDialledOverUtpUntilUtpFails) {
  test_list pl;
  const auto a = ep("127.0.0.2", 1000);
  const auto b = ep("127.0.0.3", 1000);
  ASSERT_TRUE(pl.add_user(a));
  ASSERT_TRUE(pl.add_user(b));
  pl.note_utp_advertised(a);                            // PEX flag 0x04
  EXPECT_TRUE(pl.dial_utp(a));
  EXPECT_TRUE(pl.note_transport(a, true, false));       // its uTP failed: TCP now
  EXPECT_FALSE(pl.dial_utp(a));
  pl.note_utp_advertised(a);                            // advertised again: uTP failed already
  EXPECT_FALSE(pl.dial_utp(a));
  EXPECT_TRUE(pl.note_transport(b, false, false));
  EXPECT_FALSE(pl.note_transport(b, true, true));       // uTP worked: kept
  EXPECT_TRUE(pl.dial_utp(b));
  EXPECT_FALSE(pl.note_transport(b, false, true));      // a TCP connection worked later: TCP
  EXPECT_FALSE(pl.dial_utp(b));
}

}  // namespace
}  // namespace tessera::detail
