// `tessera download FILE.torrent -o DIR`: downloads with a live progress line, exits once every
// piece is verified. Ctrl+C (or SIGTERM) stops cleanly: `stopped` is announced, files are closed,
// and a re-run resumes from the verified pieces on disk.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <variant>

#include "commands.hpp"
#include "format.hpp"
#include "tessera/session.hpp"

namespace tessera::cli {

namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_signal(int) { g_interrupted.store(true); }

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

/// Events arrive on the session's network thread; the main thread drains them.
class event_queue {
 public:
  void push(const event& e) {
    std::lock_guard lock(mutex_);
    events_.push_back(e);
  }
  std::deque<event> take() {
    std::lock_guard lock(mutex_);
    return std::exchange(events_, {});
  }

 private:
  std::mutex mutex_;
  std::deque<event> events_;
};

/// Writes progress: one line rewritten in place on a terminal, plain lines every few seconds
/// otherwise (so logs and pipes stay readable).
class progress_printer {
 public:
  explicit progress_printer(bool quiet) : quiet_(quiet), tty_(isatty(STDOUT_FILENO)) {}

  void update(const torrent_status& st) {
    if (quiet_) return;
    auto now = std::chrono::steady_clock::now();
    auto period = tty_ ? std::chrono::milliseconds(500) : std::chrono::milliseconds(2000);
    if (now - last_ < period) return;
    last_ = now;
    auto line = progress_line(st);
    if (tty_) {
      std::printf("\r\033[K%s", line.c_str());
      open_line_ = true;
    } else {
      std::printf("progress %s\n", line.c_str());
    }
    std::fflush(stdout);
  }

  /// Prints a whole line, ending an in-place progress line first.
  template <class... Args>
  void line(const char* fmt, Args... args) {
    end_line();
    std::printf(fmt, args...);
    std::fflush(stdout);
  }

  void end_line() {
    if (open_line_) std::printf("\n");
    open_line_ = false;
  }

 private:
  bool quiet_;
  bool tty_;
  bool open_line_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace

int run_download(const download_options& opts) {
  auto loaded = load_torrent_file(opts.torrent_path);
  if (!loaded) {
    std::fprintf(stderr, "tessera: error: %s: %s\n", opts.torrent_path.c_str(),
                 loaded.error().message().c_str());
    return exit_bad_input;
  }
  auto ti = std::make_shared<const torrent_info>(std::move(loaded).value());

  session_settings settings;
  settings.listen_port = opts.port;
  settings.max_connections_per_torrent = opts.max_peers;
  session ses(settings);
  auto events = std::make_shared<event_queue>();
  ses.set_event_handler([events](const event& e) { events->push(e); });

  add_torrent_params params;
  params.ti = ti;
  params.save_path = opts.output_dir;
  params.peers = opts.peers;
  std::string add_error;
  auto handle = ses.add_torrent(std::move(params), &add_error);
  if (!handle) {
    std::fprintf(stderr, "tessera: error: %s\n",
                 add_error.empty() ? handle.error().message().c_str() : add_error.c_str());
    // A malformed --peer is bad usage; anything else is the download directory.
    return handle.error() == std::errc::invalid_argument ? exit_bad_input : exit_storage;
  }

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
    auto st = handle->status();
    if (!st) {
      error_text = st.error().message();
      rc = exit_storage;
      break;
    }
    last = *st;
    if (last.state == torrent_state::seeding) {
      rc = exit_ok;
      break;
    }
    if (last.state == torrent_state::error) {
      error_text = last.error;
      rc = exit_storage;
      break;
    }
    if (g_interrupted.load()) {
      rc = exit_interrupted;
      break;
    }
    out.update(last);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  if (rc == exit_interrupted) out.line("tessera: interrupted, stopping (announcing to trackers)\n");
  ses.stop();
  if (auto st = handle->status()) last = *st;
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (rc == exit_ok) {
    out.line("tessera: complete %s: %lld bytes in %.2f s, downloaded %lld bytes (%s average)\n",
             ti->name.c_str(), static_cast<long long>(last.total_size), secs,
             static_cast<long long>(last.total_downloaded),
             format_rate(secs > 0 ? static_cast<std::int64_t>(last.total_downloaded / secs) : 0).c_str());
  } else if (rc == exit_interrupted) {
    out.line("tessera: stopped at %.1f%%, downloaded %lld bytes; run again to resume\n",
             100.0 * last.progress(), static_cast<long long>(last.total_downloaded));
  } else {
    out.end_line();
    std::fprintf(stderr, "tessera: error: %s\n", error_text.c_str());
  }
  return rc;
}

}  // namespace tessera::cli
