// Downloads a torrent and waits for it to complete, woken by the torrent_finished event.
// Usage: readme_wait_for_completion FILE.torrent SAVE_DIR [--interface IP] [--peer IP:PORT]
// --interface: the address to listen on and connect from (e.g. 127.0.0.3 for a loopback test).
// --peer: a peer to dial (e.g. a seeder on the same machine), besides the torrent's trackers.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <variant>

#include "tessera/session.hpp"

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
  settings.listen_port = 0;      // any free port
  settings.enable_dht = false;   // no bootstrap nodes here; peers come from trackers and --peer
  settings.enable_lsd = false;   // no multicast from an example

  auto ti = tessera::load_torrent_file(argv[1]);
  if (!ti) {
    std::fprintf(stderr, "%s: %s\n", argv[1], ti.error().message().c_str());
    return 1;
  }
  params.ti = std::make_shared<const tessera::torrent_info>(std::move(*ti));
  params.save_path = argv[2];

  // Events arrive on the session's event thread: hand the outcome over with a condition variable.
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::string error;
  tessera::session ses(settings);
  ses.set_event_handler([&](const tessera::event& e) {
    std::lock_guard lock(mu);
    if (std::holds_alternative<tessera::events::torrent_finished>(e)) done = true;
    if (auto* err = std::get_if<tessera::events::torrent_error>(&e)) {
      done = true;
      error = err->message;
    }
    cv.notify_all();
  });

  std::string why;
  auto h = ses.add_torrent(params, &why);
  if (!h) {
    std::fprintf(stderr, "add_torrent: %s\n", why.c_str());
    return 1;
  }
  std::unique_lock lock(mu);
  if (!cv.wait_for(lock, std::chrono::minutes(2), [&] { return done; })) {
    std::fprintf(stderr, "timed out\n");
    return 1;
  }
  if (!error.empty()) {
    std::fprintf(stderr, "torrent error: %s\n", error.c_str());
    return 1;
  }
  auto st = h->status();
  std::printf("finished %s: %lld bytes\n", st->name.c_str(), static_cast<long long>(st->total_done));
  return 0;  // ~session stops cleanly: announces `stopped`, closes files
}
