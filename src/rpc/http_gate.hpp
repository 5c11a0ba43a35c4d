// The HTTP front's decisions, without sockets: which check a request fails and what it reaches.
// The front (http_front.cpp) reads a request head, asks http_gate::decide, and does what the
// decision says; everything here is pure (time is passed in) and unit tested alone.
//
// Check order (Transmission 3.00's rpc-server.c handle_request, checklist H13, with tessera's own
// web interface's public files checked before authentication):
//   1. 403  the source address is locked out after failed logins (login_lockout)
//   2. 403  the source address is not in rpc-whitelist (when rpc-whitelist-enabled)
//   3.      tessera's web interface, public (no authentication, no session id, no Host check):
//           "/" exactly and /tessera/web -> 301 to /tessera/web/; /tessera/web/... -> a file of
//           the web interface (GET and HEAD, else 405; 404 for a refused path; the front answers
//           404 for an unknown file)
//   4. 401  authentication is required and the Basic credentials are missing or wrong; with
//           WWW-Authenticate, except when the request carries X-Tessera-Web: 1 (the page's own
//           login form asked, and the browser must not open its password dialog)
//   5. 301  the path is not under the base path (rpc-url): Location <base>web/
//   6.      <base>web -> 301 to <base>web/; <base>web/... -> a static file (GET only, else 405),
//           404 when no web home is configured. No session id and no Host check for these.
//   7. 421  authentication is off, rpc-host-whitelist-enabled, and Host is not allowed
//   8. 409  the X-Transmission-Session-Id header is missing or wrong (any method, GET included)
//   9.      <base>rpc, <base>rpc/, /tessera/rpc or /tessera/rpc/ -> the RPC handler for POST,
//           405 for other methods
//  10. 404  anything else under the base path
// /tessera/events (the event stream, docs/rpc.md "Event stream") takes steps 1, 2 and 4 (its 401
// quiet with X-Tessera-Web: 1 like any other), then 7 (421), then: 403 when an Origin header is
// not this server's own origin, 405 for a method other than GET; no session id (it only reads).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::rpc {

// ---- paths ---------------------------------------------------------------------------------

/// The path of a request target: everything before the first '?' or '#', with runs of '/'
/// collapsed to one (transmission-remote given a URL ending in '/' asks for
/// "/transmission//rpc/", checklist H3). No percent-decoding: routing sees the raw path.
std::string normalize_path(std::string_view target);

/// Where a path leads: tessera's own fixed paths (/, /tessera/...) first, then relative to the
/// base path (which starts and ends with '/').
enum class route_kind {
  outside_base,  ///< not under the base path: redirect to <base>web/
  rpc,           ///< <base>rpc or <base>rpc/, /tessera/rpc or /tessera/rpc/
  root,          ///< "/" exactly: redirect to /tessera/web/
  ui_redirect,   ///< /tessera/web without the slash: redirect to /tessera/web/
  ui_file,       ///< /tessera/web/<rest>; route::rest is <rest> (percent-encoded, maybe empty)
  web_redirect,  ///< <base>web without the slash: redirect to <base>web/
  web_file,      ///< <base>web/<rest>; route::rest is <rest> (percent-encoded, maybe empty)
  other,         ///< under the base path, none of the above (404 after the session check)
  events,        ///< /tessera/events, whatever the base path: the event stream
};
struct route {
  route_kind kind = route_kind::other;
  std::string rest;  ///< web_file and ui_file: the raw path after <base>web/ or /tessera/web/
};
/// The event stream's fixed path (not under the base path).
inline constexpr std::string_view events_path = "/tessera/events";

/// Routes a normalize_path() result. `base_path` should start and end with '/'
/// (normalize_base_path makes it so).
route route_path(std::string_view path, std::string_view base_path);

/// Where tessera's own web interface lives, whatever the base path: /tessera/web/.
inline constexpr std::string_view web_ui_path = "/tessera/web/";

/// rpc-url as configured ("transmission", "/transmission", "/transmission/") in its canonical
/// form "/transmission/"; "" and "/" give "/".
std::string normalize_base_path(std::string_view configured);

