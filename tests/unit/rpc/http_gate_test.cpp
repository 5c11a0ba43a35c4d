// The HTTP front's decisions without sockets: paths, whitelists, Host check, Basic credentials,
// lockout bookkeeping, and the check order of Transmission 3.00 (checklist H2-H14).
#include <gtest/gtest.h>

#include "rpc/base64_text.hpp"
#include "rpc/http_gate.hpp"

namespace tessera::rpc {
namespace {

using namespace std::chrono_literals;
using clock_type = login_lockout::clock;

// ---- paths ---------------------------------------------------------------------------------

TEST(HttpGatePaths, NormalizeDropsQueryAndCollapsesSlashes) {
  EXPECT_EQ(normalize_path("/transmission/rpc"), "/transmission/rpc");
  EXPECT_EQ(normalize_path("/transmission//rpc/"), "/transmission/rpc/");
  EXPECT_EQ(normalize_path("//transmission///web/?x=1#y"), "/transmission/web/");
  EXPECT_EQ(normalize_path("/transmission/rpc?method=session-get"), "/transmission/rpc");
  EXPECT_EQ(normalize_path(""), "");
}

TEST(HttpGatePaths, BasePathGetsBothSlashes) {
  EXPECT_EQ(normalize_base_path("/transmission/"), "/transmission/");
  EXPECT_EQ(normalize_base_path("transmission"), "/transmission/");
  EXPECT_EQ(normalize_base_path("/tessera"), "/tessera/");
  EXPECT_EQ(normalize_base_path(""), "/");
  EXPECT_EQ(normalize_base_path("/"), "/");
}

TEST(HttpGatePaths, RoutesRpcWebAndTheRest) {
  const std::string base = "/transmission/";
  EXPECT_EQ(route_path("/transmission/rpc", base).kind, route_kind::rpc);
  EXPECT_EQ(route_path("/transmission/rpc/", base).kind, route_kind::rpc);
  EXPECT_EQ(route_path("/transmission/rpcx", base).kind, route_kind::other);
  EXPECT_EQ(route_path("/transmission/rpc/x", base).kind, route_kind::other);
  EXPECT_EQ(route_path("/transmission/web", base).kind, route_kind::web_redirect);
  const route web = route_path("/transmission/web/javascript/a.js", base);
  EXPECT_EQ(web.kind, route_kind::web_file);
  EXPECT_EQ(web.rest, "javascript/a.js");
  EXPECT_EQ(route_path("/transmission/web/", base).rest, "");
  EXPECT_EQ(route_path("/transmission/", base).kind, route_kind::other);
  EXPECT_EQ(route_path("/transmission", base).kind, route_kind::outside_base);
  EXPECT_EQ(route_path("/other/rpc", base).kind, route_kind::outside_base);
  EXPECT_EQ(route_path("/rpc", "/").kind, route_kind::rpc);
}

TEST(HttpGatePaths, TesseraPathsComeBeforeTheBasePath) {
  for (const std::string base : {"/transmission/", "/", "/tessera/"}) {
    EXPECT_EQ(route_path("/", base).kind, route_kind::root) << base;
    EXPECT_EQ(route_path("/tessera/web", base).kind, route_kind::ui_redirect) << base;
    const route ui = route_path("/tessera/web/app.js", base);
    EXPECT_EQ(ui.kind, route_kind::ui_file) << base;
    EXPECT_EQ(ui.rest, "app.js") << base;
    EXPECT_EQ(route_path("/tessera/web/", base).kind, route_kind::ui_file) << base;
    EXPECT_EQ(route_path("/tessera/web/", base).rest, "") << base;
    EXPECT_EQ(route_path("/tessera/rpc", base).kind, route_kind::rpc) << base;
    EXPECT_EQ(route_path("/tessera/rpc/", base).kind, route_kind::rpc) << base;
  }
  EXPECT_EQ(route_path("/tessera/webx", "/transmission/").kind, route_kind::outside_base);
  EXPECT_EQ(route_path("/tessera/rpcx", "/transmission/").kind, route_kind::outside_base);
  EXPECT_EQ(route_path("/tessera/", "/transmission/").kind, route_kind::outside_base);
  EXPECT_EQ(route_path("/index.html", "/transmission/").kind, route_kind::outside_base);
}

TEST(HttpGatePaths, WebRelativePathDecodesAndRefusesEscapes) {
  EXPECT_EQ(web_relative_path(""), "index.html");
  EXPECT_EQ(web_relative_path("images/"), "images/index.html");
  EXPECT_EQ(web_relative_path("javascript/transmission.js"), "javascript/transmission.js");
  EXPECT_EQ(web_relative_path("a%20b.css"), "a b.css");
  EXPECT_FALSE(web_relative_path(".."));
  EXPECT_FALSE(web_relative_path("../etc/passwd"));
  EXPECT_FALSE(web_relative_path("a/../../x"));
  EXPECT_FALSE(web_relative_path("%2e%2e/x"));
  EXPECT_FALSE(web_relative_path("a/%2E%2E"));
  EXPECT_FALSE(web_relative_path("./index.html"));
  EXPECT_FALSE(web_relative_path("%2Fetc%2Fpasswd"));  // an absolute path
  EXPECT_FALSE(web_relative_path("a%2F%2Fb"));
  EXPECT_FALSE(web_relative_path("a%00.js"));
  EXPECT_FALSE(web_relative_path("a\\..\\b"));
  EXPECT_FALSE(web_relative_path("a%5c..%5cb"));
  EXPECT_FALSE(web_relative_path("bad%zz"));
  EXPECT_FALSE(web_relative_path("bad%2"));
  EXPECT_FALSE(web_relative_path("bad%"));
  EXPECT_EQ(web_relative_path("..a/b..c"), "..a/b..c");  // dots inside a name are fine
}

// ---- addresses and hosts -------------------------------------------------------------------

TEST(HttpGateAddresses, WildcardsMatchLikeTransmission) {
  EXPECT_TRUE(wildcard_match("127.0.0.1", "127.0.0.1"));
  EXPECT_FALSE(wildcard_match("127.0.0.1", "127.0.0.12"));
  EXPECT_TRUE(wildcard_match("192.168.*.*", "192.168.1.20"));
  EXPECT_FALSE(wildcard_match("192.168.*.*", "192.169.1.20"));
  EXPECT_TRUE(wildcard_match("*", "anything"));
  EXPECT_TRUE(wildcard_match("*", ""));
  EXPECT_TRUE(wildcard_match("10.0.0.?", "10.0.0.7"));
  EXPECT_FALSE(wildcard_match("10.0.0.?", "10.0.0.17"));
  EXPECT_TRUE(wildcard_match("*.example.com", "nas.EXAMPLE.com"));
  EXPECT_TRUE(wildcard_match("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(wildcard_match("a*b*c", "aXXbYY"));
  EXPECT_TRUE(wildcard_match("FE80::*", "fe80::1"));
}

TEST(HttpGateAddresses, UnmapsIpv4MappedIpv6) {
  EXPECT_EQ(unmap_ipv4("::ffff:127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(unmap_ipv4("::FFFF:10.1.2.3"), "10.1.2.3");
  EXPECT_EQ(unmap_ipv4("::1"), "::1");
  EXPECT_EQ(unmap_ipv4("::ffff:zz"), "::ffff:zz");
  EXPECT_EQ(unmap_ipv4("127.0.0.1"), "127.0.0.1");
}

TEST(HttpGateAddresses, WhitelistMatchesSourceAddresses) {
  const std::vector<std::string> def{"127.0.0.1", "::1"};
  EXPECT_TRUE(address_allowed("127.0.0.1", def));
  EXPECT_TRUE(address_allowed("::1", def));
  EXPECT_TRUE(address_allowed("::ffff:127.0.0.1", def));
  EXPECT_FALSE(address_allowed("127.0.0.2", def));
  EXPECT_FALSE(address_allowed("192.168.1.1", def));
  EXPECT_TRUE(address_allowed("192.168.1.1", {" 192.168.*.* ", ""}));
  EXPECT_FALSE(address_allowed("127.0.0.1", {}));
  EXPECT_FALSE(address_allowed("127.0.0.1", {""}));
}

TEST(HttpGateAddresses, HostCheckAllowsLiteralsLocalhostAndWhitelist) {
  const std::vector<std::string> none;
  EXPECT_TRUE(host_allowed("127.0.0.1:9091", none));
  EXPECT_TRUE(host_allowed("127.0.0.1", none));
  EXPECT_TRUE(host_allowed("[::1]:9091", none));
  EXPECT_TRUE(host_allowed("[::1]", none));
  EXPECT_TRUE(host_allowed("localhost:9091", none));
  EXPECT_TRUE(host_allowed("LOCALHOST", none));
  EXPECT_TRUE(host_allowed("localhost.:9091", none));
  EXPECT_TRUE(host_allowed("192.168.1.5:9091", none));
  EXPECT_FALSE(host_allowed(std::nullopt, none));
  EXPECT_FALSE(host_allowed("", none));
  EXPECT_FALSE(host_allowed("evil.example:9091", none));
  EXPECT_FALSE(host_allowed("localhost.evil.example", none));
  EXPECT_FALSE(host_allowed("127.0.0.1.evil.example", none));
  EXPECT_FALSE(host_allowed("[::1", none));
  EXPECT_FALSE(host_allowed("[::1]x", none));
  EXPECT_FALSE(host_allowed("[evil]:80", none));
  EXPECT_TRUE(host_allowed("nas.home:9091", {"*.home"}));
  EXPECT_TRUE(host_allowed("NAS.home", {"nas.home"}));
  EXPECT_FALSE(host_allowed("nas.homes", {"*.home"}));
}

// ---- credentials ---------------------------------------------------------------------------

std::string basic(std::string_view user_colon_password) {
  return "Basic " + detail::base64_encode(user_colon_password);
}

TEST(HttpGateCredentials, ParsesBasicAuthorization) {
  auto c = parse_basic_authorization(basic("alice:s3cret"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->password, "s3cret");
  c = parse_basic_authorization("  basic   " + detail::base64_encode("bob:a:b:c") + " ");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "bob");
  EXPECT_EQ(c->password, "a:b:c");
  c = parse_basic_authorization(basic(":"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "");
  EXPECT_EQ(c->password, "");
}

TEST(HttpGateCredentials, RefusesOtherSchemesAndBadEncodings) {
  EXPECT_FALSE(parse_basic_authorization(""));
  EXPECT_FALSE(parse_basic_authorization("Basic"));
  EXPECT_FALSE(parse_basic_authorization("Basic "));
  EXPECT_FALSE(parse_basic_authorization("Bearer abc"));
  EXPECT_FALSE(parse_basic_authorization("Basicxyz"));
  EXPECT_FALSE(parse_basic_authorization("Digest " + detail::base64_encode("a:b")));
  EXPECT_FALSE(parse_basic_authorization("Basic !!!!"));
  EXPECT_FALSE(parse_basic_authorization(basic("no-colon")));
}

// ---- lockout -------------------------------------------------------------------------------

TEST(HttpGateLockout, KeysIpv4ByAddressAndIpv6BySlash64) {
  EXPECT_EQ(login_lockout::source_key("10.0.0.1"), "10.0.0.1");
  EXPECT_EQ(login_lockout::source_key("::ffff:10.0.0.1"), "10.0.0.1");
  EXPECT_EQ(login_lockout::source_key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(login_lockout::source_key("2001:db8:1:2::99"), "2001:db8:1:2::/64");
  EXPECT_EQ(login_lockout::source_key("::1"), "::/64");
}

TEST(HttpGateLockout, LocksASourceAfterMaxFailuresForTheDuration) {
  login_lockout l({.max_failures = 3, .lockout_duration = 60s, .max_sources = 16});
  const auto t0 = clock_type::time_point{} + 1000s;
  l.record_failure("10.0.0.1", t0);
  l.record_failure("10.0.0.1", t0 + 1s);
  EXPECT_FALSE(l.locked("10.0.0.1", t0 + 2s));
  l.record_failure("10.0.0.1", t0 + 2s);
  EXPECT_TRUE(l.locked("10.0.0.1", t0 + 2s));
  EXPECT_TRUE(l.locked("10.0.0.1", t0 + 61s));
  EXPECT_FALSE(l.locked("10.0.0.2", t0 + 3s));  // another source is not affected
  EXPECT_FALSE(l.locked("10.0.0.1", t0 + 62s));  // expired
  // After expiry, the count starts again.
  l.record_failure("10.0.0.1", t0 + 63s);
  EXPECT_FALSE(l.locked("10.0.0.1", t0 + 63s));
}

TEST(HttpGateLockout, SuccessResetsAndOldFailuresAreForgotten) {
  login_lockout l({.max_failures = 3, .lockout_duration = 60s, .max_sources = 16});
  const auto t0 = clock_type::time_point{} + 1000s;
  l.record_failure("10.0.0.1", t0);
  l.record_failure("10.0.0.1", t0);
  l.record_success("10.0.0.1");
  l.record_failure("10.0.0.1", t0);
  l.record_failure("10.0.0.1", t0);
  EXPECT_FALSE(l.locked("10.0.0.1", t0));
  // A failure more than the duration after the last one starts a new count.
  l.record_failure("10.0.0.1", t0 + 61s);
  EXPECT_FALSE(l.locked("10.0.0.1", t0 + 61s));
}

TEST(HttpGateLockout, Ipv6SourcesInOneSlash64ShareACount) {
  login_lockout l({.max_failures = 2, .lockout_duration = 60s, .max_sources = 16});
  const auto t0 = clock_type::time_point{} + 1000s;
  l.record_failure("2001:db8::1", t0);
  l.record_failure("2001:db8::2", t0);
  EXPECT_TRUE(l.locked("2001:db8::3", t0));
  EXPECT_FALSE(l.locked("2001:db8:0:1::1", t0));
}

TEST(HttpGateLockout, ZeroMaxFailuresDisablesIt) {
  login_lockout l({.max_failures = 0, .lockout_duration = 60s, .max_sources = 16});
  const auto t0 = clock_type::time_point{} + 1000s;
  for (int i = 0; i < 100; ++i) l.record_failure("10.0.0.1", t0);
  EXPECT_FALSE(l.locked("10.0.0.1", t0));
  EXPECT_EQ(l.tracked_sources(), 0u);
}

TEST(HttpGateLockout, TableIsBoundedAndNewSourcesShareAnOverflowEntry) {
  login_lockout l({.max_failures = 2, .lockout_duration = 60s, .max_sources = 3});
  const auto t0 = clock_type::time_point{} + 1000s;
  l.record_failure("10.0.0.1", t0);
  l.record_failure("10.0.0.2", t0);
  l.record_failure("10.0.0.3", t0);
  // Full: the next sources count together.
  l.record_failure("10.0.0.4", t0);
  l.record_failure("10.0.0.5", t0);
  EXPECT_LE(l.tracked_sources(), 4u);
  EXPECT_TRUE(l.locked("10.0.0.6", t0));    // judged by the overflow entry
  EXPECT_FALSE(l.locked("10.0.0.1", t0));   // has its own entry, one failure
  // Once entries go stale they make room again.
  l.record_failure("10.0.0.7", t0 + 61s);
  EXPECT_FALSE(l.locked("10.0.0.7", t0 + 61s));
  EXPECT_FALSE(l.locked("10.0.0.6", t0 + 61s));
  EXPECT_LE(l.tracked_sources(), 3u);
}

// ---- the decision --------------------------------------------------------------------------

constexpr std::string_view sid = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV";

struct HttpGate : ::testing::Test {
  gate_settings settings;
  int checks = 0;
  http_gate make() {
    return http_gate(settings, std::string(sid), [this](std::string_view u, std::string_view p) {
      ++checks;
      return u == "alice" && p == "pw";
    });
  }
  static gate_request req(std::string_view method, std::string_view target) {
    return gate_request{.method = method,
                        .target = target,
                        .remote_address = "127.0.0.1",
                        .host = "127.0.0.1:9091",
                        .authorization = std::nullopt,
                        .session_id = sid,
                        .origin = std::nullopt,
                        .tessera_web = std::nullopt};
  }
  const clock_type::time_point now = clock_type::time_point{} + 1000s;
};

TEST_F(HttpGate, RpcPostWithSessionIdReachesTheHandler) {
  http_gate g = make();
  EXPECT_EQ(g.decide(req("POST", "/transmission/rpc"), now).outcome, gate_outcome::rpc);
  EXPECT_EQ(g.decide(req("POST", "/transmission/rpc/"), now).outcome, gate_outcome::rpc);
  EXPECT_EQ(g.decide(req("POST", "/transmission//rpc/"), now).outcome, gate_outcome::rpc);
  EXPECT_EQ(g.decide(req("POST", "/transmission/rpc?x=1"), now).outcome, gate_outcome::rpc);
}

TEST_F(HttpGate, MissingOrWrongSessionIdIs409ForEveryMethod) {
  http_gate g = make();
  for (const char* method : {"POST", "GET", "PUT", "OPTIONS"}) {
    auto r = req(method, "/transmission/rpc");
    r.session_id = std::nullopt;
    EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::session_conflict) << method;
    r.session_id = "wrong";
    EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::session_conflict) << method;
  }
  auto r = req("GET", "/transmission/unknown");
  r.session_id = std::nullopt;
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::session_conflict);  // 3.00's order
  EXPECT_EQ(g.decide(req("GET", "/transmission/unknown"), now).outcome, gate_outcome::not_found);
  EXPECT_EQ(g.decide(req("GET", "/transmission/rpc"), now).outcome, gate_outcome::rpc_bad_method);
}

TEST_F(HttpGate, OutsideTheBaseRedirectsToTheWebClient) {
  http_gate g = make();
  auto d = g.decide(req("GET", "/index.html"), now);
  EXPECT_EQ(d.outcome, gate_outcome::redirect);
  EXPECT_EQ(d.location, "/transmission/web/");
  d = g.decide(req("GET", "/transmission/web"), now);
  EXPECT_EQ(d.outcome, gate_outcome::redirect);
  EXPECT_EQ(d.location, "/transmission/web/");
  settings.base_path = "tessera";
  http_gate other = make();
  EXPECT_EQ(other.decide(req("GET", "/transmission/rpc"), now).location, "/tessera/web/");
  EXPECT_EQ(other.decide(req("POST", "/tessera/rpc"), now).outcome, gate_outcome::rpc);
}

TEST_F(HttpGate, WebFilesNeedNoSessionIdButOnlyGet) {
  settings.serve_web = true;
  http_gate g = make();
  auto r = req("GET", "/transmission/web/");
  r.session_id = std::nullopt;
  r.host = "evil.example";  // the Host check guards the RPC, not the files
  auto d = g.decide(r, now);
  EXPECT_EQ(d.outcome, gate_outcome::web_file);
  EXPECT_EQ(d.file, "index.html");
  r.target = "/transmission/web/style/a.css?v=3";
  EXPECT_EQ(g.decide(r, now).file, "style/a.css");
  r.method = "POST";
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::web_bad_method);
  r.method = "GET";
  r.target = "/transmission/web/%2e%2e/secret";
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::web_not_found);
  settings.serve_web = false;
  http_gate none = make();
  EXPECT_EQ(none.decide(req("GET", "/transmission/web/"), now).outcome,
            gate_outcome::web_not_found);
}

TEST_F(HttpGate, ForeignHostIs421OnlyWhenAuthenticationIsOff) {
  http_gate g = make();
  auto r = req("POST", "/transmission/rpc");
  r.host = "evil.example";
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::host_refused);
  r.host = std::nullopt;
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::host_refused);
  r.session_id = std::nullopt;
  r.host = "evil.example";
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::host_refused);  // 421 before 409

