// BEP 52 hash messages. Integers big-endian, read and written byte by byte like core/wire.
#include "core/hash_messages.hpp"

#include <bit>
#include <string>

namespace tessera::detail {

namespace {

class hash_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tessera.hashes"; }
  std::string message(int ev) const override {
    switch (static_cast<hash_errc>(ev)) {
      case hash_errc::bad_message_length: return "hash message has the wrong length";
      case hash_errc::bad_request: return "hash request fields out of range";
      case hash_errc::out_of_range: return "hash request does not fit the file's tree";
      case hash_errc::hash_mismatch: return "hashes do not match the pieces root";
      case hash_errc::unverifiable: return "hashes end at a node not verified yet";
      case hash_errc::not_requested: return "hashes or hash reject for a range never asked";
      case hash_errc::unavailable: return "the requested hash layer is not available";
    }
    return "unknown hash message error";
  }
};

std::int32_t read_i32(const std::uint8_t* p) {
  return static_cast<std::int32_t>((std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) |
                                   (std::uint32_t(p[2]) << 8) | std::uint32_t(p[3]));
}

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 24));
  out.push_back(static_cast<std::uint8_t>(v >> 16));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

bool fields_in_range(const hash_request& r) {
  return r.base_layer >= 0 && r.base_layer <= max_tree_layer && r.proof_layers >= 0 &&
         r.proof_layers <= max_tree_layer && r.length >= 2 && r.length <= max_hashes_per_request &&
         std::has_single_bit(static_cast<std::uint32_t>(r.length)) && r.index >= 0 && r.index % r.length == 0;
}

hash_request read_header(const std::uint8_t* p) {
  hash_request r;
  std::copy_n(p, 32, r.pieces_root.bytes.begin());
  r.base_layer = read_i32(p + 32);
  r.index = read_i32(p + 36);
  r.length = read_i32(p + 40);
  r.proof_layers = read_i32(p + 44);
  return r;
}

void put_message(std::vector<std::uint8_t>& out, std::uint8_t id, const hash_request& r, std::size_t hashes) {
  put_u32(out, static_cast<std::uint32_t>(1 + hash_request_payload + 32 * hashes));
  out.push_back(id);
  out.insert(out.end(), r.pieces_root.bytes.begin(), r.pieces_root.bytes.end());
  put_u32(out, static_cast<std::uint32_t>(r.base_layer));
  put_u32(out, static_cast<std::uint32_t>(r.index));
  put_u32(out, static_cast<std::uint32_t>(r.length));
  put_u32(out, static_cast<std::uint32_t>(r.proof_layers));
}

}  // namespace

const std::error_category& hash_category() noexcept {
  static const hash_category_impl category;
  return category;
}

std::int64_t uncle_count(const hash_request& r) {
  const int k = merkle::log2_exact(r.length);
  return r.proof_layers >= k ? std::int64_t{r.proof_layers} - k + 1 : 0;
}

result<hash_request> decode_hash_request(std::span<const std::uint8_t> payload) {
  if (payload.size() != hash_request_payload) return unexpected{make_error_code(hash_errc::bad_message_length)};
  const hash_request r = read_header(payload.data());
  if (!fields_in_range(r)) return unexpected{make_error_code(hash_errc::bad_request)};
  return r;
}

result<hashes_message> decode_hashes(std::span<const std::uint8_t> payload) {
  if (payload.size() < hash_request_payload) return unexpected{make_error_code(hash_errc::bad_message_length)};
  hashes_message m;
  m.request = read_header(payload.data());
  if (!fields_in_range(m.request)) return unexpected{make_error_code(hash_errc::bad_request)};
  const auto count = static_cast<std::size_t>(m.request.length + uncle_count(m.request));
  if (payload.size() - hash_request_payload != 32 * count) {
    return unexpected{make_error_code(hash_errc::bad_message_length)};
  }
  m.hashes.resize(count);
  const std::uint8_t* p = payload.data() + hash_request_payload;
  for (auto& h : m.hashes) {
    std::copy_n(p, 32, h.bytes.begin());
    p += 32;
  }
  return m;
}

void write_hash_request(std::vector<std::uint8_t>& out, const hash_request& r) {
  put_message(out, hash_request_id, r, 0);
}

void write_hash_reject(std::vector<std::uint8_t>& out, const hash_request& r) {
  put_message(out, hash_reject_id, r, 0);
}

void write_hashes(std::vector<std::uint8_t>& out, const hashes_message& m) {
  put_message(out, hashes_id, m.request, m.hashes.size());
  for (const auto& h : m.hashes) out.insert(out.end(), h.bytes.begin(), h.bytes.end());
}

std::error_code check_request(const hash_request& r, std::int64_t blocks) {
  if (!fields_in_range(r)) return hash_errc::bad_request;
  const int height = merkle::tree_height(blocks);
  if (r.base_layer >= height || r.base_layer + r.proof_layers >= height) return hash_errc::out_of_range;
  const std::int64_t width = std::int64_t{1} << (height - r.base_layer);
  if (std::int64_t{r.index} + r.length > width) return hash_errc::out_of_range;
  return {};
}

result<std::vector<sha256_hash>> answer_request(const hash_request& r, const merkle::tree_layers& tree) {
  // The tree's shape is all check_request needs of the file: any block count with its height.
  if (auto ec = check_request(r, std::int64_t{1} << tree.height())) return unexpected{ec};
  if (r.base_layer < tree.first_layer()) return unexpected{make_error_code(hash_errc::unavailable)};
  std::vector<sha256_hash> out;
  out.reserve(static_cast<std::size_t>(r.length + uncle_count(r)));
  for (std::int64_t i = 0; i < r.length; ++i) out.push_back(tree.node({r.base_layer, r.index + i}));
  for (const auto& p : merkle::proof_uncles(r.base_layer, r.index, r.length, r.proof_layers))
    out.push_back(tree.node(p));
  return out;
}

result<verified_hashes> verify_hashes(const hashes_message& m, std::int64_t blocks, const sha256_hash& pieces_root,
                                      const verified_node_lookup& verified) {
  const hash_request& r = m.request;
  if (auto ec = check_request(r, blocks)) return unexpected{ec};
  if (static_cast<std::int64_t>(m.hashes.size()) != r.length + uncle_count(r)) {
    return unexpected{make_error_code(hash_errc::bad_message_length)};
  }
  const auto all = std::span<const sha256_hash>(m.hashes);
  const auto base = all.first(static_cast<std::size_t>(r.length));
  const auto uncles = all.subspan(static_cast<std::size_t>(r.length));
  const merkle::proof_top top = merkle::fold_proof(base, r.base_layer, r.index, uncles);
  if (top.position.layer == merkle::tree_height(blocks)) {
    if (top.hash != pieces_root) return unexpected{make_error_code(hash_errc::hash_mismatch)};
  } else {
    const std::optional<sha256_hash> known = verified ? verified(top.position) : std::nullopt;
    if (!known) return unexpected{make_error_code(hash_errc::unverifiable)};
    if (top.hash != *known) return unexpected{make_error_code(hash_errc::hash_mismatch)};
  }
  verified_hashes out;
  out.base.assign(base.begin(), base.end());
  const auto positions = merkle::proof_uncles(r.base_layer, r.index, r.length, r.proof_layers);
  for (std::size_t i = 0; i < positions.size(); ++i) out.uncles.emplace_back(positions[i], uncles[i]);
  return out;
}

}  // namespace tessera::detail