/// The relative file path a web_file route names: percent-decoded, split on '/', and refused
/// (nullopt) when a segment is "." or "..", or when it holds a NUL byte, a backslash, or a bad
/// %-escape. An empty result or one ending in '/' means that directory's index.html (appended
/// here). Pure: the symlink check happens against the file system, in web_files.
std::optional<std::string> web_relative_path(std::string_view rest);

// ---- addresses and hosts -------------------------------------------------------------------

/// Matches `text` against `pattern`, where '*' is any run of characters and '?' any one
/// character; ASCII case-insensitive (IPv6 hex digits, host names).
bool wildcard_match(std::string_view pattern, std::string_view text);

/// "::ffff:a.b.c.d" (an IPv4-mapped IPv6 address, as a dual-stack socket reports an IPv4 peer)
/// becomes "a.b.c.d"; any other text is returned unchanged.
std::string unmap_ipv4(std::string_view address);

/// True when `origin` (an Origin header value) is this server's own origin: "http://" (or
/// "https://" when `tls`) followed by the Host header's value (trimmed), ASCII
/// case-insensitive. False without a Host, and for "null".
bool origin_allowed(std::string_view origin, std::optional<std::string_view> host, bool tls);

/// True when the source address `address` (textual IP, as Asio prints it) matches an entry of
/// `whitelist` (wildcard_match; entries are trimmed; empty entries ignored). IPv4-mapped
/// addresses are unmapped first (checklist H11).
bool address_allowed(std::string_view address, const std::vector<std::string>& whitelist);

/// Transmission's DNS-rebinding check (checklist H12) on a Host header value: nullopt (no Host)
/// is refused; the port is stripped (also from "[v6]:port"); then an IP literal, "localhost",
/// "localhost." or a wildcard_match of an entry of `host_whitelist` is allowed.
bool host_allowed(std::optional<std::string_view> host,
                  const std::vector<std::string>& host_whitelist);

// ---- credentials ---------------------------------------------------------------------------

/// The user name and password of a Basic Authorization header.
struct basic_credentials {
  std::string user;
  std::string password;
};
/// Parses "Basic <base64(user:password)>" (scheme case-insensitive, surrounding spaces
/// tolerated). nullopt for another scheme, bad base64, or no ':' in the decoded text. The
/// password is everything after the first ':' and may contain ':'.
std::optional<basic_credentials> parse_basic_authorization(std::string_view header);

// ---- lockout -------------------------------------------------------------------------------

/// Failed logins, counted per source: an IPv4 address, or the /64 of an IPv6 address (one host
/// usually owns a whole /64 and can rotate through it at will). Transmission 3.00 counts failures
/// globally and, after 100, refuses everyone until a restart: one attacker then locks out the
/// owner. Counting per source keeps the owner's own address usable while a guesser is locked out.
///
/// A source is locked for `lockout_duration` once it has `max_failures` failures with no
/// success in between and less than `lockout_duration` between consecutive failures; a
/// success resets its count. The table is bounded (`max_sources`): past it, stale entries are
/// dropped, and if none is stale every further source shares one overflow entry, so a spray from
/// many addresses gets max_failures guesses per lockout period in total, not per address.
/// Not thread-safe: the front uses it from its one thread.
class login_lockout {
 public:
  using clock = std::chrono::steady_clock;
  struct settings {
    /// Failures that lock a source; 0 disables the lockout.
    std::uint32_t max_failures = 10;
    /// How long a locked source stays locked, and how long a failure is remembered.
    std::chrono::seconds lockout_duration{15 * 60};
    /// Sources tracked before new ones share the overflow entry (at least 1).
    std::size_t max_sources = 4096;
  };
  explicit login_lockout(settings s);

  /// The key failures of `address` (textual IP) are counted under: the unmapped IPv4 address,
  /// or the first four groups of an IPv6 address followed by "::/64".
  static std::string source_key(std::string_view address);

  /// True when `address` is locked at `now`.
  bool locked(std::string_view address, clock::time_point now) const;
  /// Counts a failed login of `address` at `now`.
  void record_failure(std::string_view address, clock::time_point now);
  /// Forgets the failures of `address` (a successful login).
  void record_success(std::string_view address);
  /// Number of sources with a table entry (the overflow entry included); for tests.
  std::size_t tracked_sources() const { return entries_.size(); }