  settings.host_whitelist_enabled = false;
  http_gate off = make();
  r.session_id = sid;
  EXPECT_EQ(off.decide(r, now).outcome, gate_outcome::rpc);

  settings.host_whitelist_enabled = true;
  settings.authentication_required = true;
  http_gate auth = make();
  const std::string header = "Basic " + detail::base64_encode("alice:pw");
  r.authorization = header;
  EXPECT_EQ(auth.decide(r, now).outcome, gate_outcome::rpc);
}

TEST_F(HttpGate, WhitelistRefusesOtherSourcesFirst) {
  settings.authentication_required = true;
  http_gate g = make();
  auto r = req("POST", "/transmission/rpc");
  r.remote_address = "127.0.0.2";
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::address_refused);  // 403 before 401
  EXPECT_EQ(checks, 0);
  r.remote_address = "::ffff:127.0.0.1";
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::unauthorized);
  settings.whitelist_enabled = false;
  http_gate off = make();
  r.remote_address = "127.0.0.2";
  EXPECT_EQ(off.decide(r, now).outcome, gate_outcome::unauthorized);
}

TEST_F(HttpGate, AuthenticationComesBeforeRedirectsAndSessionIds) {
  settings.authentication_required = true;
  http_gate g = make();
  auto r = req("GET", "/index.html");
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::unauthorized);
  EXPECT_EQ(checks, 0);  // no credentials: nothing to check
  const std::string good = "Basic " + detail::base64_encode("alice:pw");
  const std::string bad = "Basic " + detail::base64_encode("alice:nope");
  r.authorization = bad;
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::unauthorized);
  EXPECT_EQ(checks, 1);
  r.authorization = "Basic %%%";
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::unauthorized);
  r.authorization = good;
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::redirect);
  r.target = "/transmission/rpc";
  r.session_id = std::nullopt;
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::session_conflict);
}

