// A self-signed certificate for the HTTP front's TLS tests on loopback.
#pragma once

#include <cstdio>
#include <filesystem>
#include <memory>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace tessera::test {

/// Writes a self-signed P-256 certificate for 127.0.0.1 (valid from an hour ago for a day) and
/// its key as PEM files; false on any OpenSSL or file failure.
inline bool write_self_signed_certificate(const std::filesystem::path& cert_file,
                                          const std::filesystem::path& key_file) {
  struct pkey_deleter {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  };
  struct x509_deleter {
    void operator()(X509* p) const { X509_free(p); }
  };
  std::unique_ptr<EVP_PKEY, pkey_deleter> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  std::unique_ptr<X509, x509_deleter> x(X509_new());
  if (!key || !x) return false;
  X509_NAME* name = X509_get_subject_name(x.get());
  const bool ok = X509_set_version(x.get(), X509_VERSION_3) == 1 &&
                  ASN1_INTEGER_set_int64(X509_get_serialNumber(x.get()), 1) == 1 &&
                  X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600) != nullptr &&
                  X509_gmtime_adj(X509_getm_notAfter(x.get()), 24 * 3600) != nullptr &&
                  X509_set_pubkey(x.get(), key.get()) == 1 &&
                  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0) == 1 &&
                  X509_set_issuer_name(x.get(), name) == 1 && X509_sign(x.get(), key.get(), EVP_sha256()) > 0;
  if (!ok) return false;
  FILE* cf = std::fopen(cert_file.c_str(), "w");
  FILE* kf = std::fopen(key_file.c_str(), "w");
  const bool written = cf != nullptr && kf != nullptr && PEM_write_X509(cf, x.get()) == 1 &&
                       PEM_write_PrivateKey(kf, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (cf != nullptr) std::fclose(cf);
  if (kf != nullptr) std::fclose(kf);
  return written;
}

}  // namespace tessera::test
