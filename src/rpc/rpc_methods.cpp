#include "rpc/rpc_methods.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <exception>

#include "rpc/torrent_url.hpp"

namespace tessera::rpc {

namespace json = boost::json;

#ifndef TESSERA_VERSION
#define TESSERA_VERSION "0.1.0"
#endif

std::string rpc_methods::version_string() { return "3.00 (tessera " TESSERA_VERSION ")"; }
std::string rpc_methods::tessera_version() { return TESSERA_VERSION; }

rpc_methods::rpc_methods(torrent_daemon& daemon, std::function<std::string()> session_id, std::function<void()> on_close)
    : d_(daemon), session_id_(std::move(session_id)), on_close_(std::move(on_close)) {}

namespace {

std::string dispatch(method_context& c, std::string_view m) {
  if (m == "torrent-get") return torrent_get(c);
  if (m == "torrent-set") return torrent_set(c);
  if (m == "torrent-add") return torrent_add(c);
  if (m == "torrent-remove") return torrent_remove(c);
  if (m == "torrent-set-location") return torrent_set_location(c);
  if (m == "torrent-start" || m == "torrent-start-now" || m == "torrent-stop" || m == "torrent-verify" ||
      m == "torrent-reannounce") {
    return torrent_action(c, m);
  }
  if (m == "queue-move-top" || m == "queue-move-up" || m == "queue-move-down" || m == "queue-move-bottom") {
    return queue_move(c, m);
  }
  if (m == "session-get") return session_get(c);
  if (m == "session-set") return session_set(c);
  if (m == "session-stats") return session_stats(c);
  if (m == "session-close") {
    c.close_requested = true;
    return "success";
  }
  if (m == "free-space") return free_space(c);
  if (m == "torrent-rename-path") return torrent_rename_path(c);
  // No third party is asked whether our port is reachable; the web client then shows the port as
  // closed (its prefs dialog reads a missing `port-is-open` as false).
  if (m == "port-test") return "port-test is not supported: tessera does not ask a third-party service";
  if (m == "blocklist-update") {
    // No blocklist: nothing is fetched. The size (0, as session-get's blocklist-size) is still
    // answered for clients that read it; the web client re-reads session-get after this call.
    c.reply["blocklist-size"] = 0;
    return "blocklists are not supported: tessera fetches no blocklist";
  }
  return "method name not recognized";
}

}  // namespace

std::string rpc_methods::handle(std::string_view body) {
  json::object reply;
  json::object reply_args;
  std::string result = "no method name";
  bool close = false;
  if (body.size() <= max_request_bytes) {
    std::error_code ec;
    json::parse_options opts;
    opts.max_depth = 64;
    json::value v = json::parse(body, ec, {}, opts);
    if (!ec && v.is_object()) {
      const auto& req = v.get_object();
      if (const auto* tag = req.if_contains("tag"); tag && (tag->is_int64() || tag->is_uint64())) reply["tag"] = *tag;
      const auto* method = req.if_contains("method");
      if (method && method->is_string()) {
        static const json::object no_args;
        const auto* a = req.if_contains("arguments");
        const json::object& args = a && a->is_object() ? a->get_object() : no_args;
        method_context c{d_, args, reply_args, session_id_, false, std::nullopt};
        if (method->get_string() == "torrent-add" && !args.contains("metainfo")) {
          if (const auto* f = args.if_contains("filename"); f && f->is_string()) {
            const std::string url(f->get_string());
            if (starts_with_nocase(url, "http://") || starts_with_nocase(url, "https://")) {
              const auto* cookies = args.if_contains("cookies");
              c.fetched = fetch_torrent_url(url, cookies && cookies->is_string() ? std::string(cookies->get_string()) : "");
            }
          }
        }
        std::scoped_lock lk(d_.mutex());
        try {
          result = dispatch(c, std::string_view(method->get_string()));
        } catch (const std::exception& e) {
          // A broken invariant must not take the daemon down with it: report and go on.
          spdlog::error("rpc {}: {}", std::string_view(method->get_string()), e.what());
          result = std::string("internal error: ") + e.what();
        }
        close = c.close_requested;
      }
    }
  }
  reply["result"] = result;
  reply["arguments"] = std::move(reply_args);
  std::string out = json::serialize(reply);
  if (close && on_close_) on_close_();
  return out;
}

}  // namespace tessera::rpc
