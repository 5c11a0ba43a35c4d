// `tessera check FILE.torrent -d DIR [--threads N] [--json] [--v1-only|--v2-only]`: hashes the
// data in DIR against the torrent (tessera::check_files) and reports per file what is complete.
// Reads only. Exit 0 when every piece and file verifies, exit_incomplete (4) when something is
// missing or wrong.
#include <unistd.h>

#include <cstdio>
#include <stop_token>

#include "check_format.hpp"
#include "commands.hpp"
#include "console.hpp"
#include "format.hpp"
#include "tessera/check.hpp"

namespace tessera::cli {

int run_check(const check_command_options& opts) {
  auto ti = load_torrent_file(opts.torrent_path);
  if (!ti) {
    std::fprintf(stderr, "tessera: error: %s: %s\n", printable(opts.torrent_path).c_str(),
                 ti.error().message().c_str());
    return exit_bad_input;
  }
  const bool has_v1 = !ti->piece_hashes().empty(), has_v2 = ti->meta_version() == 2;
  if ((opts.v1_only && !has_v1) || (opts.v2_only && !has_v2)) {
    std::fprintf(stderr, "tessera: error: %s: a %s torrent has no %s hashes\n", printable(opts.torrent_path).c_str(),
                 has_v1 ? "v1" : "v2-only", opts.v1_only ? "v1 (SHA-1)" : "v2 (SHA-256)");
    return exit_bad_input;
  }
  install_signal_handlers();
  // The live line only on a terminal, and never into JSON.
  progress_printer out(opts.json || !::isatty(STDOUT_FILENO));
  std::stop_source stop;
  check_options co;
  co.threads = opts.threads;
  co.hashes = opts.v1_only ? check_hashes::v1_only : opts.v2_only ? check_hashes::v2_only : check_hashes::all;
  co.stop = stop.get_token();
  co.progress = [&](const check_progress& p) {
    if (interrupted()) stop.request_stop();
    out.update("checking " + std::to_string(p.pieces_done) + "/" + std::to_string(p.pieces_total) +
               " pieces, " + format_bytes(p.bytes_done) + " of " + format_bytes(p.bytes_total));
  };
  if (!opts.json)
    out.line("checking %s (%d pieces x %s, %s) in %s\n", printable(ti->name()).c_str(), ti->num_pieces(),
             format_bytes(ti->piece_length()).c_str(), format_bytes(ti->total_size()).c_str(),
             printable(opts.dir).c_str());
  auto r = check_files(*ti, opts.dir, co);
  out.end_line();
  if (!r) {
    if (r.error() == std::errc::operation_canceled) {
      std::fprintf(stderr, "tessera: interrupted while checking\n");
      return exit_interrupted;
    }
    std::fprintf(stderr, "tessera: error: %s: %s\n", printable(opts.dir).c_str(), r.error().message().c_str());
    return exit_bad_input;
  }
  const std::string report = opts.json ? check_report_json(*ti, *r) : check_report_text(*ti, *r);
  std::fputs(report.c_str(), stdout);
  std::fflush(stdout);
  return r->complete() ? exit_ok : exit_incomplete;
}

}  // namespace tessera::cli
