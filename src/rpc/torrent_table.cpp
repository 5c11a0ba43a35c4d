#include "rpc/torrent_table.hpp"

#include <algorithm>

namespace tessera::rpc {

namespace json = boost::json;

int torrent_table::add(const info_hash_t& info_hash, std::int64_t now) {
  if (info_hash.has_v1()) {
    if (const int* id = by_hash_.find(info_hash.v1)) return *id;
  }
  if (info_hash.has_v2()) {
    if (const int* id = by_hash_.find(info_hash.v2_truncated())) return *id;
  }
  const int id = next_id_++;
  by_id_[id] = entry{info_hash, now};
  by_hash_.insert(info_hash, id);
  return id;
}

void torrent_table::remove(int id, std::int64_t now) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  by_hash_.erase(it->second.info_hash);
  by_id_.erase(it);
  std::erase_if(removed_, [&](const auto& r) { return r.second < now - recently_active_seconds; });
  removed_.emplace_back(id, now);
}

std::optional<int> torrent_table::id_of(const info_hash_t& info_hash) const {
  const int* id = by_hash_.find(info_hash);
  if (id == nullptr) return std::nullopt;
  return *id;
}

std::optional<info_hash_t> torrent_table::hash_of(int id) const {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second.info_hash;
}

void torrent_table::touch(int id, std::int64_t now) {
  if (auto it = by_id_.find(id); it != by_id_.end()) it->second.changed = std::max(it->second.changed, now);
}

void torrent_table::select_one(const json::value& v, std::vector<int>& out) const {
  if (v.is_int64() || v.is_uint64()) {
    const std::int64_t id = v.is_int64() ? v.get_int64() : -1;  // a uint64 is beyond every id
    if (id > 0 && id <= 0x7fffffff && by_id_.count(static_cast<int>(id))) out.push_back(static_cast<int>(id));
    return;
  }
  if (v.is_string()) {
    const auto& s = v.get_string();
    if (auto h = info_hash_t::from_hex(std::string_view(s.data(), s.size()))) {
      if (auto id = id_of(*h)) {
        out.push_back(*id);
      } else if (h->has_v1()) {
        // 40 digits naming no v1: a v2-only torrent's hashString, its truncated v2 (hash_string).
        const info_hash_t* full = by_hash_.hashes_of(h->v1);
        if (full && !full->has_v1()) out.push_back(*by_hash_.find(h->v1));
      }
    }
  }
}

torrent_table::selection torrent_table::select(const json::value* ids, std::int64_t now) const {
  selection sel;
  if (!ids) {
    sel.ids = all();
    return sel;
  }
  if (ids->is_string() && ids->get_string() == "recently-active") {
    sel.recently_active = true;
    for (const auto& [id, e] : by_id_) {
      if (e.changed >= now - recently_active_seconds) sel.ids.push_back(id);
    }
    return sel;
  }
  if (ids->is_array()) {
    for (const auto& item : ids->get_array()) select_one(item, sel.ids);
  } else {
    select_one(*ids, sel.ids);
  }
  std::sort(sel.ids.begin(), sel.ids.end());
  sel.ids.erase(std::unique(sel.ids.begin(), sel.ids.end()), sel.ids.end());
  return sel;
}

std::vector<int> torrent_table::removed_since(std::int64_t since) const {
  std::vector<int> out;
  for (const auto& [id, when] : removed_) {
    if (when >= since) out.push_back(id);
  }
  return out;
}

std::vector<int> torrent_table::all() const {
  std::vector<int> out;
  out.reserve(by_id_.size());
  for (const auto& [id, e] : by_id_) out.push_back(id);
  return out;
}

}  // namespace tessera::rpc