TEST_F(HttpGate, FailedLoginsLockTheSourceOutEvenWithTheRightPassword) {
  settings.authentication_required = true;
  settings.lockout = {.max_failures = 5, .lockout_duration = 60s, .max_sources = 16};
  http_gate g = make();
  auto r = req("POST", "/transmission/rpc");
  const std::string good = "Basic " + detail::base64_encode("alice:pw");
  const std::string bad = "Basic " + detail::base64_encode("alice:guess");
  r.authorization = bad;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::unauthorized);
  const int checks_before = checks;
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::locked_out);
  r.authorization = good;
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::locked_out);
  EXPECT_EQ(checks, checks_before);  // a locked source costs no password check
  // Requests without credentials do not count: another source probes 20 times and still logs in.
  auto other = req("POST", "/transmission/rpc");
  other.remote_address = "::1";
  for (int i = 0; i < 20; ++i) EXPECT_EQ(g.decide(other, now).outcome, gate_outcome::unauthorized);
  other.authorization = good;
  EXPECT_EQ(g.decide(other, now).outcome, gate_outcome::rpc);
  // The locked source gets in again once the lockout has passed.
  EXPECT_EQ(g.decide(r, now + 61s).outcome, gate_outcome::rpc);
}

// ---- the event stream ----------------------------------------------------------------------

