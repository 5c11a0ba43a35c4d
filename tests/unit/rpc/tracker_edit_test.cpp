// torrent-set trackerAdd / trackerRemove / trackerReplace: Transmission 3.00's semantics and
// errors, stable tracker ids, the engine's list, and the edit surviving a restart.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "disk/resume_data.hpp"
#include "rpc/tracker_list.hpp"
#include "rpc_test_support.hpp"

namespace tessera::test {
namespace {

namespace json = boost::json;
using RpcTrackers = daemon_fixture;

const std::string a_url = "http://127.0.0.1:1/announce";
const std::string b_url = "udp://127.0.0.1:2";
const std::string c_url = "http://127.0.0.1:3/announce";

// (id, tier, announce) of each entry of `trackers`.
std::vector<std::tuple<std::int64_t, std::int64_t, std::string>> entries(const json::value& trackers) {
  std::vector<std::tuple<std::int64_t, std::int64_t, std::string>> out;
  for (const auto& v : trackers.as_array()) {
    const auto& o = v.as_object();
    out.emplace_back(o.at("id").as_int64(), o.at("tier").as_int64(), std::string(o.at("announce").as_string()));
  }
  return out;
}

using E = std::vector<std::tuple<std::int64_t, std::int64_t, std::string>>;

// The URLs the engine announces to, in its order.
std::vector<std::string> engine_urls(const torrent_handle& h) {
  std::vector<std::string> out;
  auto trs = h.trackers();
  if (!trs) return out;
  for (const auto& tr : *trs) out.push_back(tr.url);
  return out;
}

TEST(TrackerList, EditsKeepIdsAndDenseTiers) {
  std::vector<rpc::tracker_entry> list{{0, 0, a_url}, {1, 0, b_url}};
  int next = 2;
  EXPECT_TRUE(rpc::add_trackers(list, next, json::array{c_url, "ftp://x/", a_url, 5}));
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[2], (rpc::tracker_entry{2, 1, c_url}));
  EXPECT_EQ(next, 3);
  EXPECT_FALSE(rpc::add_trackers(list, next, json::array{a_url, "nonsense"}));
  EXPECT_FALSE(rpc::add_trackers(list, next, json::value("http://x/")));
  EXPECT_TRUE(rpc::remove_trackers(list, json::array{0, 1, 99}));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0], (rpc::tracker_entry{2, 0, c_url}));  // tier 1 became tier 0
  EXPECT_FALSE(rpc::remove_trackers(list, json::array{0}));
  EXPECT_TRUE(rpc::replace_trackers(list, json::array{2, a_url, 7, b_url}));
  EXPECT_EQ(list[0], (rpc::tracker_entry{2, 0, a_url}));
  EXPECT_FALSE(rpc::replace_trackers(list, json::array{2, "bad url"}));
  EXPECT_FALSE(rpc::replace_trackers(list, json::array{2}));
  EXPECT_EQ(rpc::tracker_tiers({{4, 1, b_url}, {3, 0, a_url}, {5, 1, c_url}}),
            (std::vector<std::vector<std::string>>{{a_url}, {b_url, c_url}}));
}

