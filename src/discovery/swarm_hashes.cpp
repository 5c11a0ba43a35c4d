#include "discovery/swarm_hashes.hpp"

namespace tessera::detail {

std::vector<swarm_hash> swarm_hashes(const info_hash_t& ih) {
  std::vector<swarm_hash> out;
  if (ih.has_v1()) out.push_back({ih.v1, swarm_set::v1});
  if (ih.has_v2()) out.push_back({ih.v2_truncated(), swarm_set::v2});
  return out;
}

swarm_set swarm_of(const info_hash_t& ih, const sha1_hash& hash) {
  if (hash.is_zero()) return swarm_set::none;
  if (ih.has_v1() && hash == ih.v1) return swarm_set::v1;
  if (ih.has_v2() && hash == ih.v2_truncated()) return swarm_set::v2;
  return swarm_set::none;
}

sha1_hash handshake_hash(const info_hash_t& ih, swarm_set found_in) {
  if (ih.has_v2() && found_in == swarm_set::v2) return ih.v2_truncated();
  return ih.best();
}

}  // namespace tessera::detail
