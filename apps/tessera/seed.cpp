// `tessera seed FILE.torrent -d DIR`: verifies the data in DIR and seeds it until Ctrl+C, --ratio
// or --seed-time. Incomplete data: what verifies is seeded (a warning says how much is missing)
// and the rest is fetched from peers that have it, as libtorrent and Transmission do with a
// partial download; no verified piece at all is an error (exit 3: most likely the wrong DIR).
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>
#include <variant>

#include "commands.hpp"
#include "console.hpp"
#include "format.hpp"
#include "tessera/session.hpp"

namespace tessera::cli {

int run_seed(const seed_command_options& opts) {
  if (is_magnet_uri(opts.torrent_path)) {
    std::fprintf(stderr, "tessera: error: seed needs the .torrent file (a magnet link has no piece hashes to check the data against)\n");
    return exit_bad_input;
  }
  auto running = start_torrent(opts);
  if (!running) return running.error();
  auto& [ti, ses_ptr, events, handle] = *running;
  session& ses = *ses_ptr;

  install_signal_handlers();
  progress_printer out(opts.quiet);
  std::string error_text;
  torrent_status last;

  // Phase 1: the check of the data on disk.
  bool checked = false;
  while (!checked) {
    for (const auto& e : events->take()) {
      if (auto* err = std::get_if<events::torrent_error>(&e)) error_text = err->message;
      if (auto* c = std::get_if<events::torrent_checked>(&e)) {
        checked = true;
        out.line("tessera: checked %d/%d pieces already present\n", c->pieces_present, c->num_pieces);
      }
    }
    auto st = handle.status();
    if (st) last = *st;
    if (!st || last.state == torrent_state::error || !error_text.empty()) {
      if (error_text.empty()) error_text = st ? last.error : st.error().message();
      out.end_line();
      std::fprintf(stderr, "tessera: error: %s\n", with_overwrite_hint(error_text).c_str());
      return exit_storage;
    }
    if (interrupted()) {
      ses.stop();
      out.line("tessera: interrupted while checking\n");
      return exit_interrupted;
    }
    if (!checked) {
      out.update(progress_line(last));
      events->wait(std::chrono::milliseconds(50));
    }
  }
  if (auto st = handle.status()) last = *st;
  if (last.pieces_done == 0 && last.num_pieces > 0) {
    ses.stop();
    std::fprintf(stderr, "tessera: error: no data of %s found under %s: nothing to seed\n",
                 ti->name().c_str(), opts.output_dir.c_str());
    return exit_storage;
  }
  if (last.state != torrent_state::seeding) {
    out.line("tessera: warning: %d of %d pieces missing or corrupt (%s of %s); seeding what is "
             "present and fetching the rest from peers\n",
             last.num_pieces - last.pieces_done, last.num_pieces,
             format_bytes(last.total_size - last.total_done).c_str(),
             format_bytes(last.total_size).c_str());
  }
  out.line("tessera: seeding %s on port %u (Ctrl+C to stop)\n", ti->name().c_str(),
           static_cast<unsigned>(ses.listen_port()));

  // Phase 2: seed.
  const auto started = std::chrono::steady_clock::now();
  auto end = seed_until(handle, {opts.seeding.ratio, opts.seeding.seed_time}, *events, out, last,
                        error_text);
  if (end == seed_end::interrupted) out.line("tessera: interrupted, stopping (announcing to trackers)\n");
  ses.stop();
  if (end == seed_end::error) {
    out.end_line();
    std::fprintf(stderr, "tessera: error: %s\n", with_overwrite_hint(error_text).c_str());
    return exit_storage;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  out.line("tessera: seeded %s for %.0f s (%s): uploaded %lld bytes, ratio %.2f\n", ti->name().c_str(),
           secs, to_string(end), static_cast<long long>(last.total_uploaded), share_ratio(last));
  return exit_ok;
}

}  // namespace tessera::cli
