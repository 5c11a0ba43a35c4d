// `tessera session [--set KEY=VALUE]...` (session-get, session-set) and `tessera stats`
// (session-stats).
#include <algorithm>
#include <array>
#include <cstdio>

#include <boost/json/parse.hpp>

#include "commands.hpp"
#include "remote_tables.hpp"
#include "remote_verbs.hpp"

namespace tessera::cli {

namespace json = boost::json;

namespace {

/// session-get keys a session-set cannot change (checklist §9, "RO").
constexpr std::array<std::string_view, 9> read_only_keys = {
    "blocklist-size", "config-dir",   "download-dir-free-space", "rpc-version", "rpc-version-minimum",
    "rpc-version-semver", "session-id", "units",                 "version"};

/// VALUE of KEY=VALUE: JSON when it parses as JSON (100, true, 1.5, "text", [1,2]), else the
/// text itself as a string (/srv/downloads).
json::value parse_value(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (!ec) return v;
  return json::value(json::string(text));
}

/// Whether the daemon's value shows the one sent: numbers by value, the rest exactly.
bool same_value(const json::value& sent, const json::value& now) {
  if (sent.is_number() && now.is_number()) return sent.to_number<double>() == now.to_number<double>();
  return sent == now;
}

}  // namespace

int run_session(remote_context& ctx, const std::vector<std::string>& assignments) {
  if (assignments.empty()) {
    auto reply = ctx.call("session-get");
    if (!reply) return reply.error();
    if (ctx.json()) {
      remote_context::print_json(*reply);
    } else {
      std::fputs(render_session(*reply).c_str(), stdout);
    }
    return exit_ok;
  }
  json::object changes;
  json::array keys;
  for (const std::string& a : assignments) {
    const std::size_t eq = a.find('=');
    if (eq == std::string::npos || eq == 0) return fail("--set " + a + ": expected KEY=VALUE");
    const std::string key = a.substr(0, eq);
    if (std::find(read_only_keys.begin(), read_only_keys.end(), key) != read_only_keys.end()) {
      return fail("--set " + key + ": read-only");
    }
    if (!changes.contains(key)) keys.emplace_back(key);
    changes[key] = parse_value(std::string_view(a).substr(eq + 1));
  }
  // Transmission ignores keys it does not know: check them against what it reports, so a typo
  // is an error rather than a silent no-op.
  auto before = ctx.call("session-get");
  if (!before) return before.error();
  for (const auto& kv : changes) {
    if (!before->contains(kv.key())) {
      return fail("--set " + std::string(kv.key()) + ": the daemon has no such session key (see `tessera session`)");
    }
  }
  auto set = ctx.call("session-set", changes);
  if (!set) return set.error();
  json::object fields;
  fields["fields"] = keys;
  auto after = ctx.call("session-get", std::move(fields));
  if (!after) return after.error();
  json::object shown;
  for (const auto& kv : changes) {
    const json::value* now = after->if_contains(kv.key());
    shown[kv.key()] = now != nullptr ? *now : json::value();
    if (now == nullptr || !same_value(kv.value(), *now)) {
      std::fprintf(stderr, "tessera: warning: the daemon reports %s = %s after it was set to %s\n",
                   std::string(kv.key()).c_str(), now != nullptr ? session_value_text(*now).c_str() : "nothing",
                   session_value_text(kv.value()).c_str());
    }
  }
  if (ctx.json()) {
    remote_context::print_json(shown);
  } else {
    std::fputs(render_session(shown).c_str(), stdout);
  }
  return exit_ok;
}

int run_stats(remote_context& ctx) {
  auto reply = ctx.call("session-stats");
  if (!reply) return reply.error();
  if (ctx.json()) {
    remote_context::print_json(*reply);
  } else {
    std::fputs(render_stats(*reply).c_str(), stdout);
  }
  return exit_ok;
}

}  // namespace tessera::cli
