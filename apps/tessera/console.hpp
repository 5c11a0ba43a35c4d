// What the session-running subcommands (download, seed) share: SIGINT/SIGTERM handling, the event
// queue drained by the main thread, the progress printer, and the seeding phase with its limits.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "commands.hpp"
#include "tessera/result.hpp"
#include "tessera/session.hpp"

namespace tessera::cli {

/// Installs SIGINT/SIGTERM handlers that set interrupted().
void install_signal_handlers();
bool interrupted();

/// Events arrive on the session's network thread; the main thread drains them.
class event_queue {
 public:
  void push(const event& e);
  std::deque<event> take();
  /// Waits until an event other than piece_verified arrives (those come by the thousand and
  /// need no prompt answer) or `timeout` passes, so the main loop reacts to completion at once.
  void wait(std::chrono::milliseconds timeout);

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<event> events_;
  bool notable_ = false;
};

/// One torrent running in its own session, as `download` and `seed` use it.
struct running_torrent {
  std::shared_ptr<const torrent_info> ti;  ///< null for a magnet link (no metadata yet)
  std::unique_ptr<session> ses;
  std::shared_ptr<event_queue> events;  ///< every session event, for the main thread
  torrent_handle handle;
};

/// Loads opts.torrent_path (or parses it as a magnet URI), starts a session configured from `opts` (listen port and interface,
/// peer limit, DHT, LSD) and adds the torrent to it with opts.output_dir and opts.peers. On failure it
/// prints the one-line error and returns the exit code: exit_bad_input for a missing or malformed
/// .torrent or a malformed --peer, exit_storage for an unusable directory.
result<running_torrent, int> start_torrent(const download_options& opts);

/// `message` (a torrent's error), followed by "; pass --overwrite to replace it" when it is the
/// refusal of a file that was there before or of a symlink (tessera::storage_errc), which
/// --overwrite would lift.
std::string with_overwrite_hint(const std::string& message);

/// Writes progress: one line rewritten in place on a terminal, plain `progress ...` lines every
/// 2 s otherwise (so logs and pipes stay readable).
class progress_printer {
 public:
  explicit progress_printer(bool quiet);
  /// Prints `line` if the period since the last one passed.
  void update(const std::string& line);
  /// Prints a whole line (printf format, checked by the compiler), ending an in-place progress
  /// line first.
  void line(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  void end_line();

 private:
  bool quiet_;
  bool tty_;
  bool open_line_ = false;
  std::chrono::steady_clock::time_point last_{};
};

/// When seeding stops besides Ctrl+C. 0 means "no limit".
struct seed_limits {
  double ratio = 0;           ///< stop once share_ratio (see format.hpp) reaches this
  std::int64_t seconds = 0;   ///< stop after this many seconds of seeding
};

/// Why seed_until returned.
enum class seed_end { ratio, time, interrupted, error };

/// Seeds `h` until a limit, Ctrl+C or a torrent error; prints the seeding progress line. `last`
/// receives the final status; `error_text` the error when it returns seed_end::error.
seed_end seed_until(const torrent_handle& h, const seed_limits& limits, event_queue& events,
                    progress_printer& out, torrent_status& last, std::string& error_text);

/// "ratio limit", "time limit", "interrupted", "error".
const char* to_string(seed_end e);

}  // namespace tessera::cli
