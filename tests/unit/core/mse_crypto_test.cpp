#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "core/mse_crypto.hpp"
#include "core/mse_error.hpp"
#include "tessera/hasher.hpp"

namespace tessera::detail {
namespace {

std::vector<std::uint8_t> hex(std::string_view h) {
  std::vector<std::uint8_t> out;
  std::string digits;
  for (char c : h) {
    if (c != ' ') digits += c;
  }
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  }
  return out;
}

struct rfc6229_line {
  std::size_t offset;
  const char* keystream;
};

// RFC 6229 section 2: keystream bytes (RC4 over zeros) of key 0x0102030405 (40 bits), every
// offset the RFC lists.
const rfc6229_line key40[] = {
    {0, "b2 39 63 05 f0 3d c0 27 cc c3 52 4a 0a 11 18 a8"},
    {16, "69 82 94 4f 18 fc 82 d5 89 c4 03 a4 7a 0d 09 19"},
    {240, "28 cb 11 32 c9 6c e2 86 42 1d ca ad b8 b6 9e ae"},
    {256, "1c fc f6 2b 03 ed db 64 1d 77 df cf 7f 8d 8c 93"},
    {496, "42 b7 d0 cd d9 18 a8 a3 3d d5 17 81 c8 1f 40 41"},
    {512, "64 59 84 44 32 a7 da 92 3c fb 3e b4 98 06 61 f6"},
    {752, "ec 10 32 7b de 2b ee fd 18 f9 27 76 80 45 7e 22"},
    {768, "eb 62 63 8d 4f 0b a1 fe 9f ca 20 e0 5b f8 ff 2b"},
    {1008, "45 12 90 48 e6 a0 ed 0b 56 b4 90 33 8f 07 8d a5"},
    {1024, "30 ab bc c7 c2 0b 01 60 9f 23 ee 2d 5f 6b b7 df"},
    {1520, "32 94 f7 44 d8 f9 79 05 07 e7 0f 62 e5 bb ce ea"},
    {1536, "d8 72 9d b4 18 82 25 9b ee 4f 82 53 25 f5 a1 30"},
    {2032, "1e b1 4a 0c 13 b3 bf 47 fa 2a 0b a9 3a d4 5b 8b"},
    {2048, "cc 58 2f 8b a9 f2 65 e2 b1 be 91 12 e9 75 d2 d7"},
    {3056, "f2 e3 0f 9b d1 02 ec bf 75 aa ad e9 bc 35 c4 3c"},
    {3072, "ec 0e 11 c4 79 dc 32 9d c8 da 79 68 fe 96 56 81"},
    {4080, "06 83 26 a2 11 84 16 d2 1f 9d 04 b2 cd 1c a0 50"},
    {4096, "ff 25 b5 89 95 99 67 07 e5 1f bd f0 8b 34 d8 75"},
};
// Key 0x0102...10 (128 bits), around the 1,024 bytes MSE discards.
const rfc6229_line key128[] = {
    {0, "9a c7 cc 9a 60 9d 1e f7 b2 93 28 99 cd e4 1b 97"},
    {1008, "e7 a7 25 74 f8 78 2a e2 6a ab cf 9e bc d6 60 65"},
    {1024, "bd f0 32 4e 60 83 dc c6 d3 ce dd 3c a8 c5 3c 16"},
    {4096, "a3 6a 4c 30 1a e8 ac 13 61 0c cb c1 22 56 ca cc"},
};
// Key 0x0102...20 (256 bits).
const rfc6229_line key256[] = {
    {0, "ea a6 bd 25 88 0b f9 3d 3f 5d 1e 4c a2 61 1d 91"},
    {1024, "7f ec 5b fd 9f 9b 89 ce 65 48 30 90 92 d7 e9 58"},
    {4096, "f3 e4 c0 a2 e0 2d 1d 01 f7 f0 a7 46 18 af 2b 48"},
};

std::vector<std::uint8_t> counting_key(std::size_t n) {
  std::vector<std::uint8_t> k(n);
  for (std::size_t i = 0; i < n; ++i) k[i] = static_cast<std::uint8_t>(i + 1);
  return k;
}

template <std::size_t N>
void check_vectors(const rfc6229_line (&lines)[N], std::size_t key_bytes) {
  auto c = rc4::create(counting_key(key_bytes));
  ASSERT_TRUE(c) << c.error().message();
  std::size_t pos = 0;
  for (const auto& line : lines) {
    c->discard(line.offset - pos);
    std::vector<std::uint8_t> block(16, 0);
    c->apply(block);
    pos = line.offset + 16;
    EXPECT_EQ(block, hex(line.keystream)) << key_bytes * 8 << "-bit key, offset " << line.offset;
  }
}

TEST(Rc4, OpenSslProvidesIt) { EXPECT_FALSE(rc4_available()) << rc4_available().message(); }

// Without the legacy provider (OPENSSL_MODULES pointing nowhere, in a fresh process: the
// provider is loaded once per process) RC4 is reported missing, and asking for it fails cleanly.
TEST(Rc4DeathTest, MissingLegacyProviderIsAClearError) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("OPENSSL_MODULES", "/nonexistent-tessera-test", 1);
        const bool reported = rc4_available() == mse_errc::rc4_unavailable;
        auto c = rc4::create(counting_key(5));
        std::exit(reported && !c && c.error() == mse_errc::rc4_unavailable ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(Rc4, MatchesRfc6229KeystreamFor40BitKey) { check_vectors(key40, 5); }
TEST(Rc4, MatchesRfc6229KeystreamFor128BitKey) { check_vectors(key128, 16); }
TEST(Rc4, MatchesRfc6229KeystreamFor256BitKey) { check_vectors(key256, 32); }

TEST(Rc4, EncryptsInPlaceAndDecryptsWithTheSameKeyInAnySplit) {
  const auto key = counting_key(20);
  std::vector<std::uint8_t> plain(5000);
  for (std::size_t i = 0; i < plain.size(); ++i) plain[i] = static_cast<std::uint8_t>(i * 7);
  auto data = plain;
  auto enc = rc4::create(key);
  ASSERT_TRUE(enc);
  enc->apply(data);
  EXPECT_NE(data, plain);
  auto dec = rc4::create(key);
  ASSERT_TRUE(dec);
  // Decrypt in uneven pieces: the keystream continues across calls.
  std::size_t at = 0;
  for (std::size_t piece : {1u, 2u, 13u, 1000u, 3984u}) {
    dec->apply(std::span(data).subspan(at, piece));
    at += piece;
  }
  EXPECT_EQ(data, plain);
}

TEST(Rc4, MseCipherSkipsTheFirst1024BytesOfKeystream) {
  sha1_hash key;
  for (std::size_t i = 0; i < key.bytes.size(); ++i) key.bytes[i] = static_cast<std::uint8_t>(0xa0 + i);
  auto full = rc4::create(key.bytes);
  ASSERT_TRUE(full);
  std::vector<std::uint8_t> stream(1024 + 32, 0);
  full->apply(stream);
  auto mse = rc4::mse(key);
  ASSERT_TRUE(mse);
  std::vector<std::uint8_t> after(32, 0);
  mse->apply(after);
  EXPECT_EQ(after, std::vector<std::uint8_t>(stream.begin() + 1024, stream.end()));
}

TEST(Rc4, RefusesEmptyAndOverlongKeys) {
  EXPECT_EQ(rc4::create({}).error(), std::errc::invalid_argument);
  EXPECT_EQ(rc4::create(std::vector<std::uint8_t>(257, 1)).error(), std::errc::invalid_argument);
  EXPECT_TRUE(rc4::create(std::vector<std::uint8_t>(256, 1)));
}

dh_private_key private_key(std::uint8_t seed) {
  dh_private_key k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(seed * 31 + i * 17 + 1);
  return k;
}

dh_public_key key_of(std::string_view hex_digits) {
  dh_public_key k{};
  const auto bytes = hex(hex_digits);
  std::copy(bytes.begin(), bytes.end(), k.end() - static_cast<std::ptrdiff_t>(bytes.size()));
  return k;
}

const char* prime =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563";

TEST(DiffieHellman, PublicKeyIsTwoToThePrivateKeyBigEndianZeroPadded) {
  dh_private_key one{};
  one[19] = 1;
  EXPECT_EQ(dh_public(one), key_of("02"));
  dh_private_key ten{};
  ten[19] = 10;
  EXPECT_EQ(dh_public(ten), key_of("0400"));  // 2^10 = 1024
  dh_private_key big{};
  big[19] = 200;  // 2^200 < P: 26 significant bytes, 70 leading zeros
  const auto y = dh_public(big);
  EXPECT_EQ(y[96 - 26], 1);
  EXPECT_TRUE(std::all_of(y.begin(), y.begin() + 70, [](std::uint8_t b) { return b == 0; }));
}

TEST(DiffieHellman, BothEndsDeriveTheSameSecret) {
  for (std::uint8_t seed = 0; seed < 4; ++seed) {
    const auto xa = private_key(seed);
    const auto xb = private_key(static_cast<std::uint8_t>(seed + 100));
    const auto ya = dh_public(xa);
    const auto yb = dh_public(xb);
    EXPECT_NE(ya, yb);
    auto sa = dh_shared_secret(xa, yb);
    auto sb = dh_shared_secret(xb, ya);
    ASSERT_TRUE(sa);
    ASSERT_TRUE(sb);
    EXPECT_EQ(*sa, *sb);
    EXPECT_NE(*sa, ya);
  }
}

TEST(DiffieHellman, RefusesPublicKeysOutsideTwoToPMinusTwo) {
  const auto x = private_key(1);
  const auto p = key_of(prime);
  auto p_minus_1 = p;
  p_minus_1[95] -= 1;
  auto p_minus_2 = p;
  p_minus_2[95] -= 2;
  dh_public_key all_ff;
  all_ff.fill(0xff);
  for (const auto& bad : {key_of("00"), key_of("01"), p_minus_1, p, all_ff}) {
    auto s = dh_shared_secret(x, bad);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error(), mse_errc::bad_public_key);
  }
  EXPECT_TRUE(dh_shared_secret(x, key_of("02")));
  EXPECT_TRUE(dh_shared_secret(x, p_minus_2));
}

TEST(MseHashes, AreSha1OfTheLabelThenTheSecretThenTheKey) {
  dh_secret s{};
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<std::uint8_t>(i);
  sha1_hash skey = sha1("an info-hash");
  const std::string secret(s.begin(), s.end());
  EXPECT_EQ(mse_hash("req1", s), sha1("req1" + secret));
  EXPECT_EQ(mse_hash("req3", s), sha1("req3" + secret));
  EXPECT_EQ(mse_req2(skey), sha1("req2" + skey.to_bytes()));
  EXPECT_EQ(mse_key("keyA", s, skey), sha1("keyA" + secret + skey.to_bytes()));
  EXPECT_EQ(mse_key("keyB", s, skey), sha1("keyB" + secret + skey.to_bytes()));
}

TEST(MseErrors, HaveTheirOwnCategoryAndDistinctMessages) {
  EXPECT_STREQ(mse_category().name(), "tessera.mse");
  std::set<std::string> messages;
  for (int e = static_cast<int>(mse_errc::bad_public_key); e <= static_cast<int>(mse_errc::rc4_unavailable); ++e) {
    messages.insert(make_error_code(static_cast<mse_errc>(e)).message());
  }
  EXPECT_EQ(messages.size(), static_cast<std::size_t>(mse_errc::rc4_unavailable));
  EXPECT_EQ(messages.count("unknown MSE error"), 0u);
}

}  // namespace
}  // namespace tessera::detail