 private:
  struct entry {
    std::uint32_t failures = 0;
    clock::time_point last_failure{};
  };
  /// The map key for `address`, or the overflow key when the table is full (may drop stale
  /// entries to make room, hence non-const).
  std::string key_for_update(std::string_view address, clock::time_point now);
  const entry* find(std::string_view address) const;
  bool stale(const entry& e, clock::time_point now) const;

  settings settings_;
  std::map<std::string, entry, std::less<>> entries_;
};

// ---- the decision --------------------------------------------------------------------------

/// The settings the gate applies: http_front_options less the transport ones.
struct gate_settings {
  std::string base_path = "/transmission/";  ///< normalized (normalize_base_path)
  bool whitelist_enabled = true;
  std::vector<std::string> whitelist{"127.0.0.1", "::1"};
  bool host_whitelist_enabled = true;
  std::vector<std::string> host_whitelist;
  bool authentication_required = false;
  bool serve_web = false;  ///< a web home is configured
  bool serve_events = false;  ///< an event hub is configured (else /tessera/events is 404)
  bool tls = false;           ///< served over HTTPS: the expected Origin is https://<Host>
  login_lockout::settings lockout{};
};

/// The parts of a request head the gate looks at. Views stay valid for one decide() call.
struct gate_request {
  std::string_view method;                        ///< "GET", "POST", ... (case-sensitive)
  std::string_view target;                        ///< the request target, raw
  std::string_view remote_address;                ///< the peer's IP, textual
  std::optional<std::string_view> host;           ///< Host header
  std::optional<std::string_view> authorization;  ///< Authorization header
  std::optional<std::string_view> session_id;     ///< X-Transmission-Session-Id header
  std::optional<std::string_view> origin;         ///< Origin header
  std::optional<std::string_view> tessera_web;    ///< X-Tessera-Web header ("1": the web UI)
};

/// What to answer.
enum class gate_outcome {
  locked_out,          ///< 403: too many failed logins from this source
  address_refused,     ///< 403: source address not whitelisted
  unauthorized,        ///< 401 + WWW-Authenticate
  unauthorized_quiet,  ///< 401 without WWW-Authenticate (the request carries X-Tessera-Web: 1)
  redirect,            ///< 301 to gate_decision::location
  web_file,            ///< serve gate_decision::file (relative to the web home)
  web_not_found,       ///< 404 for a web path (no web home, or a refused path)
  web_bad_method,      ///< 405, Allow: GET
  ui_file,             ///< serve gate_decision::file of tessera's own web interface
  ui_bad_method,       ///< 405, Allow: GET, HEAD (tessera's web interface)
  host_refused,        ///< 421: foreign Host while authentication is off
  session_conflict,    ///< 409 + X-Transmission-Session-Id
  rpc,                 ///< call the RPC handler with the body
  rpc_bad_method,      ///< 405, Allow: POST
  not_found,           ///< 404
  origin_refused,      ///< 403: the Origin header is another site's (event stream)
  events_bad_method,   ///< 405, Allow: GET (event stream)
  events,              ///< serve the event stream (the front may still answer 503: too many)
};
struct gate_decision {
  gate_outcome outcome = gate_outcome::not_found;
  std::string location;  ///< redirect: the Location header value
  std::string file;      ///< web_file, ui_file: relative path from web_relative_path
};

/// Applies the check order at the top of this file. Owns the lockout table.
class http_gate {
 public:
  /// Checks a user name and a clear password (http_front: name compare + verify_password).
  using credential_check = std::function<bool(std::string_view user, std::string_view password)>;

  /// `session_id` is the id requests must carry; `check` is called only when
  /// authentication_required and a request carries Basic credentials.
  http_gate(gate_settings settings, std::string session_id, credential_check check);

  /// Decides one request at `now`. Records lockout failures and successes as a side effect
  /// (only requests that carry credentials count: a client's first, credential-less request,
  /// which curl sends to learn the auth scheme, is not a failure).
  gate_decision decide(const gate_request& request, login_lockout::clock::time_point now);

  const std::string& session_id() const { return session_id_; }
  const gate_settings& settings() const { return settings_; }

 private:
  gate_settings settings_;
  std::string session_id_;
  credential_check check_;
  login_lockout lockout_;
};

}  // namespace tessera::rpc
