#include "tessera/types.hpp"

#include <random>

namespace tessera {

namespace {
constexpr char hex_digits[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

template <std::size_t N, class Tag>
std::string basic_digest<N, Tag>::to_hex() const {
  std::string out;
  out.reserve(2 * N);
  for (auto b : bytes) {
    out += hex_digits[b >> 4];
    out += hex_digits[b & 15];
  }
  return out;
}

template <std::size_t N, class Tag>
std::optional<basic_digest<N, Tag>> basic_digest<N, Tag>::from_hex(std::string_view hex) {
  if (hex.size() != 2 * N) return std::nullopt;
  basic_digest h;
  for (std::size_t i = 0; i < N; ++i) {
    int hi = hex_value(hex[2 * i]);
    int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    h.bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return h;
}

template <std::size_t N, class Tag>
std::optional<basic_digest<N, Tag>> basic_digest<N, Tag>::from_bytes(std::string_view raw) {
  if (raw.size() != N) return std::nullopt;
  basic_digest h;
  for (std::size_t i = 0; i < N; ++i) h.bytes[i] = static_cast<std::uint8_t>(raw[i]);
  return h;
}

template struct basic_digest<20, sha1_tag>;
template struct basic_digest<32, sha256_tag>;
template struct basic_digest<20, peer_id_tag>;

peer_id make_peer_id(std::string_view version4) {
  static constexpr char alphabet[] =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string prefix = "-TS";
  prefix += version4.substr(0, 4);
  prefix.resize(7, '0');
  prefix += '-';
  std::random_device rd;
  std::mt19937 rng(rd());
  std::uniform_int_distribution<int> pick(0, sizeof(alphabet) - 2);
  peer_id id;
  for (std::size_t i = 0; i < 8; ++i) id.bytes[i] = static_cast<std::uint8_t>(prefix[i]);
  for (std::size_t i = 8; i < 20; ++i) id.bytes[i] = static_cast<std::uint8_t>(alphabet[pick(rng)]);
  return id;
}

}  // namespace tessera
