#include "console.hpp"

#include <unistd.h>

#include <cctype>
#include <cstdarg>
#include <csignal>
#include <cstdlib>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>

#include "format.hpp"

namespace tessera::cli {

namespace {
std::atomic<bool> g_interrupted{false};
extern "C" void on_signal(int) { g_interrupted.store(true); }
}  // namespace

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool interrupted() { return g_interrupted.load(); }

void event_queue::push(const event& e) {
  bool notable = !std::holds_alternative<events::piece_verified>(e);
  {
    std::lock_guard lock(mutex_);
    events_.push_back(e);
    notable_ = notable_ || notable;
  }
  if (notable) cv_.notify_one();
}

std::deque<event> event_queue::take() {
  std::lock_guard lock(mutex_);
  notable_ = false;
  return std::exchange(events_, {});
}

void event_queue::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, timeout, [this] { return notable_; });
}

std::string default_state_dir() {
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) return std::string(x) + "/tessera";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.local/state/tessera";
  return {};
}

bool is_magnet_uri(const std::string& arg) {
  static constexpr std::string_view scheme = "magnet:";
  if (arg.size() < scheme.size()) return false;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(arg[i])) != scheme[i]) return false;
  }
  return true;
}

result<running_torrent, int> start_torrent(const download_options& opts) {
  running_torrent rt;
  add_torrent_params params;
  if (is_magnet_uri(opts.torrent_path)) {
    auto m = add_torrent_params::from_magnet(opts.torrent_path, opts.output_dir);
    if (!m) {
      std::fprintf(stderr, "tessera: error: bad magnet link: %s\n", m.error().message().c_str());
      return unexpected{int{exit_bad_input}};
    }
    params = std::move(*m);
  } else {
    auto loaded = load_torrent_file(opts.torrent_path);
    if (!loaded) {
      std::fprintf(stderr, "tessera: error: %s: %s\n", opts.torrent_path.c_str(),
                   loaded.error().message().c_str());
      return unexpected{int{exit_bad_input}};
    }
    rt.ti = std::make_shared<const torrent_info>(std::move(loaded).value());
    params.ti = rt.ti;
  }

  session_settings settings;
  settings.listen_port = opts.port;
  settings.listen_interface = opts.interface;
  settings.max_connections_per_torrent = opts.max_peers;
  settings.enable_dht = !opts.no_dht;
  settings.dht_bootstrap_nodes = opts.dht_bootstrap;
  settings.dht_state_file = opts.dht_state;
  settings.enable_lsd = !opts.no_lsd;
  settings.encryption = opts.encryption;
  settings.enable_utp = !opts.no_utp;
  settings.download_rate_limit = opts.download_limit_kib * 1024;
  settings.upload_rate_limit = opts.upload_limit_kib * 1024;
  settings.state_dir = opts.state_dir;
  rt.ses = std::make_unique<session>(settings);
  rt.events = std::make_shared<event_queue>();
  rt.ses->set_event_handler([events = rt.events](const event& e) { events->push(e); });

  if (!opts.select.empty()) {
    if (!rt.ti) {
      std::fprintf(stderr, "tessera: error: --select needs a .torrent file, not a magnet link\n");
      return unexpected{int{exit_bad_input}};
    }
    params.file_priorities.assign(rt.ti->files().size(), file_priority::skip);
    for (int i : opts.select) {
      if (i < 0 || i >= static_cast<int>(rt.ti->files().size())) {
        std::fprintf(stderr, "tessera: error: --select %d: the torrent has files 0..%zu\n", i,
                     rt.ti->files().size() - 1);
        return unexpected{int{exit_bad_input}};
      }
      params.file_priorities[static_cast<std::size_t>(i)] = file_priority::normal;
    }
  }
  params.save_path = opts.output_dir;
  params.overwrite_existing_files = opts.overwrite;
  params.peers.insert(params.peers.end(), opts.peers.begin(), opts.peers.end());
  std::string add_error;
  auto handle = rt.ses->add_torrent(std::move(params), &add_error);
  if (!handle) {
    std::fprintf(stderr, "tessera: error: %s\n",
                 add_error.empty() ? handle.error().message().c_str() : add_error.c_str());
    // A malformed --peer is bad usage; anything else is the download directory.
    return unexpected{handle.error() == std::errc::invalid_argument ? int{exit_bad_input}
                                                                    : int{exit_storage}};
  }
  rt.handle = *handle;
  if (opts.sequential) (void)rt.handle.set_sequential_download(true);
  return rt;
}

std::string with_overwrite_hint(const std::string& message) {
  for (auto e : {storage_errc::existing_file, storage_errc::symlink}) {
    if (message.find(make_error_code(e).message()) != std::string::npos)
      return message + "; pass --overwrite to replace it";
  }
  return message;
}

progress_printer::progress_printer(bool quiet) : quiet_(quiet), tty_(isatty(STDOUT_FILENO)) {}

void progress_printer::update(const std::string& line) {
  if (quiet_) return;
  auto now = std::chrono::steady_clock::now();
  auto period = tty_ ? std::chrono::milliseconds(500) : std::chrono::milliseconds(2000);
  if (now - last_ < period) return;
  last_ = now;
  if (tty_) {
    std::printf("\r\033[K%s", line.c_str());
    open_line_ = true;
  } else {
    std::printf("progress %s\n", line.c_str());
  }
  std::fflush(stdout);
}

void progress_printer::line(const char* fmt, ...) {
  end_line();
  va_list args;
  va_start(args, fmt);
  std::vprintf(fmt, args);
  va_end(args);
  std::fflush(stdout);
}

void progress_printer::end_line() {
  if (open_line_) std::printf("\n");
  open_line_ = false;
}

seed_end seed_until(const torrent_handle& h, const seed_limits& limits, event_queue& events,
                    progress_printer& out, torrent_status& last, std::string& error_text) {
  const auto started = std::chrono::steady_clock::now();
  for (;;) {
    for (const auto& e : events.take()) {
      if (auto* err = std::get_if<events::torrent_error>(&e)) {
        error_text = err->message;
        return seed_end::error;
      }
    }
    auto st = h.status();
    if (!st) {
      error_text = st.error().message();
      return seed_end::error;
    }
    last = *st;
    if (last.state == torrent_state::error) {
      error_text = last.error;
      return seed_end::error;
    }
    if (limits.ratio > 0 && share_ratio(last) >= limits.ratio) return seed_end::ratio;
    if (limits.seconds > 0 && std::chrono::steady_clock::now() - started >= std::chrono::seconds(limits.seconds)) {
      return seed_end::time;
    }
    if (interrupted()) return seed_end::interrupted;
    out.update(progress_line(last));
    events.wait(std::chrono::milliseconds(100));
  }
}

const char* to_string(seed_end e) {
  switch (e) {
    case seed_end::ratio: return "ratio limit reached";
    case seed_end::time: return "seed time reached";
    case seed_end::interrupted: return "interrupted";
    case seed_end::error: return "error";
  }
  return "?";
}

}  // namespace tessera::cli
