// Per-address token bucket for incoming DHT queries.
#include <gtest/gtest.h>

#include "discovery/dht/rate_limiter.hpp"

namespace tessera::detail::dht {
namespace {

using namespace std::chrono_literals;
const clock::time_point t0 = clock::time_point{} + 1000h;

peer_endpoint src(std::uint8_t a, std::uint16_t port = 1) {
  peer_endpoint e;
  e.addr = {10, 0, 0, a};
  e.port = port;
  return e;
}

TEST(DhtRateLimiter, BurstThenRefillAtRate) {
  rate_limiter r({2.0, 5.0, 100});
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(r.allow(src(1), t0)) << i;
  EXPECT_FALSE(r.allow(src(1), t0));
  EXPECT_FALSE(r.allow(src(1), t0 + 400ms));
  EXPECT_TRUE(r.allow(src(1), t0 + 500ms));  // 2/s: one token per 500 ms
  EXPECT_FALSE(r.allow(src(1), t0 + 600ms));
}

TEST(DhtRateLimiter, PortDoesNotEscapeTheLimitButOtherAddressesAreSeparate) {
  rate_limiter r({1.0, 2.0, 100});
  EXPECT_TRUE(r.allow(src(1, 1), t0));
  EXPECT_TRUE(r.allow(src(1, 2), t0));
  EXPECT_FALSE(r.allow(src(1, 3), t0));
  EXPECT_TRUE(r.allow(src(2, 1), t0));
}

TEST(DhtRateLimiter, TrackedSourcesStayBounded) {
  rate_limiter r({1.0, 2.0, 16});
  for (int i = 0; i < 200; ++i) {
    peer_endpoint e;
    e.addr = {10, 1, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
    r.allow(e, t0);
    EXPECT_LE(r.tracked(), 16u);
  }
}

// A flooding source stays limited while queries from ever new addresses fill the table: only the
// least recently seen entry is forgotten, never the flooder's (a full reset would refill it).
TEST(DhtRateLimiter, NewSourcesDoNotResetAFloodersBucket) {
  rate_limiter r({1.0, 2.0, 16});
  const auto flooder = src(200);
  while (r.allow(flooder, t0)) {
  }
  int allowed = 0;
  for (int i = 0; i < 1000; ++i) {
    peer_endpoint e;
    e.addr = {10, 2, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
    r.allow(e, t0);
    if (r.allow(flooder, t0)) ++allowed;
  }
  EXPECT_EQ(allowed, 0);
  EXPECT_LE(r.tracked(), 16u);
}

}  // namespace
}  // namespace tessera::detail::dht
