// The `tessera` verbs that drive a daemon over Transmission's RPC: their options and entry
// points. Each run_* sends its requests through `ctx`, prints a table (or, with --json, the raw
// arguments object of its main reply) on stdout and returns the exit code: 0, or 1 after a
// one-line "tessera: error: ..." on stderr. Registered on the command line by remote_commands.
#pragma once

#include <string>
#include <vector>

#include "remote_context.hpp"

namespace tessera::cli {

/// `tessera add FILE|MAGNET|URL...`
struct add_options {
  std::vector<std::string> sources;  ///< .torrent paths (sent as metainfo), magnets or URLs (sent as filename)
  bool paused = false;               ///< --paused
  std::string download_dir;          ///< -o DIR: absolute, on the daemon's machine ("" = its default)
  std::string select;                ///< --select 0,2-3: only these files wanted ("" = all); .torrent files only
};
int run_add(remote_context& ctx, const add_options& opts);

/// `tessera list`
int run_list(remote_context& ctx);

/// `tessera info ID...`
int run_info(remote_context& ctx, const std::vector<std::string>& ids);
/// `tessera files ID...`
int run_files(remote_context& ctx, const std::vector<std::string>& ids);

/// `tessera start|stop|verify|reannounce ID...|all`: `method` is the RPC method
/// ("torrent-start", ...), `done` the past tense printed ("started").
int run_action(remote_context& ctx, const std::string& method, const char* done, const std::vector<std::string>& ids);
/// `tessera remove [--delete-data] ID...|all`
int run_remove(remote_context& ctx, const std::vector<std::string>& ids, bool delete_data);

/// `tessera set ID... [options]`: an empty string is an option not given.
struct set_options {
  std::vector<std::string> ids;
  std::string download_limit;  ///< kB/s (1000 bytes/s); "0", "none" or "unlimited" = no limit
  std::string upload_limit;    ///< the same for uploads
  std::string ratio;           ///< a number, "global" or "unlimited"
  std::string want;            ///< file list or "all" -> files-wanted
  std::string skip;            ///< file list or "all" -> files-unwanted
  std::vector<std::string> priority;  ///< LEVEL (bandwidthPriority) or LEVEL:FILES (file priorities); repeatable
};
int run_set(remote_context& ctx, const set_options& opts);

/// `tessera session [--set KEY=VALUE]...`
int run_session(remote_context& ctx, const std::vector<std::string>& assignments);
/// `tessera stats`
int run_stats(remote_context& ctx);

/// `tessera watch [--count N]`: the daemon's event stream (docs/rpc.md, "Event stream") at
/// /tessera/events of the --rpc URL's host, one line per event on stdout (with --json, one JSON
/// object per line: {"event","id","data"}). When the stream ends or cannot be opened it says so
/// on stderr and tries again every 2 s; a refusal that trying again cannot cure (401, 403, 404,
/// 421) and a malformed stream are errors (exit 1). Returns 0 after `count` events (0: never) or
/// on SIGTERM, 130 on SIGINT.
struct watch_options {
  std::int64_t count = 0;  ///< --count N: exit 0 after N events (hello included)
};
int run_watch(remote_context& ctx, const watch_options& opts);

}  // namespace tessera::cli
