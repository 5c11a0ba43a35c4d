// `tessera start|stop|verify|reannounce ID...`, `tessera remove [--delete-data] ID...` and
// `tessera set ID... [options]`: one torrent action or torrent-set for the torrents named.
#include <cstdio>
#include <charconv>
#include <cmath>
#include <tuple>

#include "commands.hpp"
#include "remote_select.hpp"
#include "remote_verbs.hpp"

namespace tessera::cli {

namespace json = boost::json;

namespace {

std::string ids_text(const std::optional<std::vector<std::int64_t>>& ids) {
  if (!ids) return "all torrents";
  std::string out;
  for (std::int64_t id : *ids) out += (out.empty() ? "" : ", ") + std::to_string(id);
  return out;
}

/// Sends `method` with `args` plus the resolved ids (none = all), prints "<done>: <ids>".
int act(remote_context& ctx, const std::string& method, const char* done, const std::vector<std::string>& tokens,
        json::object args) {
  auto ids = ctx.resolve(tokens, true);
  if (!ids) return ids.error();
  if (*ids) args["ids"] = ids_json(**ids);
  auto reply = ctx.call(method, std::move(args));
  if (!reply) return reply.error();
  if (ctx.json()) {
    remote_context::print_json(*reply);
  } else {
    std::printf("%s: %s\n", done, ids_text(*ids).c_str());
  }
  return exit_ok;
}

bool parse_int(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

/// --download-limit / --upload-limit into `limit_key` (kB/s) and `limited_key`.
result<bool, std::string> add_limit(json::object& args, const std::string& text, const char* flag,
                                    const char* limit_key, const char* limited_key) {
  if (text.empty()) return false;
  if (text == "0" || text == "none" || text == "unlimited") {
    args[limited_key] = false;
    return true;
  }
  std::int64_t kbps = 0;
  if (!parse_int(text, kbps) || kbps < 0 || kbps > 100'000'000) {
    return unexpected{std::string(flag) + ": '" + text + "' is not a whole number of kB/s (or 'unlimited')"};
  }
  args[limit_key] = kbps;
  args[limited_key] = true;
  return true;
}

result<std::int64_t, std::string> priority_level(std::string_view name) {
  if (name == "high") return std::int64_t{1};
  if (name == "normal") return std::int64_t{0};
  if (name == "low") return std::int64_t{-1};
  return unexpected{"--priority: '" + std::string(name) + "' is not high, normal or low"};
}

/// A file list argument: "all" -> [] (Transmission: every file), else the indexes.
result<json::array, std::string> files_arg(const std::string& text, const char* flag) {
  if (text == "all") return json::array{};
  auto list = parse_index_list(text);
  if (!list) return unexpected{std::string(flag) + ": " + list.error()};
  json::array out;
  for (std::int64_t i : *list) out.push_back(i);
  return out;
}

}  // namespace

int run_action(remote_context& ctx, const std::string& method, const char* done, const std::vector<std::string>& ids) {
  return act(ctx, method, done, ids, {});
}

int run_remove(remote_context& ctx, const std::vector<std::string>& ids, bool delete_data) {
  json::object args;
  args["delete-local-data"] = delete_data;
  return act(ctx, "torrent-remove", delete_data ? "removed with their data" : "removed", ids, std::move(args));
}

int run_set(remote_context& ctx, const set_options& opts) {
  json::object args;
  bool any = false;
  for (auto r : {add_limit(args, opts.download_limit, "--download-limit", "downloadLimit", "downloadLimited"),
                 add_limit(args, opts.upload_limit, "--upload-limit", "uploadLimit", "uploadLimited")}) {
    if (!r) return fail(r.error());
    any = any || *r;
  }
  if (!opts.ratio.empty()) {
    if (opts.ratio == "global" || opts.ratio == "default") {
      args["seedRatioMode"] = 0;
    } else if (opts.ratio == "unlimited" || opts.ratio == "none") {
      args["seedRatioMode"] = 2;
    } else {
      double ratio = 0;
      auto [p, ec] = std::from_chars(opts.ratio.data(), opts.ratio.data() + opts.ratio.size(), ratio);
      if (ec != std::errc() || p != opts.ratio.data() + opts.ratio.size() || !std::isfinite(ratio) || ratio < 0) {
        return fail("--ratio: '" + opts.ratio + "' is not a ratio (a number >= 0, 'global' or 'unlimited')");
      }
      args["seedRatioLimit"] = ratio;
      args["seedRatioMode"] = 1;
    }
    any = true;
  }
  for (auto [text, flag, key] : {std::tuple{&opts.want, "--want", "files-wanted"},
                                 std::tuple{&opts.skip, "--skip", "files-unwanted"}}) {
    if (text->empty()) continue;
    auto files = files_arg(*text, flag);
    if (!files) return fail(files.error());
    args[key] = std::move(*files);
    any = true;
  }
  for (const std::string& p : opts.priority) {
    const std::size_t colon = p.find(':');
    auto level = priority_level(std::string_view(p).substr(0, colon));
    if (!level) return fail(level.error());
    if (colon == std::string::npos) {
      args["bandwidthPriority"] = *level;
    } else {
      auto files = files_arg(p.substr(colon + 1), "--priority");
      if (!files) return fail(files.error());
      const char* key = *level == 1 ? "priority-high" : *level == 0 ? "priority-normal" : "priority-low";
      args[key] = std::move(*files);
    }
    any = true;
  }
  if (!any) {
    return fail("nothing to set: give --download-limit, --upload-limit, --ratio, --want, --skip or --priority");
  }
  return act(ctx, "torrent-set", "set", opts.ids, std::move(args));
}

}  // namespace tessera::cli
