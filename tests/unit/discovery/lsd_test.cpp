// BEP 14 local service discovery: the BT-SEARCH codec, the announce schedule, and two LSD
// services on this machine hearing each other over multicast on the loopback interface.
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "../support/multicast_probe.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/udp.hpp>

#include "discovery/lsd.hpp"
#include "discovery/lsd_message.hpp"

namespace tessera::detail {
namespace {

namespace asio = boost::asio;
using asio::ip::udp;
using namespace std::chrono_literals;

sha1_hash hash_of(std::uint8_t seed) {
  sha1_hash h;
  for (std::size_t i = 0; i < h.bytes.size(); ++i) h.bytes[i] = static_cast<std::uint8_t>(seed + i);
  return h;
}

// ---------------------------------------------------------------------------------------------
// Codec

TEST(LsdMessage, RoundTripKeepsHostPortHashesAndCookie) {
  lsd_announce a{"239.192.152.143:6771", 6881, {hash_of(1), hash_of(2)}, "abc123"};
  const std::string msg = build_lsd_announce(a);
  EXPECT_TRUE(msg.starts_with("BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\n"));
  EXPECT_TRUE(msg.ends_with("cookie: abc123\r\n\r\n\r\n"));
  auto p = parse_lsd_announce(msg);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->host, a.host);
  EXPECT_EQ(p->port, 6881);
  EXPECT_EQ(p->info_hashes, a.info_hashes);
  EXPECT_EQ(p->cookie, "abc123");
}

TEST(LsdMessage, WithoutCookieOmitsTheHeader) {
  const std::string msg = build_lsd_announce({"h", 1, {hash_of(3)}, ""});
  EXPECT_EQ(msg.find("cookie"), std::string::npos);
  auto p = parse_lsd_announce(msg);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->cookie.empty());
}

TEST(LsdMessage, HeaderNamesAreCaseInsensitiveAndUnknownHeadersIgnored) {
  const std::string ih = hash_of(7).to_hex();
  std::string upper = ih;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) { return std::toupper(c); });
  const std::string msg = "BT-SEARCH * HTTP/1.1\r\nHOST: [ff15::efc0:988f]:6771\r\nport:  51413 \r\n"
                          "X-Whatever: yes\r\ninfohash:\t" + upper + "\r\nCOOKIE: zz\r\n\r\n\r\n";
  auto p = parse_lsd_announce(msg);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->host, "[ff15::efc0:988f]:6771");
  EXPECT_EQ(p->port, 51413);
  ASSERT_EQ(p->info_hashes.size(), 1u);
  EXPECT_EQ(p->info_hashes[0], hash_of(7));
  EXPECT_EQ(p->cookie, "zz");
}

TEST(LsdMessage, AcceptsBareLineFeedsAndDropsDuplicateHashes) {
  const std::string ih = hash_of(9).to_hex();
  auto p = parse_lsd_announce("BT-SEARCH * HTTP/1.1\nPort: 1\nInfohash: " + ih + "\nInfohash: " + ih + "\n\n");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->info_hashes.size(), 1u);
}