TEST_F(RpcTrackers, AddRemoveReplaceWithStableIdsAndTransmissionErrors) {
  auto t = make_real_torrent(81);
  json::object add_args{{"paused", true}, {"metainfo", base64(make_torrent_file(t.ti->info_bytes(), {{a_url}, {b_url}}))}};
  auto added = ok("torrent-add", add_args);
  const int id = static_cast<int>(added["torrent-added"].as_object()["id"].as_int64());
  EXPECT_EQ(entries(get_one(id, {"trackers"})["trackers"]), (E{{0, 0, a_url}, {1, 1, b_url}}));

  ok("torrent-set", {{"ids", id}, {"trackerAdd", json::array{c_url}}});
  EXPECT_EQ(entries(get_one(id, {"trackers"})["trackers"]), (E{{0, 0, a_url}, {1, 1, b_url}, {2, 2, c_url}}));
  ok("torrent-set", {{"ids", id}, {"trackerRemove", json::array{0}}});
  EXPECT_EQ(entries(get_one(id, {"trackers"})["trackers"]), (E{{1, 0, b_url}, {2, 1, c_url}}));
  ok("torrent-set", {{"ids", id}, {"trackerReplace", json::array{2, a_url}}});
  auto o = get_one(id, {"trackers", "trackerStats", "magnetLink"});
  EXPECT_EQ(entries(o["trackers"]), (E{{1, 0, b_url}, {2, 1, a_url}}));
  EXPECT_EQ(entries(o["trackerStats"]), (E{{1, 0, b_url}, {2, 1, a_url}}));
  EXPECT_EQ(o["trackerStats"].as_array()[0].as_object().size(), 26u);  // every 3.00 key
  EXPECT_NE(std::string(o["magnetLink"].as_string()).find("127.0.0.1%3A2"), std::string::npos);
  // A new tracker never takes a removed tracker's id.
  ok("torrent-set", {{"ids", id}, {"trackerAdd", json::array{c_url}}});
  EXPECT_EQ(entries(get_one(id, {"trackers"})["trackers"]), (E{{1, 0, b_url}, {2, 1, a_url}, {3, 2, c_url}}));

  // The engine announces to the edited list.
  EXPECT_EQ(engine_urls(daemon->find(id)->handle), (std::vector<std::string>{b_url, a_url, c_url}));

  // Errors as 3.00: nothing applicable is "invalid argument"; other arguments still apply.
  EXPECT_EQ(call("torrent-set", {{"ids", id}, {"trackerAdd", json::array{"ftp://x/announce"}}})["result"], "invalid argument");
  EXPECT_EQ(call("torrent-set", {{"ids", id}, {"trackerAdd", json::array{a_url}}})["result"], "invalid argument");
  EXPECT_EQ(call("torrent-set", {{"ids", id}, {"trackerRemove", json::array{0}}, {"uploadLimit", 9}})["result"],
            "invalid argument");
  EXPECT_EQ(get_one(id, {"uploadLimit"})["uploadLimit"], 9);
  EXPECT_EQ(call("torrent-set", {{"ids", id}, {"trackerReplace", json::array{1, "not a url"}}})["result"],
            "invalid argument");
  EXPECT_EQ(call("torrent-set", {{"ids", id}, {"trackerReplace", json::array{1, a_url}}})["result"], "invalid argument");
  EXPECT_EQ(entries(get_one(id, {"trackers"})["trackers"]), (E{{1, 0, b_url}, {2, 1, a_url}, {3, 2, c_url}}));

  // The edit is in the record at once, and survives a restart (ids included).
  restart_daemon();
  EXPECT_EQ(entries(get_one(1, {"trackers"})["trackers"]), (E{{1, 0, b_url}, {2, 1, a_url}, {3, 2, c_url}}));
  EXPECT_EQ(engine_urls(daemon->find(1)->handle), (std::vector<std::string>{b_url, a_url, c_url}));
  ok("torrent-set", {{"ids", 1}, {"trackerRemove", json::array{1, 2, 3}}});
  EXPECT_TRUE(get_one(1, {"trackers"})["trackers"].as_array().empty());
  ok("torrent-set", {{"ids", 1}, {"trackerAdd", json::array{b_url}}});
  EXPECT_EQ(entries(get_one(1, {"trackers"})["trackers"]), (E{{4, 0, b_url}}));
}

TEST_F(RpcTrackers, TheRecordIsWrittenBeforeTheReply) {
  auto t = make_real_torrent(82);
  const int id = add(t, {{"paused", true}});
  ok("torrent-set", {{"ids", id}, {"trackerAdd", json::array{a_url, b_url}}});
  // What a kill -9 right after the reply would leave.
  auto text = detail::read_small_file(config / "torrents" / (t.ti->info_hash().to_hex() + ".json"), 1 << 20);
  ASSERT_TRUE(text);
  auto rec = rpc::catalogue::from_json(*text);
  ASSERT_TRUE(rec);
  ASSERT_TRUE(rec->trackers);
  EXPECT_EQ(*rec->trackers, (std::vector<rpc::tracker_entry>{{0, 0, a_url}, {1, 1, b_url}}));
  EXPECT_EQ(rec->next_tracker_id, 2);
}

TEST_F(RpcTrackers, AMagnetsTrackersAreEditableBeforeItsMetadata) {
  const std::string hex = "0123456789abcdef0123456789abcdef01234567";
  auto a = ok("torrent-add", {{"filename", "magnet:?xt=urn:btih:" + hex + "&dn=m&tr=" + a_url}, {"paused", true}});
  const int id = static_cast<int>(a["torrent-added"].as_object()["id"].as_int64());
  EXPECT_EQ(entries(get_one(id, {"trackers"})["trackers"]), (E{{0, 0, a_url}}));
  ok("torrent-set", {{"ids", id}, {"trackerReplace", json::array{0, c_url}}});
  EXPECT_EQ(entries(get_one(id, {"trackers"})["trackers"]), (E{{0, 0, c_url}}));
  restart_daemon();
  EXPECT_EQ(entries(get_one(1, {"trackers"})["trackers"]), (E{{0, 0, c_url}}));
}

}  // namespace
}  // namespace tessera::test