TEST(HttpGatePaths, TheEventStreamHasOneFixedPath) {
  EXPECT_EQ(route_path("/tessera/events", "/transmission/").kind, route_kind::events);
  EXPECT_EQ(route_path("/tessera/events", "/tessera/").kind, route_kind::events);
  EXPECT_EQ(route_path("/tessera/events", "/").kind, route_kind::events);
  EXPECT_EQ(route_path("/tessera/events/", "/transmission/").kind, route_kind::outside_base);
  EXPECT_EQ(route_path("/transmission/events", "/transmission/").kind, route_kind::other);
}

TEST(HttpGateAddresses, OriginMustBeThisServersOwn) {
  EXPECT_TRUE(origin_allowed("http://127.0.0.1:9091", "127.0.0.1:9091", false));
  EXPECT_TRUE(origin_allowed("HTTP://MyBox.lan:9091", "mybox.LAN:9091", false));
  EXPECT_TRUE(origin_allowed("https://[::1]:9091", "[::1]:9091", true));
  EXPECT_FALSE(origin_allowed("https://127.0.0.1:9091", "127.0.0.1:9091", false));  // scheme
  EXPECT_FALSE(origin_allowed("http://127.0.0.1:9091", "127.0.0.1:9091", true));
  EXPECT_FALSE(origin_allowed("http://127.0.0.1", "127.0.0.1:9091", false));  // port
  EXPECT_FALSE(origin_allowed("http://evil.example", "127.0.0.1:9091", false));
  EXPECT_FALSE(origin_allowed("http://127.0.0.1:9091.evil.example", "127.0.0.1:9091", false));
  EXPECT_FALSE(origin_allowed("null", "127.0.0.1:9091", false));
  EXPECT_FALSE(origin_allowed("http://127.0.0.1:9091", std::nullopt, false));
  EXPECT_FALSE(origin_allowed("http://", "", false));
}

