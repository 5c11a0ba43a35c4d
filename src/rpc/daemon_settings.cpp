#include "rpc/daemon_settings.hpp"

#include <boost/json.hpp>

#include <array>
#include <cstdlib>

#include "core/encryption_mode.hpp"
#include "disk/resume_data.hpp"
#include "rpc/json_args.hpp"

namespace tessera::rpc {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {
using K = setting_kind;
// name, kind, session-get, session-set, effective. See docs/rpc.md for what each does.
constexpr std::array<setting_key, 62> key_table{{
    {"alt-speed-down", K::integer, true, true, true},
    {"alt-speed-enabled", K::boolean, true, true, true},
    {"alt-speed-time-begin", K::integer, true, true, false},
    {"alt-speed-time-day", K::integer, true, true, false},
    {"alt-speed-time-enabled", K::boolean, true, true, false},
    {"alt-speed-time-end", K::integer, true, true, false},
    {"alt-speed-up", K::integer, true, true, true},
    {"blocklist-enabled", K::boolean, true, false, false},  // no blocklist yet: stays false
    {"blocklist-url", K::string, true, true, false},
    {"cache-size-mb", K::integer, true, true, false},
    {"dht-enabled", K::boolean, true, true, true},
    {"download-dir", K::string, true, true, true},
    {"download-queue-enabled", K::boolean, true, true, true},
    {"download-queue-size", K::integer, true, true, true},
    {"encryption", K::string, true, true, true},  // session_settings::encryption
    {"idle-seeding-limit", K::integer, true, true, true},
    {"idle-seeding-limit-enabled", K::boolean, true, true, true},
    {"incomplete-dir", K::string, true, true, false},
    {"incomplete-dir-enabled", K::boolean, true, true, false},
    {"lpd-enabled", K::boolean, true, true, true},
    {"peer-limit-global", K::integer, true, true, true},
    {"peer-limit-per-torrent", K::integer, true, true, true},
    {"peer-port", K::integer, true, true, true},
    {"peer-port-random-on-start", K::boolean, true, true, false},
    {"pex-enabled", K::boolean, true, true, true},
    {"port-forwarding-enabled", K::boolean, true, false, false},  // no UPnP/NAT-PMP: stays false
    {"queue-stalled-enabled", K::boolean, true, true, true},
    {"queue-stalled-minutes", K::integer, true, true, true},
    {"rename-partial-files", K::boolean, true, false, false},  // files keep their names: false
    {"script-torrent-done-enabled", K::boolean, true, true, false},
    {"script-torrent-done-filename", K::string, true, true, false},
    {"seed-queue-enabled", K::boolean, true, true, true},
    {"seed-queue-size", K::integer, true, true, true},
    {"seedRatioLimit", K::real, true, true, true},
    {"seedRatioLimited", K::boolean, true, true, true},
    {"speed-limit-down", K::integer, true, true, true},
    {"speed-limit-down-enabled", K::boolean, true, true, true},
    {"speed-limit-up", K::integer, true, true, true},
    {"speed-limit-up-enabled", K::boolean, true, true, true},
    {"start-added-torrents", K::boolean, true, true, true},
    {"trash-original-torrent-files", K::boolean, true, true, false},
    {"utp-enabled", K::boolean, true, true, true},  // session_settings::enable_utp
    // settings.json only (the RPC front and the engine at start-up)
    {"bind-address-ipv4", K::string, false, false, true},
    {"rpc-authentication-required", K::boolean, false, false, true},
    {"rpc-bind-address", K::string, false, false, true},
    {"rpc-host-whitelist", K::string, false, false, true},
    {"rpc-host-whitelist-enabled", K::boolean, false, false, true},
    {"rpc-password", K::string, false, false, true},
    {"rpc-port", K::integer, false, false, true},
    {"rpc-url", K::string, false, false, true},
    {"rpc-username", K::string, false, false, true},
    {"rpc-whitelist", K::string, false, false, true},
    {"rpc-whitelist-enabled", K::boolean, false, false, true},
    {"rpc-lockout-threshold", K::integer, false, false, true},
    {"rpc-max-body-mb", K::integer, false, false, true},
    {"rpc-tls-cert", K::string, false, false, true},
    {"rpc-tls-key", K::string, false, false, true},
    {"dht-bootstrap-nodes", K::string_list, false, false, true},
    {"dht-state-file", K::string, false, false, true},
    {"disk-threads", K::integer, false, false, true},
    {"max-open-files", K::integer, false, false, true},
    {"message-level", K::integer, false, false, false},
}};

bool kind_matches(K kind, const json::value& v) {
  switch (kind) {
    case K::boolean: return v.is_bool();
    case K::integer: return v.is_int64() || v.is_uint64();
    case K::real: return v.is_number();
    case K::string: return v.is_string();
    case K::string_list:
      if (!v.is_array()) return false;
      for (const auto& i : v.get_array()) {
        if (!i.is_string()) return false;
      }
      return true;
  }
  return false;
}

// The RPC's lenient reading (E7) of `v` as `kind`, in canonical form; null when it does not read.
json::value coerce(K kind, const json::value& v) {
  switch (kind) {
    case K::boolean:
      if (auto b = as_bool(v)) return *b;
      break;
    case K::integer:
      if (v.is_bool()) break;
      if (auto i = as_int(v)) return *i;
      break;
    case K::real:
      if (auto d = as_real(v)) return *d;
      break;
    case K::string:
      if (v.is_string()) return v;
      break;
    case K::string_list:
      if (kind_matches(kind, v)) return v;
      break;
  }
  return nullptr;
}

std::string home_downloads() {
  const char* home = std::getenv("HOME");
  return (fs::path(home && *home ? home : "/") / "Downloads").string();
}
}  // namespace

daemon_settings::daemon_settings() {
  const std::string downloads = home_downloads();
  values_ = json::object{
      {"alt-speed-down", 50}, {"alt-speed-enabled", false}, {"alt-speed-time-begin", 540},
      {"alt-speed-time-day", 127}, {"alt-speed-time-enabled", false}, {"alt-speed-time-end", 1020},
      {"alt-speed-up", 50}, {"blocklist-enabled", false}, {"blocklist-url", "http://www.example.com/blocklist"},
      {"cache-size-mb", 4}, {"dht-enabled", true}, {"download-dir", downloads},
      {"download-queue-enabled", true}, {"download-queue-size", 5}, {"encryption", "preferred"},
      {"idle-seeding-limit", 30}, {"idle-seeding-limit-enabled", false}, {"incomplete-dir", downloads},
      {"incomplete-dir-enabled", false}, {"lpd-enabled", true}, {"peer-limit-global", 200},
      {"peer-limit-per-torrent", 50}, {"peer-port", 51413}, {"peer-port-random-on-start", false},
      {"pex-enabled", true}, {"port-forwarding-enabled", false}, {"queue-stalled-enabled", true},
      {"queue-stalled-minutes", 30}, {"rename-partial-files", false}, {"script-torrent-done-enabled", false},
      {"script-torrent-done-filename", ""}, {"seed-queue-enabled", false}, {"seed-queue-size", 10},
      {"seedRatioLimit", 2.0}, {"seedRatioLimited", false}, {"speed-limit-down", 100},
      {"speed-limit-down-enabled", false}, {"speed-limit-up", 100}, {"speed-limit-up-enabled", false},
      {"start-added-torrents", true}, {"trash-original-torrent-files", false}, {"utp-enabled", true},
      {"bind-address-ipv4", ""}, {"rpc-authentication-required", false}, {"rpc-bind-address", "127.0.0.1"},
      {"rpc-host-whitelist", ""}, {"rpc-host-whitelist-enabled", true}, {"rpc-password", ""},
      {"rpc-port", 9091}, {"rpc-url", "/transmission/"}, {"rpc-username", ""},
      {"rpc-whitelist", "127.0.0.1,::1"}, {"rpc-whitelist-enabled", true}, {"rpc-lockout-threshold", 10},
      {"rpc-max-body-mb", 64}, {"rpc-tls-cert", ""}, {"rpc-tls-key", ""},
      {"dht-bootstrap-nodes", json::array{}}, {"dht-state-file", ""}, {"disk-threads", 2},
      {"max-open-files", 40}, {"message-level", 2},
  };
}

std::span<const setting_key> daemon_settings::keys() { return key_table; }

const setting_key* daemon_settings::find(std::string_view name) {
  for (const auto& k : key_table) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

result<bool, std::string> daemon_settings::load(const fs::path& path, std::vector<std::string>& problems) {
  auto text = detail::read_small_file(path, 1 << 20);
  if (!text) {
    if (text.error().ec == std::errc::no_such_file_or_directory) return true;
    return unexpected{text.error().message()};
  }
  std::error_code ec;
  json::value v = json::parse(*text, ec);
  if (ec || !v.is_object()) return unexpected{path.string() + ": not a JSON object (" + (ec ? ec.message() : "other value") + ")"};
  for (const auto& [name, value] : v.get_object()) {
    const auto* key = find(name);
    if (!key) {
      values_[name] = value;  // kept and written back
      continue;
    }
    json::value c = key->kind == K::real && value.is_number() ? json::value(value.to_number<double>()) : value;
    if (!kind_matches(key->kind, c)) {
      problems.push_back(path.string() + ": \"" + std::string(name) + "\" has the wrong type, default kept");
      continue;
    }
    values_[name] = c;
  }
  return true;
}

result<bool, std::string> daemon_settings::save(const fs::path& path) const {
  std::string text = json::serialize(values_);
  auto r = detail::write_file_atomically(path, text);
  if (!r) return unexpected{r.error().message()};
  return true;
}

result<std::vector<std::string>, std::string> daemon_settings::set_from_rpc(const json::object& args) {
  std::vector<std::pair<std::string, json::value>> updates;
  for (const auto& [name, value] : args) {
    const auto* key = find(name);
    if (!key || !key->rpc_writable) continue;
    json::value c = coerce(key->kind, value);
    if (c.is_null()) continue;
    if ((name == "download-dir" || name == "incomplete-dir") && !fs::path(std::string(c.get_string())).is_absolute()) {
      return unexpected{std::string(name) + " path is not absolute"};
    }
    if (name == "peer-port" && (c.get_int64() < 1 || c.get_int64() > 65535)) {
      return unexpected{std::string("peer-port must be 1..65535")};
    }
    if (name == "encryption" && !detail::from_transmission(std::string_view(c.get_string()))) {
      return unexpected{std::string("encryption must be tolerated, preferred or required")};
    }
    updates.emplace_back(std::string(name), std::move(c));
  }
  std::vector<std::string> changed;
  for (auto& [name, value] : updates) {
    if (values_[name] != value) changed.push_back(name);
    values_[name] = std::move(value);
  }
  return changed;
}

void daemon_settings::set(std::string_view name, json::value value) {
  const auto* key = find(name);
  if (!key || !kind_matches(key->kind, value)) return;
  values_[name] = std::move(value);
}

bool daemon_settings::boolean(std::string_view name) const {
  const auto* v = values_.if_contains(name);
  return v && v->is_bool() && v->get_bool();
}

std::int64_t daemon_settings::integer(std::string_view name) const {
  const auto* v = values_.if_contains(name);
  return v ? as_int(*v).value_or(0) : 0;
}

double daemon_settings::real(std::string_view name) const {
  const auto* v = values_.if_contains(name);
  return v ? as_real(*v).value_or(0.0) : 0.0;
}

std::string daemon_settings::string(std::string_view name) const {
  const auto* v = values_.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::vector<std::string> daemon_settings::strings(std::string_view name) const {
  std::vector<std::string> out;
  const auto* v = values_.if_contains(name);
  if (v && v->is_array()) {
    for (const auto& i : v->get_array()) {
      if (i.is_string()) out.emplace_back(i.get_string());
    }
  }
  return out;
}

}  // namespace tessera::rpc
