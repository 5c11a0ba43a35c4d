// A session built for many torrents: 5,000 torrents seeded from disk in a process whose
// descriptor limit is 1,024 (the usual `ulimit -n`). Open files are one session-wide pool
// (session_settings::max_open_files), so the number of torrents is not bounded by the limit.
// Runs in a forked child, so that the limit does not reach the other tests.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/torrent_info_builder.hpp"
#include "session_test_support.hpp"
#include "tessera/session.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

int open_fd_count() {
  int n = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

/// A one-file, one-piece torrent "many-<i>.bin" of `size` bytes, written under `dir`.
std::shared_ptr<torrent_info> write_small_torrent(int i, const fs::path& dir, std::int64_t size) {
  auto ti = std::make_shared<tessera::detail::torrent_info_builder>();
  ti->name = "many-" + std::to_string(i) + ".bin";
  ti->multi_file = false;
  ti->piece_length = 16 * 1024;
  file_entry f;
  f.path = ti->name;
  f.size = size;
  f.offset = 0;
  ti->files.push_back(f);
  ti->total_size = size;
  std::vector<std::uint8_t> payload(static_cast<std::size_t>(size));
  for (std::size_t k = 0; k < payload.size(); ++k) payload[k] = static_cast<std::uint8_t>(i * 31 + k * 7);
  ti->piece_hashes.push_back(sha1(payload.data(), payload.size()));
  const std::string seed = "many torrents " + std::to_string(i);
  ti->info_hash.v1 = sha1(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size());
  std::ofstream out(dir / ti->name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(payload.data()), size);
  return std::make_shared<torrent_info>(std::move(*ti).build());
}

/// The child's work: "" when every torrent was added and reached seeding within the limit.
std::string run_many_torrents(const fs::path& dir, int count) {
  rlimit lim{1024, 1024};
  if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) return "setrlimit failed";
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur != 1024) return "the limit is not 1024";
  fs::create_directories(dir);
  std::vector<std::shared_ptr<torrent_info>> infos;
  for (int i = 0; i < count; ++i) infos.push_back(write_small_torrent(i, dir, 1000 + i % 500));
  auto settings = loopback_settings("127.0.0.1");
  session ses(settings);
  for (int i = 0; i < count; ++i) {
    add_torrent_params p;
    p.ti = infos[static_cast<std::size_t>(i)];
    p.save_path = dir;
    std::string why;
    auto h = ses.add_torrent(std::move(p), &why);
    if (!h) return "torrent " + std::to_string(i) + " failed to add: " + why;
  }
  const auto deadline = std::chrono::steady_clock::now() + 100s;
  int seeding = 0;
  int peak_fds = 0;
  for (;;) {
    auto all = ses.get_torrent_status();
    peak_fds = std::max(peak_fds, open_fd_count());
    if (static_cast<int>(all.size()) != count) return "the session has " + std::to_string(all.size()) + " torrents";
    seeding = 0;
    for (const auto& s : all) {
      if (s.state == torrent_state::error) return s.name + " failed: " + s.error;
      seeding += s.state == torrent_state::seeding ? 1 : 0;
    }
    if (seeding == count) break;
    if (std::chrono::steady_clock::now() > deadline)
      return "only " + std::to_string(seeding) + " of " + std::to_string(count) + " torrents reached seeding";
    std::this_thread::sleep_for(100ms);
  }
  // Every file was opened by its check, 5,000 files through a pool of 40. The session's own
  // descriptors (threads' eventfds, the listener, ...) plus at most the pool.
  if (peak_fds > 200) return "up to " + std::to_string(peak_fds) + " descriptors open";
  ses.stop();
  return {};
}

TEST(ManyTorrents, FiveThousandTorrentsSeedUnderADescriptorLimitOf1024) {
  temp_dir dir;
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(pipe_fds[0]);
    std::string failure;
    try {
      failure = run_many_torrents(dir.path, 5000);
    } catch (const std::exception& e) {
      failure = std::string("exception: ") + e.what();
    }
    (void)!::write(pipe_fds[1], failure.data(), failure.size());
    ::_exit(failure.empty() ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  std::string failure;
  char buf[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;) failure.append(buf, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died";
  EXPECT_EQ(WEXITSTATUS(status), 0) << failure;
}

}  // namespace
}  // namespace tessera
