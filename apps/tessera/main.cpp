// The `tessera` command line: subcommands over the public libtessera API.
#include <cctype>
#include <map>
#include <string>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "commands.hpp"
#include "remote_commands.hpp"

int main(int argc, char** argv) {
  using namespace tessera::cli;
  // --encryption: libtorrent's names for the MSE/PE policies.
  const std::map<std::string, tessera::encryption_mode> encryption_names{
      {"disabled", tessera::encryption_mode::disabled},
      {"enabled", tessera::encryption_mode::enabled},
      {"forced", tessera::encryption_mode::forced}};
  const char* encryption_help =
      "MSE/PE: enabled (default: prefer encrypted, fall back to plaintext), forced (encrypted only, "
      "plaintext peers refused), disabled (dial in plaintext, still answer encrypted peers)";
  CLI::App app{"tessera: a BitTorrent client"};
  app.require_subcommand(1);
  std::string log_level = "warn";
  auto* log_level_option = app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off (daemon: info)")
                               ->capture_default_str();

  download_options dl;
  auto* download = app.add_subcommand("download", "Download a .torrent into a directory");
  download->add_option("torrent", dl.torrent_path, "The .torrent file or a magnet: URI")->required();
  dl.state_dir = default_state_dir();
  download->add_option("--state-dir", dl.state_dir, "Where resume data and a magnet's fetched .torrent are kept")
      ->capture_default_str();
  download->add_option("-o,--output", dl.output_dir, "Download directory")->capture_default_str();
  download->add_option("--port", dl.port, "TCP port announced to trackers")->capture_default_str();
  download->add_option("--max-peers", dl.max_peers, "Peer connections at most")->capture_default_str();
  download->add_option("--peer", dl.peers, "Also connect to this peer (IP:PORT); repeatable");
  download->add_flag("-q,--quiet", dl.quiet, "Only print the final summary");
  download->add_option("--interface", dl.interface, "Listen on this IP address only (default: all)");
  download->add_flag("--seed", dl.seed, "Keep seeding after the download completes");
  download->add_option("--ratio", dl.seeding.ratio, "With --seed: stop at this share ratio")
      ->check(CLI::NonNegativeNumber);
  download->add_flag("--no-dht", dl.no_dht, "Do not use the DHT (trackerless peer discovery)");
  download->add_option("--dht-bootstrap", dl.dht_bootstrap, "Join the DHT through this node (HOST:PORT); repeatable");
  download->add_option("--dht-state", dl.dht_state, "Keep the DHT routing table in this file across runs");
  download->add_flag("--no-lsd", dl.no_lsd, "Do not use local service discovery (LAN multicast)");
  std::string dl_encryption = "enabled", sd_encryption = "enabled", dm_encryption;
  const auto encryption_choice = CLI::IsMember({"disabled", "enabled", "forced"}, CLI::ignore_case);
  download->add_option("--encryption", dl_encryption, encryption_help)->check(encryption_choice);
  download->add_flag("--no-utp", dl.no_utp, "TCP only: no uTP peer connections either way");
  download->add_option("--select", dl.select, "Download only these files (indexes from `tessera show`), e.g. 1,3")
      ->delimiter(',');
  download->add_flag("--sequential", dl.sequential, "Download pieces in order (for streaming)");
  download->add_flag("--overwrite", dl.overwrite,
                     "Write into files already at the torrent's paths that it did not create (and replace "
                     "symlinks there); without it such a file stops the download");
  download->add_option("--download-limit", dl.download_limit_kib, "Download at most this many KiB/s (0: no limit)")
      ->check(CLI::NonNegativeNumber);
  download->add_option("--upload-limit", dl.upload_limit_kib, "Upload at most this many KiB/s (0: no limit)")
      ->check(CLI::NonNegativeNumber);
  download->add_option("--seed-time", dl.seeding.seed_time, "With --seed: stop after seeding this many seconds")
      ->check(CLI::NonNegativeNumber);

  seed_command_options sd;
  auto* seed = app.add_subcommand("seed", "Verify the data of a .torrent and seed it");
  seed->add_option("torrent", sd.torrent_path, "The .torrent file")->required();
  seed->add_option("-d,--dir,-o,--output", sd.output_dir, "Directory holding the data")->capture_default_str();
  seed->add_option("--port", sd.port, "TCP port to listen on (falls back to a free one)")->capture_default_str();
  seed->add_option("--interface", sd.interface, "Listen on this IP address only (default: all)");
  seed->add_option("--max-peers", sd.max_peers, "Peer connections at most")->capture_default_str();
  seed->add_option("--peer", sd.peers, "Also connect to this peer (IP:PORT); repeatable");
  seed->add_option("--ratio", sd.seeding.ratio, "Stop at this share ratio (uploaded / size)")
      ->check(CLI::NonNegativeNumber);
  seed->add_option("--seed-time", sd.seeding.seed_time, "Stop after seeding this many seconds")
      ->check(CLI::NonNegativeNumber);
  seed->add_flag("--no-dht", sd.no_dht, "Do not use the DHT (trackerless peer discovery)");
  seed->add_option("--dht-bootstrap", sd.dht_bootstrap, "Join the DHT through this node (HOST:PORT); repeatable");
  seed->add_option("--dht-state", sd.dht_state, "Keep the DHT routing table in this file across runs");
  seed->add_flag("--no-lsd", sd.no_lsd, "Do not use local service discovery (LAN multicast)");
  seed->add_option("--encryption", sd_encryption, encryption_help)->check(encryption_choice);
  seed->add_flag("--no-utp", sd.no_utp, "TCP only: no uTP peer connections either way");
  sd.state_dir = default_state_dir();
  seed->add_option("--state-dir", sd.state_dir, "Where resume data is kept (a re-run skips hashing)")
      ->capture_default_str();
  seed->add_option("--download-limit", sd.download_limit_kib, "Download at most this many KiB/s (0: no limit)")
      ->check(CLI::NonNegativeNumber);
  seed->add_option("--upload-limit", sd.upload_limit_kib, "Upload at most this many KiB/s (0: no limit)")
      ->check(CLI::NonNegativeNumber);
  seed->add_flag("-q,--quiet", sd.quiet, "Only print the final summary");
  seed->add_flag("--overwrite", sd.overwrite,
                 "Write missing pieces into files that no verified piece shows to be the torrent's (and "
                 "replace symlinks there); without it such a file stops seeding");

  std::string show_path;
  auto* show = app.add_subcommand("show", "Print what a .torrent contains");
  show->add_option("torrent", show_path, "The .torrent file")->required();

  create_command_options cr;
  auto* create = app.add_subcommand("create", "Make a .torrent of a file or a folder (v1, v2 or hybrid)");
  create->add_option("path", cr.path, "The file or folder")->required();
  create->add_option("-o,--output", cr.output, "The .torrent to write (default: NAME.torrent here; never "
                                               "overwritten without --force)");
  create->add_flag("--force", cr.force, "Overwrite the output file if it exists");
  auto* v1_flag = create->add_flag("--v1", cr.v1, "A v1 torrent (BEP 3; SHA-1 pieces)");
  auto* v2_flag = create->add_flag("--v2", cr.v2, "A v2-only torrent (BEP 52; SHA-256 merkle trees)");
  bool hybrid_flag = false;
  auto* hybrid_opt = create->add_flag("--hybrid", hybrid_flag, "A hybrid v1+v2 torrent (the default)");
  v1_flag->excludes(v2_flag)->excludes(hybrid_opt);
  v2_flag->excludes(hybrid_opt);
  create->add_option("--piece-size", cr.piece_size, "Bytes per piece: a number, with K or M (256K, 4M), or auto "
                                                    "(as libtorrent picks)")->capture_default_str();
  create->add_option("-t,--tracker", cr.trackers, "Announce URL; one tier per flag, several URLs of a tier "
                                                  "split by ','; repeatable")
      ->allow_extra_args(false);
  create->add_option("-w,--web-seed", cr.web_seeds, "Web seed URL (BEP 19); repeatable")->allow_extra_args(false);
  create->add_flag("--private", cr.is_private, "Set the private flag (BEP 27: trackers only, no DHT/PEX/LSD)");
  create->add_option("--comment", cr.comment, "Comment");
  create->add_option("--source", cr.source, "info.source (changes the info-hash; some trackers ask for it)");
  create->add_flag("--no-date", cr.no_date, "Write no creation date (the same files give the same file)");
  create->add_option("--creator", cr.creator, "`created by` (default: tessera and its version; \"\": none)");
  create->add_option("--exclude", cr.exclude, "Leave out files and folders whose relative path or name "
                                              "matches this glob; repeatable")
      ->allow_extra_args(false);
  create->add_option("--threads", cr.threads, "Hashing threads (default 0: one per core)")
      ->check(CLI::NonNegativeNumber);
  check_command_options ck;
  auto* check = app.add_subcommand("check", "Hash the data in a directory against a .torrent and report per file what is complete");
  check->add_option("torrent", ck.torrent_path, "The .torrent file")->required();
  check->add_option("-d,--dir", ck.dir, "Directory holding the data (as a download of the torrent lays it out)")
      ->capture_default_str();
  check->add_option("--threads", ck.threads, "Hashing threads (0: one per core)")->check(CLI::NonNegativeNumber);
  check->add_flag("--json", ck.json, "Print the report as one JSON object");
  auto* v1_only = check->add_flag("--v1-only", ck.v1_only, "Compare only the SHA-1 piece hashes (a hybrid torrent's v1 half)");
  check->add_flag("--v2-only", ck.v2_only, "Compare only the SHA-256 piece layers (a hybrid torrent's v2 half)")
      ->excludes(v1_only);

  daemon_command_options dm;
  auto* daemon = app.add_subcommand("daemon", "Run a torrent daemon driven over Transmission's RPC (docs/daemon.md)");
  dm.config_dir = default_config_dir();
  daemon->add_option("--config-dir", dm.config_dir, "settings.json, stats.json and torrents/")->capture_default_str();
  daemon->add_option("--download-dir", dm.download_dir, "Where new torrents are saved (default ~/Downloads)");
  daemon->add_option("--port", dm.port, "Peer listen port (default 51413)");
  daemon->add_option("--encryption", dm_encryption, std::string(encryption_help) + "; saved in settings.json")
      ->check(encryption_choice);
  daemon->add_flag("--no-utp", dm.no_utp, "TCP only: no uTP peer connections either way; saved in settings.json");
  daemon->add_option("--rpc-bind", dm.rpc_bind, "RPC address (default 127.0.0.1; another needs authentication)");
  daemon->add_option("--rpc-port", dm.rpc_port, "RPC port (default 9091; 0: any free port)");
  daemon->add_option("--web-home", dm.web_home, "Serve this web client at /transmission/web/ (or $TRANSMISSION_WEB_HOME)");
  daemon->add_option("--web-ui-dir", dm.web_ui_dir, "Serve tessera's web interface at /tessera/web/ from this directory (node web/build.mjs --outdir DIR) instead of the embedded copy");
  daemon->add_flag("--rpc-insecure", dm.rpc_insecure, "Allow a non-loopback RPC address without authentication");
  daemon->add_option("--rpc-cert", dm.rpc_cert, "PEM certificate: serve the RPC over HTTPS (with --rpc-key)");
  daemon->add_option("--rpc-key", dm.rpc_key, "PEM private key of --rpc-cert");
  daemon->add_option("--rpc-username", dm.rpc_username, "Require this user name (HTTP Basic auth)");
  daemon->add_option("--rpc-password", dm.rpc_password, "Set the RPC password (stored hashed in settings.json)");
  bool foreground = true;
  daemon->add_flag("-f,--foreground", foreground, "Run in the foreground (always; for systemd and scripts)");
  // add, list, info, files, start, stop, verify, reannounce, remove, set, session, stats.
  const remote_commands remote = add_remote_commands(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : exit_bad_input;
  }
  // Logs go to stderr; stdout carries the progress lines and the summary.
  spdlog::set_default_logger(spdlog::stderr_color_mt("tessera"));
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("[%H:%M:%S.%e] [%l] %v");

  auto mode_of = [&](std::string name) {
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return encryption_names.at(name);  // IsMember checked it
  };
  dl.encryption = mode_of(dl_encryption);
  sd.encryption = mode_of(sd_encryption);
  if (!dm_encryption.empty()) dm.encryption = mode_of(dm_encryption);
  if (*download) return run_download(dl);
  if (*seed) return run_seed(sd);
  if (*show) return run_show(show_path);
  if (*create) return run_create(cr);
  if (*check) return run_check(ck);
  if (*daemon) {
    if (log_level_option->count() == 0) spdlog::set_level(spdlog::level::info);  // a service logs what it does
    return run_daemon(dm);
  }
  if (auto rc = remote.run()) return *rc;
  return exit_bad_input;
}
