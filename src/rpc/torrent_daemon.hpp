// The daemon's session: the public tessera::session plus what Transmission's RPC needs on top of
// it (docs/daemon.md): integer ids, the catalogue that survives restarts and kill -9, settings
// changeable at run time, per-torrent limits, labels, seeding goals (ratio and idle limits),
// queue positions, lifetime counters, session statistics.
//
// Threads: every public member may be called from any thread; they serialise on one mutex (the
// RPC front calls one request at a time anyway). Session events arrive on the session's event
// thread and take the same mutex. `tick()` is called by the owner about once a second.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "rpc/catalogue.hpp"
#include "rpc/daemon_settings.hpp"
#include "rpc/event_feed.hpp"
#include "rpc/queue_policy.hpp"
#include "rpc/torrent_table.hpp"
#include "tessera/session.hpp"

namespace tessera::rpc {

/// Command-line overrides of settings.json (tessera daemon's flags); unset = keep the file's value.
struct daemon_options {
  std::filesystem::path config_dir;           ///< settings.json, stats.json, torrents/
  std::optional<std::string> download_dir;    ///< --download-dir
  std::optional<std::uint16_t> peer_port;     ///< --port
  /// --encryption: overrides (and is saved as) settings.json's `encryption`.
  std::optional<encryption_mode> encryption;
  /// --no-utp: turns uTP off (and is saved as settings.json's `utp-enabled` false).
  bool no_utp = false;
  std::optional<std::string> rpc_bind;        ///< --rpc-bind
  std::optional<std::uint16_t> rpc_port;      ///< --rpc-port
  /// Where the daemon publishes its events (rpc/event_feed.hpp); null: no event stream.
  std::shared_ptr<event_hub> events;
};

/// One torrent of the daemon.
struct daemon_torrent {
  int id = 0;
  torrent_record record;
  torrent_handle handle;
  std::shared_ptr<const torrent_info> ti;  ///< null while a magnet has no metadata
  std::string magnet_name;                 ///< the magnet's `dn`, until metadata arrives
  std::int64_t start_date = 0;             ///< last start (Unix s), 0 while stopped
  std::int64_t counted_until = 0;          ///< seconds_downloading/seeding counted up to here
  std::int64_t last_uploaded = 0;          ///< engine counters (this run) at the last tick
  std::int64_t last_downloaded = 0;
  std::int64_t run_uploaded = 0;           ///< payload bytes this run, survives pause/resume
  std::int64_t run_downloaded = 0;
  std::int64_t run_corrupt = 0;
  bool dirty = false;                      ///< record changed since last saved
  bool queued = false;                     ///< started, but held back by a queue (engine paused)
  bool forced = false;                     ///< started with torrent-start-now: never queued
  bool relocating = false;                 ///< removed from the engine, re-added at its new
                                           ///< download_dir once the engine reports it gone
};

/// `ti` with the record's renames applied (tessera::rename_torrent_path, in order); a rename that
/// no longer applies is skipped with a warning. `ti` itself when there is none.
std::shared_ptr<const torrent_info> renamed_info(std::shared_ptr<const torrent_info> ti, const torrent_record& r);

/// What torrent-add asks for (after the RPC decoded it).
struct add_request {
  std::string torrent_bytes;              ///< a .torrent's bytes, or
  std::string magnet;                     ///< a magnet URI
  std::optional<std::string> download_dir;
  std::optional<bool> paused;
  std::vector<std::int64_t> files_unwanted, priority_high, priority_low, priority_normal;
  std::vector<std::string> labels;
  std::optional<std::int64_t> peer_limit;          ///< `peer-limit`; default peer-limit-per-torrent
  std::optional<std::int64_t> bandwidth_priority;  ///< `bandwidthPriority` (-1, 0, 1); default 0
};

struct add_outcome {
  int id = 0;
  std::string name;
  info_hash_t info_hash;
  bool duplicate = false;
};

/// Transmission's session-stats counters.
struct transfer_stats {
  std::int64_t uploaded = 0, downloaded = 0, files_added = 0, session_count = 0, seconds_active = 0;
};

class torrent_daemon {
 public:
  explicit torrent_daemon(daemon_options options);
  ~torrent_daemon();
  torrent_daemon(const torrent_daemon&) = delete;
  torrent_daemon& operator=(const torrent_daemon&) = delete;

  /// Loads settings.json (applying the options), starts the session and re-adds every torrent
  /// of the catalogue in its saved state. Error: settings.json unreadable, the config dir not
  /// writable, or the session's listen port taken. `problems` lists what was skipped.
  result<bool, std::string> start(std::vector<std::string>& problems);
  /// Stops the session (announces `stopped`; its last events are still handled), then saves the
  /// records that changed, the counters and the stats. Idempotent.
  void stop();
  /// Once a second: seeding goals, seconds downloading/seeding, saving changed records (and
  /// every record's counters once a minute), stats, and the event stream's tick while anyone
  /// listens (rpc/event_feed.hpp).
  void tick();

  /// The mutex every member below (except settings()) expects its caller to hold; the RPC
  /// methods lock it once per request.
  std::mutex& mutex() { return mu_; }

