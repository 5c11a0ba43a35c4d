// `tessera add FILE|MAGNET|URL...`: torrent-add. A local .torrent goes as `metainfo` (base64, so
// the daemon need not see the client's files), a magnet or an http(s) URL as `filename` (the
// daemon fetches it). --select needs the file count, so it takes .torrent files only.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "rpc/base64_text.hpp"
#include "commands.hpp"
#include "format.hpp"
#include "remote_json.hpp"
#include "remote_select.hpp"
#include "remote_verbs.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::cli {

namespace json = boost::json;

namespace {

/// The largest .torrent read (parse_torrent refuses more than 10 MiB anyway).
constexpr std::size_t max_torrent_bytes = 10u << 20;

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

bool is_url(std::string_view s) { return starts_with_ci(s, "http://") || starts_with_ci(s, "https://"); }

/// Reads a local .torrent; errors name the file.
result<std::string, std::string> read_torrent(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return unexpected{path + ": no such file (nor a magnet or http(s) URL)"};
  if (!S_ISREG(st.st_mode)) return unexpected{path + ": not a regular file"};
  if (static_cast<std::size_t>(st.st_size) > max_torrent_bytes) return unexpected{path + ": larger than 10 MiB"};
  std::ifstream in(path, std::ios::binary);
  if (!in) return unexpected{path + ": cannot be read"};
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

/// Prints what torrent-add answered: "added ID HASH NAME" or, for a torrent the daemon has
/// already, "duplicate ...".
void print_added(const json::object& reply) {
  const char* verb = "added";
  const json::value* t = reply.if_contains("torrent-added");
  if (t == nullptr || !t->is_object()) {
    t = reply.if_contains("torrent-duplicate");
    verb = "already there";
  }
  if (t == nullptr || !t->is_object()) {
    std::printf("added (the daemon said nothing about the torrent)\n");
    return;
  }
  const json::object& o = t->as_object();
  std::printf("%s: ID %lld  %s  %s\n", verb, static_cast<long long>(json_int(o, "id")),
              printable(json_string(o, "hashString")).c_str(), printable(json_string(o, "name")).c_str());
}

}  // namespace

int run_add(remote_context& ctx, const add_options& opts) {
  if (!opts.download_dir.empty() && opts.download_dir.front() != '/') {
    return fail("-o " + opts.download_dir + ": the download directory must be an absolute path (on the daemon's machine)");
  }
  std::vector<std::int64_t> selected;
  if (!opts.select.empty()) {
    auto list = parse_index_list(opts.select);
    if (!list) return fail("--select: " + list.error());
    selected = std::move(*list);
  }
  // Everything is checked before the first torrent is sent.
  struct item {
    json::object arguments;
  };
  std::vector<item> items;
  for (const std::string& source : opts.sources) {
    json::object args;
    if (starts_with_ci(source, "magnet:") || is_url(source)) {
      if (!selected.empty()) {
        return fail("--select needs a .torrent file (to know its files); " +
                    std::string(is_url(source) ? "a URL is fetched by the daemon" : "a magnet has no file list yet") +
                    ": add it, then use `tessera set ID --skip ...`");
      }
      args["filename"] = source;
    } else {
      auto bytes = read_torrent(source);
      if (!bytes) return fail(bytes.error());
      auto ti = parse_torrent(std::string_view(*bytes));
      if (!ti) return fail(source + ": " + ti.error().message());
      if (!selected.empty()) {
        const auto count = static_cast<std::int64_t>(ti->files().size());
        if (selected.back() >= count) {
          return fail("--select: file " + std::to_string(selected.back()) + " does not exist (" + source + " has " +
                      std::to_string(count) + (count == 1 ? " file, index 0)" : " files, 0 to " + std::to_string(count - 1) + ")"));
        }
        json::array unwanted;
        for (std::int64_t i = 0; i < count; ++i) {
          if (!std::binary_search(selected.begin(), selected.end(), i)) unwanted.push_back(i);
        }
        if (!unwanted.empty()) args["files-unwanted"] = std::move(unwanted);
      }
      args["metainfo"] = rpc::detail::base64_encode(*bytes);
    }
    if (opts.paused) args["paused"] = true;
    if (!opts.download_dir.empty()) args["download-dir"] = opts.download_dir;
    items.push_back({std::move(args)});
  }
  for (item& it : items) {
    auto reply = ctx.call("torrent-add", std::move(it.arguments));
    if (!reply) return reply.error();
    if (ctx.json()) {
      remote_context::print_json(*reply);
    } else {
      print_added(*reply);
    }
  }
  return exit_ok;
}

}  // namespace tessera::cli