TEST(LsdMessage, MalformedInputsAreRejectedWithTheirError) {
  const std::string ih = hash_of(1).to_hex();
  const std::string head = "BT-SEARCH * HTTP/1.1\r\nHost: x\r\n";
  std::string many = head + "Port: 1\r\n";
  for (int i = 0; i <= static_cast<int>(lsd_max_info_hashes); ++i) {
    many += "Infohash: " + hash_of(static_cast<std::uint8_t>(i * 3)).to_hex() + "\r\n";
  }
  many += "\r\n";
  const std::pair<std::string, lsd_errc> cases[] = {
      {"", lsd_errc::bad_request_line},
      {"M-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: " + ih + "\r\n\r\n", lsd_errc::bad_request_line},
      {"BT-SEARCH * HTTP/1.0\r\nPort: 1\r\nInfohash: " + ih + "\r\n\r\n", lsd_errc::bad_request_line},
      {head + "Infohash: " + ih + "\r\n\r\n", lsd_errc::missing_port},
      {head + "Port: 0\r\nInfohash: " + ih + "\r\n\r\n", lsd_errc::bad_port},
      {head + "Port: 65536\r\nInfohash: " + ih + "\r\n\r\n", lsd_errc::bad_port},
      {head + "Port: 12a\r\nInfohash: " + ih + "\r\n\r\n", lsd_errc::bad_port},
      {head + "Port: -1\r\nInfohash: " + ih + "\r\n\r\n", lsd_errc::bad_port},
      {head + "Port: \r\nInfohash: " + ih + "\r\n\r\n", lsd_errc::bad_port},
      {head + "Port: 1\r\nPort: 2\r\nInfohash: " + ih + "\r\n\r\n", lsd_errc::bad_port},
      {head + "Port: 1\r\n\r\n", lsd_errc::missing_info_hash},
      {head + "Port: 1\r\nInfohash: " + ih.substr(1) + "\r\n\r\n", lsd_errc::bad_info_hash},
      {head + "Port: 1\r\nInfohash: " + ih.substr(1) + "g\r\n\r\n", lsd_errc::bad_info_hash},
      {head + "Port: 1\r\nInfohash: " + ih + "00\r\n\r\n", lsd_errc::bad_info_hash},
      {head + "Port: 1\r\nno colon here\r\nInfohash: " + ih + "\r\n\r\n", lsd_errc::bad_header},
      {head + "Port: 1\r\n: empty name\r\nInfohash: " + ih + "\r\n\r\n", lsd_errc::bad_header},
      {head + "Port: 1\r\nX: a\x01" "b\r\nInfohash: " + ih + "\r\n\r\n", lsd_errc::bad_header},
      {head + "Port: 1\r\ncookie: " + std::string(lsd_max_cookie + 1, 'c') + "\r\nInfohash: " + ih + "\r\n\r\n",
       lsd_errc::bad_header},
      {head + "Port: 1\r\nInfohash: " + ih + "\r\n", lsd_errc::truncated},
      {head + "Port: 1\r\nInfohash: " + ih, lsd_errc::truncated},
      {head + "Port: 1\r\nInfohash: " + ih + "\r\nX: " + std::string(lsd_max_message, 'x') + "\r\n\r\n",
       lsd_errc::too_large},
      {many, lsd_errc::too_many_info_hashes},
  };
  for (const auto& [input, want] : cases) {
    auto p = parse_lsd_announce(input);
    ASSERT_FALSE(p) << "accepted: " << input.substr(0, 120);
    EXPECT_EQ(p.error(), make_error_code(want)) << input.substr(0, 120) << " -> " << p.error().message();
  }
}

TEST(LsdMessage, ManyHashesAreSplitIntoMessagesUnder1400Bytes) {
  std::vector<sha1_hash> hashes;
  for (int i = 0; i < 100; ++i) hashes.push_back(hash_of(static_cast<std::uint8_t>(i * 2)));
  const auto msgs = build_lsd_announces({"[ff15::efc0:988f]:6771", 6881, hashes, "cookie1234567890"});
  ASSERT_GE(msgs.size(), 4u);
  std::vector<sha1_hash> seen;
  for (const auto& m : msgs) {
    EXPECT_LE(m.size(), lsd_max_sent_message);
    auto p = parse_lsd_announce(m);
    ASSERT_TRUE(p) << p.error().message();
    seen.insert(seen.end(), p->info_hashes.begin(), p->info_hashes.end());
  }
  EXPECT_EQ(seen, hashes);
  EXPECT_TRUE(build_lsd_announces({"h", 1, {}, ""}).empty());
}

