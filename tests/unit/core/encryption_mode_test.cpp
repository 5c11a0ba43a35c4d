#include <gtest/gtest.h>

#include "core/encryption_mode.hpp"

namespace tessera::detail {
namespace {

using enum encryption_mode;

TEST(EncryptionMode, MapsToTransmissionsRpcStringsAndBack) {
  EXPECT_EQ(to_transmission(disabled), "tolerated");
  EXPECT_EQ(to_transmission(enabled), "preferred");
  EXPECT_EQ(to_transmission(forced), "required");
  for (auto m : {disabled, enabled, forced}) EXPECT_EQ(from_transmission(to_transmission(m)), m);
  for (const char* s : {"", "Required", "required ", "encrypted", "none"}) {
    EXPECT_FALSE(from_transmission(s)) << s;
  }
}

TEST(EncryptionMode, OutgoingConnectionsStartMseUnlessDisabled) {
  EXPECT_EQ(outgoing_for(disabled), (outgoing_encryption{false, 0, false}));
  EXPECT_EQ(outgoing_for(enabled), (outgoing_encryption{true, crypto_rc4 | crypto_plaintext, true}));
  EXPECT_EQ(outgoing_for(forced), (outgoing_encryption{true, crypto_rc4, false}));
}

TEST(EncryptionMode, OnlyForcedRefusesPlaintextPeers) {
  EXPECT_TRUE(accepts_plaintext(disabled));
  EXPECT_TRUE(accepts_plaintext(enabled));
  EXPECT_FALSE(accepts_plaintext(forced));
}

TEST(EncryptionMode, ResponderSelectsByPreferenceAmongWhatIsOffered) {
  const std::uint32_t both = crypto_rc4 | crypto_plaintext;
  EXPECT_EQ(select_method(disabled, both), mse_method::plaintext);
  EXPECT_EQ(select_method(disabled, crypto_rc4), mse_method::rc4);
  EXPECT_EQ(select_method(disabled, crypto_plaintext), mse_method::plaintext);
  EXPECT_EQ(select_method(enabled, both), mse_method::rc4);
  EXPECT_EQ(select_method(enabled, crypto_plaintext), mse_method::plaintext);
  EXPECT_EQ(select_method(forced, both), mse_method::rc4);
  EXPECT_EQ(select_method(forced, crypto_plaintext), std::nullopt);
  // Reserved bits are ignored; nothing known offered selects nothing.
  EXPECT_EQ(select_method(enabled, 0x04 | crypto_rc4), mse_method::rc4);
  for (auto m : {disabled, enabled, forced}) {
    EXPECT_EQ(select_method(m, 0), std::nullopt);
    EXPECT_EQ(select_method(m, 0xfffffffc), std::nullopt);
  }
}

TEST(EncryptionMode, PolicyDefaultsToEnabledBothWays) {
  EXPECT_EQ(encryption_policy{}, (encryption_policy{enabled, enabled}));
}

}  // namespace
}  // namespace tessera::detail
