// Adds a magnet link: the metadata (the .torrent's info dictionary) is fetched from peers
// (BEP 9), then the data; waits for both.
// Usage: readme_magnet MAGNET_URI SAVE_DIR [--interface IP]
// Peers come from the link's `tr` trackers and `x.pe` peers, e.g.
//   "magnet:?xt=urn:btih:<40 hex>&dn=name&x.pe=127.0.0.2:6881"
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
    std::fprintf(stderr, "usage: %s MAGNET_URI SAVE_DIR [--interface IP]\n", argv[0]);
    return 2;
  }
  tessera::session_settings settings;
  for (int i = 3; i + 1 < argc; i += 2)
    if (std::string(argv[i]) == "--interface") settings.listen_interface = argv[i + 1];
  settings.listen_port = 0;
  settings.enable_dht = false;
  settings.enable_lsd = false;

  auto params = tessera::add_torrent_params::from_magnet(argv[1], argv[2]);
  if (!params) {
    std::fprintf(stderr, "bad magnet link: %s\n", params.error().message().c_str());
    return 1;
  }

  std::mutex mu;
  std::condition_variable cv;
  bool have_metadata = false, finished = false;
  tessera::session ses(settings);
  ses.set_event_handler([&](const tessera::event& e) {
    std::lock_guard lock(mu);
    if (auto* m = std::get_if<ev::metadata_received>(&e)) {
      have_metadata = true;
      std::printf("metadata received: %s\n", m->name.c_str());
    }
    if (std::holds_alternative<ev::torrent_finished>(e)) finished = true;
    cv.notify_all();
  });
  auto h = ses.add_torrent(*params);
  if (!h) return 1;
  // Until the metadata arrives the state is downloading_metadata and files() is empty.
  std::unique_lock lock(mu);
  if (!cv.wait_for(lock, std::chrono::minutes(2), [&] { return finished; })) return 1;
  return have_metadata ? 0 : 1;
}
