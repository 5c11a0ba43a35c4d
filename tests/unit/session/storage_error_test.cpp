// A storage that fails (disk full, download directory removed) stops its torrent in the error
// state with a message naming the operation, the file and the OS error; every other torrent of the
// session goes on. Sessions seed and leech over loopback (127.0.0.x), DHT and LSD off.
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>

#include "session_test_support.hpp"
#include "tessera/storage.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

torrent_handle add(session& ses, const test_torrent& t, const fs::path& dir,
                   std::vector<std::string> peers = {}, storage_factory factory = {}) {
  add_torrent_params p;
  p.ti = t.ti;
  p.save_path = dir;
  p.peers = std::move(peers);
  p.storage = std::move(factory);
  return add_checked(ses, std::move(p));
}

/// A seeder session on 127.0.0.1 with every torrent of `ts` complete, torrent i under `dir`/i.
struct seeder {
  session ses{loopback_settings("127.0.0.1")};
  std::vector<torrent_handle> handles;
  seeder(const std::vector<const test_torrent*>& ts, const fs::path& dir) {
    for (const auto* t : ts) {
      const fs::path sub = dir / std::to_string(handles.size());
      write_payload(*t, sub);
      handles.push_back(add(ses, *t, sub));
      auto s = wait_for_status(handles.back(), is_settled);
      EXPECT_TRUE(s && s->state == torrent_state::seeding);
    }
  }
  std::string endpoint() const { return endpoint_of("127.0.0.1", ses.listen_port()); }
};

/// The files-on-disk backend, but a write that would take the bytes written past `limit` fails
/// like a full disk: op=write, ENOSPC, the path of the file the write starts in.
class disk_full_storage final : public storage {
 public:
  disk_full_storage(std::shared_ptr<const torrent_info> ti, fs::path save_path, std::int64_t limit)
      : ti_(ti), save_path_(save_path), inner_(make_file_storage(ti, save_path)), limit_(limit) {}
  result<bool, storage_error> initialize() override { return inner_->initialize(); }
  result<bool, storage_error> write(std::int64_t offset, std::span<const std::uint8_t> data) override {
    if (written_.fetch_add(static_cast<std::int64_t>(data.size())) + static_cast<std::int64_t>(data.size()) > limit_) {
      std::string path;
      for (const auto& f : ti_->files())
        if (offset >= f.offset && offset < f.offset + f.size) path = (save_path_ / f.path).string();
      return unexpected{storage_error{std::error_code(ENOSPC, std::system_category()),
                                      storage_error::operation::write, path}};
    }
    return inner_->write(offset, data);
  }
  result<std::size_t, storage_error> read(std::int64_t offset, std::span<std::uint8_t> out) override {
    return inner_->read(offset, out);
  }
  result<bool, storage_error> flush() override { return inner_->flush(); }
  void close_all() override { inner_->close_all(); }
  std::vector<std::int64_t> on_disk_sizes() override { return inner_->on_disk_sizes(); }

 private:
  std::shared_ptr<const torrent_info> ti_;
  fs::path save_path_;
  std::shared_ptr<storage> inner_;
  std::int64_t limit_;
  std::atomic<std::int64_t> written_{0};
};

