// The `tessera` command line: subcommands over the public libtessera API.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "commands.hpp"

int main(int argc, char** argv) {
  using namespace tessera::cli;
  CLI::App app{"tessera: a BitTorrent client"};
  app.require_subcommand(1);
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off")->capture_default_str();

  download_options dl;
  auto* download = app.add_subcommand("download", "Download a .torrent into a directory");
  download->add_option("torrent", dl.torrent_path, "The .torrent file")->required();
  download->add_option("-o,--output", dl.output_dir, "Download directory")->capture_default_str();
  download->add_option("--port", dl.port, "TCP port announced to trackers")->capture_default_str();
  download->add_option("--max-peers", dl.max_peers, "Peer connections at most")->capture_default_str();
  download->add_option("--peer", dl.peers, "Also connect to this peer (IP:PORT); repeatable");
  download->add_flag("-q,--quiet", dl.quiet, "Only print the final summary");

  std::string show_path;
  auto* show = app.add_subcommand("show", "Print what a .torrent contains");
  show->add_option("torrent", show_path, "The .torrent file")->required();

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

  if (*download) return run_download(dl);
  if (*show) return run_show(show_path);
  return exit_bad_input;
}
