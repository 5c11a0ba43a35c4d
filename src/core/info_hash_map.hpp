// The session's torrents by info-hash: found in O(1) by any 20-byte form that names a torrent on
// the wire, to trackers, the DHT and LSD (its v1 info-hash, or its v2 info-hash truncated, BEP 52),
// and by a whole info_hash_t. Pure; network thread only (no locking).
#pragma once

#include <cstddef>
#include <unordered_map>
#include <utility>

#include "tessera/types.hpp"

namespace tessera::detail {

/// Values of type `T` keyed by info_hash_t. Each entry is stored under its best() 20 bytes (v1,
/// else v2 truncated); a hybrid's v2 truncated is an extra key to the same entry. Iteration
/// yields (best() 20 bytes, value) pairs, in no particular order.
template <class T>
class info_hash_map {
  using primary_map = std::unordered_map<sha1_hash, T>;

 public:
  using iterator = typename primary_map::iterator;
  using const_iterator = typename primary_map::const_iterator;

  /// Adds `value` named by `ih`. False, and nothing changes, when `ih` has neither v1 nor v2 or
  /// when one of its 20-byte forms already names an entry (contains_any).
  bool insert(const info_hash_t& ih, T value) {
    if ((!ih.has_v1() && !ih.has_v2()) || contains_any(ih)) return false;
    const sha1_hash key = ih.best();
    primary_.emplace(key, std::move(value));
    full_.emplace(key, ih);
    if (ih.is_hybrid()) aliases_.emplace(ih.v2_truncated(), key);
    return true;
  }

  /// Removes the entry inserted under `ih` (exactly the hashes given to insert); false when none.
  bool erase(const info_hash_t& ih) {
    const sha1_hash key = ih.best();
    auto f = full_.find(key);
    if (f == full_.end() || f->second != ih) return false;
    full_.erase(f);
    primary_.erase(key);
    if (ih.is_hybrid()) aliases_.erase(ih.v2_truncated());
    return true;
  }

  /// The entry named by the 20 bytes `h`: whose v1 is `h`, or whose v2 truncated is `h`
  /// (info_hash_t::matches). nullptr when none or for an all-zero `h`.
  T* find(const sha1_hash& h) { return lookup(h); }
  const T* find(const sha1_hash& h) const { return const_cast<info_hash_map*>(this)->lookup(h); }

  /// The entry whose info-hashes include every non-zero hash of `ih` (so a hybrid is found by
  /// its v1, its v2, or both). nullptr when none or when `ih` is all zero.
  T* find(const info_hash_t& ih) {
    if (!ih.has_v1() && !ih.has_v2()) return nullptr;
    const sha1_hash* key = key_of(ih.best());
    if (key == nullptr) return nullptr;
    const info_hash_t& full = full_.at(*key);
    if ((ih.has_v1() && full.v1 != ih.v1) || (ih.has_v2() && full.v2 != ih.v2)) return nullptr;
    return &primary_.at(*key);
  }
  const T* find(const info_hash_t& ih) const { return const_cast<info_hash_map*>(this)->find(ih); }

  /// The full info-hashes of the entry `h` names (as find(h)); nullptr when none.
  const info_hash_t* hashes_of(const sha1_hash& h) const {
    const sha1_hash* key = key_of(h);
    return key == nullptr ? nullptr : &full_.at(*key);
  }

  /// True when v1 or v2 truncated of `ih` (each when present) names an entry already.
  bool contains_any(const info_hash_t& ih) const {
    return (ih.has_v1() && key_of(ih.v1) != nullptr) || (ih.has_v2() && key_of(ih.v2_truncated()) != nullptr);
  }

  std::size_t size() const { return primary_.size(); }
  bool empty() const { return primary_.empty(); }
  void clear() {
    primary_.clear();
    full_.clear();
    aliases_.clear();
  }
  iterator begin() { return primary_.begin(); }
  iterator end() { return primary_.end(); }
  const_iterator begin() const { return primary_.begin(); }
  const_iterator end() const { return primary_.end(); }

 private:
  /// The primary key of the entry `h` names, or nullptr.
  const sha1_hash* key_of(const sha1_hash& h) const {
    if (h.is_zero()) return nullptr;
    if (auto it = full_.find(h); it != full_.end()) return &it->first;
    if (auto it = aliases_.find(h); it != aliases_.end()) return &it->second;
    return nullptr;
  }
  T* lookup(const sha1_hash& h) {
    const sha1_hash* key = key_of(h);
    return key == nullptr ? nullptr : &primary_.at(*key);
  }

  primary_map primary_;                                // best() -> value
  std::unordered_map<sha1_hash, info_hash_t> full_;    // best() -> the entry's hashes
  std::unordered_map<sha1_hash, sha1_hash> aliases_;   // a hybrid's v2 truncated -> its best() (v1)
};

}  // namespace tessera::detail
