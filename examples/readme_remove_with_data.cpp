// Downloads a torrent, then removes it from the session and deletes its files.
// Usage: readme_remove_with_data FILE.torrent SAVE_DIR [--interface IP] [--peer IP:PORT]
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <variant>

#include "tessera/session.hpp"

namespace ev = tessera::events;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s FILE.torrent SAVE_DIR [--interface IP] [--peer IP:PORT]\n", argv[0]);
    return 2;
  }
  tessera::session_settings settings;
  tessera::add_torrent_params params;
  for (int i = 3; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--interface") settings.listen_interface = argv[i + 1];
    if (std::string(argv[i]) == "--peer") params.peers.push_back(argv[i + 1]);
  }
  settings.listen_port = 0;
  settings.enable_dht = false;
  settings.enable_lsd = false;
  auto ti = tessera::load_torrent_file(argv[1]);
  if (!ti) return 1;
  params.ti = std::make_shared<const tessera::torrent_info>(std::move(*ti));
  params.save_path = argv[2];

  std::mutex mu;
  std::condition_variable cv;
  bool finished = false, removed = false, deleted = false;
  tessera::session ses(settings);
  ses.set_event_handler([&](const tessera::event& e) {
    std::lock_guard lock(mu);
    if (std::holds_alternative<ev::torrent_finished>(e)) finished = true;
    if (auto* r = std::get_if<ev::torrent_removed>(&e)) {
      removed = true;
      deleted = r->data_deleted;
    }
    cv.notify_all();
  });
  auto h = ses.add_torrent(params);
  if (!h) return 1;
  {
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, std::chrono::minutes(2), [&] { return finished; })) return 1;
  }

  // Returns once the torrent is detached; in the background its connections close, `stopped`
  // is announced and its files are deleted (only the torrent's own files, and the directories
  // of its layout left empty), then torrent_removed comes.
  auto r = ses.remove_torrent(*h, tessera::remove_flags::delete_data);
  if (!r) {
    std::fprintf(stderr, "remove_torrent: %s\n", r.error().message().c_str());
    return 1;
  }
  // The handle fails cleanly from now on instead of touching freed state.
  if (h->status() || h->is_valid()) return 1;
  std::unique_lock lock(mu);
  if (!cv.wait_for(lock, std::chrono::seconds(30), [&] { return removed; })) return 1;
  std::printf("removed, data deleted: %s\n", deleted ? "yes" : "no");
  return deleted ? 0 : 1;
}
