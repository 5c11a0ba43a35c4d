// libFuzzer target for the BEP 52 hash messages (core/hash_messages, core/hash_request_tracker).
// The first byte picks the file (1..256 blocks of fixed, made-up hashes) and the mode:
//  - raw: the rest is a `hashes` payload (or a `hash request` one), as a peer would send it;
//  - answered: the rest names a request, which is answered from the file's full tree, encoded,
//    changed at a few positions the input chooses, decoded and verified.
// Whatever the bytes: a verified reply holds exactly the tree's nodes it claims (soundness); an
// unchanged answer to a request that fits the tree verifies unless its proof stops at a node
// not known (completeness); decoded
// messages re-encode to their bytes; the tracker accepts a reply only for a request it holds.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/hash_messages.hpp"
#include "core/hash_request_tracker.hpp"
#include "core/merkle.hpp"
#include "fuzz_support.hpp"
#include "tessera/hasher.hpp"

namespace {

using namespace tessera;
using namespace tessera::detail;

const merkle::tree_layers& tree_of(std::int64_t blocks) {
  static std::vector<std::unique_ptr<merkle::tree_layers>> trees(257);
  auto& t = trees[static_cast<std::size_t>(blocks)];
  if (!t) {
    std::vector<sha256_hash> leaves;
    for (std::int64_t i = 0; i < blocks; ++i) leaves.push_back(sha256("leaf " + std::to_string(i)));
    t = std::make_unique<merkle::tree_layers>(leaves, 0, merkle::tree_height(blocks));
  }
  return *t;
}

void check_sound(const hashes_message& m, const verified_hashes& v, const merkle::tree_layers& t) {
  FUZZ_CHECK(static_cast<std::int64_t>(v.base.size()) == m.request.length);
  for (std::int64_t i = 0; i < m.request.length; ++i)
    FUZZ_CHECK(v.base[static_cast<std::size_t>(i)] == t.node({m.request.base_layer, m.request.index + i}));
  for (const auto& [pos, h] : v.uncles) FUZZ_CHECK(h == t.node(pos));
}

// Known nodes: only the tree's true nodes of layers >= 1 whose index is even, so some proofs
// that stop short are anchored and some are not.
std::optional<sha256_hash> known(const merkle::tree_layers& t, merkle::node_position p) {
  if (p.layer < 1 || p.layer > t.height() || (p.index & 1) != 0) return std::nullopt;
  if (p.index >= (std::int64_t{1} << (t.height() - p.layer))) return std::nullopt;
  return t.node(p);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tessera::fuzz::byte_reader in(data, size);
  const std::uint8_t head = in.u8();
  const std::int64_t blocks = 1 + in.u8();
  const merkle::tree_layers& t = tree_of(blocks);
  const auto lookup = [&t](merkle::node_position p) { return known(t, p); };

  if ((head & 1) == 0) {
    const std::string_view rest = in.bytes(in.remaining());
    const auto payload = std::span(reinterpret_cast<const std::uint8_t*>(rest.data()), rest.size());
    if (auto r = decode_hash_request(payload)) {
      std::vector<std::uint8_t> out;
      write_hash_request(out, *r);
      FUZZ_CHECK(std::equal(out.begin() + 5, out.end(), payload.begin(), payload.end()));
      if (!check_request(*r, blocks)) FUZZ_CHECK(answer_request(*r, t).has_value());
    }
    auto m = decode_hashes(payload);
    if (!m) return 0;
    std::vector<std::uint8_t> out;
    write_hashes(out, *m);
    FUZZ_CHECK(std::equal(out.begin() + 5, out.end(), payload.begin(), payload.end()));
    hash_request_tracker tracker;
    FUZZ_CHECK(tracker.on_hashes(m->request) == hash_errc::not_requested);
    if (auto v = verify_hashes(*m, blocks, t.root(), lookup)) check_sound(*m, *v, t);
    return 0;
  }

  hash_request r;
  r.pieces_root = t.root();
  r.base_layer = in.range(0, 10);
  r.length = 1 << in.range(1, 9);
  r.index = r.length * in.range(0, 255);
  r.proof_layers = in.range(0, 10);
  auto answer = answer_request(r, t);
  if (!answer) {
    FUZZ_CHECK(check_request(r, blocks) || r.base_layer < t.first_layer());
    return 0;
  }
  hash_request_tracker tracker;
  FUZZ_CHECK(tracker.add(r));
  std::vector<std::uint8_t> msg;
  write_hashes(msg, hashes_message{r, *answer});
  const int flips = in.range(0, 3);
  bool changed = false;
  for (int i = 0; i < flips; ++i) {
    const auto pos = static_cast<std::size_t>(in.u32() % msg.size());
    const std::uint8_t x = in.u8();
    if (pos >= 5 && x != 0) {  // the length prefix and id stay: the codec sees the payload
      msg[pos] ^= x;
      changed = true;
    }
  }
  auto m = decode_hashes(std::span(msg).subspan(5));
  if (!m) {
    FUZZ_CHECK(changed);
    return 0;
  }
  const bool asked = !tracker.on_hashes(m->request);
  auto v = verify_hashes(*m, blocks, t.root(), lookup);
  if (!changed) FUZZ_CHECK(asked && (v.has_value() || v.error() == hash_errc::unverifiable));
  if (v) check_sound(*m, *v, t);
  return 0;
}