TEST(LsdMessage, RandomBytesAndMutationsNeverCrash) {
  std::mt19937 rng(14);
  const std::string valid = build_lsd_announce({"239.192.152.143:6771", 6881, {hash_of(1), hash_of(2)}, "c"});
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string s = valid;
    if (i % 2 == 0) {
      s.resize(rng() % 300);
      for (auto& c : s) c = static_cast<char>(rng());
    } else {
      for (int k = 0; k < 3; ++k) s[rng() % s.size()] = static_cast<char>(rng());
      s.resize(rng() % (s.size() + 1));
    }
    if (parse_lsd_announce(s)) ++accepted;
  }
  EXPECT_LT(accepted, 3000);  // most mutations must be rejected, none may crash
}

// ---------------------------------------------------------------------------------------------
// Schedule

TEST(LsdSchedule, NewHashIsDueNowThenEveryReannounceInterval) {
  lsd_schedule s(60s, 300s);
  const auto t0 = lsd_schedule::clock::time_point{} + 1000s;
  s.add(hash_of(1), t0);
  EXPECT_EQ(s.take_due(t0), std::vector{hash_of(1)});
  EXPECT_TRUE(s.take_due(t0 + 299s).empty());
  EXPECT_EQ(s.next_due(), t0 + 300s);
  EXPECT_EQ(s.take_due(t0 + 300s), std::vector{hash_of(1)});
}

TEST(LsdSchedule, AskingAgainWithinAMinuteWaitsForTheMinuteToPass) {
  lsd_schedule s(60s, 300s);
  const auto t0 = lsd_schedule::clock::time_point{} + 1000s;
  s.add(hash_of(1), t0);
  ASSERT_EQ(s.take_due(t0).size(), 1u);
  for (int i = 1; i <= 5; ++i) s.add(hash_of(1), t0 + std::chrono::seconds(i));
  EXPECT_TRUE(s.take_due(t0 + 59s).empty());
  EXPECT_EQ(s.next_due(), t0 + 60s);
  EXPECT_EQ(s.take_due(t0 + 60s).size(), 1u);
  // Long after the last announce, asking again makes it due at once.
  s.add(hash_of(1), t0 + 200s);
  EXPECT_EQ(s.take_due(t0 + 200s).size(), 1u);
}

TEST(LsdSchedule, RemovedHashIsNeitherDueNorInteresting) {
  lsd_schedule s(60s, 300s);
  const auto t0 = lsd_schedule::clock::time_point{} + 1000s;
  s.add(hash_of(1), t0);
  s.add(hash_of(2), t0);
  s.remove(hash_of(1));
  EXPECT_FALSE(s.contains(hash_of(1)));
  EXPECT_EQ(s.take_due(t0), std::vector{hash_of(2)});
  s.remove(hash_of(2));
  EXPECT_FALSE(s.next_due());
}

// ---------------------------------------------------------------------------------------------
// Service over multicast on loopback

const auto loopback_v4 = asio::ip::make_address_v4("127.0.0.1");
const auto group_v4 = test::lsd_group_v4;
using test::free_udp_port;
using test::loopback_multicast_problem;

struct heard {
  sha1_hash ih;
  asio::ip::tcp::endpoint peer;
};

lsd_options loopback_options(std::uint16_t group_port, std::uint16_t listen_port) {
  lsd_options o;
  o.listen_port = listen_port;
  o.interface_v4 = loopback_v4;  // never the default route: traffic stays on this machine
  o.ipv6 = false;
  o.group_port = group_port;
  return o;
}

bool run_until(asio::io_context& io, const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  io.restart();
  while (!done() && std::chrono::steady_clock::now() < deadline) io.run_for(10ms);
  return done();
}

