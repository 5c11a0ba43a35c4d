// torrent-rename-path: Transmission 3.00's arguments, reply and errors; the rename on disk, in
// torrent-get, and across a restart; port-test and blocklist-update's answers.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>

#include "disk/resume_data.hpp"
#include "rpc/catalogue.hpp"
#include "rpc_test_support.hpp"

namespace tessera::test {
namespace {

namespace json = boost::json;
class RpcRename : public daemon_fixture {
 protected:
  json::object rename(json::value ids, const char* path, const char* name) {
    return call("torrent-rename-path", {{"ids", ids}, {"path", path}, {"name", name}});
  }
};

TEST_F(RpcRename, RenamesAFileAndTheTopFolderOnDiskAndInTorrentGet) {
  auto t = make_real_torrent(101);
  write_payload(t, downloads);
  const int id = add(t);
  wait_for(id, {"status"}, [](json::object& x) { return x["status"] == 6; });

  auto r = rename(json::array{id}, "multi/sub/b.txt", "renamed.txt");
  EXPECT_EQ(r["result"], "success") << last_body;
  EXPECT_EQ(r["arguments"], (json::object{{"path", "multi/sub/b.txt"}, {"name", "renamed.txt"}, {"id", id}}));
  EXPECT_TRUE(std::filesystem::exists(downloads / "multi/sub/renamed.txt"));
  EXPECT_FALSE(std::filesystem::exists(downloads / "multi/sub/b.txt"));

  r = rename(id, "multi", "Top Folder");
  EXPECT_EQ(r["result"], "success") << last_body;
  EXPECT_TRUE(std::filesystem::is_directory(downloads / "Top Folder"));
  auto o = get_one(id, {"name", "files", "status", "percentDone"});
  EXPECT_EQ(o["name"], "Top Folder");
  EXPECT_EQ(o["files"].as_array()[1].as_object()["name"], "Top Folder/sub/renamed.txt");
  EXPECT_EQ(o["status"], 6);

  // Kept in the record before the reply, and applied at the next start: the data is found
  // under its new names (nothing to download again).
  auto text = detail::read_small_file(config / "torrents" / (t.ti->info_hash().to_hex() + ".json"), 1 << 20);
  ASSERT_TRUE(text);
  auto rec = rpc::catalogue::from_json(*text);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->renames.size(), 2u);
  restart_daemon();
  o = wait_for(1, {"name", "files", "status", "percentDone"}, [](json::object& x) { return x["status"] == 6; });
  EXPECT_EQ(o["name"], "Top Folder");
  EXPECT_EQ(o["files"].as_array()[1].as_object()["name"], "Top Folder/sub/renamed.txt");
  EXPECT_EQ(o["percentDone"], 1.0);
  EXPECT_FALSE(std::filesystem::exists(downloads / "multi"));
}

TEST_F(RpcRename, ErrorsAsTransmission) {
  auto t1 = make_real_torrent(102);
  auto t2 = make_real_torrent(103);
  const int id = add(t1, {{"paused", true}});
  add(t2, {{"paused", true}});
  EXPECT_EQ(rename(json::array{1, 2}, "multi", "x")["result"], "torrent-rename-path requires 1 torrent");
  EXPECT_EQ(rename(json::array{}, "multi", "x")["result"], "torrent-rename-path requires 1 torrent");
  EXPECT_EQ(rename(id, "multi", "a/b")["result"], "Invalid argument");
  EXPECT_EQ(rename(id, "multi", "..")["result"], "Invalid argument");
  EXPECT_EQ(rename(id, "multi", ".")["result"], "Invalid argument");
  EXPECT_EQ(rename(id, "multi/none", "x")["result"], "Invalid argument");
  EXPECT_EQ(call("torrent-rename-path", {{"ids", id}})["result"], "Invalid argument");
  auto r = rename(id, "multi/a.bin", "c.dat");
  EXPECT_EQ(r["result"], "File exists");
  EXPECT_EQ(r["arguments"].as_object()["id"], id);
  EXPECT_EQ(get_one(id, {"files"})["files"].as_array()[0].as_object()["name"], "multi/a.bin");
  // Nothing on disk yet: the names change, the first download will use them.
  EXPECT_EQ(rename(id, "multi", "other")["result"], "success");
  EXPECT_EQ(get_one(id, {"name"})["name"], "other");
  // A magnet without metadata has no files to rename.
  auto m = ok("torrent-add", {{"filename", "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=m"},
                              {"paused", true}});
  const int mid = static_cast<int>(m["torrent-added"].as_object()["id"].as_int64());
  EXPECT_EQ(rename(mid, "m", "x")["result"], "Operation not permitted");
}

TEST_F(RpcRename, PortTestAndBlocklistUpdateAnswerErrorsTheWebClientSurvives) {
  auto r = call("port-test");
  EXPECT_NE(r["result"], "success");
  EXPECT_TRUE(r["arguments"].is_object());
  r = call("blocklist-update");
  EXPECT_NE(r["result"], "success");
  EXPECT_EQ(r["arguments"].as_object()["blocklist-size"], 0);
  // The web client's prefs dialog formats blocklist-size: it must be a number.
  EXPECT_EQ(ok("session-get", {{"fields", json::array{"blocklist-size"}}})["blocklist-size"], 0);
}

}  // namespace
}  // namespace tessera::test