/// "write <dir>/multi/...: <reason>" (or another operation): the message names the file.
::testing::AssertionResult names_file_and_reason(const std::string& message, const fs::path& dir,
                                                 const std::vector<std::string>& ops,
                                                 const std::string& reason) {
  for (const auto& op : ops) {
    const std::string prefix = op + " " + (dir / "multi/").string();
    const std::string suffix = ": " + reason;
    if (message.size() > prefix.size() + suffix.size() && message.starts_with(prefix) &&
        message.ends_with(suffix))
      return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "unexpected message: \"" << message << "\"";
}

TEST(StorageErrors, DiskFullStopsThatTorrentAndTheOtherOneCompletes) {
  auto full = make_torrent(61, 32 * 1024, 300'000, 400'000);
  auto other = make_torrent(62, 32 * 1024, 200'000, 500'000);
  temp_dir seed_dir, leech_dir;
  seeder seed({&full, &other}, seed_dir.path);

  session leecher(loopback_settings("127.0.0.2"));
  std::mutex m;
  std::vector<std::string> error_events;
  leecher.set_event_handler([&](const event& e) {
    if (auto* err = std::get_if<events::torrent_error>(&e)) {
      std::lock_guard lock(m);
      error_events.push_back(err->message);
    }
  });
  const fs::path full_dir = leech_dir.path / "full";
  auto fh = add(leecher, full, full_dir, {seed.endpoint()},
                [](std::shared_ptr<const torrent_info> ti, const fs::path& save_path) {
                  return std::make_shared<disk_full_storage>(std::move(ti), save_path, 200'000);
                });
  auto oh = add(leecher, other, leech_dir.path / "other", {seed.endpoint()});

  auto full_status = wait_for_status(fh, is_settled);
  ASSERT_TRUE(full_status);
  ASSERT_EQ(full_status->state, torrent_state::error);
  EXPECT_TRUE(names_file_and_reason(full_status->error, full_dir, {"write"}, "No space left on device"));
  EXPECT_GT(full_status->pieces_done, 0);  // the pieces written before the disk filled are kept
  EXPECT_LT(full_status->pieces_done, full_status->num_pieces);

  auto os = wait_for_status(oh, is_settled);
  ASSERT_TRUE(os);
  ASSERT_EQ(os->state, torrent_state::seeding) << os->error;
  {
    std::lock_guard lock(m);
    ASSERT_EQ(error_events.size(), 1u);
    EXPECT_EQ(error_events[0], full_status->error);
  }
  // The torrent stays in the error state; the seeder is untouched.
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(fh.status()->state, torrent_state::error);
  for (auto& h : seed.handles) EXPECT_EQ(h.status()->state, torrent_state::seeding);
  leecher.stop();
  expect_files_match(other, leech_dir.path / "other");
}

// The same with a real full file system: a 1 MiB tmpfs, mounted in a private mount namespace of a
// child process (the sessions run in the child). Needs CAP_SYS_ADMIN; skipped where mounting is
// not allowed.
std::string run_tmpfs_download(const fs::path& seed_dir, const fs::path& tmpfs_dir,
                               const fs::path& other_dir) {
  auto big = make_torrent(71, 64 * 1024, 1'500'000, 1'500'000);  // 3 MB into 1 MiB
  auto other = make_torrent(72, 32 * 1024, 200'000, 300'000);
  seeder seed({&big, &other}, seed_dir);
  session leecher(loopback_settings("127.0.0.3"));
  auto bh = add(leecher, big, tmpfs_dir, {seed.endpoint()});
  auto oh = add(leecher, other, other_dir, {seed.endpoint()});
  auto bs = wait_for_status(bh, is_settled);
  auto os = wait_for_status(oh, is_settled);
  if (!bs || !os) return "a torrent handle failed";
  if (bs->state != torrent_state::error) return "the torrent on the full tmpfs did not stop";
  if (auto r = names_file_and_reason(bs->error, tmpfs_dir, {"write"}, "No space left on device"); !r)
    return r.message();
  if (os->state != torrent_state::seeding) return "the other torrent did not complete: " + os->error;
  for (auto& h : seed.handles)
    if (h.status()->state != torrent_state::seeding) return "the seeder was affected";
  leecher.stop();
  for (const auto& f : other.ti->files()) {
    std::ifstream in(other_dir / f.path, std::ios::binary);
    std::vector<std::uint8_t> got{std::istreambuf_iterator<char>(in), {}};
    if (got != std::vector<std::uint8_t>(other.payload.begin() + f.offset,
                                         other.payload.begin() + f.offset + f.size))
      return "the other torrent's " + f.path + " differs";
  }
  return {};
}

TEST(StorageErrors, FullTmpfsStopsThatTorrentWithTheOsMessageAndTheOtherOneCompletes) {
  temp_dir seed_dir, tmpfs_dir, other_dir;
  fs::create_directories(tmpfs_dir.path);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(pipe_fds[0]);
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", tmpfs_dir.path.c_str(), "tmpfs", 0, "size=1m") != 0)
      ::_exit(77);
    std::string failure = run_tmpfs_download(seed_dir.path, tmpfs_dir.path, other_dir.path);
    (void)!::write(pipe_fds[1], failure.data(), failure.size());
    ::_exit(failure.empty() ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  std::string failure;
  char buf[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;) failure.append(buf, n);
  ::close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died";
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "cannot mount a tmpfs here";
  EXPECT_EQ(WEXITSTATUS(status), 0) << failure;
}

/// The files-on-disk backend with a gate: the first write goes through, later ones wait (at most
/// 10 s) until open() is called, so the test can change the disk between them.
class gated_storage final : public storage {
 public:
  explicit gated_storage(std::shared_ptr<storage> inner) : inner_(std::move(inner)) {}
  result<bool, storage_error> initialize() override { return inner_->initialize(); }
  result<bool, storage_error> write(std::int64_t offset, std::span<const std::uint8_t> data) override {
    if (writes_.fetch_add(1) > 0) {
      std::unique_lock lock(m_);
      cv_.wait_for(lock, 10s, [&] { return open_; });
    }
    auto r = inner_->write(offset, data);
    first_done_ = true;
    return r;
  }
  result<std::size_t, storage_error> read(std::int64_t offset, std::span<std::uint8_t> out) override {
    return inner_->read(offset, out);
  }
  result<bool, storage_error> flush() override { return inner_->flush(); }
  void close_all() override { inner_->close_all(); }
  std::vector<std::int64_t> on_disk_sizes() override { return inner_->on_disk_sizes(); }

  void open() {
    std::lock_guard lock(m_);
    open_ = true;
    cv_.notify_all();
  }
  std::atomic<bool> first_done_{false};

 private:
  std::shared_ptr<storage> inner_;
  std::atomic<int> writes_{0};
  std::mutex m_;
  std::condition_variable cv_;
  bool open_ = false;
};

// The file backend's choice: a removed download directory is not re-created (the pieces verified
// there are gone, so a re-created tree would be claimed complete while it is not); the torrent
// stops with ENOENT naming the file that could not be written.
TEST(StorageErrors, RemovedDownloadDirectoryStopsThatTorrentAndIsNotRecreated) {
  auto victim = make_torrent(81, 32 * 1024, 300'000, 400'000);
  auto other = make_torrent(82, 32 * 1024, 200'000, 300'000);
  temp_dir seed_dir, victim_dir, other_dir;
  seeder seed({&victim, &other}, seed_dir.path);

  session leecher(loopback_settings("127.0.0.4"));
  std::shared_ptr<gated_storage> gate;
  auto vh = add(leecher, victim, victim_dir.path, {seed.endpoint()},
                [&gate](std::shared_ptr<const torrent_info> ti, const fs::path& save_path) {
                  gate = std::make_shared<gated_storage>(make_file_storage(std::move(ti), save_path));
                  return gate;
                });
  ASSERT_TRUE(gate);
  auto oh = add(leecher, other, other_dir.path, {seed.endpoint()});
  ASSERT_TRUE(eventually([&] { return bool(gate->first_done_); }, 20s));
  ASSERT_TRUE(fs::exists(victim_dir.path / "multi"));
  fs::remove_all(victim_dir.path);  // while the torrent has files open there
  gate->open();

  auto vs = wait_for_status(vh, is_settled);
  ASSERT_TRUE(vs);
  ASSERT_EQ(vs->state, torrent_state::error);
  // A file open before the removal fails the write; a new one fails to get its directory.
  EXPECT_TRUE(names_file_and_reason(vs->error, victim_dir.path, {"write", "mkdir", "open"},
                                    "No such file or directory"));
  EXPECT_FALSE(fs::exists(victim_dir.path));
  auto os = wait_for_status(oh, is_settled);
  ASSERT_TRUE(os);
  ASSERT_EQ(os->state, torrent_state::seeding) << os->error;
  leecher.stop();
  expect_files_match(other, other_dir.path);
}

}  // namespace
}  // namespace tessera
