#include "remote_tables.hpp"

#include <algorithm>
#include <utility>

#include <boost/json/serialize.hpp>

#include "format.hpp"
#include "remote_format.hpp"
#include "remote_json.hpp"

namespace tessera::cli {

namespace json = boost::json;

namespace {

using field_lines = std::vector<std::pair<std::string, std::string>>;

/// "TITLE\n" then "  key: value" lines with the keys padded to the widest.
void append_section(std::string& out, const char* title, const field_lines& lines) {
  std::size_t width = 0;
  for (const auto& [key, value] : lines) width = std::max(width, display_width(key));
  out += title;
  out += '\n';
  for (const auto& [key, value] : lines) {
    out += "  " + key + ":";
    out.append(width - display_width(key) + 1, ' ');
    out += value;
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += '\n';
  }
}

json::array strings(std::initializer_list<const char*> names) {
  json::array out;
  for (const char* n : names) out.emplace_back(n);
  return out;
}

std::string yes_no(bool b) { return b ? "Yes" : "No"; }

/// A per-torrent limit in kB/s (Transmission's unit, 1000 B/s).
std::string limit_text(const json::object& t, const char* limited_key, const char* limit_key) {
  if (!json_bool(t, limited_key)) return "Unlimited";
  return format_speed(json_int(t, limit_key) * 1000);
}

std::string ratio_limit_text(const json::object& t) {
  switch (json_int(t, "seedRatioMode")) {
    case 0: return "Default (the session's)";
    case 1: return format_ratio(json_real(t, "seedRatioLimit"));
    case 2: return "Unlimited";
    default: return "--";
  }
}

std::string ratio_of(std::int64_t up, std::int64_t down) {
  if (down > 0) return format_ratio(static_cast<double>(up) / static_cast<double>(down));
  return format_ratio(up > 0 ? -2 : -1);
}

const json::array* array_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_array() ? &v->as_array() : nullptr;
}

}  // namespace

json::array list_fields() {
  return strings({"id", "name", "status", "error", "errorString", "eta", "leftUntilDone", "sizeWhenDone",
                  "rateDownload", "rateUpload", "uploadRatio", "hashString"});
}

json::array info_fields() {
  return strings({"activityDate", "addedDate", "bandwidthPriority", "comment", "corruptEver", "creator",
                  "dateCreated", "desiredAvailable", "doneDate", "downloadDir", "downloadedEver",
                  "downloadLimit", "downloadLimited", "error", "errorString", "eta", "hashString",
                  "haveUnchecked", "haveValid", "honorsSessionLimits", "id", "isFinished", "isPrivate",
                  "labels", "leftUntilDone", "magnetLink", "name", "peersConnected", "peersGettingFromUs",
                  "peersSendingToUs", "peer-limit", "pieceCount", "pieceSize", "rateDownload", "rateUpload",
                  "recheckProgress", "secondsDownloading", "secondsSeeding", "seedRatioMode", "seedRatioLimit",
                  "sizeWhenDone", "startDate", "status", "totalSize", "uploadedEver", "uploadLimit",
                  "uploadLimited", "uploadRatio"});
}

json::array files_fields() { return strings({"id", "name", "files", "priorities", "wanted"}); }

std::string render_torrent_list(const json::object& arguments) {
  std::vector<const json::object*> torrents;
  if (const json::array* list = array_of(arguments, "torrents")) {
    for (const json::value& v : *list) {
      if (v.is_object()) torrents.push_back(&v.as_object());
    }
  }
  std::stable_sort(torrents.begin(), torrents.end(), [](const json::object* a, const json::object* b) {
    return json_int(*a, "id") < json_int(*b, "id");
  });
  using col = text_table::column;
  const auto R = column_align::right;
  text_table table({col{"ID", R}, col{"Done", R}, col{"Have", R}, col{"ETA", R}, col{"Up", R}, col{"Down", R},
                    col{"Ratio", R}, col{"Status"}, col{"Name"}});
  std::int64_t have_sum = 0;
  std::int64_t up_sum = 0;
  std::int64_t down_sum = 0;
  for (const json::object* t : torrents) {
    const std::int64_t size = json_int(*t, "sizeWhenDone");
    const std::int64_t left = json_int(*t, "leftUntilDone");
    const std::int64_t have = std::max<std::int64_t>(0, size - left);
    const std::int64_t up = json_int(*t, "rateUpload");
    const std::int64_t down = json_int(*t, "rateDownload");
    have_sum += have;
    up_sum += up;
    down_sum += down;
    std::string id = std::to_string(json_int(*t, "id"));
    if (json_int(*t, "error") != 0) id += '*';
    table.add_row({std::move(id), format_percent_done(size, left), format_size(have),
                   format_eta(json_int(*t, "eta", -1), left), format_speed(up), format_speed(down),
                   format_ratio(json_real(*t, "uploadRatio", -1)), status_name(json_int(*t, "status", -1)),
                   printable(json_string(*t, "name"))});
  }
  table.add_row({"Sum:", "", format_size(have_sum), "", format_speed(up_sum), format_speed(down_sum)});
  return table.render();
}

