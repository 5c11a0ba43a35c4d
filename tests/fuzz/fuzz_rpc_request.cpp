// libFuzzer target for the daemon's RPC methods (rpc/rpc_methods.hpp): arbitrary request bodies
// against a live torrent_daemon (a session on 127.0.0.1 without DHT, LSD or PEX, in a temporary
// config dir), as the HTTP front hands them over. An input is one or more bodies separated by a
// line "\n--\n"; the daemon (and the torrents earlier bodies added) lives across bodies and inputs,
// and each input starts by removing every torrent, so state stays small. Invariants: every reply
// is a JSON object with a string `result` and an object `arguments`, and echoes `tag` exactly
// when the request had an integer one; nothing crashes, leaks or trips a sanitizer.
// Requests naming a path (`download-dir`, `location`, `filename`, `path`, `incomplete-dir`,
// checked on the parsed JSON, so escapes do not hide them) are skipped: the fuzzer must not
// create directories or read files outside its sandbox.
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "rpc/rpc_methods.hpp"
#include "rpc/torrent_daemon.hpp"

namespace json = boost::json;
namespace rpc = tessera::rpc;

namespace {

struct live_daemon {
  std::filesystem::path dir;
  std::unique_ptr<rpc::torrent_daemon> daemon;
  std::unique_ptr<rpc::rpc_methods> methods;

  live_daemon() {
    dir = std::filesystem::temp_directory_path() / ("tessera-fuzz-rpc-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "config");
    json::object s{{"dht-enabled", false}, {"lpd-enabled", false}, {"pex-enabled", false}, {"peer-port", 0},
                   {"bind-address-ipv4", "127.0.0.1"}, {"download-dir", (dir / "downloads").string()},
                   {"start-added-torrents", false}};
    std::ofstream(dir / "config" / "settings.json") << json::serialize(s);
    rpc::daemon_options o;
    o.config_dir = dir / "config";
    daemon = std::make_unique<rpc::torrent_daemon>(o);
    std::vector<std::string> problems;
    FUZZ_CHECK(daemon->start(problems).has_value());
    methods = std::make_unique<rpc::rpc_methods>(*daemon, [] { return std::string("fuzz"); }, [] {});
  }
  ~live_daemon() {
    methods.reset();
    daemon->stop();
    daemon.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

bool names_a_path(const json::value& v) {
  if (!v.is_object()) return false;
  const auto* args = v.get_object().if_contains("arguments");
  if (!args || !args->is_object()) return false;
  for (const char* k : {"download-dir", "location", "filename", "path", "incomplete-dir"}) {
    if (args->get_object().contains(k)) return true;
  }
  return false;
}

void run_one(live_daemon& d, std::string_view body) {
  std::error_code ec;
  json::parse_options opts;
  opts.max_depth = 64;
  json::value request = json::parse(body, ec, {}, opts);
  if (!ec && names_a_path(request)) return;
  const std::string reply_text = d.methods->handle(body);
  json::value reply = json::parse(reply_text, ec);
  FUZZ_CHECK(!ec && reply.is_object());
  const auto& r = reply.get_object();
  FUZZ_CHECK(r.contains("result") && r.at("result").is_string());
  FUZZ_CHECK(r.contains("arguments") && r.at("arguments").is_object());
  bool integer_tag = false;
  if (!ec && request.is_object()) {
    if (const auto* tag = request.get_object().if_contains("tag")) integer_tag = tag->is_int64() || tag->is_uint64();
  }
  FUZZ_CHECK(r.contains("tag") == integer_tag);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static live_daemon d;
  d.methods->handle(R"({"method":"torrent-remove","arguments":{"delete-local-data":true}})");
  std::string_view input(reinterpret_cast<const char*>(data), size);
  while (true) {
    const auto sep = input.find("\n--\n");
    run_one(d, input.substr(0, sep));
    if (sep == std::string_view::npos) break;
    input.remove_prefix(sep + 4);
  }
  return 0;
}
