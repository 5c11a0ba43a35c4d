#include "remote_commands.hpp"

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include <CLI/CLI.hpp>

#include "remote_verbs.hpp"

namespace tessera::cli {

struct remote_commands::state {
  remote_options common;
  add_options add;
  std::vector<std::string> ids;  ///< the ID... of info, files, start, stop, verify, reannounce, remove
  bool delete_data = false;
  set_options set;
  std::vector<std::string> assignments;  ///< session --set
  watch_options watch;

  CLI::App* add_cmd = nullptr;
  CLI::App* list_cmd = nullptr;
  CLI::App* info_cmd = nullptr;
  CLI::App* files_cmd = nullptr;
  CLI::App* remove_cmd = nullptr;
  CLI::App* set_cmd = nullptr;
  CLI::App* session_cmd = nullptr;
  CLI::App* stats_cmd = nullptr;
  CLI::App* watch_cmd = nullptr;
  /// start, stop, verify, reannounce: the subcommand, its RPC method and what it prints.
  struct action {
    CLI::App* cmd;
    const char* method;
    const char* done;
  };
  std::vector<action> actions;
};

namespace {

constexpr const char* ids_help =
    "Torrents: IDs as `tessera list` numbers them, or info-hash prefixes (hex, any case)";

constexpr const char* footer =
    "The daemon: --rpc URL (default http://127.0.0.1:9091/transmission/rpc), a Transmission 3.00 "
    "compatible RPC (tessera daemon, transmission-daemon). Credentials: --auth USER:PASS, else "
    "TESSERA_AUTH=USER:PASS, else the login for the URL's host in ~/.netrc (sent when the daemon "
    "asks). Sizes and rates are in 1000-based units (1 kB = 1000 bytes), as Transmission prints "
    "them; limits are in kB/s.";

CLI::App* verb(CLI::App& app, remote_commands::state& s, const char* name, const char* description) {
  CLI::App* sub = app.add_subcommand(name, description);
  sub->add_option("--rpc", s.common.rpc_url, "The daemon's RPC URL (http:// or https://)")->capture_default_str();
  sub->add_option("--auth", s.common.auth, "USER:PASS for the daemon (else TESSERA_AUTH, else ~/.netrc)");
  sub->add_flag("--json", s.common.json, "Print the daemon's reply (its arguments object) as JSON");
  sub->add_option("--timeout", s.common.timeout_seconds,
                  "Seconds to wait for each HTTP exchange with the daemon (connect, send, reply)")
      ->capture_default_str();
  sub->footer(footer);
  return sub;
}

void add_ids(CLI::App* sub, std::vector<std::string>& ids, bool allow_all) {
  sub->add_option("ID", ids, std::string(ids_help) + (allow_all ? "; `all` for every torrent" : ""))
      ->required();
}

}  // namespace

remote_commands add_remote_commands(CLI::App& app) {
  auto s = std::make_shared<remote_commands::state>();
  const std::string group = "Drive a daemon";

  s->add_cmd = verb(app, *s, "add", "Add torrents to a daemon: .torrent files, magnet links or http(s) URLs");
  s->add_cmd->add_option("SOURCE", s->add.sources,
                         "A .torrent file (sent to the daemon), a magnet: link or an http(s) URL (the daemon fetches it)")
      ->required();
  s->add_cmd->add_flag("--paused", s->add.paused, "Add them stopped");
  s->add_cmd->add_option("-o,--download-dir", s->add.download_dir,
                         "Download directory: an absolute path on the daemon's machine (default: the daemon's)");
  s->add_cmd->add_option("--select", s->add.select,
                         "Download only these files, e.g. 0,2-3 (indexes as `tessera show` and `tessera files` "
                         "list them, from 0); .torrent files only");

  s->list_cmd = verb(app, *s, "list", "List a daemon's torrents (ID, done, have, ETA, rates, ratio, status, name)");

  s->info_cmd = verb(app, *s, "info", "Show a daemon's torrents in detail");
  add_ids(s->info_cmd, s->ids, false);
  s->files_cmd = verb(app, *s, "files", "List the files of a daemon's torrents (index, done, priority, wanted, size)");
  add_ids(s->files_cmd, s->ids, false);

  for (auto [name, method, done, description] :
       {std::tuple{"start", "torrent-start", "started", "Start torrents on a daemon"},
        std::tuple{"stop", "torrent-stop", "stopped", "Stop torrents on a daemon"},
        std::tuple{"verify", "torrent-verify", "verifying", "Verify torrents' data on a daemon"},
        std::tuple{"reannounce", "torrent-reannounce", "reannouncing", "Ask torrents' trackers for peers now"}}) {
    CLI::App* sub = verb(app, *s, name, description);
    add_ids(sub, s->ids, true);
    s->actions.push_back({sub, method, done});
  }

  s->remove_cmd = verb(app, *s, "remove", "Remove torrents from a daemon (their data stays unless --delete-data)");
  add_ids(s->remove_cmd, s->ids, true);
  s->remove_cmd->add_flag("--delete-data", s->delete_data, "Also delete the downloaded data");

  s->set_cmd = verb(app, *s, "set", "Change torrents' limits, seeding ratio, wanted files and priorities");
  add_ids(s->set_cmd, s->set.ids, true);
  s->set_cmd->add_option("--download-limit", s->set.download_limit,
                         "Download limit in kB/s (1000 bytes/s); 0 or `unlimited`: no limit of its own");
  s->set_cmd->add_option("--upload-limit", s->set.upload_limit,
                         "Upload limit in kB/s (1000 bytes/s); 0 or `unlimited`: no limit of its own");
  s->set_cmd->add_option("--ratio", s->set.ratio,
                         "Stop seeding at this share ratio; `global`: the daemon's setting; `unlimited`: never");
  s->set_cmd->add_option("--want", s->set.want, "Download these files (e.g. 0,2-3, or `all`)");
  s->set_cmd->add_option("--skip", s->set.skip, "Do not download these files (e.g. 1, or `all`)");
  s->set_cmd->add_option("--priority", s->set.priority,
                         "high|normal|low: the torrent's bandwidth priority; high|normal|low:FILES (e.g. "
                         "high:0,2): those files' priority. Repeatable")
      ->allow_extra_args(false);

  s->session_cmd = verb(app, *s, "session", "Show a daemon's settings, or change them with --set");
  s->session_cmd->add_option("--set", s->assignments,
                             "KEY=VALUE with Transmission's key names (`tessera session` lists them), e.g. "
                             "speed-limit-down=500 (kB/s), speed-limit-down-enabled=true, "
                             "download-dir=/srv/dl; VALUE is JSON when it parses as JSON, else text. "
                             "Repeatable (one session-set)")
      ->allow_extra_args(false);

  s->stats_cmd = verb(app, *s, "stats", "Show a daemon's transfer statistics (this session and in total)");

  s->watch_cmd = verb(app, *s, "watch",
                      "Print a daemon's events as they happen: torrents added, removed, finished, state "
                      "changes, errors, and once a second the rates and progress that changed (tessera daemon's "
                      "/tessera/events); --json prints one JSON object per event");
  s->watch_cmd->add_option("--count", s->watch.count, "Exit after this many events (the first, hello, included)");

  for (CLI::App* sub : {s->add_cmd, s->list_cmd, s->info_cmd, s->files_cmd, s->remove_cmd, s->set_cmd,
                        s->session_cmd, s->stats_cmd, s->watch_cmd}) {
    sub->group(group);
  }
  for (const auto& a : s->actions) a.cmd->group(group);
  return remote_commands(std::move(s));
}

std::optional<int> remote_commands::run() const {
  state& s = *state_;
  std::vector<CLI::App*> all = {s.add_cmd, s.list_cmd, s.info_cmd, s.files_cmd, s.remove_cmd,
                                s.set_cmd, s.session_cmd, s.stats_cmd, s.watch_cmd};
  for (const auto& a : s.actions) all.push_back(a.cmd);
  if (std::none_of(all.begin(), all.end(), [](CLI::App* sub) { return sub->parsed(); })) return std::nullopt;

  auto ctx = remote_context::open(s.common);
  if (!ctx) return ctx.error();
  if (s.add_cmd->parsed()) return run_add(*ctx, s.add);
  if (s.list_cmd->parsed()) return run_list(*ctx);
  if (s.info_cmd->parsed()) return run_info(*ctx, s.ids);
  if (s.files_cmd->parsed()) return run_files(*ctx, s.ids);
  if (s.remove_cmd->parsed()) return run_remove(*ctx, s.ids, s.delete_data);
  if (s.set_cmd->parsed()) return run_set(*ctx, s.set);
  if (s.session_cmd->parsed()) return run_session(*ctx, s.assignments);
  if (s.stats_cmd->parsed()) return run_stats(*ctx);
  if (s.watch_cmd->parsed()) return run_watch(*ctx, s.watch);
  for (const auto& a : s.actions) {
    if (a.cmd->parsed()) return run_action(*ctx, a.method, a.done, s.ids);
  }
  return std::nullopt;
}

}  // namespace tessera::cli