std::string render_file_list(const json::object& torrent) {
  const json::array* files = array_of(torrent, "files");
  const json::array* priorities = array_of(torrent, "priorities");
  const json::array* wanted = array_of(torrent, "wanted");
  const std::size_t count = files != nullptr ? files->size() : 0;
  std::string out = printable(json_string(torrent, "name")) + " (" + std::to_string(count) +
                    (count == 1 ? " file):\n" : " files):\n");
  using col = text_table::column;
  const auto R = column_align::right;
  text_table table({col{"#", R}, col{"Done", R}, col{"Priority"}, col{"Get"}, col{"Size", R}, col{"Name"}});
  for (std::size_t i = 0; i < count; ++i) {
    const json::value& f = (*files)[i];
    if (!f.is_object()) continue;
    const json::object& file = f.as_object();
    const std::int64_t length = json_int(file, "length");
    const std::int64_t completed = json_int(file, "bytesCompleted");
    std::string priority = "--";
    if (priorities != nullptr && i < priorities->size() && (*priorities)[i].is_int64()) {
      priority = priority_name((*priorities)[i].as_int64());
    }
    std::string get = "--";
    if (wanted != nullptr && i < wanted->size()) {
      const json::value& w = (*wanted)[i];  // 0/1 in 3.00, bools in 4.0.0-4.0.1 (checklist §8)
      if (w.is_bool()) get = yes_no(w.as_bool());
      if (w.is_int64()) get = yes_no(w.as_int64() != 0);
    }
    table.add_row({std::to_string(i), length == 0 ? "100%" : format_percent_done(length, length - completed),
                   priority, get, format_size(length), printable(json_string(file, "name"))});
  }
  return out + table.render();
}