TEST_F(HttpGate, TheEventStreamNeedsNoSessionIdButGetAndOurOrigin) {
  http_gate none = make();
  EXPECT_EQ(none.decide(req("GET", "/tessera/events"), now).outcome, gate_outcome::not_found);  // no hub

  settings.serve_events = true;
  http_gate g = make();
  auto r = req("GET", "/tessera/events?x=1");
  r.session_id = std::nullopt;
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::events);
  r.origin = "http://127.0.0.1:9091";
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::events);
  r.origin = "http://evil.example";
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::origin_refused);
  r.origin = "https://127.0.0.1:9091";
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::origin_refused);
  r.origin = std::nullopt;
  r.method = "POST";
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::events_bad_method);
  r.method = "HEAD";
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::events_bad_method);
  r.method = "GET";
  r.host = "evil.example";  // DNS rebinding: refused like the RPC when authentication is off
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::host_refused);
  r.remote_address = "127.0.0.2";
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::address_refused);

  settings.tls = true;
  http_gate tls = make();
  auto t = req("GET", "/tessera/events");
  t.origin = "https://127.0.0.1:9091";
  EXPECT_EQ(tls.decide(t, now).outcome, gate_outcome::events);
  t.origin = "http://127.0.0.1:9091";
  EXPECT_EQ(tls.decide(t, now).outcome, gate_outcome::origin_refused);
}

