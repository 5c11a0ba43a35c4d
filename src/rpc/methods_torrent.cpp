// torrent-get, torrent-set, the torrent actions, torrent-remove, torrent-set-location and the
// queue moves (shared/transmission-rpc.md §3, §4).
#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <set>

#include "rpc/json_args.hpp"
#include "rpc/rpc_methods.hpp"
#include "rpc/torrent_fields.hpp"
#include "rpc/tracker_list.hpp"

namespace tessera::rpc {

namespace json = boost::json;

namespace {

std::vector<daemon_torrent*> selected(method_context& c) {
  auto sel = c.d.table().select(c.args.if_contains("ids"), unix_now());
  std::vector<daemon_torrent*> out;
  for (int id : sel.ids) {
    if (auto* t = c.d.find(id)) out.push_back(t);
  }
  return out;
}

bool is_active_now(const torrent_status& st) {
  return st.download_rate > 0 || st.upload_rate > 0 || st.state == torrent_state::checking ||
         st.state == torrent_state::downloading_metadata;
}

}  // namespace

std::string torrent_get(method_context& c) {
  auto fields = arg_string_list(c.args, "fields");
  if (!fields) return "no fields specified";
  const auto now = unix_now();
  const auto* ids = c.args.if_contains("ids");
  auto sel = c.d.table().select(ids, now);
  std::set<int> chosen(sel.ids.begin(), sel.ids.end());
  const bool table_format = arg_string(c.args, "format").value_or("objects") == "table";

  json::array torrents;
  if (table_format) {
    json::array header;
    for (const auto& f : *fields) header.emplace_back(f);
    torrents.emplace_back(std::move(header));
  }
  auto statuses = c.d.statuses();
  c.d.fold(statuses, now);
  for (auto& [id, t] : c.d.torrents()) {
    const bool pick = chosen.count(id) > 0;
    if (!pick && !sel.recently_active) continue;
    auto found = statuses.find(id);
    torrent_status relocating;  // out of the engine for a moment (torrent-set-location, no move)
    if (found == statuses.end() && !t.relocating) continue;
    if (found == statuses.end()) {
      relocating.info_hash = t.record.info_hash;
      relocating.total_size = t.ti ? t.ti->total_size() : 0;
      relocating.num_pieces = t.ti ? t.ti->num_pieces() : 0;
      relocating.save_path = t.record.download_dir;
    }
    const torrent_status* st = found == statuses.end() ? &relocating : &found->second;
    // recently-active: changed in the last 60 s, or moving right now.
    if (!pick && !is_active_now(*st)) continue;
    auto obj = torrent_fields(c.d, t, *st, *fields, now);
    if (table_format) {
      json::array row;
      for (const auto& f : *fields) {
        auto* v = obj.if_contains(f);
        row.emplace_back(v ? *v : json::value(nullptr));
      }
      torrents.emplace_back(std::move(row));
    } else {
      torrents.emplace_back(std::move(obj));
    }
  }
  c.reply["torrents"] = std::move(torrents);
  if (sel.recently_active) {
    json::array removed;
    for (int id : c.d.table().removed_since(now - recently_active_seconds)) removed.emplace_back(id);
    c.reply["removed"] = std::move(removed);
  }
  return "success";
}

std::string torrent_action(method_context& c, std::string_view method) {
  for (auto* t : selected(c)) {
    if (method == "torrent-start" || method == "torrent-start-now") {
      c.d.start_torrent(*t, method == "torrent-start-now");
    } else if (method == "torrent-stop") {
      c.d.stop_torrent(*t);
    } else if (method == "torrent-verify") {
      (void)t->handle.force_recheck();
      c.d.changed(*t);
    } else {
      (void)t->handle.force_reannounce();
      c.d.changed(*t);
    }
  }
  return "success";
}

std::string torrent_remove(method_context& c) {
  const bool delete_data = arg_bool(c.args, "delete-local-data").value_or(false);
  std::vector<int> ids;
  for (auto* t : selected(c)) ids.push_back(t->id);
  for (int id : ids) c.d.remove(id, delete_data);
  return "success";
}

std::string torrent_set_location(method_context& c) {
  auto location = arg_string(c.args, "location");
  if (!location) return "no location";
  if (!std::filesystem::path(*location).is_absolute()) return "new location path is not absolute";
  const bool move = arg_bool(c.args, "move").value_or(false);
  for (auto* t : selected(c)) {
    if (move) {
      auto r = t->handle.move_storage(*location);
      if (!r) return "cannot move " + t->record.info_hash.to_hex() + ": " + r.error().message();
    }
    t->record.download_dir = std::filesystem::path(*location).lexically_normal().string();
    if (!move) c.d.relocate(*t);  // "look for the data there": added again there and checked
    c.d.changed(*t);
  }
  return "success";
}

std::string torrent_rename_path(method_context& c) {
  auto ts = selected(c);
  if (ts.size() != 1) return "torrent-rename-path requires 1 torrent";
  auto& t = *ts.front();
  const std::string path = arg_string(c.args, "path").value_or("");
  const std::string name = arg_string(c.args, "name").value_or("");
  // As 3.00, the reply names the torrent and echoes the arguments, also with an error.
  c.reply["path"] = path;
  c.reply["name"] = name;
  c.reply["id"] = t.id;
  auto r = t.handle.rename_path(path, name);
  if (!r) {
    const auto ec = r.error();
    // 3.00 answers strerror(EINVAL) for bad arguments and for a path that is not in the torrent.
    if (ec == std::errc::invalid_argument || ec == std::errc::no_such_file_or_directory) return "Invalid argument";
    if (ec == std::errc::file_exists || ec == make_error_code(storage_errc::target_exists)) return "File exists";
    return ec.message();
  }
  if (t.ti) {
    // As the engine did it; on a refusal (which the engine's success rules out) t.ti stays.
    if (auto renamed = rename_torrent_path(*t.ti, path, name)) t.ti = std::make_shared<const torrent_info>(std::move(*renamed));
  }
  t.record.renames.emplace_back(path, name);
  c.d.save_now(t);
  return "success";
}

std::string queue_move(method_context& c, std::string_view method) {
  std::vector<int> ids;
  for (auto* t : selected(c)) ids.push_back(t->id);
  using q = torrent_daemon::queue_move;
  const q how = method == "queue-move-top" ? q::top : method == "queue-move-up" ? q::up
              : method == "queue-move-down" ? q::down : q::bottom;
  c.d.move_queue(ids, how);
  return "success";
}

namespace {

// files-wanted / files-unwanted / priority-*: RPC file indexes ([] = every file) applied to
// the engine's priorities. Error text when an index is out of range (nothing applied then).
std::string set_files(method_context& c, daemon_torrent& t) {
  const bool any = c.args.contains("files-wanted") || c.args.contains("files-unwanted") ||
                   c.args.contains("priority-high") || c.args.contains("priority-normal") ||
                   c.args.contains("priority-low");
  if (!any) return "success";
  if (!t.ti) return "success";  // no file list yet (magnet): nothing to select
  const auto visible = visible_files(*t.ti);
  auto current = t.handle.file_priorities();
  if (!current) return "success";
  std::vector<file_priority> prios = *current;
  prios.resize(t.ti->files().size(), file_priority::normal);
  // The wanted flag and the priority are one value in the engine: keep the level of a file
  // re-wanted at normal, the level of an unwanted file in the record for when it is wanted again.
  auto indexes = [&](const char* key, std::vector<int>& out) -> bool {
    auto list = arg_int_list(c.args, key);
    if (!list) return true;
    if (list->empty()) {
      out = visible;
      return true;
    }
    for (auto i : *list) {
      if (i < 0 || i >= static_cast<std::int64_t>(visible.size())) return false;
      out.push_back(visible[static_cast<std::size_t>(i)]);
    }
    return true;
  };
  std::vector<int> wanted, unwanted, high, normal, low;
  if (!indexes("files-wanted", wanted) || !indexes("files-unwanted", unwanted) || !indexes("priority-high", high) ||
      !indexes("priority-normal", normal) || !indexes("priority-low", low)) {
    return "file index out of range";
  }
  for (int i : high) prios[static_cast<std::size_t>(i)] = file_priority::high;
  for (int i : normal) prios[static_cast<std::size_t>(i)] = file_priority::normal;
  for (int i : low) prios[static_cast<std::size_t>(i)] = file_priority::low;
  for (int i : wanted) {
    if (prios[static_cast<std::size_t>(i)] == file_priority::skip) prios[static_cast<std::size_t>(i)] = file_priority::normal;
  }
  for (int i : unwanted) prios[static_cast<std::size_t>(i)] = file_priority::skip;
  for (std::size_t i = 0; i < prios.size(); ++i) {
    if (i < current->size() && (*current)[i] == prios[i]) continue;
    (void)t.handle.set_file_priority(file_index{static_cast<int>(i)}, prios[i]);
  }
  t.record.file_priorities.assign(prios.size(), 0);
  std::transform(prios.begin(), prios.end(), t.record.file_priorities.begin(), [](file_priority p) { return static_cast<int>(p); });
  return "success";
}

// trackerAdd, then trackerRemove, then trackerReplace, each as Transmission 3.00 (an edit that
// applies to nothing is "invalid argument" and ends the edits; those before it stay). The
// engine gets the new list at once and the record is saved at once.
std::string edit_trackers(method_context& c, daemon_torrent& t) {
  const auto* add = c.args.if_contains("trackerAdd");
  const auto* remove = c.args.if_contains("trackerRemove");
  const auto* replace = c.args.if_contains("trackerReplace");
  if (!add && !remove && !replace) return "success";
  auto list = current_trackers(t);
  int next_id = next_tracker_id(t);
  std::string result = "success";
  bool changed = false;
  if (add) {
    if (add_trackers(list, next_id, *add)) changed = true;
    else result = "invalid argument";
  }
  if (remove && result == "success") {
    if (remove_trackers(list, *remove)) changed = true;
    else result = "invalid argument";
  }
  if (replace && result == "success") {
    if (replace_trackers(list, *replace)) changed = true;
    else result = "invalid argument";
  }
  if (!changed) return result;
  if (auto r = t.handle.replace_trackers(tracker_tiers(list)); !r) return "error setting announce list";
  t.record.trackers = std::move(list);
  t.record.next_tracker_id = next_id;
  c.d.save_now(t);
  return result;
}

}  // namespace

std::string torrent_set(method_context& c) {
  const auto& a = c.args;
  if (auto labels = arg_string_list(a, "labels")) {
    std::set<std::string> seen;
    for (const auto& l : *labels) {
      if (l.empty()) return "labels cannot be empty";
      if (!seen.insert(l).second) return "labels cannot contain duplicates";
      if (l.find(',') != std::string::npos) return "labels cannot contain comma (,) character";
    }
  }
  std::string result = "success";
  for (auto* t : selected(c)) {
    auto& r = t->record;
    if (auto v = arg_int(a, "bandwidthPriority")) r.bandwidth_priority = static_cast<int>(std::clamp<std::int64_t>(*v, -1, 1));
    if (auto v = arg_int(a, "downloadLimit")) r.download_limit_kbps = std::clamp<std::int64_t>(*v, 0, 1ll << 40);
    if (auto v = arg_bool(a, "downloadLimited")) r.download_limited = *v;
    if (auto v = arg_int(a, "uploadLimit")) r.upload_limit_kbps = std::clamp<std::int64_t>(*v, 0, 1ll << 40);
    if (auto v = arg_bool(a, "uploadLimited")) r.upload_limited = *v;
    if (auto v = arg_bool(a, "honorsSessionLimits")) r.honors_session_limits = *v;
    if (auto v = arg_int(a, "peer-limit")) r.peer_limit = static_cast<int>(std::clamp<std::int64_t>(*v, 1, 10000));
    if (auto v = arg_real(a, "seedRatioLimit")) r.seed_ratio_limit = std::max(0.0, *v);
    if (auto v = arg_int(a, "seedRatioMode")) r.seed_ratio_mode = static_cast<limit_mode>(std::clamp<std::int64_t>(*v, 0, 2));
    if (auto v = arg_int(a, "seedIdleLimit")) r.seed_idle_limit = std::clamp<std::int64_t>(*v, 0, 1ll << 30);
    if (auto v = arg_int(a, "seedIdleMode")) r.seed_idle_mode = static_cast<limit_mode>(std::clamp<std::int64_t>(*v, 0, 2));
    if (auto v = arg_string_list(a, "labels")) r.labels = *v;
    if (auto v = arg_int(a, "queuePosition")) {
      // Move to the given position: to the top, then down as many places.
      c.d.move_queue({t->id}, torrent_daemon::queue_move::top);
      for (std::int64_t i = 0; i < std::min<std::int64_t>(*v, static_cast<std::int64_t>(c.d.torrents().size())); ++i) {
        c.d.move_queue({t->id}, torrent_daemon::queue_move::down);
      }
    }
    c.d.apply_torrent_limits(*t);
    if (auto f = set_files(c, *t); f != "success") result = f;
    if (auto e = edit_trackers(c, *t); e != "success") result = e;
    c.d.changed(*t);
  }
  return result;
}

}  // namespace tessera::rpc
