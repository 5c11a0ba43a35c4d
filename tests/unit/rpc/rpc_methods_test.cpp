#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "rpc/catalogue.hpp"
#include "rpc/torrent_table.hpp"
#include "rpc/torrent_fields.hpp"
#include "rpc_test_support.hpp"

namespace tessera::test {
namespace {

namespace json = boost::json;

using RpcEnvelope = daemon_fixture;
using RpcSession = daemon_fixture;
using RpcTorrents = daemon_fixture;
using RpcPersistence = daemon_fixture;

TEST_F(RpcEnvelope, EchoesIntegerTagsOnlyAndAlwaysHasArguments) {
  auto body = methods->handle(R"({"method":"session-stats","tag":0})");
  auto v = json::parse(body).as_object();
  EXPECT_EQ(v["tag"], 0);
  EXPECT_EQ(v["result"], "success");
  body = methods->handle(R"({"method":"torrent-start","tag":"x"})");
  v = json::parse(body).as_object();
  EXPECT_FALSE(v.contains("tag"));
  ASSERT_TRUE(v.contains("arguments"));
  EXPECT_TRUE(v["arguments"].is_object());
}

TEST_F(RpcEnvelope, MalformedRequestsGetErrorsNotCrashes) {
  auto result_of = [&](std::string_view body) {
    return std::string(json::parse(methods->handle(body)).as_object()["result"].as_string());
  };
  EXPECT_EQ(result_of("not json"), "no method name");
  EXPECT_EQ(result_of("[1,2]"), "no method name");
  EXPECT_EQ(result_of(R"({"method":5})"), "no method name");
  EXPECT_EQ(result_of(R"({"method":"no-such-method"})"), "method name not recognized");
  EXPECT_EQ(result_of(R"({"method":"torrent-get","arguments":[]})"), "no fields specified");
  EXPECT_EQ(result_of(R"({"method":"torrent-add","arguments":{"metainfo":"!!!"}})"), "invalid or corrupt torrent file");
  EXPECT_EQ(result_of(R"({"method":"torrent-add","arguments":{"metainfo":"aGVsbG8="}})"), "invalid or corrupt torrent file");
  EXPECT_EQ(result_of(R"({"method":"torrent-add","arguments":{}})"), "no filename or metainfo specified");
  EXPECT_EQ(result_of(R"({"method":"torrent-get","arguments":{"fields":["id"],"ids":{"id":1}}})"), "success");
  std::string deep(5000, '[');
  EXPECT_EQ(result_of(deep), "no method name");
}

TEST_F(RpcSession, SessionGetAnswersTheKeysClientsNeedWithTheirTypes) {
  auto a = ok("session-get");
  EXPECT_EQ(a["rpc-version"], 16);
  EXPECT_EQ(a["rpc-version-minimum"], 1);
  EXPECT_TRUE(a["version"].as_string().starts_with("3.00 (tessera "));
  EXPECT_EQ(a["blocklist-size"], 0);
  EXPECT_EQ(a["utp-enabled"], true);  // session_settings::enable_utp's default
  EXPECT_EQ(a["session-id"], "sid");
  EXPECT_EQ(a["download-dir"], json::value(downloads.string()));
  EXPECT_EQ(a["units"].as_object()["speed-bytes"], 1000);
  EXPECT_TRUE(a["peer-port"].is_int64());
  EXPECT_GT(a["peer-port"].as_int64(), 0);  // the port the session listens on
  // transmission-remote -si prints its LIMITS block only when all of these are there.
  for (const char* k : {"alt-speed-down", "alt-speed-enabled", "alt-speed-time-begin", "alt-speed-time-enabled",
                        "alt-speed-time-end", "alt-speed-time-day", "alt-speed-up", "peer-limit-global",
                        "speed-limit-down", "speed-limit-down-enabled", "speed-limit-up", "speed-limit-up-enabled",
                        "seedRatioLimit", "seedRatioLimited"}) {
    EXPECT_TRUE(a.contains(k)) << k;
  }
  EXPECT_FALSE(a.contains("rpc-password"));  // settings.json only
  // Integers are written as integers.
  EXPECT_EQ(last_body.find("\"rpc-version\":16.0"), std::string::npos);
  auto some = ok("session-get", {{"fields", json::array{"version", "rpc-version"}}});
  EXPECT_EQ(some.size(), 2u);
}

TEST_F(RpcSession, SessionSetChangesAndPersistsWritableKeysOnly) {
  ok("session-set", {{"speed-limit-down", 50}, {"speed-limit-down-enabled", true}, {"utp-enabled", false},
                     {"seedRatioLimit", 1.5}, {"unknown-key", 3}, {"peer-limit-global", 1.0}});
  auto a = ok("session-get");
  EXPECT_EQ(a["speed-limit-down"], 50);
  EXPECT_EQ(a["speed-limit-down-enabled"], true);
  EXPECT_EQ(a["utp-enabled"], false);
  EXPECT_EQ(a["seedRatioLimit"], 1.5);
  EXPECT_EQ(a["peer-limit-global"], 1);
  auto r = call("session-set", {{"download-dir", "relative/dir"}});
  EXPECT_EQ(r["result"], "download-dir path is not absolute");
  std::ifstream in(config / "settings.json");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto saved = json::parse(text).as_object();
  EXPECT_EQ(saved["speed-limit-down"], 50);
  EXPECT_EQ(saved["download-dir"], json::value(downloads.string()));
}

TEST_F(RpcSession, EncryptionIsPreferredByDefaultAndSetWithTransmissionsNames) {
  EXPECT_EQ(ok("session-get")["encryption"], "preferred");  // libtorrent's default: enabled
  ok("session-set", {{"encryption", "required"}});
  EXPECT_EQ(ok("session-get")["encryption"], "required");
  auto r = call("session-set", {{"encryption", "mandatory"}});
  EXPECT_EQ(r["result"], "encryption must be tolerated, preferred or required");
  EXPECT_EQ(ok("session-get")["encryption"], "required");
  ok("session-set", {{"encryption", "tolerated"}});
  EXPECT_EQ(ok("session-get")["encryption"], "tolerated");
}

TEST_F(RpcTorrents, AddGetAndDuplicate) {
  auto t = make_real_torrent(11);
  auto a = ok("torrent-add", {{"metainfo", base64(torrent_file_of(t))}, {"paused", true}});
  ASSERT_TRUE(a.contains("torrent-added")) << last_body;
  auto added = a["torrent-added"].as_object();
  EXPECT_EQ(added["id"], 1);
  EXPECT_EQ(added["name"], json::value(t.ti->name()));
  EXPECT_EQ(added["hashString"], json::value(t.ti->info_hash().to_hex()));
  a = ok("torrent-add", {{"metainfo", base64(torrent_file_of(t))}});
  ASSERT_TRUE(a.contains("torrent-duplicate")) << last_body;
  EXPECT_EQ(a["torrent-duplicate"].as_object()["id"], 1);

  auto o = get_one(1, {"id", "name", "totalSize", "status", "hashString", "files", "fileStats", "wanted",
                       "priorities", "downloadDir", "pieceCount", "pieceSize", "metadataPercentComplete",
                       "fileCount", "noSuchField"});
  EXPECT_EQ(o["totalSize"], t.ti->total_size());
  EXPECT_EQ(o["status"], 0);  // added paused: stopped
  EXPECT_EQ(o["downloadDir"], json::value(downloads.string()));
  EXPECT_EQ(o["pieceCount"], t.ti->num_pieces());
  EXPECT_EQ(o["metadataPercentComplete"], 1.0);
  EXPECT_EQ(o["fileCount"], 3);
  EXPECT_FALSE(o.contains("noSuchField"));
  ASSERT_EQ(o["files"].as_array().size(), 3u);
  EXPECT_EQ(o["files"].as_array()[0].as_object()["name"], json::value(t.ti->files()[0].path));
  EXPECT_EQ(o["files"].as_array()[0].as_object()["length"], t.ti->files()[0].size);
  EXPECT_EQ(o["wanted"], (json::array{1, 1, 1}));  // 0/1 integers, not booleans
  EXPECT_EQ(o["fileStats"].as_array()[1].as_object()["wanted"], true);
  EXPECT_EQ(o["priorities"], (json::array{0, 0, 0}));
}

TEST_F(RpcTorrents, IdsSelectorForms) {
  auto t1 = make_real_torrent(21);
  auto t2 = make_real_torrent(22);
  ASSERT_EQ(add(t1, {{"paused", true}}), 1);
  ASSERT_EQ(add(t2, {{"paused", true}}), 2);
  auto ids_of = [&](json::object args) {
    args["fields"] = json::array{"id"};
    auto a = ok("torrent-get", args);
    std::vector<std::int64_t> ids;
    for (auto& x : a["torrents"].as_array()) ids.push_back(x.as_object()["id"].as_int64());
    return ids;
  };
  EXPECT_EQ(ids_of({}), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(ids_of({{"ids", 2}}), (std::vector<std::int64_t>{2}));
  EXPECT_EQ(ids_of({{"ids", json::array{}}}), (std::vector<std::int64_t>{}));
  EXPECT_EQ(ids_of({{"ids", -1}}), (std::vector<std::int64_t>{}));
  std::string upper = t2.ti->info_hash().to_hex();
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  EXPECT_EQ(ids_of({{"ids", upper}}), (std::vector<std::int64_t>{2}));
  EXPECT_EQ(ids_of({{"ids", json::array{t1.ti->info_hash().to_hex(), 2, 99, "junk"}}}), (std::vector<std::int64_t>{1, 2}));
  // table format: a header row, then one row per torrent
  auto a = ok("torrent-get", {{"fields", json::array{"id", "name"}}, {"format", "table"}, {"ids", 1}});
  EXPECT_EQ(a["torrents"], (json::array{json::array{"id", "name"}, json::array{1, t1.ti->name()}}));
}

TEST_F(RpcTorrents, DataOnDiskSeedsStopAndStart) {
  auto t = make_real_torrent(31);
  write_payload(t, downloads);
  const int id = add(t);
  ASSERT_EQ(id, 1);
  auto o = wait_for(id, {"status", "percentDone", "leftUntilDone", "haveValid"},
                    [](json::object& x) { return x["status"] == 6; });
  EXPECT_EQ(o["status"], 6);
  EXPECT_EQ(o["percentDone"], 1.0);
  EXPECT_EQ(o["leftUntilDone"], 0);
  EXPECT_EQ(o["haveValid"], t.ti->total_size());
  ok("torrent-stop", {{"ids", json::array{id}}});
  EXPECT_EQ(get_one(id, {"status"})["status"], 0);
  ok("torrent-start", {{"ids", id}});
  o = wait_for(id, {"status"}, [](json::object& x) { return x["status"] == 6; });
  EXPECT_EQ(o["status"], 6);
  // recently-active shows it (it just changed)
  auto a = ok("torrent-get", {{"ids", "recently-active"}, {"fields", json::array{"id"}}});
  EXPECT_EQ(a["torrents"].as_array().size(), 1u);
  EXPECT_EQ(a["removed"], json::array{});
}

TEST_F(RpcTorrents, TorrentSetFilesLimitsLabelsAndErrors) {
  auto t = make_real_torrent(41);
  const int id = add(t, {{"paused", true}, {"files-unwanted", json::array{2}}});
  EXPECT_EQ(get_one(id, {"wanted"})["wanted"], (json::array{1, 1, 0}));
  ok("torrent-set", {{"ids", id}, {"files-unwanted", json::array{0}}, {"files-wanted", json::array{2}},
                     {"priority-high", json::array{1}}, {"downloadLimit", 30}, {"downloadLimited", true},
                     {"labels", json::array{"tv", "hd"}}, {"seedRatioLimit", 1.25}, {"seedRatioMode", 1}});
  auto o = get_one(id, {"wanted", "priorities", "downloadLimit", "downloadLimited", "labels", "seedRatioLimit",
                        "seedRatioMode"});
  EXPECT_EQ(o["wanted"], (json::array{0, 1, 1}));
  EXPECT_EQ(o["priorities"], (json::array{0, 1, 0}));
  EXPECT_EQ(o["downloadLimit"], 30);
  EXPECT_EQ(o["downloadLimited"], true);
  EXPECT_EQ(o["labels"], (json::array{"tv", "hd"}));
  EXPECT_EQ(o["seedRatioLimit"], 1.25);
  EXPECT_EQ(o["seedRatioMode"], 1);
  EXPECT_EQ(call("torrent-set", {{"ids", id}, {"files-wanted", json::array{3}}})["result"], "file index out of range");
  EXPECT_EQ(call("torrent-set", {{"ids", id}, {"labels", json::array{"a", "a"}}})["result"],
            "labels cannot contain duplicates");
  ok("torrent-set", {{"ids", id}, {"files-wanted", json::array{}}});  // [] = every file
  EXPECT_EQ(get_one(id, {"wanted"})["wanted"], (json::array{1, 1, 1}));
}

TEST_F(RpcTorrents, PeerLimitPriorityAndSessionLimitsAtAddAndSet) {
  auto t = make_real_torrent(42);
  const int id = add(t, {{"paused", true}, {"peer-limit", 7}, {"bandwidthPriority", 1}});
  auto o = get_one(id, {"peer-limit", "maxConnectedPeers", "bandwidthPriority", "honorsSessionLimits"});
  EXPECT_EQ(o["peer-limit"], 7);
  EXPECT_EQ(o["maxConnectedPeers"], 7);
  EXPECT_EQ(o["bandwidthPriority"], 1);
  EXPECT_EQ(o["honorsSessionLimits"], true);
  ok("torrent-set", {{"ids", id}, {"peer-limit", 3}, {"bandwidthPriority", -5}, {"honorsSessionLimits", false}});
  o = get_one(id, {"peer-limit", "bandwidthPriority", "honorsSessionLimits"});
  EXPECT_EQ(o["peer-limit"], 3);
  EXPECT_EQ(o["bandwidthPriority"], -1);  // clamped
  EXPECT_EQ(o["honorsSessionLimits"], false);
  // Without the argument a new torrent takes the session's peer-limit-per-torrent.
  const int other = add(make_real_torrent(43), {{"paused", true}});
  EXPECT_EQ(get_one(other, {"peer-limit"})["peer-limit"], 50);
}

TEST_F(RpcTorrents, RemoveReportsRemovedIdsAndDeletesData) {
  auto t = make_real_torrent(51);
  write_payload(t, downloads);
  const int id = add(t);
  wait_for(id, {"status"}, [](json::object& x) { return x["status"] == 6; });
  ok("torrent-remove", {{"ids", json::array{id}}, {"delete-local-data", true}});
  auto a = ok("torrent-get", {{"ids", "recently-active"}, {"fields", json::array{"id"}}});
  EXPECT_EQ(a["torrents"], json::array{});
  EXPECT_EQ(a["removed"], json::array{id});
  EXPECT_TRUE(eventually([&] { return !std::filesystem::exists(downloads / t.ti->files()[0].path); },
                         std::chrono::seconds(10)));
  EXPECT_FALSE(std::filesystem::exists(config / "torrents" / (t.ti->info_hash().to_hex() + ".json")));
  // a new torrent gets a new id, never the removed one
  EXPECT_EQ(add(make_real_torrent(52), {{"paused", true}}), 2);
}

TEST_F(RpcTorrents, QueueMovesRenumberPositions) {
  for (std::uint32_t s = 61; s <= 63; ++s) ASSERT_GT(add(make_real_torrent(s), {{"paused", true}}), 0);
  auto positions = [&] {
    auto a = ok("torrent-get", {{"fields", json::array{"id", "queuePosition"}}});
    std::vector<std::int64_t> q;
    for (auto& x : a["torrents"].as_array()) q.push_back(x.as_object()["queuePosition"].as_int64());
    return q;
  };
  EXPECT_EQ(positions(), (std::vector<std::int64_t>{0, 1, 2}));
  ok("queue-move-top", {{"ids", json::array{3}}});
  EXPECT_EQ(positions(), (std::vector<std::int64_t>{1, 2, 0}));
  ok("queue-move-down", {{"ids", json::array{3}}});
  EXPECT_EQ(positions(), (std::vector<std::int64_t>{0, 2, 1}));
  ok("queue-move-bottom", {{"ids", json::array{1}}});
  EXPECT_EQ(positions(), (std::vector<std::int64_t>{2, 1, 0}));
}

TEST_F(RpcPersistence, TorrentsAndTheirSettingsSurviveARestart) {
  auto t1 = make_real_torrent(71);
  auto t2 = make_real_torrent(72);
  write_payload(t2, downloads);
  ASSERT_EQ(add(t1, {{"paused", true}, {"labels", json::array{"keep"}}, {"download-dir", (downloads / "one").string()}}), 1);
  ASSERT_EQ(add(t2), 2);
  wait_for(2, {"status"}, [](json::object& x) { return x["status"] == 6; });
  ok("torrent-set", {{"ids", 1}, {"uploadLimit", 12}, {"uploadLimited", true}, {"files-unwanted", json::array{1}}});
  ok("session-set", {{"speed-limit-up", 77}});
  restart_daemon();
  auto a = ok("torrent-get", {{"fields", json::array{"hashString", "status", "labels", "uploadLimit", "uploadLimited",
                                                      "wanted", "addedDate", "doneDate"}}});
  auto& ts = a["torrents"].as_array();
  ASSERT_EQ(ts.size(), 2u) << last_body;
  auto by_hash = [&](const info_hash_t& h) -> json::object {
    for (auto& x : ts) {
      if (x.as_object().at("hashString") == json::value(h.to_hex())) return x.as_object();
    }
    return {};
  };
  auto o1 = by_hash(t1.ti->info_hash());
  EXPECT_EQ(o1["status"], 0);
  EXPECT_EQ(o1["labels"], json::array{"keep"});
  EXPECT_EQ(o1["uploadLimit"], 12);
  EXPECT_EQ(o1["uploadLimited"], true);
  EXPECT_EQ(o1["wanted"], (json::array{1, 0, 1}));
  EXPECT_GT(o1["addedDate"].as_int64(), 0);
  auto o2 = by_hash(t2.ti->info_hash());
  EXPECT_GT(o2["doneDate"].as_int64(), 0);
  EXPECT_EQ(ok("session-get", {{"fields", json::array{"speed-limit-up"}}})["speed-limit-up"], 77);
  auto stats = ok("session-stats");
  EXPECT_EQ(stats["cumulative-stats"].as_object()["sessionCount"], 2);
  EXPECT_EQ(stats["cumulative-stats"].as_object()["filesAdded"], 2);
}

TEST(RpcCatalogue, RecordRoundTripsAndRejectsJunk) {
  rpc::torrent_record r;
  r.info_hash = *info_hash_t::from_hex("0123456789abcdef0123456789abcdef01234567");
  r.download_dir = "/data/x";
  r.labels = {"a", "b"};
  r.file_priorities = {0, 4, 7};
  r.seed_ratio_limit = 0.5;
  r.seed_ratio_mode = rpc::limit_mode::single;
  r.uploaded_before = 1234567890123;
  auto back = rpc::catalogue::from_json(rpc::catalogue::to_json(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->info_hash, r.info_hash);
  EXPECT_EQ(back->labels, r.labels);
  EXPECT_EQ(back->file_priorities, r.file_priorities);
  EXPECT_EQ(back->seed_ratio_mode, rpc::limit_mode::single);
  EXPECT_EQ(back->uploaded_before, r.uploaded_before);
  EXPECT_FALSE(rpc::catalogue::from_json("{}"));
  EXPECT_FALSE(rpc::catalogue::from_json("[]"));
  EXPECT_FALSE(rpc::catalogue::from_json(R"({"info_hash":"0123456789abcdef0123456789abcdef01234567","download_dir":"rel"})"));
}

TEST(RpcCatalogue, V2AndHybridRecordsRoundTrip) {
  const std::string v1_hex = "0123456789abcdef0123456789abcdef01234567";
  const std::string v2_hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  rpc::torrent_record r;
  r.download_dir = "/data/x";
  // v2 only: named by its 64 hex digits.
  r.info_hash.v2 = *sha256_hash::from_hex(v2_hex);
  std::string text = rpc::catalogue::to_json(r);
  EXPECT_NE(text.find("\"info_hash\":\"" + v2_hex + "\""), std::string::npos) << text;
  auto back = rpc::catalogue::from_json(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->info_hash, r.info_hash);
  // Hybrid: v1 as before, v2 beside it.
  r.info_hash.v1 = *sha1_hash::from_hex(v1_hex);
  text = rpc::catalogue::to_json(r);
  EXPECT_NE(text.find("\"info_hash\":\"" + v1_hex + "\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"info_hash_v2\":\"" + v2_hex + "\""), std::string::npos) << text;
  back = rpc::catalogue::from_json(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->info_hash, r.info_hash);
  // A bad v2 beside v1, or a v2 beside a v2, is no record.
  EXPECT_FALSE(rpc::catalogue::from_json(R"({"info_hash":")" + v1_hex + R"(","info_hash_v2":"12","download_dir":"/d"})"));
  EXPECT_FALSE(rpc::catalogue::from_json(R"({"info_hash":")" + v2_hex + R"(","info_hash_v2":")" + v2_hex +
                                         R"(","download_dir":"/d"})"));
  EXPECT_FALSE(rpc::catalogue::from_json(R"({"info_hash":")" + std::string(40, '0') + R"(","download_dir":"/d"})"));
}

TEST(RpcTorrentTable, SelectsAHybridByEitherHashString) {
  rpc::torrent_table table;
  const info_hash_t v1{*sha1_hash::from_hex("0123456789abcdef0123456789abcdef01234567"), {}};
  info_hash_t hybrid{*sha1_hash::from_hex("89abcdef0123456789abcdef0123456789abcdef"),
                     *sha256_hash::from_hex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")};
  const int a = table.add(v1, 1), b = table.add(hybrid, 1);
  EXPECT_EQ(table.add(info_hash_t{hybrid.v1, {}}, 2), b) << "already present by its v1";
  EXPECT_EQ(table.add(info_hash_t{{}, hybrid.v2}, 2), b) << "already present by its v2";
  EXPECT_EQ(table.id_of(hybrid), b);
  EXPECT_EQ(table.id_of(info_hash_t{hybrid.v1, {}}), b);
  EXPECT_EQ(table.hash_of(b), hybrid);
  const auto select = [&](json::value ids) { return table.select(&ids, 2).ids; };
  EXPECT_EQ(select(json::value(hybrid.v1.to_hex())), std::vector<int>{b});
  EXPECT_EQ(select(json::value(hybrid.v2.to_hex())), std::vector<int>{b});
  std::string upper = hybrid.v2.to_hex();
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(select(json::value(upper)), std::vector<int>{b});
  EXPECT_EQ(select(json::array{json::value(v1.to_hex()), json::value(hybrid.v2.to_hex())}), (std::vector<int>{a, b}));
  EXPECT_TRUE(select(json::value(hybrid.v2.to_hex().substr(0, 40))).empty()) << "a truncated v2 is no hashString";
  table.remove(b, 3);
  EXPECT_FALSE(table.id_of(hybrid));
  EXPECT_TRUE(select(json::value(hybrid.v2.to_hex())).empty());
}

TEST(RpcTorrentTable, HashStringOfAV2OnlyTorrentIsItsTruncatedV2AndSelectsIt) {
  // Transmission 4.1 has no v2-only torrents; its clients expect 40 hex digits: the hash the
  // torrent's swarm knows (BEP 52), which also selects it. A hybrid's truncated v2 selects nothing.
  rpc::torrent_table table;
  const info_hash_t v2only{{}, *sha256_hash::from_hex("ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100")};
  info_hash_t hybrid{*sha1_hash::from_hex("89abcdef0123456789abcdef0123456789abcdef"),
                     *sha256_hash::from_hex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")};
  EXPECT_EQ(rpc::hash_string(v2only), "ffeeddccbbaa99887766554433221100ffeeddcc");
  EXPECT_EQ(rpc::hash_string(hybrid), hybrid.v1.to_hex());
  const int a = table.add(v2only, 1), b = table.add(hybrid, 1);
  const auto select = [&](json::value ids) { return table.select(&ids, 2).ids; };
  EXPECT_EQ(select(json::value(rpc::hash_string(v2only))), std::vector<int>{a});
  EXPECT_EQ(select(json::value(v2only.v2.to_hex())), std::vector<int>{a}) << "the full v2 too";
  EXPECT_EQ(select(json::value(rpc::hash_string(hybrid))), std::vector<int>{b});
  EXPECT_TRUE(select(json::value(hybrid.v2.to_hex().substr(0, 40))).empty());
}

}  // namespace
}  // namespace tessera::test

namespace tessera::test {
namespace {

namespace json = boost::json;
using RpcQueue = daemon_fixture;

TEST_F(RpcQueue, DownloadQueueHoldsTorrentsBeyondItsSize) {
  ok("session-set", {{"download-queue-enabled", true}, {"download-queue-size", 1}});
  // No peer has these: a started one stays downloading (4, or 2 while its empty files are
  // checked), a queued one waits (3).
  const int first = add(make_real_torrent(81));
  const int second = add(make_real_torrent(82), {{"download-dir", (downloads / "b").string()}});
  auto status = [&](int id) { return get_one(id, {"status"})["status"].as_int64(); };
  auto running = [&](int id) { return status(id) == 4 || status(id) == 2; };
  EXPECT_TRUE(running(first));
  EXPECT_EQ(status(second), 3);
  ok("torrent-stop", {{"ids", first}});
  daemon->tick();
  EXPECT_EQ(status(first), 0);
  EXPECT_TRUE(running(second));
  ok("torrent-start", {{"ids", first}});  // the queue is full again: first waits
  daemon->tick();
  EXPECT_EQ(status(first), 3);
  ok("torrent-start-now", {{"ids", first}});  // past the queue
  EXPECT_TRUE(running(first));
  EXPECT_TRUE(running(second));
  ok("session-set", {{"download-queue-enabled", false}});
  daemon->tick();
  EXPECT_TRUE(running(second));
}

TEST_F(RpcQueue, CompleteTorrentsLeaveTheDownloadQueue) {
  ok("session-set", {{"download-queue-size", 1}});
  const int busy = add(make_real_torrent(91));  // takes the one download slot
  auto t = make_real_torrent(92);
  write_payload(t, downloads / "done");
  const int done = add(t, {{"download-dir", (downloads / "done").string()}});
  // Queued: to download until its check ends (3), to seed once it found the data complete (5).
  const auto queued = get_one(done, {"status"})["status"].as_int64();
  EXPECT_TRUE(queued == 3 || queued == 5) << queued;
  EXPECT_TRUE(eventually([&] {
    daemon->tick();
    return get_one(done, {"status"})["status"] == 6;  // checked complete: a seed, no queue for seeds
  }, std::chrono::seconds(20)));
  EXPECT_EQ(get_one(busy, {"status"})["status"], 4);
}

}  // namespace
}  // namespace tessera::test

namespace tessera::test {
namespace {

namespace json = boost::json;
using RpcRuntimeSettings = daemon_fixture;

std::uint16_t unused_tcp_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

TEST_F(RpcRuntimeSettings, PeerPortAndSwitchesApplyAtOnce) {
  const auto port = unused_tcp_port();
  ok("session-set", {{"peer-port", port}, {"pex-enabled", false}, {"peer-limit-global", 17},
                     {"speed-limit-up", 30}, {"speed-limit-up-enabled", true}});
  EXPECT_EQ(ok("session-get", {{"fields", json::array{"peer-port"}}})["peer-port"], port);
  EXPECT_EQ(daemon->session().listen_port(), port);
  const auto live = daemon->session().current_settings();
  EXPECT_FALSE(live.enable_pex);
  EXPECT_EQ(live.max_connections, 17);
  EXPECT_EQ(live.upload_rate_limit, 30000);  // kB/s of 1,000 bytes
  ok("session-set", {{"alt-speed-enabled", true}, {"alt-speed-up", 5}});
  EXPECT_EQ(daemon->session().current_settings().upload_rate_limit, 5000);
}

}  // namespace
}  // namespace tessera::test

namespace tessera::test {
namespace {

namespace json = boost::json;
using RpcLocation = daemon_fixture;

TEST_F(RpcLocation, SetLocationWithoutMoveFindsTheDataThere) {
  auto t = make_real_torrent(101);
  const auto elsewhere = root / "elsewhere";
  write_payload(t, elsewhere);
  const int id = add(t, {{"paused", true}});
  ok("torrent-set-location", {{"ids", id}, {"location", elsewhere.string()}, {"move", false}});
  ok("torrent-start", {{"ids", id}});
  auto o = wait_for(id, {"status", "downloadDir", "haveValid"}, [](json::object& x) { return x["status"] == 6; });
  EXPECT_EQ(o["status"], 6);
  EXPECT_EQ(o["downloadDir"], json::value(elsewhere.string()));
  EXPECT_EQ(o["haveValid"], t.ti->total_size());
  EXPECT_EQ(call("torrent-set-location", {{"ids", id}, {"location", "relative"}})["result"],
            "new location path is not absolute");
}

}  // namespace
}  // namespace tessera::test
