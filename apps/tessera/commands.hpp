// The subcommands of the `tessera` program, each thin over the public API.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::cli {

/// Exit codes shared by the subcommands.
enum exit_code : int {
  exit_ok = 0,
  exit_bad_input = 1,      ///< bad usage, missing or malformed .torrent
  exit_no_tracker = 2,     ///< every tracker unreachable and no peer to talk to
  exit_storage = 3,        ///< download directory not writable, disk full...
  exit_interrupted = 130,  ///< stopped by SIGINT/SIGTERM
};

struct download_options {
  std::string torrent_path;
  std::string output_dir = ".";
  std::uint16_t port = 6881;
  int max_peers = 60;
  std::vector<std::string> peers;  ///< extra peers "ip:port" to dial
  bool quiet = false;              ///< no progress lines, only the summary
};

int run_download(const download_options& opts);
int run_show(const std::string& torrent_path);

}  // namespace tessera::cli
