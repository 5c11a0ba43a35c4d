// The daemon's catalogue: what it keeps of each torrent across restarts and `kill -9`, beside the
// engine's own resume data. Layout, under <config-dir>/torrents/ (the session's state_dir, so the
// engine's files sit beside ours):
//   <hex>.torrent   the metainfo as added (or as fetched for a magnet: the engine writes it)
//   <hex>.magnet    the magnet URI of a torrent added by magnet (kept after metadata arrives)
//   <hex>.json      the torrent_record below
//   <hex>.resume    the engine's resume data (tessera/session.hpp state_dir)
//   ../counters.json  every torrent's byte totals, seconds and activity date (torrent_counters)
// <hex> is info_hash_t::to_hex(): the v1 info-hash's 40 hex digits (as before v2 existed), or the
// v2 one's 64 for a v2-only torrent.
// Every file is written atomically (temporary file, fsync, rename, fsync of the directory), so a
// crash leaves the old or the new contents. A record that does not parse is skipped with a
// message naming it; the others load. Not thread-safe: the daemon serialises its calls.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tessera/result.hpp"
#include "tessera/types.hpp"

namespace tessera::rpc {

/// Transmission's per-torrent modes for seedRatioMode / seedIdleMode.
enum class limit_mode : int { global = 0, single = 1, unlimited = 2 };

/// One tracker of a torrent as the RPC shows it (`trackers`, `trackerStats`) and edits it
/// (torrent-set trackerAdd / trackerRemove / trackerReplace).
struct tracker_entry {
  int id = 0;       ///< stable while the tracker is in the torrent's list; never reused for it
  int tier = 0;     ///< 0-based, dense (no empty tier)
  std::string url;
  bool operator==(const tracker_entry&) const = default;
};

/// One torrent as the daemon keeps it. Times are Unix seconds (0 = never); byte counts are
/// totals of earlier runs of the daemon (the engine counts the current run).
struct torrent_record {
  /// The torrent's info-hashes. Its files are named by info_hash.to_hex() (v1's 40 hex digits,
  /// else v2's 64), saved as `info_hash`; a hybrid's v2 goes in `info_hash_v2` too.
  info_hash_t info_hash;
  std::string magnet_uri;               ///< non-empty when added by magnet
  std::string download_dir;             ///< absolute
  bool paused = false;                  ///< stopped by the user (or a seeding goal)
  bool finished = false;                ///< stopped because a ratio or idle goal was reached
  std::int64_t added_date = 0;
  std::int64_t done_date = 0;           ///< when every wanted piece was first verified
  std::int64_t activity_date = 0;       ///< last payload transfer (saved with the record)
  std::int64_t uploaded_before = 0;     ///< payload bytes uploaded in earlier runs
  std::int64_t downloaded_before = 0;   ///< payload bytes downloaded in earlier runs
  std::int64_t corrupt_before = 0;      ///< bytes discarded in earlier runs
  std::int64_t seconds_downloading = 0; ///< before this run
  std::int64_t seconds_seeding = 0;     ///< before this run
  std::vector<std::string> labels;
  std::vector<int> file_priorities;     ///< tessera::file_priority values per file; empty = all normal
  std::int64_t download_limit_kbps = 100;  ///< kB/s (1,000 bytes), used when download_limited
  bool download_limited = false;
  std::int64_t upload_limit_kbps = 100;
  bool upload_limited = false;
  bool honors_session_limits = true;    ///< false: the session's speed limits skip this torrent
  int bandwidth_priority = 0;           ///< -1, 0, 1: its weight under the session's limits
  int peer_limit = 50;                  ///< its own connection cap (the session's caps still hold)
  double seed_ratio_limit = 2.0;
  limit_mode seed_ratio_mode = limit_mode::global;
  std::int64_t seed_idle_limit = 30;    ///< minutes
  limit_mode seed_idle_mode = limit_mode::global;
  int queue_position = 0;
  /// The tracker list once edited through torrent-set, in tier order; nullopt: the metainfo's
  /// (or the magnet's), with ids 0, 1, ... in its order. Applied to the engine at every add.
  std::optional<std::vector<tracker_entry>> trackers;
  int next_tracker_id = 0;              ///< the id the next added tracker gets (when edited)
  /// torrent-rename-path calls that succeeded, in order: (path, new name). Applied to the
  /// metainfo (tessera::rename_torrent_path) before every add.
  std::vector<std::pair<std::string, std::string>> renames;
};

/// The counters of one torrent that change all the time (a torrent_record's byte totals,
/// seconds and activity date). Saved for every torrent at once in <config-dir>/counters.json, so
/// that keeping them costs one atomic write a minute, not one per torrent.
struct torrent_counters {
  std::int64_t uploaded = 0;
  std::int64_t downloaded = 0;
  std::int64_t corrupt = 0;
  std::int64_t seconds_downloading = 0;
  std::int64_t seconds_seeding = 0;
  std::int64_t activity_date = 0;
};

class catalogue {
 public:
  /// `dir` is <config-dir>/torrents; created (0700) by open().
  explicit catalogue(std::filesystem::path dir) : dir_(std::move(dir)) {}
  /// Creates the directory if missing. Error (a message naming the path): it cannot be created.
  result<bool, std::string> open();
  const std::filesystem::path& dir() const { return dir_; }

  struct loaded {
    torrent_record record;
    std::string torrent_bytes;  ///< the .torrent, empty when only the magnet is known
  };
  /// Every record with its metainfo or magnet, in queue order, its counters the larger of the
  /// record's and counters.json's (counters only grow). `problems` receives one line per file
  /// skipped (unparsable record, neither .torrent nor magnet).
  std::vector<loaded> load_all(std::vector<std::string>& problems) const;

  /// Writers; an error is a message naming the file and the step that failed.
  result<bool, std::string> save(const torrent_record& r) const;
  result<bool, std::string> save_torrent(const info_hash_t& ih, std::string_view bytes) const;
  result<bool, std::string> save_magnet(const info_hash_t& ih, std::string_view uri) const;
  /// Replaces counters.json with these counters (atomically; one write for every torrent).
  result<bool, std::string> save_counters(const std::vector<std::pair<info_hash_t, torrent_counters>>& all) const;
  /// Deletes every file of `ih` (record, metainfo, magnet, resume data).
  void erase(const info_hash_t& ih) const;
  std::filesystem::path torrent_path(const info_hash_t& ih) const;

  /// The record's JSON form and back (exposed for tests and the fuzz target); parse returns
  /// nullopt for anything that is not a record.
  static std::string to_json(const torrent_record& r);
  static std::optional<torrent_record> from_json(std::string_view text);

 private:
  std::filesystem::path file(const info_hash_t& ih, const char* ext) const;
  std::filesystem::path counters_path() const { return dir_.parent_path() / "counters.json"; }
  std::filesystem::path dir_;
};

}  // namespace tessera::rpc