TEST_F(HttpGate, TheEventStreamsLoginFormGetsA401WithoutAChallenge) {
  settings.serve_events = true;
  settings.authentication_required = true;
  http_gate g = make();
  auto r = req("GET", "/tessera/events");
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::unauthorized);
  r.tessera_web = "1";
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::unauthorized_quiet);
  const std::string bad = "Basic " + detail::base64_encode("alice:nope");
  r.authorization = bad;
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::unauthorized_quiet);
  const std::string good = "Basic " + detail::base64_encode("alice:pw");
  r.authorization = good;
  r.host = "any.name.example";  // with authentication on, any Host is fine
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::events);
  r.tessera_web = "0";
  r.authorization = std::nullopt;
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::unauthorized);
}

// ---- tessera's web interface ----------------------------------------------------------------

TEST_F(HttpGate, RootAndTheWebUiDirectoryRedirectToTheWebUiWithoutCredentials) {
  settings.authentication_required = true;
  http_gate g = make();
  for (const char* target : {"/", "//", "/?x=1", "/tessera/web", "/tessera//web?x"}) {
    auto r = req("GET", target);
    r.session_id = std::nullopt;
    const auto d = g.decide(r, now);
    EXPECT_EQ(d.outcome, gate_outcome::redirect) << target;
    EXPECT_EQ(d.location, "/tessera/web/") << target;
  }
  EXPECT_EQ(checks, 0);
  // Other paths outside the base path still need credentials, then go to Transmission's client.
  auto r = req("GET", "/index.html");
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::unauthorized);
  const std::string good = "Basic " + detail::base64_encode("alice:pw");
  r.authorization = good;
  const auto d = g.decide(r, now);
  EXPECT_EQ(d.outcome, gate_outcome::redirect);
  EXPECT_EQ(d.location, "/transmission/web/");
}

