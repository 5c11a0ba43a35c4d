// A torrent_daemon in a temporary config dir on loopback (no DHT, LSD or PEX: nothing leaves
// 127.0.0.1), and helpers to call its RPC methods.
#pragma once

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "../session/session_test_support.hpp"
#include "rpc/event_hub.hpp"
#include "rpc/rpc_methods.hpp"
#include "rpc/torrent_daemon.hpp"

namespace tessera::test {

inline std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

/// The .torrent file of `t` (make_real_torrent's), as a client would send it.
inline std::string torrent_file_of(const test_torrent& t) { return make_torrent_file(t.ti->info_bytes(), {}); }

class daemon_fixture : public ::testing::Test {
 protected:
  void SetUp() override {
    root = std::filesystem::temp_directory_path() /
           ("tessera-rpc-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root);
    config = root / "config";
    downloads = root / "downloads";
    std::filesystem::create_directories(config);
    std::filesystem::create_directories(downloads);
    boost::json::object s{{"dht-enabled", false}, {"lpd-enabled", false}, {"pex-enabled", false},
                          {"peer-port", 0}, {"bind-address-ipv4", "127.0.0.1"},
                          {"download-dir", downloads.string()}};
    std::ofstream(config / "settings.json") << boost::json::serialize(s);
    start_daemon();
  }
  void TearDown() override {
    methods.reset();
    if (daemon) daemon->stop();
    daemon.reset();
    std::filesystem::remove_all(root);
  }
  void start_daemon() {
    rpc::daemon_options o;
    o.config_dir = config;
    o.events = events;
    daemon = std::make_unique<rpc::torrent_daemon>(o);
    std::vector<std::string> problems;
    auto r = daemon->start(problems);
    ASSERT_TRUE(r) << r.error();
    EXPECT_TRUE(problems.empty()) << problems.front();
    methods = std::make_unique<rpc::rpc_methods>(*daemon, [] { return std::string("sid"); }, [this] { closed = true; });
  }
  void restart_daemon() {
    methods.reset();
    daemon->stop();
    daemon.reset();
    start_daemon();
  }
  /// Runs `method` with `args`; returns the whole reply object.
  boost::json::object call(const std::string& method, boost::json::object args = {}) {
    boost::json::object req{{"method", method}, {"arguments", std::move(args)}, {"tag", 7}};
    last_body = methods->handle(boost::json::serialize(req));
    auto v = boost::json::parse(last_body);
    return v.as_object();
  }
  /// The `arguments` of a call that must succeed.
  boost::json::object ok(const std::string& method, boost::json::object args = {}) {
    auto r = call(method, std::move(args));
    EXPECT_EQ(r["result"], "success") << method << ": " << last_body;
    return r["arguments"].as_object();
  }
  int add(const test_torrent& t, boost::json::object extra = {}) {
    extra["metainfo"] = base64(torrent_file_of(t));
    auto a = ok("torrent-add", extra);
    if (!a.contains("torrent-added")) return 0;
    return static_cast<int>(a["torrent-added"].as_object()["id"].as_int64());
  }
  boost::json::object get_one(int id, std::initializer_list<const char*> fields) {
    boost::json::array f;
    for (auto* x : fields) f.emplace_back(x);
    auto a = ok("torrent-get", {{"ids", id}, {"fields", f}});
    auto& ts = a["torrents"].as_array();
    if (ts.size() != 1) {
      ADD_FAILURE() << "torrent " << id << " not found: " << last_body;
      return {};
    }
    return ts[0].as_object();
  }
  /// Polls torrent `id` until `pred(object)` holds or 20 s pass.
  template <class Pred>
  boost::json::object wait_for(int id, std::initializer_list<const char*> fields, Pred pred) {
    boost::json::object o;
    eventually([&] {
      o = get_one(id, fields);
      return pred(o);
    }, std::chrono::seconds(20));
    return o;
  }

  std::filesystem::path root, config, downloads;
  /// The daemon's event hub (daemon_options::events): set it before SetUp to have one.
  std::shared_ptr<rpc::event_hub> events;
  std::unique_ptr<rpc::torrent_daemon> daemon;
  std::unique_ptr<rpc::rpc_methods> methods;
  std::string last_body;
  bool closed = false;
};

}  // namespace tessera::test
