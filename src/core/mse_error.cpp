#include "core/mse_error.hpp"

#include <string>

namespace tessera::detail {

namespace {

class mse_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tessera.mse"; }
  std::string message(int ev) const override {
    switch (static_cast<mse_errc>(ev)) {
      case mse_errc::bad_public_key: return "MSE public key out of range";
      case mse_errc::req1_not_found: return "MSE: no HASH('req1', S) within 512 bytes of padding";
      case mse_errc::unknown_info_hash: return "MSE: the peer names no torrent of this session";
      case mse_errc::bad_verification_constant: return "MSE verification constant is not zero";
      case mse_errc::vc_not_found: return "MSE: no verification constant within 512 bytes of padding";
      case mse_errc::bad_pad_length: return "MSE padding longer than 512 bytes";
      case mse_errc::initial_payload_too_long: return "MSE initial payload too long";
      case mse_errc::no_common_method: return "MSE: the peer offers no acceptable crypto method";
      case mse_errc::bad_crypto_select: return "MSE: the peer selected a crypto method not offered";
      case mse_errc::plaintext_refused: return "plaintext BitTorrent handshake while encryption is forced";
      case mse_errc::rc4_unavailable: return "OpenSSL provides no RC4 (legacy provider missing)";
    }
    return "unknown MSE error";
  }
};

}  // namespace

const std::error_category& mse_category() noexcept {
  static const mse_category_impl category;
  return category;
}

}  // namespace tessera::detail
