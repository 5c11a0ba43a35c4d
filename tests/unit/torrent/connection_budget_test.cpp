#include "torrent/connection_budget.hpp"

#include <gtest/gtest.h>

namespace tessera::detail {
namespace {

TEST(ConnectionBudget, OneTorrentGetsItsPerTorrentLimit) {
  connection_budget b;
  b.max = 200;
  b.running = 1;
  EXPECT_EQ(b.connection_share(60), 60);
  b.unchoke_slots = 4;
  EXPECT_EQ(b.unchoke_share(), 4);
}

TEST(ConnectionBudget, ManyTorrentsShareEvenlyWithAFloor) {
  connection_budget b;
  b.max = 200;
  b.unchoke_slots = 8;
  b.running = 10;
  EXPECT_EQ(b.connection_share(60), 20);
  EXPECT_EQ(b.unchoke_share(), 1);
  b.running = 3;
  EXPECT_EQ(b.unchoke_share(), 3);  // 8 / 3 rounded up
  b.running = 100;
  EXPECT_EQ(b.connection_share(60), connection_budget::min_connection_share);
  b.running = 0;  // before the first torrent starts
  EXPECT_EQ(b.connection_share(60), 60);
}

}  // namespace
}  // namespace tessera::detail
