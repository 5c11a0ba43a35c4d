// session-get, session-set, session-stats and free-space (shared/transmission-rpc.md §9, §10).
#include <boost/json.hpp>
#include <sys/statvfs.h>

#include <filesystem>

#include "rpc/rpc_version.hpp"
#include "rpc/json_args.hpp"
#include "rpc/rpc_methods.hpp"
#include "rpc/torrent_fields.hpp"

namespace tessera::rpc {

namespace json = boost::json;

namespace {

std::int64_t free_bytes(const std::string& path) {
  struct statvfs s {};
  if (::statvfs(path.c_str(), &s) != 0) return -1;
  return static_cast<std::int64_t>(s.f_bavail) * static_cast<std::int64_t>(s.f_frsize);
}

json::value computed_key(method_context& c, std::string_view key) {
  if (key == "version") return json::value(rpc_methods::version_string());
  if (key == "rpc-version") return rpc_version;
  if (key == "rpc-version-minimum") return rpc_version_minimum;
  if (key == "config-dir") return json::value(c.d.config_dir().string());
  if (key == "session-id") return json::value(c.session_id ? c.session_id() : std::string());
  if (key == "blocklist-size") return 0;
  if (key == "download-dir-free-space") return free_bytes(c.d.settings().string("download-dir"));
  if (key == "units") {
    return json::object{{"speed-units", json::array{"kB/s", "MB/s", "GB/s", "TB/s"}},
                        {"speed-bytes", 1000},
                        {"size-units", json::array{"kB", "MB", "GB", "TB"}},
                        {"size-bytes", 1000},
                        {"memory-units", json::array{"KiB", "MiB", "GiB", "TiB"}},
                        {"memory-bytes", 1024}};
  }
  return nullptr;
}

constexpr std::string_view computed_keys[] = {"version", "rpc-version", "rpc-version-minimum", "config-dir",
                                              "session-id", "blocklist-size", "download-dir-free-space", "units"};

}  // namespace

std::string session_get(method_context& c) {
  auto fields = arg_string_list(c.args, "fields");
  auto wanted = [&](std::string_view k) {
    return !fields || fields->empty() || std::find(fields->begin(), fields->end(), k) != fields->end();
  };
  const auto& values = c.d.settings().values();
  for (const auto& key : daemon_settings::keys()) {
    if (!key.rpc_readable || !wanted(key.name)) continue;
    if (const auto* v = values.if_contains(key.name)) c.reply[key.name] = *v;
  }
  // The peer port the session really listens on (it falls back to another when taken).
  if (wanted("peer-port") && c.d.peer_port() != 0) c.reply["peer-port"] = c.d.peer_port();
  for (auto k : computed_keys) {
    if (wanted(k)) c.reply[k] = computed_key(c, k);
  }
  return "success";
}

std::string session_set(method_context& c) {
  auto changed = c.d.settings().set_from_rpc(c.args);
  if (!changed) return changed.error();
  if (!changed->empty()) {
    c.d.apply_runtime_settings();
    c.d.save_settings();
  }
  return "success";
}

std::string session_stats(method_context& c) {
  auto statuses = c.d.statuses();
  c.d.fold(statuses, unix_now());
  for (const auto& [key, value] : session_counts(c.d, statuses)) c.reply[key] = value;
  auto stats = [](const transfer_stats& s) {
    return json::object{{"uploadedBytes", s.uploaded},   {"downloadedBytes", s.downloaded},
                        {"filesAdded", s.files_added},   {"sessionCount", s.session_count},
                        {"secondsActive", s.seconds_active}};
  };
  c.reply["current-stats"] = stats(c.d.current_stats());
  c.reply["cumulative-stats"] = stats(c.d.cumulative_stats());
  return "success";
}

std::string free_space(method_context& c) {
  auto path = arg_string(c.args, "path");
  if (!path) return "directory path argument is missing";
  if (!std::filesystem::path(*path).is_absolute()) return "directory path is not absolute";
  const auto bytes = free_bytes(*path);
  if (bytes < 0) return "cannot read the free space of " + *path;
  c.reply["path"] = *path;
  c.reply["size-bytes"] = bytes;
  return "success";
}

}  // namespace tessera::rpc
