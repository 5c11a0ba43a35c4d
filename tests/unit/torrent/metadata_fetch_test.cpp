#include "torrent/metadata_fetch.hpp"

#include <gtest/gtest.h>

#include "tessera/hasher.hpp"

namespace tessera::detail {
namespace {

using namespace std::chrono_literals;
using clock_type = metadata_fetch::clock;

info_hash_t sha1_of(const std::string& s) { return info_hash_t::from_v1(sha1(s)); }

std::string info_of(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

metadata_message data_msg(const std::string& info, std::int32_t piece) {
  metadata_message m;
  m.type = metadata_msg_type::data;
  m.piece = piece;
  m.total_size = static_cast<std::int64_t>(info.size());
  m.data = std::string_view(info).substr(static_cast<std::size_t>(piece) * 16384, 16384);
  return m;
}

TEST(MetadataFetch, AsksOneSourceForEveryPieceAndReturnsTheVerifiedInfo) {
  const std::string info = info_of(40000);  // 3 pieces
  metadata_fetch f(sha1_of(info));
  const auto now = clock_type::now();
  EXPECT_TRUE(f.next_requests(now).empty()) << "no peer offers metadata yet";
  f.add_peer(1, 40000);
  f.add_peer(2, 40000);
  auto reqs = f.next_requests(now);
  ASSERT_EQ(reqs.size(), 3u);
  for (std::int32_t i = 0; i < 3; ++i) EXPECT_EQ(reqs[i], (metadata_fetch::request{1, i}));
  EXPECT_TRUE(f.next_requests(now).empty()) << "nothing twice";
  EXPECT_EQ(f.on_data(1, data_msg(info, 2), now).value(), std::nullopt);
  EXPECT_EQ(f.on_data(1, data_msg(info, 0), now).value(), std::nullopt);
  auto done = f.on_data(1, data_msg(info, 1), now);
  ASSERT_TRUE(done.has_value());
  ASSERT_TRUE(done->has_value());
  EXPECT_EQ(**done, info);
}

TEST(MetadataFetch, UnrequestedDataIsIgnored) {
  const std::string info = info_of(100);
  metadata_fetch f(sha1_of(info));
  const auto now = clock_type::now();
  f.add_peer(1, 100);
  f.add_peer(2, 100);
  ASSERT_EQ(f.next_requests(now).size(), 1u);
  EXPECT_EQ(f.on_data(2, data_msg(info, 0), now).value(), std::nullopt) << "asked peer 1, not 2";
  EXPECT_EQ(f.pieces_received(), 0);
  EXPECT_TRUE(f.on_data(1, data_msg(info, 0), now).value().has_value());
}

TEST(MetadataFetch, RejectMovesToTheNextPeerAndKeepsReceivedPieces) {
  const std::string info = info_of(40000);
  metadata_fetch f(sha1_of(info));
  auto now = clock_type::now();
  f.add_peer(1, 40000);
  f.add_peer(2, 40000);
  ASSERT_EQ(f.next_requests(now).size(), 3u);
  ASSERT_EQ(f.on_data(1, data_msg(info, 0), now).value(), std::nullopt);
  f.on_reject(1, 1, now);
  auto reqs = f.next_requests(now);
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0], (metadata_fetch::request{2, 1}));
  EXPECT_EQ(reqs[1], (metadata_fetch::request{2, 2}));
  ASSERT_EQ(f.on_data(2, data_msg(info, 1), now).value(), std::nullopt);
  EXPECT_EQ(*f.on_data(2, data_msg(info, 2), now).value(), info);
}

TEST(MetadataFetch, TimeoutPutsThePeerAsideUntilItsBackoffEnds) {
  const std::string info = info_of(100);
  metadata_fetch::settings s;
  s.request_timeout = 10s;
  s.backoff = 60s;
  metadata_fetch f(sha1_of(info), s);
  auto t0 = clock_type::now();
  f.add_peer(1, 100);
  ASSERT_EQ(f.next_requests(t0).size(), 1u);
  EXPECT_TRUE(f.next_requests(t0 + 5s).empty());
  EXPECT_TRUE(f.next_requests(t0 + 11s).empty()) << "the only peer timed out and is put aside";
  auto again = f.next_requests(t0 + 72s);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].peer, 1u);
}

TEST(MetadataFetch, HashMismatchExcludesTheLiarAndTheNextPeerSucceeds) {
  const std::string info = info_of(20000);
  std::string lie = info;
  lie[5] ^= 1;
  metadata_fetch f(sha1_of(info));
  const auto now = clock_type::now();
  f.add_peer(1, 20000);
  f.add_peer(2, 20000);
  ASSERT_EQ(f.next_requests(now).size(), 2u);
  ASSERT_EQ(f.on_data(1, data_msg(lie, 0), now).value(), std::nullopt);
  auto bad = f.on_data(1, data_msg(lie, 1), now);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error(), extension_errc::hash_mismatch);
  EXPECT_EQ(f.excluded(), (std::set<peer_key>{1}));
  f.add_peer(1, 20000);  // a fresh handshake does not bring it back
  auto reqs = f.next_requests(now);
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].peer, 2u);
  ASSERT_EQ(f.on_data(2, data_msg(info, 0), now).value(), std::nullopt);
  EXPECT_EQ(*f.on_data(2, data_msg(info, 1), now).value(), info);
}

TEST(MetadataFetch, ADisconnectedSourceHandsOverAndBadSizesAreIgnored) {
  const std::string info = info_of(100);
  metadata_fetch f(sha1_of(info));
  const auto now = clock_type::now();
  f.add_peer(1, 0);
  f.add_peer(2, max_metadata_size + 1);
  EXPECT_TRUE(f.next_requests(now).empty());
  f.add_peer(3, 100);
  f.add_peer(4, 100);
  ASSERT_EQ(f.next_requests(now)[0].peer, 3u);
  f.remove_peer(3);
  auto reqs = f.next_requests(now);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].peer, 4u);
}

TEST(MetadataFetch, OutstandingRequestsPerPeerAreBounded) {
  const std::string info = info_of(20 * 16384);
  metadata_fetch::settings s;
  s.max_outstanding_per_peer = 4;
  metadata_fetch f(sha1_of(info), s);
  const auto now = clock_type::now();
  f.add_peer(1, static_cast<std::int64_t>(info.size()));
  EXPECT_EQ(f.next_requests(now).size(), 4u);
  EXPECT_TRUE(f.next_requests(now).empty());
  ASSERT_EQ(f.on_data(1, data_msg(info, 0), now).value(), std::nullopt);
  auto more = f.next_requests(now);
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].piece, 4);
}

}  // namespace
}  // namespace tessera::detail