std::string render_torrent_info(const json::object& t) {
  std::string out;
  std::string labels;
  if (const json::array* list = array_of(t, "labels")) {
    for (const json::value& l : *list) {
      if (!l.is_string()) continue;
      if (!labels.empty()) labels += ", ";
      labels += printable(l.as_string());
    }
  }
  append_section(out, "NAME", {{"ID", std::to_string(json_int(t, "id"))},
                               {"Name", printable(json_string(t, "name"))},
                               {"Hash", printable(json_string(t, "hashString"))},
                               {"Magnet", printable(json_string(t, "magnetLink"))},
                               {"Labels", labels}});

  const std::int64_t size_when_done = json_int(t, "sizeWhenDone");
  const std::int64_t left = json_int(t, "leftUntilDone");
  const std::int64_t valid = json_int(t, "haveValid");
  const std::int64_t unchecked = json_int(t, "haveUnchecked");
  const std::int64_t status = json_int(t, "status", -1);
  std::string state = status_name(status);
  if (status == 0 && json_bool(t, "isFinished")) state += " (finished)";
  if (status == 1 || status == 2) state += " (" + format_fraction(json_real(t, "recheckProgress")) + ")";
  field_lines transfer = {
      {"State", state},
      {"Location", printable(json_string(t, "downloadDir"))},
      {"Percent Done", format_percent_done(size_when_done, left)},
      {"ETA", format_eta(json_int(t, "eta", -1), left)},
      {"Download Speed", format_speed(json_int(t, "rateDownload"))},
      {"Upload Speed", format_speed(json_int(t, "rateUpload"))},
      {"Have", format_size(valid + unchecked) + " (" + format_size(valid) + " verified)"},
      {"Availability", format_size(json_int(t, "desiredAvailable") + valid + unchecked) + " of " +
                           format_size(size_when_done) + " wanted"},
      {"Total size", format_size(json_int(t, "totalSize")) + " (" + format_size(size_when_done) + " wanted)"},
      {"Downloaded", format_size(json_int(t, "downloadedEver"))},
      {"Uploaded", format_size(json_int(t, "uploadedEver"))},
      {"Ratio", format_ratio(json_real(t, "uploadRatio", -1))},
      {"Corrupt DL", format_size(json_int(t, "corruptEver"))},
      {"Peers", "connected to " + std::to_string(json_int(t, "peersConnected")) + ", uploading to " +
                    std::to_string(json_int(t, "peersGettingFromUs")) + ", downloading from " +
                    std::to_string(json_int(t, "peersSendingToUs"))},
  };
  if (json_int(t, "error") != 0) transfer.emplace_back("Error", printable(json_string(t, "errorString")));
  append_section(out, "TRANSFER", transfer);

  append_section(out, "HISTORY", {{"Date added", format_time(json_int(t, "addedDate"))},
                                  {"Date started", format_time(json_int(t, "startDate"))},
                                  {"Date finished", format_time(json_int(t, "doneDate"))},
                                  {"Latest activity", format_time(json_int(t, "activityDate"))},
                                  {"Downloading time", format_duration(json_int(t, "secondsDownloading"))},
                                  {"Seeding time", format_duration(json_int(t, "secondsSeeding"))}});

  append_section(out, "ORIGINS", {{"Date created", format_time(json_int(t, "dateCreated"))},
                                  {"Private", yes_no(json_bool(t, "isPrivate"))},
                                  {"Comment", printable(json_string(t, "comment"))},
                                  {"Creator", printable(json_string(t, "creator"))},
                                  {"Piece count", std::to_string(json_int(t, "pieceCount"))},
                                  {"Piece size", format_bytes(json_int(t, "pieceSize"))}});

  append_section(out, "LIMITS", {{"Download limit", limit_text(t, "downloadLimited", "downloadLimit")},
                                 {"Upload limit", limit_text(t, "uploadLimited", "uploadLimit")},
                                 {"Ratio limit", ratio_limit_text(t)},
                                 {"Honors session limits", yes_no(json_bool(t, "honorsSessionLimits"))},
                                 {"Bandwidth priority", priority_name(json_int(t, "bandwidthPriority"))},
                                 {"Peer limit", std::to_string(json_int(t, "peer-limit"))}});
  return out;
}

std::string render_stats(const json::object& s) {
  std::string out;
  out += "Torrents: " + std::to_string(json_int(s, "torrentCount")) + " (" +
         std::to_string(json_int(s, "activeTorrentCount")) + " active, " +
         std::to_string(json_int(s, "pausedTorrentCount")) + " paused)\n";
  out += "Speed: down " + format_speed(json_int(s, "downloadSpeed")) + ", up " +
         format_speed(json_int(s, "uploadSpeed")) + "\n";
  auto block = [&](const char* title, const char* key, bool sessions) {
    const json::value* v = s.if_contains(key);
    const json::object empty;
    const json::object& o = v != nullptr && v->is_object() ? v->as_object() : empty;
    const std::int64_t up = json_int(o, "uploadedBytes");
    const std::int64_t down = json_int(o, "downloadedBytes");
    field_lines lines = {{"Uploaded", format_size(up)},
                         {"Downloaded", format_size(down)},
                         {"Ratio", ratio_of(up, down)},
                         {"Duration", format_duration(json_int(o, "secondsActive"))}};
    if (sessions) lines.emplace_back("Sessions", std::to_string(json_int(o, "sessionCount")));
    append_section(out, title, lines);
  };
  block("CURRENT SESSION", "current-stats", false);
  block("TOTAL", "cumulative-stats", true);
  return out;
}

std::string session_value_text(const json::value& v) {
  if (v.is_string()) return printable(v.as_string());
  return printable(json::serialize(v));
}

std::string render_session(const json::object& arguments) {
  std::vector<std::pair<std::string, std::string>> lines;
  for (const auto& kv : arguments) lines.emplace_back(printable(kv.key()), session_value_text(kv.value()));
  std::sort(lines.begin(), lines.end());
  std::size_t width = 0;
  for (const auto& [key, value] : lines) width = std::max(width, display_width(key));
  std::string out;
  for (const auto& [key, value] : lines) {
    out += key + ":";
    out.append(width - display_width(key) + 1, ' ');
    out += value;
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += '\n';
  }
  return out;
}

}  // namespace tessera::cli
