#include "core/hash_request_tracker.hpp"

#include <algorithm>

namespace tessera::detail {

bool hash_request_tracker::add(const hash_request& r) {
  if (pending_.size() >= max_ || outstanding(r)) return false;
  pending_.push_back(r);
  return true;
}

bool hash_request_tracker::outstanding(const hash_request& r) const {
  return std::find(pending_.begin(), pending_.end(), r) != pending_.end();
}

std::error_code hash_request_tracker::take(const hash_request& r) {
  const auto it = std::find(pending_.begin(), pending_.end(), r);
  if (it == pending_.end()) return hash_errc::not_requested;
  pending_.erase(it);
  return {};
}

}  // namespace tessera::detail
