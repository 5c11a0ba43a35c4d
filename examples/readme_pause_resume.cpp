// Pauses a torrent once its first piece is verified and resumes it, watching the torrent_paused /
// torrent_resumed events, then waits for the download to complete.
// Usage: readme_pause_resume FILE.torrent SAVE_DIR [--interface IP] [--peer IP:PORT]
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
  int verified = 0, paused = 0, resumed = 0;
  bool finished = false;
  tessera::session ses(settings);
  ses.set_event_handler([&](const tessera::event& e) {
    std::lock_guard lock(mu);
    if (std::holds_alternative<ev::piece_verified>(e)) ++verified;
    if (std::holds_alternative<ev::torrent_paused>(e)) ++paused;
    if (std::holds_alternative<ev::torrent_resumed>(e)) ++resumed;
    if (std::holds_alternative<ev::torrent_finished>(e)) finished = true;
    cv.notify_all();
  });
  auto h = ses.add_torrent(params);
  if (!h) return 1;
  auto wait = [&](auto pred) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::minutes(2), pred);
  };

  // pause(): connections close, `stopped` is announced, verified pieces are kept.
  if (!wait([&] { return verified > 0; })) return 1;
  if (!h->pause() || !wait([&] { return paused == 1; })) return 1;
  auto st = h->status();
  if (!st || st->state != tessera::torrent_state::paused) return 1;
  std::printf("paused with %d of %d pieces\n", st->pieces_done, st->num_pieces);

  // resume(): announces again and reconnects; the download goes on where it stopped.
  if (!h->resume() || !wait([&] { return resumed == 1; })) return 1;
  if (!wait([&] { return finished; })) return 1;
  std::printf("finished after pause and resume\n");
  return 0;
}
