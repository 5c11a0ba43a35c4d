// announce_peer tokens (BEP 5).
#include "discovery/dht/tokens.hpp"

#include <utility>

#include "tessera/hasher.hpp"

namespace tessera::detail::dht {

token_issuer::token_issuer(clock::time_point now, random_source random)
    : random_(std::move(random)), rotated_(now) {
  current_ = fresh_secret();
  previous_ = fresh_secret();
}

token_issuer::secret token_issuer::fresh_secret() {
  secret s{};
  random_(s);
  return s;
}

void token_issuer::rotate_if_due(clock::time_point now) {
  if (now - rotated_ < token_rotation) return;
  // More than two periods without a call: both secrets are stale, so both are replaced.
  previous_ = now - rotated_ >= 2 * token_rotation ? fresh_secret() : current_;
  current_ = fresh_secret();
  rotated_ = now;
}

std::string token_issuer::compute(const secret& s, const peer_endpoint& ip) {
  // SHA-1(secret || compact address), cut to token_length bytes.
  static_assert(token_length <= sha1_hash::size);
  const sha1_hash digest = sha1_hasher().update(s.data(), s.size()).update(compact_address(ip)).final();
  return std::string(reinterpret_cast<const char*>(digest.bytes.data()), token_length);
}

std::string token_issuer::make(const peer_endpoint& ip, clock::time_point now) {
  rotate_if_due(now);
  return compute(current_, ip);
}

bool token_issuer::verify(std::string_view token, const peer_endpoint& ip, clock::time_point now) {
  rotate_if_due(now);
  if (token.size() != token_length) return false;
  const auto a = compute(current_, ip);
  const auto b = compute(previous_, ip);
  return (!a.empty() && token == a) || (!b.empty() && token == b);
}

}  // namespace tessera::detail::dht
