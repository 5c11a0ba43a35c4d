// Peers that connect while a torrent checks its data: accepted (not refused, which would send
// them into a back-off of 30 s or more), and told the checked pieces as `have`s when the check
// ends.
#include <condition_variable>
#include <mutex>

#include <gtest/gtest.h>

#include "session_test_support.hpp"

namespace tessera {
namespace {

using namespace tessera::test;
using namespace std::chrono_literals;

/// Holds every read of the wrapped storage (the start-up check's) until opened.
struct read_gate {
  std::mutex m;
  std::condition_variable cv;
  bool open = false;
  int waiting = 0;
  void pass() {
    std::unique_lock lock(m);
    ++waiting;
    cv.wait(lock, [&] { return open; });
    --waiting;
  }
  void release() {
    std::lock_guard lock(m);
    open = true;
    cv.notify_all();
  }
  bool someone_waits() {
    std::lock_guard lock(m);
    return waiting > 0;
  }
};

class gated_storage final : public storage {
 public:
  gated_storage(std::shared_ptr<storage> inner, read_gate& gate) : inner_(std::move(inner)), gate_(gate) {}
  result<bool, storage_error> initialize() override { return inner_->initialize(); }
  result<bool, storage_error> write(std::int64_t offset, std::span<const std::uint8_t> data) override {
    return inner_->write(offset, data);
  }
  result<std::size_t, storage_error> read(std::int64_t offset, std::span<std::uint8_t> out) override {
    gate_.pass();
    return inner_->read(offset, out);
  }
  result<bool, storage_error> flush() override { return inner_->flush(); }
  void close_all() override { inner_->close_all(); }
  std::vector<std::int64_t> on_disk_sizes() override { return inner_->on_disk_sizes(); }

 private:
  std::shared_ptr<storage> inner_;
  read_gate& gate_;
};

TEST(CheckingPeers, APeerDiallingDuringTheCheckIsKeptAndLearnsThePiecesAfterIt) {
  auto t = make_torrent(41, 32 * 1024, 400'000, 300'000);
  temp_dir seed_dir, leech_dir;
  write_payload(t, seed_dir.path);
  read_gate gate;
  struct gate_guard {  // never leave the seeder's disk thread blocked, whatever fails
    read_gate& g;
    ~gate_guard() { g.release(); }
  } guard{gate};

  session seeder(loopback_settings("127.0.0.2"));
  add_torrent_params sp;
  sp.ti = t.ti;
  sp.save_path = seed_dir.path;
  sp.storage = [&gate](std::shared_ptr<const torrent_info> ti, const std::filesystem::path& dir) {
    return std::make_shared<gated_storage>(make_file_storage(std::move(ti), dir), gate);
  };
  auto sh = add_checked(seeder, std::move(sp));
  ASSERT_TRUE(eventually([&] { return gate.someone_waits(); }, 10s)) << "the seeder's check never read";

  session leecher(loopback_settings("127.0.0.3"));
  auto lh = add_test_torrent(leecher, t, leech_dir.path, {endpoint_of("127.0.0.2", seeder.listen_port())});
  // The leecher's dial reaches the seeder while it is still checking: the connection is kept.
  auto during = wait_for_status(sh, [](const torrent_status& s) { return s.num_peers > 0; }, 10s);
  ASSERT_TRUE(during);
  ASSERT_EQ(during->state, torrent_state::checking);
  ASSERT_EQ(during->num_peers, 1);

  gate.release();
  // Well within the 30 s a refused dialler would wait before its second attempt.
  auto done = wait_for_status(lh, is_settled, 20s);
  ASSERT_TRUE(done);
  ASSERT_EQ(done->state, torrent_state::seeding) << done->error;
  expect_files_match(t, leech_dir.path);
}

}  // namespace
}  // namespace tessera
