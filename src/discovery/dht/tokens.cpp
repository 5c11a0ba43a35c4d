// announce_peer tokens (BEP 5).
#include "discovery/dht/tokens.hpp"

#include <utility>

#include <openssl/evp.h>

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
  std::string input(reinterpret_cast<const char*>(s.data()), s.size());
  input += compact_address(ip);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha1(), nullptr) != 1 || len < token_length) {
    return {};  // OpenSSL failure: an empty token never verifies
  }
  return std::string(reinterpret_cast<const char*>(digest), token_length);
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
