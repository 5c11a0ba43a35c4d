// `tessera daemon`: the torrent daemon (src/rpc/torrent_daemon), its RPC methods and the HTTP
// front, run until a signal or session-close (docs/daemon.md).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <sstream>

#include "commands.hpp"
#include "rpc/event_hub.hpp"
#include "rpc/http_front.hpp"
#include "rpc/password_hash.hpp"
#include "rpc/rpc_methods.hpp"
#include "rpc/torrent_daemon.hpp"

namespace tessera::cli {

namespace fs = std::filesystem;
namespace json = boost::json;

std::string default_config_dir() {
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return (fs::path(x) / "tessera").string();
  const char* home = std::getenv("HOME");
  return (fs::path(home && *home ? home : ".") / ".config" / "tessera").string();
}

namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto b = item.find_first_not_of(" \t");
    const auto e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

rpc::http_front_options front_options(rpc::daemon_settings& s, const daemon_command_options& opts) {
  rpc::http_front_options f;
  f.bind_address = s.string("rpc-bind-address");
  f.port = static_cast<std::uint16_t>(std::clamp<std::int64_t>(s.integer("rpc-port"), 0, 65535));
  f.base_path = s.string("rpc-url");
  f.whitelist_enabled = s.boolean("rpc-whitelist-enabled");
  f.whitelist = split_list(s.string("rpc-whitelist"));
  f.host_whitelist_enabled = s.boolean("rpc-host-whitelist-enabled");
  f.host_whitelist = split_list(s.string("rpc-host-whitelist"));
  f.authentication_required = s.boolean("rpc-authentication-required");
  f.username = s.string("rpc-username");
  f.password_hash = s.string("rpc-password");
  f.insecure = opts.rpc_insecure;
  f.max_body_bytes = static_cast<std::size_t>(std::clamp<std::int64_t>(s.integer("rpc-max-body-mb"), 1, 1024)) << 20;
  f.lockout_max_failures = static_cast<std::uint32_t>(std::clamp<std::int64_t>(s.integer("rpc-lockout-threshold"), 0, 1000000));
  std::string web = opts.web_home;
  if (web.empty()) {
    if (const char* env = std::getenv("TRANSMISSION_WEB_HOME"); env && *env) web = env;
  }
  f.web_home = web;
  f.web_ui_dir = opts.web_ui_dir;
  f.tls_cert_file = opts.rpc_cert.empty() ? s.string("rpc-tls-cert") : opts.rpc_cert;
  f.tls_key_file = opts.rpc_key.empty() ? s.string("rpc-tls-key") : opts.rpc_key;
  return f;
}

// Credentials from the command line, and a clear password found in settings.json (as
// Transmission does), are stored hashed.
void store_credentials(rpc::torrent_daemon& d, const daemon_command_options& opts) {
  std::scoped_lock lk(d.mutex());
  auto& s = d.settings();
  bool save = false;
  if (opts.rpc_username) {
    s.set("rpc-username", json::value(*opts.rpc_username));
    s.set("rpc-authentication-required", json::value(true));
    save = true;
  }
  if (opts.rpc_password) {
    s.set("rpc-password", json::value(rpc::hash_password(*opts.rpc_password)));
    save = true;
  }
  const auto current = s.string("rpc-password");
  if (!current.empty() && !rpc::looks_like_password_hash(current)) {
    s.set("rpc-password", json::value(rpc::hash_password(current)));
    save = true;
  }
  if (save) d.save_settings();
}

}  // namespace

int run_daemon(const daemon_command_options& opts) {
  // Signals are taken by this thread only (sigtimedwait below): block them before any thread
  // starts, so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  rpc::daemon_options o;
  o.config_dir = fs::absolute(opts.config_dir.empty() ? default_config_dir() : opts.config_dir);
  if (opts.download_dir) o.download_dir = fs::absolute(*opts.download_dir).lexically_normal().string();
  o.peer_port = opts.port;
  o.encryption = opts.encryption;
  o.no_utp = opts.no_utp;
  o.rpc_bind = opts.rpc_bind;
  o.rpc_port = opts.rpc_port;
  // The event stream (/tessera/events): the daemon publishes, the front streams.
  o.events = std::make_shared<rpc::event_hub>();

  rpc::torrent_daemon daemon(o);
  std::vector<std::string> problems;
  auto started = daemon.start(problems);
  for (const auto& p : problems) spdlog::warn("{}", p);
  if (!started) {
    std::fprintf(stderr, "tessera daemon: %s\n", started.error().c_str());
    return exit_storage;
  }
  store_credentials(daemon, opts);

  rpc::http_front_options fo;
  {
    std::scoped_lock lk(daemon.mutex());
    fo = front_options(daemon.settings(), opts);
  }
  fo.events = o.events;
  fo.version = rpc::rpc_methods::tessera_version();
  std::unique_ptr<rpc::http_front> front;
  rpc::rpc_methods methods(
      daemon, [&front] { return front ? front->session_id() : std::string(); }, [] { ::kill(::getpid(), SIGTERM); });
  front = std::make_unique<rpc::http_front>(fo, [&methods](std::string_view body) { return methods.handle(body); });
  auto port = front->start();
  if (!port) {
    std::fprintf(stderr, "tessera daemon: RPC on %s:%u: %s\n", fo.bind_address.c_str(), fo.port,
                 port.error().message().c_str());
    daemon.stop();
    return port.error().category() == rpc::front_category() ? exit_bad_input : exit_storage;
  }
  const bool ipv6 = fo.bind_address.find(':') != std::string::npos;
  std::printf("tessera daemon: RPC on %s://%s%s%s:%u%srpc, peers on port %u, config in %s\n",
              fo.tls_cert_file.empty() ? "http" : "https", ipv6 ? "[" : "", fo.bind_address.c_str(), ipv6 ? "]" : "",
              *port, fo.base_path.c_str(), daemon.peer_port(), o.config_dir.c_str());
  std::printf("tessera daemon: web interface on %s://%s%s%s:%u/tessera/web/%s\n",
              fo.tls_cert_file.empty() ? "http" : "https", ipv6 ? "[" : "", fo.bind_address.c_str(), ipv6 ? "]" : "",
              *port, fo.web_ui_dir.empty() ? "" : " (from --web-ui-dir)");
  std::fflush(stdout);

  for (;;) {
    timespec one_second{1, 0};
    const int sig = sigtimedwait(&signals, nullptr, &one_second);
    if (sig == SIGINT || sig == SIGTERM) break;
    if (sig == SIGHUP) {
      std::vector<std::string> reload_problems;
      auto r = daemon.reload_settings(reload_problems);
      for (const auto& p : reload_problems) spdlog::warn("{}", p);
      if (r) spdlog::info("settings reloaded");
      else spdlog::error("settings not reloaded: {}", r.error());
    }
    daemon.tick();
  }
  std::printf("tessera daemon: stopping\n");
  std::fflush(stdout);
  front->stop();
  daemon.stop();
  return exit_ok;
}

}  // namespace tessera::cli
