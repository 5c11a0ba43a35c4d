// Transmission's integer torrent ids and the `ids` selector of every torrent method
// (shared/transmission-rpc.md §3). Ids start at 1 and are never reused within a daemon run (not
// stable across restarts: clients key by `hashString`). The table also remembers when each torrent
// last changed, for `ids: "recently-active"` (changed in the last 60 s), and which ids were removed
// in the last 60 s (torrent-get's `removed`). Pure: times are passed in (Unix seconds); not
// thread-safe (the daemon serialises its calls).
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/info_hash_map.hpp"
#include "tessera/types.hpp"

namespace tessera::rpc {

/// How long a change keeps a torrent "recently active", and a removal reported (Transmission 3.00).
inline constexpr std::int64_t recently_active_seconds = 60;

class torrent_table {
 public:
  /// Registers a torrent and returns its new id (1, 2, ...). Registering a torrent whose v1 or
  /// v2 is already present returns the existing id.
  int add(const info_hash_t& info_hash, std::int64_t now);
  /// Forgets `id`; it is reported by removed_since() for recently_active_seconds.
  void remove(int id, std::int64_t now);
  /// The id of the torrent whose hashes include every hash of `info_hash` (so a hybrid is found
  /// by its v1 alone too); nullopt when none.
  std::optional<int> id_of(const info_hash_t& info_hash) const;
  /// The hashes `id` was added with.
  std::optional<info_hash_t> hash_of(int id) const;
  /// Marks a change of `id` (state, progress, settings, transfer) at `now`.
  void touch(int id, std::int64_t now);

  /// The torrents an `ids` argument selects, in id order, without duplicates:
  /// absent (nullptr) = all; an integer = that id; a string = an info-hash (any case: 40 hex
  /// digits for v1, or for a v2-only torrent its truncated v2 as `hashString` gives it; 64 for
  /// v2; a hybrid answers to its v1 and its full v2) or
  /// "recently-active"; a list of integers and hash strings = those; anything else (unknown ids,
  /// other types, objects) selects nothing and is no error.
  struct selection {
    std::vector<int> ids;
    bool recently_active = false;  ///< the selector was "recently-active"
  };
  selection select(const boost::json::value* ids, std::int64_t now) const;
  /// Ids removed at or after `since`, in removal order.
  std::vector<int> removed_since(std::int64_t since) const;
  /// Every id, ascending.
  std::vector<int> all() const;
  std::size_t size() const { return by_id_.size(); }

 private:
  void select_one(const boost::json::value& v, std::vector<int>& out) const;
  struct entry {
    info_hash_t info_hash;
    std::int64_t changed = 0;
  };
  int next_id_ = 1;
  std::map<int, entry> by_id_;
  tessera::detail::info_hash_map<int> by_hash_;
  std::vector<std::pair<int, std::int64_t>> removed_;  ///< (id, when), pruned as they age
};

}  // namespace tessera::rpc
