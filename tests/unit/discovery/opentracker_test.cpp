// A real tracker: /usr/bin/opentracker as a child process on 127.0.0.1, announced to over HTTP
// and UDP by two peers that must see each other.
#include <gtest/gtest.h>

#include <csignal>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>

#include "discovery_test_support.hpp"

extern char** environ;

namespace tessera::detail {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using asio::ip::make_address;
using asio::ip::tcp;
constexpr const char* opentracker_path = "/usr/bin/opentracker";

/// A port free for both TCP and UDP on 127.0.0.1 at the time of the call.
std::uint16_t free_port(asio::io_context& io) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    tcp::acceptor a(io, tcp::endpoint(make_address("127.0.0.1"), 0));
    const auto port = a.local_endpoint().port();
    boost::system::error_code ec;
    asio::ip::udp::socket u(io);
    u.open(asio::ip::udp::v4(), ec);
    u.bind(asio::ip::udp::endpoint(make_address("127.0.0.1"), port), ec);
    if (!ec) return port;
  }
  return 0;
}

class opentracker_process {
 public:
  /// The Debian build only serves whitelisted torrents: `info_hash` goes into a whitelist file in
  /// a fresh directory, which opentracker chroots into (so the file is named from its root).
  /// (Running as root, opentracker chroots and becomes `nobody`; otherwise it stays put.)
  opentracker_process(std::uint16_t port, const sha1_hash& info_hash) {
    char dir_template[] = "/tmp/tessera-opentracker-XXXXXX";
    if (::mkdtemp(dir_template) == nullptr) return;
    dir_ = dir_template;
    // opentracker drops to user nobody before reading the whitelist: it must be able to enter.
    ::chmod(dir_.c_str(), 0755);
    if (FILE* f = std::fopen((dir_ + "/whitelist").c_str(), "w")) {
      std::fprintf(f, "%s\n", info_hash.to_hex().c_str());
      std::fclose(f);
    }
    const std::string p = std::to_string(port);
    std::vector<std::string> args{opentracker_path, "-i", "127.0.0.1", "-p", p, "-P", p,
                                  "-d", dir_, "-w", "/whitelist"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid_, opentracker_path, &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~opentracker_process() {
    stop();
    if (!dir_.empty()) {
      std::remove((dir_ + "/whitelist").c_str());
      ::rmdir(dir_.c_str());
    }
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {  // up to 1 s, then SIGKILL
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      ::usleep(10000);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  bool running() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
  std::string dir_;
};

/// Polls until the tracker accepts TCP connections (at most 5 s).
bool wait_until_listening(asio::io_context& io, std::uint16_t port) {
  for (int i = 0; i < 100; ++i) {
    tcp::socket s(io);
    boost::system::error_code ec;
    s.connect(tcp::endpoint(make_address("127.0.0.1"), port), ec);
    if (!ec) return true;
    ::usleep(50000);
  }
  return false;
}

bool contains(const std::vector<tcp::endpoint>& peers, std::uint16_t port) {
  return std::any_of(peers.begin(), peers.end(), [&](const tcp::endpoint& e) {
    return e.port() == port && e.address() == make_address("127.0.0.1");
  });
}

TEST(OpentrackerInterop, HttpAndUdpPeersSeeEachOther) {
  if (::access(opentracker_path, X_OK) != 0) GTEST_SKIP() << "opentracker not installed";
  asio::io_context io;
  const auto port = free_port(io);
  ASSERT_NE(port, 0);
  auto http_peer = test::sample_request();
  opentracker_process tracker(port, http_peer.info_hash);
  ASSERT_TRUE(wait_until_listening(io, port)) << "opentracker did not start";
  const std::string host = "127.0.0.1:" + std::to_string(port);

  http_peer.pid = make_peer_id();
  http_peer.port = 7001;
  http_peer.event = announce_event::started;
  auto udp_peer = http_peer;
  udp_peer.pid = make_peer_id();
  udp_peer.port = 7002;

  // opentracker accepts connections before its whitelist thread has loaded the list; until then
  // it answers "not authorized". Retry that answer only, for at most 5 s.
  auto first = test::run(io, announce_http("http://" + host + "/announce", http_peer, 5s));
  for (int i = 0; i < 50 && first && !*first &&
                  first->error().message.find("not authorized") != std::string::npos;
       ++i) {
    ::usleep(100000);
    first = test::run(io, announce_http("http://" + host + "/announce", http_peer, 5s));
  }
  ASSERT_TRUE(first && *first) << (first ? first->error().message : "hung");
  EXPECT_FALSE(contains((*first)->peers, 7002));

  udp_tracker_client udp(io.get_executor(), 1s);
  auto second = test::run(io, udp.announce("udp://" + host + "/announce", udp_peer, 2));
  ASSERT_TRUE(second && *second) << (second ? second->error().message : "hung");
  EXPECT_TRUE(contains((*second)->peers, 7001)) << "the UDP peer sees the HTTP peer";
  EXPECT_GE((*second)->interval, std::chrono::seconds(30));

  http_peer.event = announce_event::none;
  auto third = test::run(io, announce_http("http://" + host + "/announce", http_peer, 5s));
  ASSERT_TRUE(third && *third) << (third ? third->error().message : "hung");
  EXPECT_TRUE(contains((*third)->peers, 7002)) << "the HTTP peer sees the UDP peer";
  EXPECT_TRUE(tracker.running());
}

}  // namespace
}  // namespace tessera::detail