TEST_F(HttpGate, WebUiFilesArePublicForGetAndHead) {
  for (const bool auth : {false, true}) {
    settings.authentication_required = auth;
    http_gate g = make();
    auto r = req("GET", "/tessera/web/");
    r.session_id = std::nullopt;
    r.host = "evil.example";  // no Host check: public files, no RPC
    auto d = g.decide(r, now);
    EXPECT_EQ(d.outcome, gate_outcome::ui_file) << auth;
    EXPECT_EQ(d.file, "index.html");
    r.target = "/tessera/web/app.js?v=2";
    r.method = "HEAD";
    d = g.decide(r, now);
    EXPECT_EQ(d.outcome, gate_outcome::ui_file) << auth;
    EXPECT_EQ(d.file, "app.js");
    r.target = "/tessera/web/assets/";
    EXPECT_EQ(g.decide(r, now).file, "assets/index.html");
    for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "get"}) {
      r.method = method;
      EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::ui_bad_method) << method;
    }
    EXPECT_EQ(checks, 0);
  }
}

TEST_F(HttpGate, WebUiRefusesEscapesAndPercentEncodedDots) {
  http_gate g = make();
  for (const char* target :
       {"/tessera/web/../rpc", "/tessera/web/%2e%2e/x", "/tessera/web/a/%2E%2E/%2e%2e/x",
        "/tessera/web/./index.html", "/tessera/web/%2Fetc%2Fpasswd", "/tessera/web/a%00.js",
        "/tessera/web/a%5c..%5cx", "/tessera/web/%zz", "/tessera/web/a%2"}) {
    EXPECT_EQ(g.decide(req("GET", target), now).outcome, gate_outcome::web_not_found) << target;
  }
  // A percent-encoded name that stays inside is decoded (and then found or not by the front).
  const auto d = g.decide(req("GET", "/tessera/web/app%2Ejs"), now);
  EXPECT_EQ(d.outcome, gate_outcome::ui_file);
  EXPECT_EQ(d.file, "app.js");
}

