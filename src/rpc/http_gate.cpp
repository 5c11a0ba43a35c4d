#include "rpc/http_gate.hpp"

#include <algorithm>
#include <arpa/inet.h>

#include "rpc/base64_text.hpp"

namespace tessera::rpc {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_ip_literal(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return false;
  const std::string s(text);
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// ---- paths ---------------------------------------------------------------------------------

std::string normalize_path(std::string_view target) {
  const auto end = target.find_first_of("?#");
  if (end != std::string_view::npos) target = target.substr(0, end);
  std::string out;
  out.reserve(target.size());
  for (char c : target) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out += c;
  }
  return out;
}

std::string normalize_base_path(std::string_view configured) {
  std::string out = normalize_path(std::string("/") + std::string(configured) + "/");
  return out;
}

route route_path(std::string_view path, std::string_view base_path) {
  if (path == events_path) return {route_kind::events, {}};
  if (path == "/") return {route_kind::root, {}};
  if (path == "/tessera/web") return {route_kind::ui_redirect, {}};
  if (path.starts_with(web_ui_path)) {
    return {route_kind::ui_file, std::string(path.substr(web_ui_path.size()))};
  }
  if (path == "/tessera/rpc" || path == "/tessera/rpc/") return {route_kind::rpc, {}};
  if (!path.starts_with(base_path)) return {route_kind::outside_base, {}};
  const std::string_view rest = path.substr(base_path.size());
  if (rest == "rpc" || rest == "rpc/") return {route_kind::rpc, {}};
  if (rest == "web") return {route_kind::web_redirect, {}};
  if (rest.starts_with("web/")) return {route_kind::web_file, std::string(rest.substr(4))};
  return {route_kind::other, {}};
}

std::optional<std::string> web_relative_path(std::string_view rest) {
  std::string decoded;
  decoded.reserve(rest.size());
  for (std::size_t i = 0; i < rest.size(); ++i) {
    char c = rest[i];
    if (c == '%') {
      if (i + 2 >= rest.size()) return std::nullopt;
      const int hi = hex_value(rest[i + 1]);
      const int lo = hex_value(rest[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0' || c == '\\') return std::nullopt;
    decoded += c;
  }
  // Segments are checked after decoding, so "%2e%2e" is refused like "..". Every segment but the
  // last must be non-empty: that refuses an absolute path ("/etc/passwd", from "%2F") and "a//b".
  std::size_t start = 0;
  for (;;) {
    const auto slash = decoded.find('/', start);
    const bool last = slash == std::string::npos;
    const std::string_view seg =
        std::string_view(decoded).substr(start, last ? std::string::npos : slash - start);
    if (seg == "." || seg == "..") return std::nullopt;
    if (last) break;
    if (seg.empty()) return std::nullopt;
    start = slash + 1;
  }
  if (decoded.empty() || decoded.back() == '/') decoded += "index.html";
  return decoded;
}

// ---- addresses and hosts -------------------------------------------------------------------

bool wildcard_match(std::string_view pattern, std::string_view text) {
  // Iterative glob match: on a mismatch, retry from the last '*' consuming one more character.
  std::size_t p = 0, t = 0;
  std::size_t star = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || lower(pattern[p]) == lower(text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_t = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string unmap_ipv4(std::string_view address) {
  constexpr std::string_view mapped = "::ffff:";
  if (address.size() > mapped.size() && iequals(address.substr(0, mapped.size()), mapped)) {
    const auto v4 = address.substr(mapped.size());
    const std::string s(v4);
    unsigned char buf[4];
    if (inet_pton(AF_INET, s.c_str(), buf) == 1) return s;
  }
  return std::string(address);
}

bool address_allowed(std::string_view address, const std::vector<std::string>& whitelist) {
  const std::string addr = unmap_ipv4(address);
  return std::any_of(whitelist.begin(), whitelist.end(), [&](const std::string& entry) {
    const auto pattern = trim(entry);
    return !pattern.empty() && wildcard_match(pattern, addr);
  });
}

bool host_allowed(std::optional<std::string_view> host,
                  const std::vector<std::string>& host_whitelist) {
  if (!host) return false;
  std::string_view h = trim(*host);
  if (h.starts_with('[')) {
    const auto close = h.find(']');
    if (close == std::string_view::npos) return false;
    const auto after = h.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return false;
    return is_ip_literal(h.substr(1, close - 1));
  }
  if (std::count(h.begin(), h.end(), ':') == 1) h = h.substr(0, h.find(':'));
  if (h.empty()) return false;
  if (is_ip_literal(h) || iequals(h, "localhost") || iequals(h, "localhost.")) return true;
  return std::any_of(host_whitelist.begin(), host_whitelist.end(), [&](const std::string& entry) {
    const auto pattern = trim(entry);
    return !pattern.empty() && wildcard_match(pattern, h);
  });
}

bool origin_allowed(std::string_view origin, std::optional<std::string_view> host, bool tls) {
  if (!host) return false;
  const std::string_view h = trim(*host);
  const std::string_view scheme = tls ? "https://" : "http://";
  const std::string_view o = trim(origin);
  return !h.empty() && o.size() == scheme.size() + h.size() && iequals(o.substr(0, scheme.size()), scheme) &&
         iequals(o.substr(scheme.size()), h);
}

// ---- credentials ---------------------------------------------------------------------------

std::optional<basic_credentials> parse_basic_authorization(std::string_view header) {
  header = trim(header);
  constexpr std::string_view scheme = "basic";
  if (header.size() <= scheme.size() || !iequals(header.substr(0, scheme.size()), scheme) ||
      (header[scheme.size()] != ' ' && header[scheme.size()] != '\t')) {
    return std::nullopt;
  }
  auto decoded = detail::base64_decode(trim(header.substr(scheme.size())));
  if (!decoded) return std::nullopt;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return basic_credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

// ---- lockout -------------------------------------------------------------------------------

namespace {
/// The key shared by sources that found the table full; not a valid address, so no clash.
constexpr std::string_view overflow_key = "overflow";
}  // namespace

login_lockout::login_lockout(settings s) : settings_(s) {
  if (settings_.max_sources == 0) settings_.max_sources = 1;
}

std::string login_lockout::source_key(std::string_view address) {
  std::string addr = unmap_ipv4(address);
  if (addr.find(':') == std::string::npos) return addr;
  const std::string s = addr;
  unsigned char buf[16];
  if (inet_pton(AF_INET6, s.c_str(), buf) != 1) return addr;
  for (int i = 8; i < 16; ++i) buf[i] = 0;
  char text[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, buf, text, sizeof text) == nullptr) return addr;
  return std::string(text) + "/64";
}

bool login_lockout::stale(const entry& e, clock::time_point now) const {
  return now - e.last_failure >= settings_.lockout_duration;
}

const login_lockout::entry* login_lockout::find(std::string_view address) const {
  auto it = entries_.find(source_key(address));
  if (it == entries_.end()) {
    // A source without an entry of its own is judged by the overflow entry only while the
    // table is full (that is when its failures would be counted there).
    if (entries_.size() < settings_.max_sources) return nullptr;
    it = entries_.find(overflow_key);
    if (it == entries_.end()) return nullptr;
  }
  return &it->second;
}

bool login_lockout::locked(std::string_view address, clock::time_point now) const {
  if (settings_.max_failures == 0) return false;
  const entry* e = find(address);
  return e != nullptr && e->failures >= settings_.max_failures && !stale(*e, now);
}

std::string login_lockout::key_for_update(std::string_view address, clock::time_point now) {
  std::string key = source_key(address);
  if (entries_.contains(key) || entries_.size() < settings_.max_sources) return key;
  std::erase_if(entries_, [&](const auto& kv) { return stale(kv.second, now); });
  if (entries_.size() < settings_.max_sources) return key;
  return std::string(overflow_key);
}

void login_lockout::record_failure(std::string_view address, clock::time_point now) {
  if (settings_.max_failures == 0) return;
  entry& e = entries_[key_for_update(address, now)];
  if (stale(e, now)) e.failures = 0;  // the previous failures (or lockout) have expired
  if (e.failures < settings_.max_failures) ++e.failures;
  e.last_failure = now;
}

void login_lockout::record_success(std::string_view address) {
  entries_.erase(source_key(address));
}

// ---- the decision --------------------------------------------------------------------------

http_gate::http_gate(gate_settings settings, std::string session_id, credential_check check)
    : settings_(std::move(settings)),
      session_id_(std::move(session_id)),
      check_(std::move(check)),
      lockout_(settings_.lockout) {
  settings_.base_path = normalize_base_path(settings_.base_path);
}

gate_decision http_gate::decide(const gate_request& request,
                                login_lockout::clock::time_point now) {
  if (lockout_.locked(request.remote_address, now)) return {gate_outcome::locked_out, {}, {}};
  if (settings_.whitelist_enabled &&
      !address_allowed(request.remote_address, settings_.whitelist)) {
    return {gate_outcome::address_refused, {}, {}};
  }

  const std::string path = normalize_path(request.target);
  const route r = route_path(path, settings_.base_path);
  // tessera's web interface: public files (the page has its own login form).
  if (r.kind == route_kind::root || r.kind == route_kind::ui_redirect) {
    return {gate_outcome::redirect, std::string(web_ui_path), {}};
  }
  if (r.kind == route_kind::ui_file) {
    if (request.method != "GET" && request.method != "HEAD") {
      return {gate_outcome::ui_bad_method, {}, {}};
    }
    auto file = web_relative_path(r.rest);
    if (!file) return {gate_outcome::web_not_found, {}, {}};
    return {gate_outcome::ui_file, {}, std::move(*file)};
  }

  if (settings_.authentication_required) {
    // The page's login form asks with X-Tessera-Web: 1; its 401 carries no WWW-Authenticate, so
    // the browser does not open its own password dialog over the page.
    const gate_outcome refused = request.tessera_web == "1" ? gate_outcome::unauthorized_quiet
                                                             : gate_outcome::unauthorized;
    if (!request.authorization) return {refused, {}, {}};
    const auto credentials = parse_basic_authorization(*request.authorization);
    if (!credentials || !check_ || !check_(credentials->user, credentials->password)) {
      lockout_.record_failure(request.remote_address, now);
      return {refused, {}, {}};
    }
    lockout_.record_success(request.remote_address);
  }

  switch (r.kind) {
    case route_kind::outside_base:
      return {gate_outcome::redirect, settings_.base_path + "web/", {}};
    case route_kind::web_redirect:
      return {gate_outcome::redirect, settings_.base_path + "web/", {}};
    case route_kind::web_file: {
      if (!settings_.serve_web) return {gate_outcome::web_not_found, {}, {}};
      if (request.method != "GET") return {gate_outcome::web_bad_method, {}, {}};
      auto file = web_relative_path(r.rest);
      if (!file) return {gate_outcome::web_not_found, {}, {}};
      return {gate_outcome::web_file, {}, std::move(*file)};
    }
    case route_kind::events:
      if (!settings_.serve_events) return {gate_outcome::not_found, {}, {}};
      // The stream only reads, so it needs no session id (no CSRF target), but a page of another
      // site must not read it through the user's browser: Origin must be our own.
      if (!settings_.authentication_required && settings_.host_whitelist_enabled &&
          !host_allowed(request.host, settings_.host_whitelist)) {
        return {gate_outcome::host_refused, {}, {}};
      }
      if (request.origin && !origin_allowed(*request.origin, request.host, settings_.tls)) {
        return {gate_outcome::origin_refused, {}, {}};
      }
      if (request.method != "GET") return {gate_outcome::events_bad_method, {}, {}};
      return {gate_outcome::events, {}, {}};
    case route_kind::rpc:
    case route_kind::other:
    case route_kind::root:  // answered above
    case route_kind::ui_redirect:
    case route_kind::ui_file:
      break;
  }

  if (!settings_.authentication_required && settings_.host_whitelist_enabled &&
      !host_allowed(request.host, settings_.host_whitelist)) {
    return {gate_outcome::host_refused, {}, {}};
  }
  if (!request.session_id || *request.session_id != session_id_) {
    return {gate_outcome::session_conflict, {}, {}};
  }
  if (r.kind == route_kind::rpc) {
    if (request.method != "POST") return {gate_outcome::rpc_bad_method, {}, {}};
    return {gate_outcome::rpc, {}, {}};
  }
  return {gate_outcome::not_found, {}, {}};
}

}  // namespace tessera::rpc
