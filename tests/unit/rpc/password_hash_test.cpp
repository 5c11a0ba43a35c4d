// RPC password hashes: scrypt in a self-describing text form, verified in constant time.
#include <gtest/gtest.h>

#include <regex>

#include "rpc/base64_text.hpp"
#include "rpc/password_hash.hpp"

namespace tessera::rpc {
namespace {

TEST(PasswordHash, HasTheDocumentedFormAndNeverTheClearText) {
  const std::string h = hash_password("hunter2");
  EXPECT_TRUE(std::regex_match(h, std::regex(R"(\$scrypt\$N=32768,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43})")))
      << h;
  EXPECT_EQ(h.find("hunter2"), std::string::npos);
  EXPECT_TRUE(looks_like_password_hash(h));
}

TEST(PasswordHash, VerifiesTheRightPasswordOnly) {
  const std::string h = hash_password("correct horse");
  EXPECT_TRUE(verify_password("correct horse", h));
  EXPECT_FALSE(verify_password("correct hors", h));
  EXPECT_FALSE(verify_password("correct horse ", h));
  EXPECT_FALSE(verify_password("", h));
}

TEST(PasswordHash, SaltsEachHash) {
  const std::string a = hash_password("same");
  const std::string b = hash_password("same");
  EXPECT_NE(a, b);
  EXPECT_TRUE(verify_password("same", a));
  EXPECT_TRUE(verify_password("same", b));
}

TEST(PasswordHash, HashesEmptyAndBinaryPasswords) {
  const std::string empty = hash_password("");
  EXPECT_TRUE(verify_password("", empty));
  EXPECT_FALSE(verify_password("x", empty));
  const std::string binary("a\0b:\xff", 5);
  const std::string h = hash_password(binary);
  EXPECT_TRUE(verify_password(binary, h));
  EXPECT_FALSE(verify_password("a", h));
}

TEST(PasswordHash, IsScryptAsRfc7914DefinesIt) {
  // RFC 7914 section 12, fourth vector: scrypt("pleaseletmein", "SodiumChloride", N=16384, r=8,
  // p=1, 64 bytes). The cost comes from the text of the hash, not from the defaults.
  std::string key;
  const std::string hex =
      "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
      "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887";
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    key += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  const std::string h = "$scrypt$N=16384,r=8,p=1$" + detail::base64_encode("SodiumChloride", false) +
                        "$" + detail::base64_encode(key, false);
  EXPECT_TRUE(looks_like_password_hash(h));
  EXPECT_TRUE(verify_password("pleaseletmein", h));
  EXPECT_FALSE(verify_password("pleaseletmeout", h));
  std::string other_cost = h;
  other_cost.replace(other_cost.find("N=16384"), 7, "N=1024");
  EXPECT_FALSE(verify_password("pleaseletmein", other_cost));
}

TEST(PasswordHash, RefusesMalformedOrTooCostlyHashes) {
  const std::string h = hash_password("pw");
  const auto salt_and_key = h.substr(h.find("p=1$") + 4);
  for (const std::string& bad : {
           std::string(""),
           std::string("pw"),
           std::string("{4a3b2c"),  // a Transmission 3.00 SHA-1 hash is not this format
           "$scrypt$N=32768,r=8,p=1$" + salt_and_key.substr(0, salt_and_key.find('$')),
           "$scrypt$N=32768,r=8$" + salt_and_key,
           "$scrypt$N=1000,r=8,p=1$" + salt_and_key,          // N not a power of two
           "$scrypt$N=2097152,r=8,p=1$" + salt_and_key,       // N = 2^21: too costly
           "$scrypt$N=1048576,r=32,p=1$" + salt_and_key,      // 4 GiB of memory
           "$scrypt$N=32768,r=8,p=99$" + salt_and_key,
           "$scrypt$N=32768,r=0,p=1$" + salt_and_key,
           "$scrypt$N=-1,r=8,p=1$" + salt_and_key,
           "$scrypt$N=32768,r=8,p=1$!!$" + salt_and_key.substr(salt_and_key.find('$') + 1),
           "$scrypt$N=32768,r=8,p=1$" + salt_and_key + "$",
           "$bcrypt$N=32768,r=8,p=1$" + salt_and_key,
       }) {
    EXPECT_FALSE(looks_like_password_hash(bad)) << bad;
    EXPECT_FALSE(verify_password("pw", bad)) << bad;
  }
}

}  // namespace
}  // namespace tessera::rpc
