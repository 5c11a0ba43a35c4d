#include "rpc/catalogue.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <unordered_map>
#include <system_error>

#include "disk/resume_data.hpp"
#include "rpc/json_args.hpp"

namespace tessera::rpc {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {
constexpr std::size_t max_record_bytes = 1 << 20;
constexpr std::size_t max_torrent_bytes = 64 << 20;

result<bool, std::string> as_result(const result<bool, detail::file_io_error>& r) {
  if (!r) return unexpected{r.error().message()};
  return true;
}
}  // namespace

result<bool, std::string> catalogue::open() {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return unexpected{"mkdir " + dir_.string() + ": " + ec.message()};
  fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace, ec);
  return true;
}

fs::path catalogue::file(const info_hash_t& ih, const char* ext) const { return dir_ / (ih.to_hex() + ext); }
fs::path catalogue::torrent_path(const info_hash_t& ih) const { return file(ih, ".torrent"); }

std::string catalogue::to_json(const torrent_record& r) {
  json::object o;
  o["info_hash"] = r.info_hash.to_hex();
  if (r.info_hash.is_hybrid()) o["info_hash_v2"] = r.info_hash.v2.to_hex();
  if (!r.magnet_uri.empty()) o["magnet"] = r.magnet_uri;
  o["download_dir"] = r.download_dir;
  o["paused"] = r.paused;
  o["finished"] = r.finished;
  o["added_date"] = r.added_date;
  o["done_date"] = r.done_date;
  o["activity_date"] = r.activity_date;
  o["uploaded"] = r.uploaded_before;
  o["downloaded"] = r.downloaded_before;
  o["corrupt"] = r.corrupt_before;
  o["seconds_downloading"] = r.seconds_downloading;
  o["seconds_seeding"] = r.seconds_seeding;
  json::array labels;
  for (const auto& l : r.labels) labels.emplace_back(l);
  o["labels"] = std::move(labels);
  json::array prios;
  for (int p : r.file_priorities) prios.emplace_back(p);
  o["file_priorities"] = std::move(prios);
  o["download_limit"] = r.download_limit_kbps;
  o["download_limited"] = r.download_limited;
  o["upload_limit"] = r.upload_limit_kbps;
  o["upload_limited"] = r.upload_limited;
  o["honors_session_limits"] = r.honors_session_limits;
  o["bandwidth_priority"] = r.bandwidth_priority;
  o["peer_limit"] = r.peer_limit;
  o["seed_ratio_limit"] = r.seed_ratio_limit;
  o["seed_ratio_mode"] = static_cast<int>(r.seed_ratio_mode);
  o["seed_idle_limit"] = r.seed_idle_limit;
  o["seed_idle_mode"] = static_cast<int>(r.seed_idle_mode);
  o["queue_position"] = r.queue_position;
  if (r.trackers) {
    json::array trackers;
    for (const auto& t : *r.trackers) trackers.emplace_back(json::object{{"id", t.id}, {"tier", t.tier}, {"url", t.url}});
    o["trackers"] = std::move(trackers);
    o["next_tracker_id"] = r.next_tracker_id;
  }
  if (!r.renames.empty()) {
    json::array renames;
    for (const auto& [path, name] : r.renames) renames.emplace_back(json::array{json::string(path), json::string(name)});
    o["renames"] = std::move(renames);
  }
  return json::serialize(o);
}