/// The two-instance scenario; returns an empty string on success, else what went wrong. Plain
/// function (no gtest macros) so that it can also run in a forked child in its own namespace.
std::string two_instances_hear_each_other(std::uint16_t group_port, lsd_options base_a = {}) {
  asio::io_context io;
  std::vector<heard> at_a, at_b;
  auto oa = loopback_options(group_port, 40001);
  oa.ipv6 = base_a.ipv6;
  oa.interface_v6 = base_a.interface_v6;
  auto a = lsd::start(io.get_executor(), oa, [&](auto& ih, auto& ep) { at_a.push_back({ih, ep}); });
  auto b = lsd::start(io.get_executor(), loopback_options(group_port, 40002),
                      [&](auto& ih, auto& ep) { at_b.push_back({ih, ep}); });
  if (!a || !b) return "lsd::start failed";
  const sha1_hash shared = hash_of(0x10), only_a = hash_of(0x20);
  (*a)->announce(shared);
  (*a)->announce(only_a);
  (*b)->announce(shared);
  run_until(io, [&] { return !at_a.empty() && !at_b.empty() && (*a)->stats().own_ignored > 0; }, 3000ms);
  // A little longer, to catch a late wrong report.
  run_until(io, [] { return false; }, 200ms);
  const auto families = [](const lsd& l) { return std::uint64_t{l.has_ipv4()} + l.has_ipv6(); };
  const std::uint64_t families_a = families(**a);
  (*a)->stop();
  (*b)->stop();
  run_until(io, [] { return false; }, 50ms);
  if ((*a)->cookie() == (*b)->cookie()) return "both instances picked the same cookie";
  if ((*a)->has_ipv4() || (*b)->has_ipv4()) return "stop() left a socket in use";
  if (at_a.size() != 1 || at_b.size() != 1) {
    return "reports: a=" + std::to_string(at_a.size()) + " b=" + std::to_string(at_b.size()) + " (want 1 each)";
  }
  const asio::ip::tcp::endpoint a_ep(loopback_v4, 40001), b_ep(loopback_v4, 40002);
  if (at_a[0].ih != shared || at_a[0].peer != b_ep) return "a heard the wrong announce";
  if (at_b[0].ih != shared || at_b[0].peer != a_ep) return "b heard the wrong announce";
  if ((*a)->stats().own_ignored == 0 || (*b)->stats().own_ignored == 0) return "own announce not seen/ignored";
  // One message per family in use (the IPv6 one may fail to send, which is only logged).
  if ((*a)->stats().messages_sent > families_a || (*b)->stats().messages_sent != 1) {
    return "more messages sent than one announce per family";
  }
  return "";
}

TEST(LsdService, TwoInstancesHearEachOtherAndIgnoreTheirOwnAnnounces) {
  const auto port = free_udp_port();
  if (auto why = loopback_multicast_problem(port); !why.empty()) {
    GTEST_SKIP() << "this sandbox cannot multicast on loopback (" << why
                 << "); LsdService.InOwnNetworkNamespace covers the service instead";
  }
  EXPECT_EQ(two_instances_hear_each_other(port), "");
}

TEST(LsdService, RepeatedAnnounceRequestsWithinAMinuteSendOnce) {
  const auto port = free_udp_port();
  if (auto why = loopback_multicast_problem(port); !why.empty()) {
    GTEST_SKIP() << "this sandbox cannot multicast on loopback: " << why;
  }
  asio::io_context io;
  int heard_at_b = 0;
  auto a = lsd::start(io.get_executor(), loopback_options(port, 40001), {});
  auto b = lsd::start(io.get_executor(), loopback_options(port, 40002), [&](auto&, auto&) { ++heard_at_b; });
  ASSERT_TRUE(a && b);
  (*b)->announce(hash_of(1));  // b is interested; b's own announce is ignored by b
  (*a)->announce(hash_of(1));
  ASSERT_TRUE(run_until(io, [&] { return heard_at_b == 1; }, 3000ms));
  for (int i = 0; i < 5; ++i) {
    (*a)->announce(hash_of(1));
    run_until(io, [] { return false; }, 50ms);
  }
  run_until(io, [] { return false; }, 300ms);
  EXPECT_EQ(heard_at_b, 1);
  EXPECT_EQ((*a)->stats().messages_sent, 1u);
  (*a)->stop();
  (*b)->stop();
}