  // --- for the RPC methods (mutex held) ---
  tessera::session& session() { return *session_; }
  daemon_settings& settings() { return settings_; }
  torrent_table& table() { return table_; }
  std::map<int, daemon_torrent>& torrents() { return torrents_; }
  daemon_torrent* find(int id);
  /// Every torrent's status, by id, in one visit to the engine (session::get_torrent_status).
  std::map<int, torrent_status> statuses();
  /// Folds the engine's counters (this run) into the torrents' records: bytes, activity date,
  /// seconds downloading/seeding, the done date. The tick does it every second; torrent-get and
  /// session-stats do it first, so what they report is current.
  void fold(const std::map<int, torrent_status>& all, std::int64_t now);
  const std::filesystem::path& config_dir() const { return options_.config_dir; }
  /// Adds a torrent. Errors are Transmission's texts ("invalid or corrupt torrent file",
  /// "download directory path is not absolute", ...).
  result<add_outcome, std::string> add(const add_request& req);
  /// Removes (and with `delete_data` deletes the torrent's own files). Does not wait for the
  /// stopped announce.
  void remove(int id, bool delete_data);
  /// torrent-set-location without `move` (look for the data there): takes `t` out of the engine
  /// and adds it again at its record's download_dir once the engine reports it removed (a
  /// removal finishes in the background); the data found there is then checked. Meanwhile the
  /// torrent has no status (torrent-get skips it).
  void relocate(daemon_torrent& t);
  /// Starts `t` (clears a seeding goal's stop); `now` = torrent-start-now, past the queue.
  void start_torrent(daemon_torrent& t, bool now = false);
  void stop_torrent(daemon_torrent& t);
  /// Applies the download and seed queues (rpc/queue_policy.hpp) to the started torrents:
  /// pauses in the engine those beyond the queue sizes, resumes those whose turn came.
  void apply_queue();
  /// Records a change (for recently-active) and marks the record to be saved.
  void changed(daemon_torrent& t);
  /// Records a change and saves the record now (for edits a crash must not lose: the tracker
  /// list, file names).
  void save_now(daemon_torrent& t);
  /// Applies the settings that act at run time (rate limits, alt speed) after session-set.
  void apply_runtime_settings();
  /// Moves `ids` in the queue (top/up/down/bottom) and renumbers queue positions 0..n-1.
  enum class queue_move { top, up, down, bottom };
  void move_queue(const std::vector<int>& ids, queue_move how);
  /// The record's per-torrent engine settings pushed to the engine: speed limits (kB/s -> B/s),
  /// honoring the session's limits, bandwidth priority, peer limit. At add/load and torrent-set.
  void apply_torrent_limits(daemon_torrent& t);
  transfer_stats current_stats() const;
  transfer_stats cumulative_stats() const;
  /// The session's settings as configured at start (listen port etc.).
  std::uint16_t peer_port() const;
  /// Saves settings.json (after session-set).
  void save_settings();
  /// SIGHUP: re-reads settings.json and applies what acts at run time (docs/daemon.md). Takes
  /// the mutex. Error: the file is not a JSON object (the settings in use are kept).
  result<bool, std::string> reload_settings(std::vector<std::string>& problems);

 private:
  void on_event(const event& e);
  /// The event stream's part of engine event E for `t` (torrent-state, torrent-error,
  /// torrent-finished, metadata-received), when anyone listens.
  template <class E>
  void publish_engine_event(daemon_torrent& t);
  result<bool, std::string> start_locked(std::vector<std::string>& problems);
  /// The engine reported a relocating torrent removed: add it at its new place.
  void finish_relocation(daemon_torrent& t);
  void restore(catalogue::loaded&& l, std::vector<std::string>& problems);
  result<torrent_handle, std::string> add_to_session(daemon_torrent& t, bool paused);
  void save_record(daemon_torrent& t);
  /// counters.json: every torrent's counters in one write.
  void save_counters();
  void save_stats();
  void check_seeding_goals(daemon_torrent& t, const torrent_status& st, std::int64_t now);

  void apply_queue(const std::map<int, torrent_status>& statuses, std::int64_t now);
  /// Whether a torrent started now would wait in the download queue.
  bool download_queue_full();
  session_settings engine_settings() const;
  /// The torrent whose hashes include every hash of `ih` (torrent_table::id_of).
  daemon_torrent* find_hash(const info_hash_t& ih);

  daemon_options options_;
  mutable std::mutex mu_;
  daemon_settings settings_;
  catalogue catalogue_;
  std::unique_ptr<tessera::session> session_;
  torrent_table table_;
  std::map<int, daemon_torrent> torrents_;
  transfer_stats cumulative_before_;  ///< stats.json at start
  transfer_stats run_;                ///< this run (files_added, bytes of removed torrents)
  std::int64_t started_at_ = 0;
  std::int64_t last_full_save_ = 0;
  event_feed feed_;  ///< the event stream's publisher (mutex held)
  bool stopping_ = false;  ///< stop() began: no more ticks
  bool stopped_ = false;   ///< the session stopped: events are ignored
};

/// Unix time now, in seconds.
std::int64_t unix_now();

}  // namespace tessera::rpc