std::optional<torrent_record> catalogue::from_json(std::string_view text) {
  std::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  torrent_record r;
  auto hex = arg_string(o, "info_hash");
  if (!hex) return std::nullopt;
  auto ih = info_hash_t::from_hex(*hex);
  if (!ih || (!ih->has_v1() && !ih->has_v2())) return std::nullopt;
  r.info_hash = *ih;
  if (auto v2_hex = arg_string(o, "info_hash_v2")) {  // a hybrid's v2 beside its v1
    auto v2 = sha256_hash::from_hex(*v2_hex);
    if (!v2 || v2->is_zero() || !r.info_hash.has_v1()) return std::nullopt;
    r.info_hash.v2 = *v2;
  }
  r.magnet_uri = arg_string(o, "magnet").value_or("");
  r.download_dir = arg_string(o, "download_dir").value_or("");
  if (r.download_dir.empty() || !fs::path(r.download_dir).is_absolute()) return std::nullopt;
  r.paused = arg_bool(o, "paused").value_or(false);
  r.finished = arg_bool(o, "finished").value_or(false);
  auto nonneg = [&](const char* k) { return std::max<std::int64_t>(0, arg_int(o, k).value_or(0)); };
  r.added_date = nonneg("added_date");
  r.done_date = nonneg("done_date");
  r.activity_date = nonneg("activity_date");
  r.uploaded_before = nonneg("uploaded");
  r.downloaded_before = nonneg("downloaded");
  r.corrupt_before = nonneg("corrupt");
  r.seconds_downloading = nonneg("seconds_downloading");
  r.seconds_seeding = nonneg("seconds_seeding");
  r.labels = arg_string_list(o, "labels").value_or(std::vector<std::string>{});
  for (auto p : arg_int_list(o, "file_priorities").value_or(std::vector<std::int64_t>{})) {
    r.file_priorities.push_back(static_cast<int>(std::clamp<std::int64_t>(p, 0, 7)));
  }
  r.download_limit_kbps = nonneg("download_limit");
  r.download_limited = arg_bool(o, "download_limited").value_or(false);
  r.upload_limit_kbps = nonneg("upload_limit");
  r.upload_limited = arg_bool(o, "upload_limited").value_or(false);
  r.honors_session_limits = arg_bool(o, "honors_session_limits").value_or(true);
  r.bandwidth_priority = static_cast<int>(std::clamp<std::int64_t>(arg_int(o, "bandwidth_priority").value_or(0), -1, 1));
  r.peer_limit = static_cast<int>(std::clamp<std::int64_t>(arg_int(o, "peer_limit").value_or(50), 1, 10000));
  r.seed_ratio_limit = std::max(0.0, arg_real(o, "seed_ratio_limit").value_or(2.0));
  auto mode = [&](const char* k) {
    return static_cast<limit_mode>(std::clamp<std::int64_t>(arg_int(o, k).value_or(0), 0, 2));
  };
  r.seed_ratio_mode = mode("seed_ratio_mode");
  r.seed_idle_limit = nonneg("seed_idle_limit");
  r.seed_idle_mode = mode("seed_idle_mode");
  r.queue_position = static_cast<int>(std::clamp<std::int64_t>(arg_int(o, "queue_position").value_or(0), 0, 1 << 30));
  if (const auto* list = o.if_contains("trackers"); list && list->is_array()) {
    // Entries that do not read as {id >= 0, tier >= 0, url} are dropped, as are repeated ids and
    // URLs; the engine refuses the list at load if a URL is not a tracker URL.
    std::vector<tracker_entry> trackers;
    for (const auto& item : list->get_array()) {
      if (!item.is_object()) continue;
      auto id = arg_int(item.get_object(), "id");
      auto tier = arg_int(item.get_object(), "tier");
      auto url = arg_string(item.get_object(), "url");
      if (!id || !tier || !url || *id < 0 || *id >= (1 << 30) || *tier < 0 || *tier >= (1 << 30)) continue;
      const bool repeated = std::any_of(trackers.begin(), trackers.end(), [&](const tracker_entry& t) {
        return t.id == *id || t.url == *url;
      });
      if (!repeated) trackers.push_back({static_cast<int>(*id), static_cast<int>(*tier), *url});
    }
    int next = 0;
    for (const auto& t : trackers) next = std::max(next, t.id + 1);
    r.next_tracker_id = static_cast<int>(std::clamp<std::int64_t>(arg_int(o, "next_tracker_id").value_or(0), next, 1 << 30));
    r.trackers = std::move(trackers);
  }
  if (const auto* list = o.if_contains("renames"); list && list->is_array()) {
    for (const auto& item : list->get_array()) {
      if (!item.is_array() || item.get_array().size() != 2 || !item.get_array()[0].is_string() ||
          !item.get_array()[1].is_string()) {
        continue;
      }
      r.renames.emplace_back(std::string(item.get_array()[0].get_string()), std::string(item.get_array()[1].get_string()));
    }
  }
  return r;
}

