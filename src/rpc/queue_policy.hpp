// Transmission's download and seed queues (download-queue-size, seed-queue-size,
// queue-stalled-*): which started torrents may be active. Pure: the daemon passes a snapshot
// and pauses or resumes torrents in the engine accordingly (torrent_daemon::apply_queue).
#pragma once

#include <cstdint>
#include <vector>

namespace tessera::rpc {

struct queue_entry {
  int id = 0;
  int position = 0;             ///< queue position, 0 first
  bool wants_download = false;  ///< has wanted bytes missing (or no metadata yet)
  bool running = false;         ///< active in the engine now (not queued)
  bool stalled = false;         ///< running without payload for queue-stalled-minutes
  bool forced = false;          ///< started with torrent-start-now: never queued
};

struct queue_limits {
  bool download_enabled = true;
  std::int64_t download_size = 5;  ///< torrents downloading at once
  bool seed_enabled = false;
  std::int64_t seed_size = 10;     ///< torrents seeding at once
};

/// The ids that should be active, in queue order. As in Transmission, the queue never stops a
/// running torrent: running entries stay active, and the queued ones fill the slots left free in
/// their queue (downloading, seeding) in position order. Forced entries always run; forced ones
/// and running stalled ones (no payload for queue-stalled-minutes) do not take a slot, so a dead
/// torrent does not hold up the queue. A disabled queue lets every entry run. `entries` are the
/// started torrents (user-stopped ones are not queued and not passed).
std::vector<int> choose_active(std::vector<queue_entry> entries, const queue_limits& limits);

}  // namespace tessera::rpc
