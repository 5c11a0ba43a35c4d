// libFuzzer target for the DHT state file (dht_driver saves it at shutdown and loads it at
// start-up): dht::decode_state, a dual-stack file's `id6` included. Invariants: an error is a krpc_errc; a state holds no more
// nodes than 26 input bytes each could carry; and encode_state of it decodes to the same state
// (IPv4 nodes first, then IPv6, as decode_state orders them).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "discovery/dht/routing_table.hpp"
#include "fuzz_support.hpp"

namespace dht = tessera::detail::dht;
namespace krpc = tessera::detail::krpc;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto s = dht::decode_state(in);
  if (!s) {
    FUZZ_CHECK(s.error().category() == krpc::krpc_category());
    return 0;
  }
  FUZZ_CHECK(s->nodes.size() * krpc::compact_node_v4_size <= size);
  bool v6_seen = false;
  for (const auto& n : s->nodes) {
    FUZZ_CHECK(!(v6_seen && !n.endpoint.v6));  // IPv4 nodes come first
    v6_seen = v6_seen || n.endpoint.v6;
  }
  auto back = dht::decode_state(dht::encode_state(*s));
  FUZZ_CHECK(back && back->id == s->id && back->id6 == s->id6 && back->nodes == s->nodes);
  return 0;
}
