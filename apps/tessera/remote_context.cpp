#include "remote_context.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <boost/json/serialize.hpp>

#include "commands.hpp"
#include "format.hpp"
#include "netrc.hpp"
#include "remote_select.hpp"

namespace tessera::cli {

namespace json = boost::json;

namespace {

/// A .netrc bigger than this is not read (it holds a few lines).
constexpr std::streamsize max_netrc_bytes = 1 << 20;

std::optional<std::string> read_netrc() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') return std::nullopt;
  std::ifstream in(std::string(home) + "/.netrc", std::ios::binary);
  if (!in) return std::nullopt;
  std::string text(static_cast<std::size_t>(max_netrc_bytes), '\0');
  in.read(text.data(), max_netrc_bytes);
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

result<rpc_credentials, std::string> split_user_pass(std::string_view text, std::string_view what) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return unexpected{std::string(what) + ": expected USER:PASSWORD"};
  return rpc_credentials{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1)), true};
}

}  // namespace

result<std::optional<rpc_credentials>, std::string> choose_credentials(std::string_view auth_flag, const char* env_auth,
                                                                        const std::optional<std::string>& netrc_text,
                                                                        std::string_view host) {
  if (!auth_flag.empty()) {
    auto c = split_user_pass(auth_flag, "--auth");
    if (!c) return unexpected{c.error()};
    return std::optional<rpc_credentials>(std::move(*c));
  }
  if (env_auth != nullptr && *env_auth != '\0') {
    auto c = split_user_pass(env_auth, "TESSERA_AUTH");
    if (!c) return unexpected{c.error()};
    return std::optional<rpc_credentials>(std::move(*c));
  }
  if (netrc_text) {
    if (auto login = find_netrc_login(*netrc_text, host)) {
      return std::optional<rpc_credentials>(rpc_credentials{login->login, login->password, false});
    }
  }
  return std::optional<rpc_credentials>();
}

int fail(std::string_view message) {
  std::fprintf(stderr, "tessera: error: %s\n", printable(message).c_str());
  return exit_bad_input;
}

result<remote_context, int> remote_context::open(const remote_options& options) {
  auto url = parse_rpc_url(options.rpc_url);
  if (!url) return unexpected{fail("--rpc: " + url.error())};
  const bool explicit_auth = !options.auth.empty() || (std::getenv("TESSERA_AUTH") != nullptr &&
                                                       *std::getenv("TESSERA_AUTH") != '\0');
  auto credentials = choose_credentials(options.auth, std::getenv("TESSERA_AUTH"),
                                        explicit_auth ? std::nullopt : read_netrc(), url->host);
  if (!credentials) return unexpected{fail(credentials.error())};
  if (!(options.timeout_seconds > 0 && options.timeout_seconds <= 86400)) {
    return unexpected{fail("--timeout: expected seconds, more than 0 and at most 86400")};
  }
  rpc_options ro;
  ro.url = options.rpc_url;
  ro.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(options.timeout_seconds * 1000));
  ro.credentials = std::move(*credentials);
  auto client = rpc_client::create(ro);
  if (!client) return unexpected{fail(client.error())};
  return remote_context(std::move(*client), options.json, std::move(ro));
}

result<json::object, int> remote_context::call(std::string_view method, json::object arguments) {
  auto reply = client_.call(method, std::move(arguments));
  if (!reply) return unexpected{fail(reply.error().message)};
  return std::move(*reply);
}

result<std::optional<std::vector<std::int64_t>>, int> remote_context::resolve(const std::vector<std::string>& tokens,
                                                                              bool allow_all) {
  if (allow_all && tokens.size() == 1 && tokens.front() == "all") {
    return std::optional<std::vector<std::int64_t>>();
  }
  if (tokens.empty()) return unexpected{fail("no torrent given (an ID or info-hash prefix)")};
  json::object args;
  args["fields"] = json::array{"id", "hashString"};
  auto reply = call("torrent-get", std::move(args));
  if (!reply) return unexpected{reply.error()};
  auto ids = resolve_ids(tokens, torrent_refs_of(*reply));
  if (!ids) return unexpected{fail(ids.error())};
  return std::optional<std::vector<std::int64_t>>(std::move(*ids));
}

void remote_context::print_json(const json::object& arguments) {
  std::printf("%s\n", json::serialize(arguments).c_str());
}

json::array ids_json(const std::vector<std::int64_t>& ids) {
  json::array out;
  for (std::int64_t id : ids) out.push_back(id);
  return out;
}

}  // namespace tessera::cli
