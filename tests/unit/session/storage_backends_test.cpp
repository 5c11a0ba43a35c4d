// add_torrent_params::storage: a torrent downloads correctly into the one-blob and the memory
// backend (the bytes read back through the storage equal the payload), a backend's data can seed
// another session, and a factory that returns nothing is refused. Loopback only, DHT and LSD off.
#include <fstream>
#include <thread>

#include "session_test_support.hpp"
#include "tessera/storage.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

/// Adds `t` with `factory`, keeping the storage it creates in `*created`.
torrent_handle add(session& ses, const test_torrent& t, const fs::path& dir, storage_factory factory,
                   std::shared_ptr<storage>* created, std::vector<std::string> peers = {}) {
  add_torrent_params p;
  p.ti = t.ti;
  p.save_path = dir;
  p.peers = std::move(peers);
  if (factory) {
    p.storage = [factory, created](std::shared_ptr<const torrent_info> ti, const fs::path& save) {
      auto st = factory(std::move(ti), save);
      if (created) *created = st;
      return st;
    };
  }
  return add_checked(ses, std::move(p));
}

/// The whole byte stream read back through `st` (padding reads as zeros, as in the payload).
std::vector<std::uint8_t> read_all(storage& st, std::int64_t size) {
  std::vector<std::uint8_t> out(static_cast<std::size_t>(size));
  auto r = st.read(0, out);
  EXPECT_TRUE(r);
  if (r) out.resize(*r);
  return out;
}

/// A seeder session (127.0.0.1) with `t` complete on disk under `dir`.
struct file_seeder {
  session ses{loopback_settings("127.0.0.1")};
  torrent_handle h;
  file_seeder(const test_torrent& t, const fs::path& dir) {
    write_payload(t, dir);
    h = add(ses, t, dir, {}, nullptr);
    auto s = wait_for_status(h, is_settled);
    EXPECT_TRUE(s && s->state == torrent_state::seeding);
  }
};

TEST(StorageBackends, TorrentDownloadsIntoTheMemoryBackendAndSeedsFromIt) {
  auto t = make_torrent(91, 32 * 1024, 300'000, 500'000, /*with_padding=*/true);
  temp_dir seed_dir, mem_dir, last_dir;
  file_seeder seed(t, seed_dir.path);

  session mem(loopback_settings("127.0.0.2"));
  std::shared_ptr<storage> st;
  auto mh = add(mem, t, mem_dir.path, memory_storage_factory(), &st,
                {endpoint_of("127.0.0.1", seed.ses.listen_port())});
  ASSERT_TRUE(st);
  auto ms = wait_for_status(mh, is_settled);
  ASSERT_TRUE(ms);
  ASSERT_EQ(ms->state, torrent_state::seeding) << ms->error;
  EXPECT_TRUE(read_all(*st, t.ti->total_size()) == t.payload);
  EXPECT_FALSE(fs::exists(mem_dir.path / "multi"));  // nothing on disk

  // The memory torrent serves a third session that knows only it.
  session last(loopback_settings("127.0.0.3"));
  auto lh = add(last, t, last_dir.path, {}, nullptr, {endpoint_of("127.0.0.2", mem.listen_port())});
  auto ls = wait_for_status(lh, is_settled);
  ASSERT_TRUE(ls);
  ASSERT_EQ(ls->state, torrent_state::seeding) << ls->error;
  last.stop();
  expect_files_match(t, last_dir.path);
}

TEST(StorageBackends, TorrentDownloadsIntoOneBlobNamedAfterTheInfoHash) {
  auto t = make_torrent(92, 32 * 1024, 300'000, 500'000, /*with_padding=*/true);
  temp_dir seed_dir, blob_dir;
  file_seeder seed(t, seed_dir.path);

  session leecher(loopback_settings("127.0.0.4"));
  std::shared_ptr<storage> st;
  auto h = add(leecher, t, blob_dir.path, blob_storage_factory(), &st,
               {endpoint_of("127.0.0.1", seed.ses.listen_port())});
  ASSERT_TRUE(st);
  auto s = wait_for_status(h, is_settled);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->state, torrent_state::seeding) << s->error;
  EXPECT_TRUE(read_all(*st, t.ti->total_size()) == t.payload);
  ASSERT_TRUE(st->flush());
  leecher.stop();

  // On disk: the one blob is the byte stream (padding as a zero-filled hole), nothing else.
  const fs::path blob = blob_dir.path / (t.ti->info_hash().to_hex() + ".blob");
  std::ifstream in(blob, std::ios::binary);
  std::vector<std::uint8_t> got{std::istreambuf_iterator<char>(in), {}};
  EXPECT_TRUE(got == t.payload) << "blob of " << got.size() << " bytes differs";
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(blob_dir.path)) entries.push_back(e.path());
  EXPECT_EQ(entries, std::vector<fs::path>{blob});
}

TEST(StorageBackends, BlobPathRelativeToTheSavePathOrAbsolute) {
  auto t = make_torrent(93, 32 * 1024, 1000, 1000);
  temp_dir dir;
  auto relative = blob_storage_factory("sub/x.blob")(t.ti, dir.path);
  ASSERT_TRUE(relative->write(0, t.payload));
  EXPECT_EQ(fs::file_size(dir.path / "sub/x.blob"), t.payload.size());
  auto absolute = blob_storage_factory(dir.path / "abs.blob")(t.ti, "/nonexistent");
  ASSERT_TRUE(absolute->write(0, t.payload));
  EXPECT_EQ(fs::file_size(dir.path / "abs.blob"), t.payload.size());
}

TEST(StorageBackends, FactoryReturningNoStorageIsRefused) {
  auto t = make_torrent(94);
  temp_dir dir;
  session ses(loopback_settings("127.0.0.5"));
  add_torrent_params p;
  p.ti = t.ti;
  p.save_path = dir.path;
  p.storage = [](std::shared_ptr<const torrent_info>, const fs::path&) {
    return std::shared_ptr<storage>{};
  };
  std::string message;
  auto h = ses.add_torrent(p, &message);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error(), std::errc::invalid_argument);
  EXPECT_EQ(message, "the storage factory returned no storage");
  EXPECT_TRUE(ses.torrents().empty());
}

TEST(StorageBackends, EmptyFactoryMeansFilesOnDisk) {
  auto t = make_torrent(95);
  temp_dir seed_dir, dir;
  file_seeder seed(t, seed_dir.path);
  session leecher(loopback_settings("127.0.0.6"));
  auto h = add(leecher, t, dir.path, {}, nullptr, {endpoint_of("127.0.0.1", seed.ses.listen_port())});
  auto s = wait_for_status(h, is_settled);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->state, torrent_state::seeding) << s->error;
  leecher.stop();
  expect_files_match(t, dir.path);
}

}  // namespace
}  // namespace tessera