TEST_F(HttpGate, WebUiFilesStillObeyTheWhitelistAndTheLockout) {
  settings.authentication_required = true;
  settings.lockout = {.max_failures = 3, .lockout_duration = 60s, .max_sources = 16};
  http_gate g = make();
  auto r = req("GET", "/tessera/web/");
  r.remote_address = "10.0.0.1";
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::address_refused);
  r.target = "/";
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::address_refused);
  // Three wrong passwords through the RPC lock 127.0.0.1 out of the files as well.
  auto bad = req("POST", "/tessera/rpc");
  const std::string guess = "Basic " + detail::base64_encode("alice:guess");
  bad.authorization = guess;
  bad.tessera_web = "1";
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(g.decide(bad, now).outcome, gate_outcome::unauthorized_quiet);
  }
  EXPECT_EQ(g.decide(req("GET", "/tessera/web/"), now).outcome, gate_outcome::locked_out);
  EXPECT_EQ(g.decide(req("GET", "/"), now).outcome, gate_outcome::locked_out);
  EXPECT_EQ(g.decide(req("GET", "/tessera/web/"), now + 61s).outcome, gate_outcome::ui_file);
}

TEST_F(HttpGate, TesseraRpcIsTheRpcWithEveryCheck) {
  http_gate g = make();
  EXPECT_EQ(g.decide(req("POST", "/tessera/rpc"), now).outcome, gate_outcome::rpc);
  EXPECT_EQ(g.decide(req("POST", "/tessera//rpc/?x"), now).outcome, gate_outcome::rpc);
  EXPECT_EQ(g.decide(req("GET", "/tessera/rpc"), now).outcome, gate_outcome::rpc_bad_method);
  auto r = req("POST", "/tessera/rpc");
  r.session_id = "wrong";
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::session_conflict);
  r.host = "evil.example";
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::host_refused);
  r.remote_address = "10.0.0.1";
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::address_refused);
  // With a base path of /tessera/, its web/ is the web interface, not Transmission's client.
  settings.base_path = "/tessera/";
  settings.serve_web = true;
  http_gate same = make();
  EXPECT_EQ(same.decide(req("POST", "/tessera/rpc"), now).outcome, gate_outcome::rpc);
  EXPECT_EQ(same.decide(req("GET", "/tessera/web/"), now).outcome, gate_outcome::ui_file);
}

TEST_F(HttpGate, TheWebUiHeaderAsksFor401WithoutAChallenge) {
  settings.authentication_required = true;
  http_gate g = make();
  for (const char* target : {"/tessera/rpc", "/transmission/rpc", "/transmission/other"}) {
    auto r = req("POST", target);
    EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::unauthorized) << target;
    r.tessera_web = "1";
    EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::unauthorized_quiet) << target;
    const std::string wrong = "Basic " + detail::base64_encode("alice:nope");
    r.authorization = wrong;
    EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::unauthorized_quiet) << target;
    r.tessera_web = "0";  // only "1" asks
    EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::unauthorized) << target;
    r.tessera_web = "1";
    const std::string good = "Basic " + detail::base64_encode("alice:pw");
    r.authorization = good;
    EXPECT_NE(g.decide(r, now).outcome, gate_outcome::unauthorized_quiet) << target;
  }
  auto r = req("POST", "/tessera/rpc");
  r.tessera_web = "1";
  const std::string good = "Basic " + detail::base64_encode("alice:pw");
  r.authorization = good;
  EXPECT_EQ(g.decide(r, now).outcome, gate_outcome::rpc);
  // Without authentication the header changes nothing.
  settings.authentication_required = false;
  http_gate open = make();
  auto o = req("POST", "/tessera/rpc");
  o.tessera_web = "1";
  EXPECT_EQ(open.decide(o, now).outcome, gate_outcome::rpc);
}

}  // namespace
}  // namespace tessera::rpc
