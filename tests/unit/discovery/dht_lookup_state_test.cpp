// Iterative lookup bookkeeping (BEP 5): alpha, the K closest, termination.
#include <gtest/gtest.h>

#include "discovery/dht/lookup_state.hpp"

namespace tessera::detail::dht {
namespace {

krpc::node_entry n(std::uint8_t first, std::uint8_t addr) {
  krpc::node_entry e;
  e.id.bytes[0] = first;
  e.endpoint.addr = {10, 0, 0, addr};
  e.endpoint.port = 6881;
  return e;
}

const sha1_hash target{};  // all zeros: smaller first byte = closer
sha1_hash own() {
  sha1_hash h;
  h.bytes.fill(0xFF);
  return h;
}

TEST(DhtLookupState, AtMostAlphaInFlightClosestFirst) {
  lookup_state s(target, own(), 8, 3);
  for (std::uint8_t i = 10; i > 0; --i) s.add(n(i, i));
  auto a = s.next();
  auto b = s.next();
  auto c = s.next();
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->id.bytes[0], 1);
  EXPECT_EQ(b->id.bytes[0], 2);
  EXPECT_EQ(c->id.bytes[0], 3);
  EXPECT_FALSE(s.next());
  EXPECT_EQ(s.in_flight(), 3u);
  s.responded(*a, std::string("tok"));
  auto d = s.next();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->id.bytes[0], 4);
}

TEST(DhtLookupState, DoneWhenKClosestAnsweredAndFartherOnesAreNotAsked) {
  lookup_state s(target, own(), 2, 3);
  s.add(n(5, 5));
  s.add(n(6, 6));
  s.add(n(7, 7));
  auto a = s.next();
  auto b = s.next();
  EXPECT_FALSE(s.next());  // the third is not among the 2 closest
  EXPECT_FALSE(s.done());
  s.responded(*a, std::nullopt);
  s.add(n(1, 1));  // a closer node learned from the answer
  auto c = s.next();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->id.bytes[0], 1);
  s.responded(*b, std::nullopt);
  s.responded(*c, std::nullopt);
  EXPECT_TRUE(s.done());
  auto best = s.closest_responded(8);
  ASSERT_EQ(best.size(), 3u);
  EXPECT_EQ(best[0].node.id.bytes[0], 1);
}

TEST(DhtLookupState, FailedNodesMakeRoomForFartherOnes) {
  lookup_state s(target, own(), 2, 3);
  s.add(n(1, 1));
  s.add(n(2, 2));
  s.add(n(3, 3));
  auto a = s.next();
  auto b = s.next();
  s.failed(*a);
  auto c = s.next();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->id.bytes[0], 3);
  s.responded(*b, std::nullopt);
  s.responded(*c, std::nullopt);
  EXPECT_TRUE(s.done());
}

TEST(DhtLookupState, IgnoresDuplicatesAndOwnId) {
  lookup_state s(target, own(), 8, 3);
  s.add(n(1, 1));
  s.add(n(1, 2));  // same id
  s.add(n(2, 1));  // same endpoint
  krpc::node_entry me{own(), n(3, 3).endpoint};
  s.add(me);
  ASSERT_TRUE(s.next());
  EXPECT_FALSE(s.next());
}

TEST(DhtLookupState, MaxQueriesBoundsTheLookup) {
  lookup_state s(target, own(), 8, 3, 2);
  for (std::uint8_t i = 1; i <= 5; ++i) s.add(n(i, i));
  auto a = s.next();
  auto b = s.next();
  EXPECT_FALSE(s.next());
  s.failed(*a);
  s.failed(*b);
  EXPECT_FALSE(s.next());
  EXPECT_TRUE(s.done());
}

TEST(DhtLookupState, EmptyLookupIsDone) {
  lookup_state s(target, own());
  EXPECT_TRUE(s.done());
  EXPECT_FALSE(s.next());
}

}  // namespace
}  // namespace tessera::detail::dht
