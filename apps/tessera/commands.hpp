// The subcommands of the `tessera` program, each thin over the public API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tessera/encryption.hpp"

namespace tessera::cli {

/// Exit codes shared by the subcommands.
enum exit_code : int {
  exit_ok = 0,
  exit_bad_input = 1,      ///< bad usage, missing or malformed .torrent
  exit_no_tracker = 2,     ///< every tracker unreachable and no peer to talk to
  exit_storage = 3,        ///< download directory not writable, disk full, nothing to seed...
  exit_incomplete = 4,     ///< check: some piece or file is missing or does not verify
  exit_interrupted = 130,  ///< stopped by SIGINT/SIGTERM (a download; seeding ends normally)
};

/// When to stop seeding (0: no such limit; without either, seed until Ctrl+C).
struct seed_options {
  double ratio = 0;            ///< --ratio: uploaded / max(downloaded, size)
  std::int64_t seed_time = 0;  ///< --seed-time, seconds
};

struct download_options {
  std::string torrent_path;        ///< a .torrent file, or (download only) a magnet URI
  std::string output_dir = ".";
  std::uint16_t port = 6881;       ///< preferred listen port (falls back to another, logged)
  std::string interface;           ///< listen address ("" = all)
  int max_peers = 60;
  std::vector<std::string> peers;  ///< extra peers "ip:port" to dial
  bool quiet = false;              ///< no progress lines, only the summary
  bool seed = false;               ///< --seed: keep seeding after completion
  seed_options seeding;
  bool no_dht = false;                     ///< --no-dht: no DHT node (BEP 5)
  std::vector<std::string> dht_bootstrap;  ///< --dht-bootstrap HOST:PORT, repeatable
  std::string dht_state;                   ///< --dht-state FILE: routing table kept across runs
  bool no_lsd = false;                     ///< --no-lsd: no local service discovery (BEP 14)
  /// --encryption disabled|enabled|forced: MSE/PE of peer connections (session_settings::encryption).
  encryption_mode encryption = encryption_mode::enabled;
  /// --no-utp: TCP only, no uTP (BEP 29) either way (session_settings::enable_utp).
  bool no_utp = false;
  /// --download-limit / --upload-limit: session-wide rate limits in KiB/s (1024 bytes/s);
  /// 0 = unlimited.
  std::int64_t download_limit_kib = 0;
  std::int64_t upload_limit_kib = 0;
  /// --state-dir: resume data and a magnet's fetched .torrent (session_settings::state_dir).
  std::string state_dir;
  /// --select 1,3: download only these files (indexes as `tessera show` lists them); the others
  /// are skipped. Empty: every file. Needs a .torrent file (not a magnet).
  std::vector<int> select;
  bool sequential = false;  ///< --sequential: pieces in order (torrent_handle::set_sequential_download)
  /// --overwrite: write into files at the torrent's paths that it did not create and that no
  /// verified piece shows to be its own (add_torrent_params::overwrite_existing_files); without
  /// it such a file stops the download with an error naming it.
  bool overwrite = false;
};

/// The default --state-dir: $XDG_STATE_HOME/tessera, else $HOME/.local/state/tessera, else "".
std::string default_state_dir();
/// True when `arg` is a magnet URI rather than a file name ("magnet:" in any case).
bool is_magnet_uri(const std::string& arg);

/// `tessera seed`: the same options; `output_dir` is where the data is (-d).
using seed_command_options = download_options;

int run_download(const download_options& opts);
/// Verifies the data under opts.output_dir and seeds it. Pieces that fail the check are missing:
/// like libtorrent and Transmission, it seeds what verifies (with a warning saying how much is
/// missing) and fetches the rest from peers that have it; with no piece at all present it exits
/// exit_storage (a wrong directory is the likely cause). Ends on Ctrl+C (exit 0) or a limit.
int run_seed(const seed_command_options& opts);
int run_show(const std::string& torrent_path);

/// `tessera create PATH`: the options (tessera::create_torrent_params from the command line).
struct create_command_options {
  std::string path;                     ///< the file or folder
  std::string output;                   ///< -o; "" = "<name>.torrent" in the current directory
  bool force = false;                   ///< --force: replace an existing output file
  bool v1 = false, v2 = false;          ///< --v1 / --v2; neither (or --hybrid): hybrid
  std::string piece_size = "auto";      ///< --piece-size: bytes, 256K, 4M or auto
  std::vector<std::string> trackers;    ///< -t: one tier each, URLs split at ','
  std::vector<std::string> web_seeds;   ///< -w (BEP 19)
  bool is_private = false;              ///< --private (BEP 27)
  std::string comment;                  ///< --comment
  std::string source;                   ///< --source (info.source)
  bool no_date = false;                 ///< --no-date: no `creation date`
  std::optional<std::string> creator;   ///< --creator; default "tessera <version>"
  std::vector<std::string> exclude;     ///< --exclude GLOB, repeatable
  int threads = 0;                      ///< --threads; 0 = one per core
};
/// Creates the .torrent and prints its info-hash(es), piece count and size, file count. Exit
/// codes: exit_bad_input for bad options, a missing root, nothing to hash or an existing output
/// without --force; exit_storage when a file cannot be read or the output written;
/// exit_interrupted on Ctrl+C (nothing written).
int run_create(const create_command_options& opts);
/// `tessera check FILE.torrent -d DIR`.
struct check_command_options {
  std::string torrent_path;
  std::string dir = ".";  ///< -d: the directory holding the data, laid out as a download
  int threads = 0;        ///< --threads; 0: one per core
  bool json = false;      ///< --json: the report as one JSON object, no progress line
  bool v1_only = false;   ///< --v1-only: SHA-1 only (a hybrid's v1 half)
  bool v2_only = false;   ///< --v2-only: SHA-256 only (a hybrid's v2 half)
};
/// Hashes the data under opts.dir against the torrent (tessera::check_files) and prints the
/// per-file report. Exit 0 when every piece and file verifies, exit_incomplete when not,
/// exit_bad_input for a bad .torrent, a directory that is not there or a --v1-only/--v2-only the
/// torrent has no hashes for, exit_interrupted on Ctrl+C.
/// Never writes into opts.dir.
int run_check(const check_command_options& opts);

/// `tessera daemon` (docs/daemon.md): a long-running session driven over Transmission's RPC.
/// Unset optionals keep settings.json's value.
struct daemon_command_options {
  std::string config_dir;                  ///< --config-dir; default default_config_dir()
  std::optional<std::string> download_dir; ///< --download-dir (absolute or made absolute)
  std::optional<std::uint16_t> port;       ///< --port: peer listen port
  std::optional<encryption_mode> encryption; ///< --encryption: MSE/PE policy (settings.json `encryption`)
  bool no_utp = false;                     ///< --no-utp: uTP off (saved as settings.json `utp-enabled`)
  std::optional<std::string> rpc_bind;     ///< --rpc-bind: RPC address (default 127.0.0.1)
  std::optional<std::uint16_t> rpc_port;   ///< --rpc-port (default 9091; 0 = any free port)
  std::string web_home;                    ///< --web-home, else $TRANSMISSION_WEB_HOME
  std::string web_ui_dir;                  ///< --web-ui-dir: /tessera/web/ from here, not embedded
  bool rpc_insecure = false;               ///< --rpc-insecure: non-loopback RPC without auth
  std::string rpc_cert, rpc_key;           ///< --rpc-cert / --rpc-key: HTTPS
  std::optional<std::string> rpc_password; ///< --rpc-password: stored hashed in settings.json
  std::optional<std::string> rpc_username; ///< --rpc-username (turns authentication on)
};
/// $XDG_CONFIG_HOME/tessera, else $HOME/.config/tessera.
std::string default_config_dir();
/// Runs until SIGTERM/SIGINT or the RPC's session-close; SIGHUP re-reads settings.json. Exit 0 on
/// a clean stop, exit_bad_input on bad settings, exit_storage when the config dir or a port
/// cannot be used.
int run_daemon(const daemon_command_options& opts);

}  // namespace tessera::cli