result<bool, std::string> catalogue::save_counters(
    const std::vector<std::pair<info_hash_t, torrent_counters>>& all) const {
  json::object o;
  for (const auto& [ih, c] : all) {
    o[ih.to_hex()] = json::array{c.uploaded, c.downloaded, c.corrupt, c.seconds_downloading, c.seconds_seeding,
                                 c.activity_date};
  }
  return as_result(detail::write_file_atomically(counters_path(), json::serialize(o)));
}

std::vector<catalogue::loaded> catalogue::load_all(std::vector<std::string>& problems) const {
  // counters.json: hash -> [uploaded, downloaded, corrupt, seconds downloading, seeding, activity].
  std::unordered_map<std::string, torrent_counters> counters;  // by info_hash_t::to_hex()
  if (auto text = detail::read_small_file(counters_path(), 64u << 20)) {
    std::error_code ec;
    json::value v = json::parse(*text, ec);
    if (ec || !v.is_object()) {
      problems.push_back(counters_path().string() + ": not a JSON object, ignored (counters from the records)");
    } else {
      for (const auto& [key, value] : v.get_object()) {
        auto ih = info_hash_t::from_hex(std::string_view(key.data(), key.size()));
        if (!ih || !value.is_array() || value.get_array().size() != 6) continue;
        std::int64_t n[6];
        for (std::size_t i = 0; i < 6; ++i) n[i] = std::max<std::int64_t>(0, as_int(value.get_array()[i]).value_or(0));
        counters[ih->to_hex()] = torrent_counters{n[0], n[1], n[2], n[3], n[4], n[5]};
      }
    }
  }
  std::vector<loaded> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const auto& path = it->path();
    if (path.extension() != ".json") continue;
    auto text = detail::read_small_file(path, max_record_bytes);
    if (!text) {
      problems.push_back(text.error().message());
      continue;
    }
    auto rec = from_json(*text);
    if (!rec || path.stem() != rec->info_hash.to_hex()) {
      problems.push_back(path.string() + ": not a torrent record, skipped");
      continue;
    }
    if (auto c = counters.find(rec->info_hash.to_hex()); c != counters.end()) {
      rec->uploaded_before = std::max(rec->uploaded_before, c->second.uploaded);
      rec->downloaded_before = std::max(rec->downloaded_before, c->second.downloaded);
      rec->corrupt_before = std::max(rec->corrupt_before, c->second.corrupt);
      rec->seconds_downloading = std::max(rec->seconds_downloading, c->second.seconds_downloading);
      rec->seconds_seeding = std::max(rec->seconds_seeding, c->second.seconds_seeding);
      rec->activity_date = std::max(rec->activity_date, c->second.activity_date);
    }
    loaded l{*rec, {}};
    if (auto bytes = detail::read_small_file(file(rec->info_hash, ".torrent"), max_torrent_bytes)) {
      l.torrent_bytes = std::move(*bytes);
    } else if (rec->magnet_uri.empty()) {
      problems.push_back(path.string() + ": neither its .torrent nor a magnet link is there, skipped");
      continue;
    }
    out.push_back(std::move(l));
  }
  std::stable_sort(out.begin(), out.end(), [](const loaded& a, const loaded& b) {
    if (a.record.queue_position != b.record.queue_position) return a.record.queue_position < b.record.queue_position;
    return a.record.added_date < b.record.added_date;
  });
  return out;
}

result<bool, std::string> catalogue::save(const torrent_record& r) const {
  return as_result(detail::write_file_atomically(file(r.info_hash, ".json"), to_json(r)));
}

result<bool, std::string> catalogue::save_torrent(const info_hash_t& ih, std::string_view bytes) const {
  return as_result(detail::write_file_atomically(file(ih, ".torrent"), bytes));
}

result<bool, std::string> catalogue::save_magnet(const info_hash_t& ih, std::string_view uri) const {
  return as_result(detail::write_file_atomically(file(ih, ".magnet"), uri));
}

void catalogue::erase(const info_hash_t& ih) const {
  std::error_code ec;
  for (const char* ext : {".json", ".torrent", ".magnet", ".resume"}) fs::remove(file(ih, ext), ec);
}

}  // namespace tessera::rpc
