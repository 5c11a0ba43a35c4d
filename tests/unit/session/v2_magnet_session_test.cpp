// A v2 magnet (`urn:btmh:` only) between two sessions on loopback: the leecher fetches the info
// dictionary (checked by its SHA-256), then the piece layers it lacks with BEP 52 hash requests
// answered by the seeder, then the data, every piece verified against the layers.
#include <fstream>
#include <iterator>

#include "../support/v2_test_torrent.hpp"
#include "session_test_support.hpp"
#include "tessera/create_torrent.hpp"
#include "tessera/magnet.hpp"

namespace tessera {
namespace {

using namespace test;

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_file(const std::filesystem::path& p, const std::vector<std::uint8_t>& bytes) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

TEST(V2MagnetSession, PieceLayersComeByHashRequestsAndTheDataVerifies) {
  temp_dir seed_dir, leech_dir;
  const auto root = seed_dir.path / "v2m";
  // Several files larger than a piece (layers to fetch), one of a single piece, one empty.
  const std::vector<std::pair<std::string, std::size_t>> files{
      {"a.bin", 40 * 32 * 1024 + 123}, {"b/c.bin", 5 * 32 * 1024}, {"d.bin", 20000}, {"e.bin", 0}, {"f.bin", 70000}};
  unsigned seed = 11;
  for (const auto& [name, size] : files) write_file(root / name, test_support::random_bytes(size, seed++));
  create_torrent_params cp;
  cp.root = root.string();
  cp.kind = torrent_kind::v2;
  cp.piece_size = 32 * 1024;
  auto created = create_torrent(cp);
  ASSERT_TRUE(created) << created.error().message();
  ASSERT_TRUE(created->info);

  session seeder(loopback_settings("127.0.0.2"));
  add_torrent_params sp;
  sp.ti = std::make_shared<torrent_info>(*created->info);
  sp.save_path = seed_dir.path;
  auto sh = add_checked(seeder, std::move(sp));
  auto ss = wait_for_status(sh, is_settled);
  ASSERT_TRUE(ss);
  ASSERT_EQ(ss->state, torrent_state::seeding) << ss->error;

  magnet_link m;
  m.info_hash.v2 = created->info_hashes.v2;
  m.peers.push_back({"127.0.0.2", seeder.listen_port()});
  session leecher(loopback_settings("127.0.0.3"));
  auto params = add_torrent_params::from_magnet(make_magnet_uri(m), leech_dir.path);
  ASSERT_TRUE(params) << params.error().message();
  auto h = leecher.add_torrent(*params);
  ASSERT_TRUE(h) << h.error().message();
  auto done = wait_for_status(*h, is_settled, std::chrono::seconds(60));
  ASSERT_TRUE(done);
  ASSERT_EQ(done->state, torrent_state::seeding) << done->error;
  for (const auto& [name, size] : files) {
    const auto got = leech_dir.path / "v2m" / name;
    ASSERT_TRUE(std::filesystem::exists(got)) << name;
    EXPECT_EQ(read_all(got), read_all(root / name)) << name;
  }
}

}  // namespace
}  // namespace tessera
