// Downloads only some files of a torrent, in order: the first file is skipped (never created on
// disk), the last gets the high priority, and pieces are requested in sequence.
// Usage: readme_file_priorities FILE.torrent SAVE_DIR [--interface IP] [--peer IP:PORT]
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
  settings.listen_port = 0;
  settings.enable_dht = false;
  settings.enable_lsd = false;
  auto ti = tessera::load_torrent_file(argv[1]);
  if (!ti) return 1;
  const int num_files = static_cast<int>(ti->files().size());
  params.ti = std::make_shared<const tessera::torrent_info>(std::move(*ti));
  params.save_path = argv[2];
  // Priorities given at add time apply before the first request: file 0 is never downloaded.
  // (Files not listed stay `normal`.)
  params.file_priorities = {tessera::file_priority::skip};

  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;
  tessera::session ses(settings);
  ses.set_event_handler([&](const tessera::event& e) {
    std::lock_guard lock(mu);
    // With a file skipped, torrent_finished means "every wanted piece verified".
    if (std::holds_alternative<tessera::events::torrent_finished>(e)) finished = true;
    cv.notify_all();
  });
  auto h = ses.add_torrent(params);
  if (!h) return 1;
  // Priorities can change at any time too; here the last file goes first.
  if (!h->set_file_priority(tessera::file_index(num_files - 1), tessera::file_priority::high)) return 1;
  if (!h->set_sequential_download(true)) return 1;

  std::unique_lock lock(mu);
  if (!cv.wait_for(lock, std::chrono::minutes(2), [&] { return finished; })) return 1;
  auto files = h->files();
  auto prios = h->file_priorities();
  if (!files || !prios) return 1;
  for (std::size_t i = 0; i < files->size(); ++i)
    std::printf("%-30s priority %d  %3.0f%%\n", (*files)[i].path.c_str(), static_cast<int>((*prios)[i]),
                (*files)[i].progress() * 100);
  return 0;
}
