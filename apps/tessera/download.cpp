// `tessera download FILE.torrent|MAGNET -o DIR`: downloads (a magnet's metadata first, BEP 9) with a live progress line, exits once every
// piece is verified (or, with --seed, seeds on until Ctrl+C or --ratio/--seed-time). Ctrl+C (or
// SIGTERM) stops cleanly: `stopped` is announced, files are closed, and a re-run resumes from the
// verified pieces on disk.
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

int run_download(const download_options& opts) {
  auto running = start_torrent(opts);
  if (!running) return running.error();
  auto& [ti, ses_ptr, events, handle] = *running;  // ti is null for a magnet: names come from status
  session& ses = *ses_ptr;

  install_signal_handlers();
  progress_printer out(opts.quiet);
  auto started = std::chrono::steady_clock::now();
  int rc = -1;
  std::string error_text;
  torrent_status last;

  while (rc < 0) {
    for (const auto& e : events->take()) {
      if (auto* err = std::get_if<events::torrent_error>(&e)) {
        error_text = err->message;
        rc = exit_storage;
      } else if (auto* md = std::get_if<events::metadata_received>(&e)) {
        out.line("tessera: metadata received: %s\n", md->name.c_str());
      } else if (auto* checked = std::get_if<events::torrent_checked>(&e)) {
        out.line("tessera: checked %d/%d pieces already present\n", checked->pieces_present,
                 checked->num_pieces);
      } else if (auto* terr = std::get_if<events::tracker_error>(&e)) {
        if (last.num_peers == 0 && opts.peers.empty()) {
          error_text = "no tracker reachable: " + terr->message;
          rc = exit_no_tracker;
        }
      }
    }
    if (rc >= 0) break;
    auto st = handle.status();
    if (!st) {
      error_text = st.error().message();
      rc = exit_storage;
      break;
    }
    last = *st;
    // Finished: every selected file is verified (all of them without --select).
    if (last.state == torrent_state::seeding || last.is_finished) {
      rc = exit_ok;
      break;
    }
    if (last.state == torrent_state::error) {
      error_text = last.error;
      rc = exit_storage;
      break;
    }
    if (interrupted()) {
      rc = exit_interrupted;
      break;
    }
    out.update(progress_line(last));
    events->wait(std::chrono::milliseconds(100));
  }

  if (rc == exit_ok) {
    if (!opts.seed) ses.stop();  // like before: the line comes once `stopped` is announced
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    out.line("tessera: complete %s: %lld bytes in %.2f s, downloaded %lld bytes (%s average), "
             "uploaded %lld bytes\n",
             last.name.c_str(), static_cast<long long>(last.total_size), secs,
             static_cast<long long>(last.total_downloaded),
             format_rate(secs > 0 ? static_cast<std::int64_t>(last.total_downloaded / secs) : 0).c_str(),
             static_cast<long long>(last.total_uploaded));
    if (opts.seed) {
      out.line("tessera: seeding %s (Ctrl+C to stop)\n", last.name.c_str());
      const auto seed_started = std::chrono::steady_clock::now();
      auto end = seed_until(handle, {opts.seeding.ratio, opts.seeding.seed_time}, *events, out, last,
                            error_text);
      if (end == seed_end::error) rc = exit_storage;
      ses.stop();
      if (auto st = handle.status()) last = *st;
      if (rc == exit_ok) {
        double seed_secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - seed_started).count();
        out.line("tessera: seeded %s for %.0f s (%s): uploaded %lld bytes, ratio %.2f\n",
                 last.name.c_str(), seed_secs, to_string(end),
                 static_cast<long long>(last.total_uploaded), share_ratio(last));
        return rc;
      }
    } else {
      return rc;
    }
  }

  if (rc == exit_interrupted) out.line("tessera: interrupted, stopping (announcing to trackers)\n");
  ses.stop();
  if (auto st = handle.status()) last = *st;
  if (rc == exit_interrupted) {
    out.line("tessera: stopped at %.1f%%, downloaded %lld bytes, uploaded %lld bytes; run again to "
             "resume\n",
             100.0 * last.progress(), static_cast<long long>(last.total_downloaded),
             static_cast<long long>(last.total_uploaded));
  } else {
    out.end_line();
    std::fprintf(stderr, "tessera: error: %s\n", with_overwrite_hint(error_text).c_str());
  }
  return rc;
}

}  // namespace tessera::cli