TEST(LsdService, ReannouncesPeriodically) {
  const auto port = free_udp_port();
  if (auto why = loopback_multicast_problem(port); !why.empty()) {
    GTEST_SKIP() << "this sandbox cannot multicast on loopback: " << why;
  }
  asio::io_context io;
  int heard_at_b = 0;
  auto oa = loopback_options(port, 40001);
  oa.min_interval = 1s;
  oa.reannounce = 1s;
  auto a = lsd::start(io.get_executor(), oa, {});
  auto b = lsd::start(io.get_executor(), loopback_options(port, 40002), [&](auto&, auto&) { ++heard_at_b; });
  ASSERT_TRUE(a && b);
  (*b)->announce(hash_of(1));
  (*a)->announce(hash_of(1));
  EXPECT_TRUE(run_until(io, [&] { return heard_at_b >= 3; }, 4000ms)) << heard_at_b;
  (*a)->stop();
  (*b)->stop();
}

TEST(LsdService, MalformedDatagramsAreCountedAndDoNotStopTheService) {
  const auto port = free_udp_port();
  if (auto why = loopback_multicast_problem(port); !why.empty()) {
    GTEST_SKIP() << "this sandbox cannot multicast on loopback: " << why;
  }
  asio::io_context io;
  std::vector<heard> at_b;
  auto b = lsd::start(io.get_executor(), loopback_options(port, 40002), [&](auto& ih, auto& ep) { at_b.push_back({ih, ep}); });
  ASSERT_TRUE(b);
  (*b)->announce(hash_of(1));
  udp::socket w(io, udp::v4());
  w.set_option(asio::ip::multicast::outbound_interface(loopback_v4));
  const udp::endpoint group(group_v4, port);
  const std::string bad[] = {"", "garbage", std::string(5000, 'x'),
                             "BT-SEARCH * HTTP/1.1\r\nPort: 99999\r\nInfohash: " + hash_of(1).to_hex() + "\r\n\r\n"};
  for (const auto& d : bad) w.send_to(asio::buffer(d), group);
  w.send_to(asio::buffer(build_lsd_announce({"x", 7777, {hash_of(1)}, "other"})), group);
  ASSERT_TRUE(run_until(io, [&] { return !at_b.empty(); }, 3000ms));
  EXPECT_EQ(at_b[0].peer.port(), 7777);
  EXPECT_EQ((*b)->stats().malformed, 4u);
  (*b)->stop();
}

/// Brings `lo` up in the current (fresh) network namespace. False on failure.
bool bring_loopback_up() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return false;
  ifreq req{};
  std::strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = ::ioctl(fd, SIOCGIFFLAGS, &req) == 0;
  req.ifr_flags |= IFF_UP;
  ok = ok && ::ioctl(fd, SIOCSIFFLAGS, &req) == 0;
  ::close(fd);
  return ok;
}

TEST(LsdService, InOwnNetworkNamespace) {
  // A forked child moves to a new, empty network namespace (only `lo`), so nothing it sends can
  // leave it; there it runs the two-instance scenario with IPv6 asked for on `lo` too (which
  // must not be fatal if it cannot work).
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(pipefd[0]);
    std::string out;
    if (::unshare(CLONE_NEWNET) != 0) {
      out = "SKIP unshare(CLONE_NEWNET): " + std::string(std::strerror(errno));
    } else if (!bring_loopback_up()) {
      out = "SKIP cannot bring lo up in the new namespace";
    } else if (auto why = loopback_multicast_problem(6771); !why.empty()) {
      out = "SKIP " + why;
    } else {
      lsd_options v6_on_lo;
      v6_on_lo.ipv6 = true;
      v6_on_lo.interface_v6 = 1;  // lo is interface 1 in a fresh namespace
      out = two_instances_hear_each_other(6771, v6_on_lo);
    }
    (void)!::write(pipefd[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(pipefd[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child crashed";
  if (out.starts_with("SKIP ")) GTEST_SKIP() << "no private network namespace here: " << out.substr(5);
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace tessera::detail
