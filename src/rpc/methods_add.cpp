// torrent-add (shared/transmission-rpc.md §4): by `metainfo` (base64 of a .torrent) or by
// `filename` (a magnet URI, or a path on the daemon's machine).
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <optional>

#include "disk/resume_data.hpp"
#include "rpc/base64_text.hpp"
#include "rpc/json_args.hpp"
#include "rpc/rpc_methods.hpp"
#include "rpc/torrent_fields.hpp"

namespace tessera::rpc {

namespace json = boost::json;

namespace {

constexpr std::size_t max_torrent_file_bytes = 64u << 20;

// RFC 4648 base64 (base64_text's strict decoder), whitespace ignored: some clients wrap lines.
std::optional<std::string> decode_base64(std::string_view in) {
  std::string clean;
  clean.reserve(in.size());
  for (char ch : in) {
    if (!std::isspace(static_cast<unsigned char>(ch))) clean += ch;
  }
  return detail::base64_decode(clean);
}

}  // namespace

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         });
}

namespace {

std::vector<std::int64_t> ints(const json::object& a, const char* key) {
  return arg_int_list(a, key).value_or(std::vector<std::int64_t>{});
}

}  // namespace

std::string torrent_add(method_context& c) {
  const auto& a = c.args;
  add_request req;
  if (auto meta = arg_string(a, "metainfo")) {
    auto bytes = decode_base64(*meta);
    if (!bytes) return "invalid or corrupt torrent file";
    req.torrent_bytes = std::move(*bytes);
  } else if (auto filename = arg_string(a, "filename")) {
    if (starts_with_nocase(*filename, "magnet:")) {
      req.magnet = *filename;
    } else if (starts_with_nocase(*filename, "http://") || starts_with_nocase(*filename, "https://")) {
      // Fetched by rpc_methods::handle before it took the daemon's mutex (a fetch may take long).
      if (!c.fetched) return "fetching " + *filename + ": not fetched";
      if (!*c.fetched) return c.fetched->error();
      req.torrent_bytes = std::move(**c.fetched);
    } else {
      auto bytes = tessera::detail::read_small_file(*filename, max_torrent_file_bytes);
      if (!bytes) return "invalid or corrupt torrent file";
      req.torrent_bytes = std::move(*bytes);
    }
  } else {
    return "no filename or metainfo specified";
  }
  if (auto dir = arg_string(a, "download-dir")) req.download_dir = *dir;
  req.paused = arg_bool(a, "paused");
  req.files_unwanted = ints(a, "files-unwanted");
  req.priority_high = ints(a, "priority-high");
  req.priority_low = ints(a, "priority-low");
  req.priority_normal = ints(a, "priority-normal");
  req.labels = arg_string_list(a, "labels").value_or(std::vector<std::string>{});
  req.peer_limit = arg_int(a, "peer-limit");
  req.bandwidth_priority = arg_int(a, "bandwidthPriority");
  auto r = c.d.add(req);
  if (!r) return r.error();
  json::object t{{"id", r->id}, {"name", r->name}, {"hashString", hash_string(r->info_hash)}};
  c.reply[r->duplicate ? "torrent-duplicate" : "torrent-added"] = std::move(t);
  return "success";
}

}  // namespace tessera::rpc
