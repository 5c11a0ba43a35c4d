#include "core/encryption_mode.hpp"

namespace tessera::detail {

std::string_view to_transmission(encryption_mode m) {
  switch (m) {
    case encryption_mode::disabled: return "tolerated";
    case encryption_mode::enabled: return "preferred";
    case encryption_mode::forced: return "required";
  }
  return "preferred";
}

std::optional<encryption_mode> from_transmission(std::string_view s) {
  if (s == "tolerated") return encryption_mode::disabled;
  if (s == "preferred") return encryption_mode::enabled;
  if (s == "required") return encryption_mode::forced;
  return std::nullopt;
}

outgoing_encryption outgoing_for(encryption_mode m) {
  switch (m) {
    case encryption_mode::disabled: return {false, 0, false};
    case encryption_mode::enabled: return {true, crypto_rc4 | crypto_plaintext, true};
    case encryption_mode::forced: return {true, crypto_rc4, false};
  }
  return {};
}

bool accepts_plaintext(encryption_mode m) { return m != encryption_mode::forced; }

std::optional<mse_method> select_method(encryption_mode m, std::uint32_t crypto_provide) {
  const bool plain = (crypto_provide & crypto_plaintext) != 0;
  const bool rc4 = (crypto_provide & crypto_rc4) != 0;
  switch (m) {
    case encryption_mode::disabled:
      if (plain) return mse_method::plaintext;
      if (rc4) return mse_method::rc4;
      return std::nullopt;
    case encryption_mode::enabled:
      if (rc4) return mse_method::rc4;
      if (plain) return mse_method::plaintext;
      return std::nullopt;
    case encryption_mode::forced:
      if (rc4) return mse_method::rc4;
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace tessera::detail
