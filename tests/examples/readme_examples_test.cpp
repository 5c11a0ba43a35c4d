// Runs the README's example programs (examples/readme_*.cpp) against a real swarm on loopback: a
// seeding session on 127.0.0.2 in this process, each example a separate process on 127.0.0.3
// given the .torrent (or a magnet link) and the seeder's address. Checks each example's exit code
// and what it left on disk.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "session_test_support.hpp"
#include "tessera/magnet.hpp"

#ifndef TESSERA_EXAMPLES_DIR
#error "TESSERA_EXAMPLES_DIR must name the directory of the example binaries"
#endif

namespace tessera {
namespace {

using namespace test;

/// A seeding session on 127.0.0.2 with the torrent's files, and the torrent as a .torrent file.
struct seeded_swarm {
  test_torrent t;
  temp_dir seed_dir, leech_dir, torrent_dir;
  session seeder{loopback_settings("127.0.0.2")};
  std::filesystem::path torrent_file;

  explicit seeded_swarm(std::uint32_t seed)
      : t(make_real_torrent(seed, 32 * 1024, 600000, 900000)) {  // 46 pieces over 3 files
    write_payload(t, seed_dir.path);
    add_torrent_params p;
    p.ti = t.ti;
    p.save_path = seed_dir.path;
    auto h = seeder.add_torrent(p);
    if (!h) throw std::runtime_error("seeder: " + h.error().message());
    auto st = wait_for_status(*h, [](const torrent_status& s) { return s.state == torrent_state::seeding; });
    if (!st || st->state != torrent_state::seeding) throw std::runtime_error("seeder did not seed");
    std::filesystem::create_directories(torrent_dir.path);
    torrent_file = torrent_dir.path / "test.torrent";
    std::ofstream(torrent_file, std::ios::binary) << "d4:info" << t.ti->info_bytes() << "e";
  }
  std::string peer() const { return endpoint_of("127.0.0.2", seeder.listen_port()); }
  std::string magnet() const {
    magnet_link m;
    m.info_hash = t.ti->info_hash();
    m.name = t.ti->name();
    m.peers.push_back({"127.0.0.2", seeder.listen_port()});
    return make_magnet_uri(m);
  }
  /// File `i` as downloaded, or nullopt when it does not exist.
  std::optional<std::string> leeched(std::size_t i) const {
    std::ifstream in(leech_dir.path / t.ti->files()[i].path, std::ios::binary);
    if (!in) return std::nullopt;
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::string expected(std::size_t i) const {
    const auto& f = t.ti->files()[i];
    return {reinterpret_cast<const char*>(t.payload.data() + f.offset), static_cast<std::size_t>(f.size)};
  }
};

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// Runs examples/<name> with `args` (bounded by `timeout` 150 s) and returns its exit code; its
/// output goes to the test log.
int run_example(const std::string& name, const std::vector<std::string>& args) {
  std::string cmd = "timeout 150 " + quoted(std::string(TESSERA_EXAMPLES_DIR) + "/" + name);
  for (const auto& a : args) cmd += " " + quoted(a);
  cmd += " 2>&1";
  std::printf("$ %s\n", cmd.c_str());
  std::fflush(stdout);
  int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(ReadmeExamples, WaitForCompletionDownloadsEveryFile) {
  seeded_swarm s(71);
  EXPECT_EQ(run_example("readme_wait_for_completion", {s.torrent_file.string(), s.leech_dir.path.string(),
                                                       "--interface", "127.0.0.3", "--peer", s.peer()}),
            0);
  for (std::size_t i = 0; i < s.t.ti->files().size(); ++i) EXPECT_EQ(s.leeched(i), s.expected(i)) << i;
}

TEST(ReadmeExamples, PauseResumeStillCompletes) {
  seeded_swarm s(72);
  EXPECT_EQ(run_example("readme_pause_resume", {s.torrent_file.string(), s.leech_dir.path.string(),
                                                "--interface", "127.0.0.3", "--peer", s.peer()}),
            0);
  for (std::size_t i = 0; i < s.t.ti->files().size(); ++i) EXPECT_EQ(s.leeched(i), s.expected(i)) << i;
}

TEST(ReadmeExamples, FilePrioritiesSkipTheFirstFileAndFetchTheRest) {
  seeded_swarm s(73);
  EXPECT_EQ(run_example("readme_file_priorities", {s.torrent_file.string(), s.leech_dir.path.string(),
                                                   "--interface", "127.0.0.3", "--peer", s.peer()}),
            0);
  EXPECT_FALSE(s.leeched(0)) << "the skipped file was created";
  for (std::size_t i = 1; i < s.t.ti->files().size(); ++i) EXPECT_EQ(s.leeched(i), s.expected(i)) << i;
}

TEST(ReadmeExamples, MagnetFetchesMetadataThenData) {
  seeded_swarm s(74);
  EXPECT_EQ(run_example("readme_magnet", {s.magnet(), s.leech_dir.path.string(), "--interface", "127.0.0.3"}), 0);
  for (std::size_t i = 0; i < s.t.ti->files().size(); ++i) EXPECT_EQ(s.leeched(i), s.expected(i)) << i;
}

TEST(ReadmeExamples, RemoveWithDataDeletesTheDownloadedFiles) {
  seeded_swarm s(75);
  EXPECT_EQ(run_example("readme_remove_with_data", {s.torrent_file.string(), s.leech_dir.path.string(),
                                                    "--interface", "127.0.0.3", "--peer", s.peer()}),
            0);
  for (std::size_t i = 0; i < s.t.ti->files().size(); ++i) EXPECT_FALSE(s.leeched(i)) << i;
  EXPECT_FALSE(std::filesystem::exists(s.leech_dir.path / s.t.ti->name())) << "the torrent's folder is left";
}

TEST(ReadmeExamples, ExamplesRejectMissingArguments) {
  EXPECT_EQ(run_example("readme_wait_for_completion", {}), 2);
  EXPECT_EQ(run_example("readme_magnet", {"not a magnet link", "/nonexistent"}), 1);
}

}  // namespace
}  // namespace tessera
