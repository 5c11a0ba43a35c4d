#include "rpc/tracker_list.hpp"

#include <algorithm>
#include <map>
#include <unordered_set>

#include "rpc/json_args.hpp"
#include "rpc/torrent_daemon.hpp"
#include "tessera/magnet.hpp"
#include "tessera/torrent_handle.hpp"

namespace tessera::rpc {

namespace json = boost::json;

namespace {

/// Renumbers tiers densely (0, 1, ...) keeping their order, and orders the list by tier (stable
/// within a tier).
void normalise(std::vector<tracker_entry>& list) {
  std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.tier < b.tier; });
  int dense = -1;
  int last = -1;
  for (auto& t : list) {
    if (t.tier != last) {
      last = t.tier;
      ++dense;
    }
    t.tier = dense;
  }
}

bool has_url(const std::vector<tracker_entry>& list, const std::string& url) {
  return std::any_of(list.begin(), list.end(), [&](const tracker_entry& t) { return t.url == url; });
}

}  // namespace

std::vector<tracker_entry> current_trackers(const daemon_torrent& t) {
  std::vector<tracker_entry> out;
  if (t.record.trackers) {
    out = *t.record.trackers;
    normalise(out);
    return out;
  }
  std::unordered_set<std::string> seen;
  int id = 0;
  auto add = [&](const std::string& url, int tier) {
    if (seen.insert(url).second) out.push_back({id, tier, url});
    ++id;  // the position in the metainfo's list, repeated URLs included
  };
  if (t.ti) {
    int tier = 0;
    for (const auto& urls : t.ti->trackers()) {
      for (const auto& url : urls) add(url, tier);
      ++tier;
    }
  } else if (auto m = parse_magnet(t.record.magnet_uri)) {
    int tier = 0;
    for (const auto& url : m->trackers) add(url, tier++);
  }
  normalise(out);
  return out;
}

int next_tracker_id(const daemon_torrent& t) {
  if (t.record.trackers) return t.record.next_tracker_id;
  int next = 0;
  if (t.ti) {
    for (const auto& urls : t.ti->trackers()) next += static_cast<int>(urls.size());
  } else if (auto m = parse_magnet(t.record.magnet_uri)) {
    next = static_cast<int>(m->trackers.size());
  }
  return next;
}

std::vector<std::vector<std::string>> tracker_tiers(const std::vector<tracker_entry>& list) {
  std::map<int, std::vector<std::string>> by_tier;
  for (const auto& t : list) by_tier[t.tier].push_back(t.url);
  std::vector<std::vector<std::string>> out;
  for (auto& [tier, urls] : by_tier) out.push_back(std::move(urls));
  return out;
}

bool add_trackers(std::vector<tracker_entry>& list, int& next_id, const json::value& urls) {
  if (!urls.is_array()) return false;
  int tier = 0;
  for (const auto& t : list) tier = std::max(tier, t.tier + 1);
  bool changed = false;
  for (const auto& v : urls.get_array()) {
    if (!v.is_string()) continue;
    std::string url(v.get_string());
    if (!is_valid_tracker_url(url) || has_url(list, url)) continue;
    list.push_back({next_id++, tier++, std::move(url)});
    changed = true;
  }
  return changed;
}

bool remove_trackers(std::vector<tracker_entry>& list, const json::value& ids) {
  if (!ids.is_array()) return false;
  std::unordered_set<std::int64_t> gone;
  for (const auto& v : ids.get_array()) {
    if (auto id = as_int(v)) gone.insert(*id);
  }
  const auto before = list.size();
  std::erase_if(list, [&](const tracker_entry& t) { return gone.count(t.id) > 0; });
  if (list.size() == before) return false;
  normalise(list);
  return true;
}

bool replace_trackers(std::vector<tracker_entry>& list, const json::value& pairs) {
  if (!pairs.is_array()) return false;
  const auto& a = pairs.get_array();
  bool changed = false;
  for (std::size_t i = 0; i + 1 < a.size(); i += 2) {
    auto id = as_int(a[i]);
    if (!id || !a[i + 1].is_string()) continue;
    std::string url(a[i + 1].get_string());
    auto it = std::find_if(list.begin(), list.end(), [&](const tracker_entry& t) { return t.id == *id; });
    if (it == list.end() || !is_valid_tracker_url(url)) continue;
    if (it->url == url) {
      changed = true;  // a no-op replacement still counts as applied (3.00)
      continue;
    }
    if (has_url(list, url)) continue;
    it->url = std::move(url);
    changed = true;
  }
  return changed;
}

}  // namespace tessera::rpc
