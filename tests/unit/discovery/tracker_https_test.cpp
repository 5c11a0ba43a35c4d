// HTTPS tracker announces: announce_http against an in-process TLS tracker on 127.0.0.1 whose
// self-signed certificate is made at test time. Shows that the certificate is verified by
// default, that a CA trusted through OpenSSL's standard SSL_CERT_FILE variable (read by
// set_default_verify_paths) is accepted, and that verification includes the host name.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/ssl.hpp>

#include "core/bencode.hpp"
#include "discovery_test_support.hpp"

namespace tessera::detail {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace http = boost::beast::http;
using namespace std::chrono_literals;
using boost::asio::ip::make_address;
using boost::asio::ip::tcp;
using test::sample_request;
using test::use_tuple;

struct pkey_deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct x509_deleter {
  void operator()(X509* p) const { X509_free(p); }
};

/// A self-signed certificate (subject and issuer CN=localhost) and its P-256 key.
struct test_certificate {
  std::unique_ptr<EVP_PKEY, pkey_deleter> key;
  std::unique_ptr<X509, x509_deleter> cert;
  std::string pem;  ///< the certificate alone, PEM: what a CA file holds
};

/// Makes a certificate valid from an hour ago for a day, with subjectAltName `san` in OpenSSL's
/// config syntax ("DNS:localhost,IP:127.0.0.1"). Empty `cert` on any OpenSSL failure.
test_certificate make_self_signed(const std::string& san) {
  test_certificate out;
  out.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!out.key) return out;
  std::unique_ptr<X509, x509_deleter> x(X509_new());
  if (!x) return out;
  std::random_device rd;
  bool ok = X509_set_version(x.get(), X509_VERSION_3) == 1 &&
            ASN1_INTEGER_set_int64(X509_get_serialNumber(x.get()),
                                   (std::int64_t{rd()} << 20) | 1) == 1 &&
            X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(x.get()), 24 * 3600) != nullptr &&
            X509_set_pubkey(x.get(), out.key.get()) == 1;
  X509_NAME* name = X509_get_subject_name(x.get());
  ok = ok &&
       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                  reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0) == 1 &&
       X509_set_issuer_name(x.get(), name) == 1;
  if (!ok) return out;
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x.get(), x.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, san.c_str()},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &v3, nid, value);
    if (ext == nullptr) return out;
    ok = X509_add_ext(x.get(), ext, -1) == 1;
    X509_EXTENSION_free(ext);
    if (!ok) return out;
  }
  if (X509_sign(x.get(), out.key.get(), EVP_sha256()) == 0) return out;
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return out;
  if (PEM_write_bio_X509(bio, x.get()) == 1) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    out.pem.assign(data, static_cast<std::size_t>(n));
  }
  BIO_free(bio);
  if (!out.pem.empty()) out.cert = std::move(x);
  return out;
}

/// A fake HTTPS tracker on 127.0.0.1 serving `cert`: answers each GET with `body`, records the
/// request targets, the SNI name of each handshake ("" without SNI) and failed handshakes.
struct fake_https_tracker {
  struct shared {
    explicit shared(const test_certificate& c) : ctx(ssl::context::tls_server) {
      SSL_CTX_use_certificate(ctx.native_handle(), c.cert.get());
      SSL_CTX_use_PrivateKey(ctx.native_handle(), c.key.get());
    }
    ssl::context ctx;
    std::string body;
    std::string location;  ///< when set, every GET gets a 302 to it instead of `body`
    std::vector<std::string> targets;
    std::vector<std::string> server_names;  ///< per successful handshake
    int failed_handshakes = 0;
  };

  fake_https_tracker(asio::io_context& io, const test_certificate& cert, std::string body)
      : acceptor(io, tcp::endpoint(make_address("127.0.0.1"), 0)),
        state(std::make_shared<shared>(cert)) {
    state->body = std::move(body);
    asio::co_spawn(io, serve(acceptor, state), asio::detached);
  }
  ~fake_https_tracker() {
    boost::system::error_code ec;
    acceptor.close(ec);
  }
  std::string url(const std::string& host = "127.0.0.1") const {
    return "https://" + host + ":" + std::to_string(acceptor.local_endpoint().port()) + "/announce";
  }

  static asio::awaitable<void> session(tcp::socket socket, std::shared_ptr<shared> st) {
    ssl::stream<tcp::socket> stream(std::move(socket), st->ctx);
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
    if (hec) {
      ++st->failed_handshakes;
      co_return;
    }
    const char* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
    st->server_names.push_back(sni != nullptr ? sni : "");
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> req;
    auto [rec, n] = co_await http::async_read(stream, buffer, req, use_tuple);
    if (rec) co_return;
    st->targets.push_back(std::string(req.target()));
    http::response<http::string_body> res{http::status::ok, 11};
    if (!st->location.empty()) {
      res.result(http::status::found);
      res.set(http::field::location, st->location);
    } else {
      res.body() = st->body;
    }
    res.prepare_payload();
    co_await http::async_write(stream, res, use_tuple);
    co_await stream.async_shutdown(use_tuple);  // ends when the client closes
  }

  static asio::awaitable<void> serve(tcp::acceptor& acceptor, std::shared_ptr<shared> st) {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (ec) co_return;
      asio::co_spawn(acceptor.get_executor(), session(std::move(socket), st), asio::detached);
    }
  }

  tcp::acceptor acceptor;
  std::shared_ptr<shared> state;
};

std::string compact4(const char* ip, std::uint16_t port) {
  auto b = make_address(ip).to_v4().to_bytes();
  std::string s(b.begin(), b.end());
  s += static_cast<char>(port >> 8);
  s += static_cast<char>(port & 0xff);
  return s;
}

std::string tracker_body() {
  bdict d{{"interval", 600},
          {"peers", compact4("127.0.0.5", 7000) + compact4("127.0.0.6", 7001)}};
  return bencode(bvalue(d));
}

/// Each test starts with SSL_CERT_FILE unset (only the system's CAs are trusted) and gets back the
/// value it had; trust() points SSL_CERT_FILE at a temporary file holding a certificate.
struct HttpsAnnounce : ::testing::Test {
  void SetUp() override {
    if (const char* v = std::getenv("SSL_CERT_FILE")) saved = std::string(v);
    ::unsetenv("SSL_CERT_FILE");
  }
  void TearDown() override {
    if (saved) {
      ::setenv("SSL_CERT_FILE", saved->c_str(), 1);
    } else {
      ::unsetenv("SSL_CERT_FILE");
    }
    std::error_code ec;
    if (!ca_file.empty()) std::filesystem::remove(ca_file, ec);
  }
  void trust(const test_certificate& c) {
    ca_file = std::filesystem::temp_directory_path() /
              ("tessera-https-test-" + std::to_string(::getpid()) + ".pem");
    std::ofstream(ca_file, std::ios::binary | std::ios::trunc) << c.pem;
    ::setenv("SSL_CERT_FILE", ca_file.c_str(), 1);
  }

  asio::io_context io;
  std::optional<std::string> saved;
  std::filesystem::path ca_file;
};

void expect_verify_failure(const result<announce_response, tracker_error>& r) {
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("TLS handshake"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("certificate verify failed"), std::string::npos)
      << r.error().message;
}

TEST_F(HttpsAnnounce, UntrustedCertificateFailsTheHandshake) {
  auto cert = make_self_signed("DNS:localhost,IP:127.0.0.1");
  ASSERT_TRUE(cert.cert);
  fake_https_tracker tracker(io, cert, tracker_body());
  auto r = test::run(io, announce_http(tracker.url(), sample_request(), 5s));
  ASSERT_TRUE(r.has_value());
  expect_verify_failure(*r);
  EXPECT_TRUE(tracker.state->targets.empty());  // no request went out over the unverified link
}

TEST_F(HttpsAnnounce, TrustedCaViaSslCertFileAnnouncesToAnIpAddress) {
  auto cert = make_self_signed("DNS:localhost,IP:127.0.0.1");
  ASSERT_TRUE(cert.cert);
  trust(cert);
  fake_https_tracker tracker(io, cert, tracker_body());
  auto req = sample_request();
  req.event = announce_event::started;
  auto r = test::run(io, announce_http(tracker.url(), req, 5s));
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(*r) << r->error().message;
  EXPECT_EQ((*r)->interval, 600s);
  ASSERT_EQ((*r)->peers.size(), 2u);
  EXPECT_EQ((*r)->peers[0], tcp::endpoint(make_address("127.0.0.5"), 7000));
  EXPECT_EQ((*r)->peers[1], tcp::endpoint(make_address("127.0.0.6"), 7001));
  ASSERT_EQ(tracker.state->targets.size(), 1u);
  EXPECT_EQ(tracker.state->targets[0].rfind("/announce?info_hash=", 0), 0u);
  EXPECT_NE(tracker.state->targets[0].find("&event=started"), std::string::npos);
  ASSERT_EQ(tracker.state->server_names.size(), 1u);
  EXPECT_EQ(tracker.state->server_names[0], "");  // no SNI for an IP literal (RFC 6066)
}

TEST_F(HttpsAnnounce, HostNameIsVerifiedAndSentAsSni) {
  // Trusted, but valid for the name "localhost" only: an announce to 127.0.0.1 must fail, the
  // same tracker reached as "localhost" must answer (and see that name in SNI).
  auto cert = make_self_signed("DNS:localhost");
  ASSERT_TRUE(cert.cert);
  trust(cert);
  fake_https_tracker tracker(io, cert, tracker_body());

  auto by_ip = test::run(io, announce_http(tracker.url("127.0.0.1"), sample_request(), 5s));
  ASSERT_TRUE(by_ip.has_value());
  expect_verify_failure(*by_ip);
  EXPECT_TRUE(tracker.state->targets.empty());

  auto by_name = test::run(io, announce_http(tracker.url("localhost"), sample_request(), 5s));
  ASSERT_TRUE(by_name.has_value());
  ASSERT_TRUE(*by_name) << by_name->error().message;
  EXPECT_EQ((*by_name)->peers.size(), 2u);
  ASSERT_EQ(tracker.state->targets.size(), 1u);
  ASSERT_EQ(tracker.state->server_names.size(), 1u);
  EXPECT_EQ(tracker.state->server_names[0], "localhost");
}

TEST_F(HttpsAnnounce, CertificateForAnotherNameFails) {
  auto cert = make_self_signed("DNS:tracker.example");
  ASSERT_TRUE(cert.cert);
  trust(cert);
  fake_https_tracker tracker(io, cert, tracker_body());
  auto r = test::run(io, announce_http(tracker.url("localhost"), sample_request(), 5s));
  ASSERT_TRUE(r.has_value());
  expect_verify_failure(*r);
  EXPECT_TRUE(tracker.state->targets.empty());
}

TEST_F(HttpsAnnounce, RedirectFromHttpsToHttpIsRefused) {
  // A trusted https tracker redirects to plain http: following would send the announce (and any
  // passkey in the URL) in clear text. Refused; the http tracker never hears from us.
  auto cert = make_self_signed("DNS:localhost,IP:127.0.0.1");
  ASSERT_TRUE(cert.cert);
  trust(cert);
  test::fake_http_tracker plain(io, [](const std::string&) {
    return test::fake_http_tracker::reply{200, tracker_body()};
  });
  fake_https_tracker tracker(io, cert, "");
  tracker.state->location = plain.url("/announce?passkey=secret");
  auto r = test::run(io, announce_http(tracker.url(), sample_request(), 5s));
  ASSERT_TRUE(r.has_value());
  ASSERT_FALSE(*r) << "followed a redirect from https to http";
  EXPECT_EQ(r->error().ec, tracker_errc::redirect_refused);
  EXPECT_NE(r->error().message.find("https to http"), std::string::npos) << r->error().message;
  EXPECT_EQ(tracker.state->targets.size(), 1u);
  EXPECT_TRUE(plain.targets().empty()) << "the announce went out over plain http";
}

TEST_F(HttpsAnnounce, HttpToHttpsIsFollowedButNotBackToHttp) {
  // http -> https is an upgrade and allowed; the https hop then redirects to http: refused.
  auto cert = make_self_signed("DNS:localhost,IP:127.0.0.1");
  ASSERT_TRUE(cert.cert);
  trust(cert);
  test::fake_http_tracker plain_end(io, [](const std::string&) {
    return test::fake_http_tracker::reply{200, tracker_body()};
  });
  fake_https_tracker tls_hop(io, cert, "");
  tls_hop.state->location = plain_end.url();
  const std::string tls_url = tls_hop.url();
  test::fake_http_tracker plain_start(io, [tls_url](const std::string&) {
    return test::fake_http_tracker::reply{302, "", tls_url};
  });
  auto r = test::run(io, announce_http(plain_start.url(), sample_request(), 5s));
  ASSERT_TRUE(r.has_value());
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().ec, tracker_errc::redirect_refused);
  EXPECT_EQ(plain_start.targets().size(), 1u);
  EXPECT_EQ(tls_hop.state->targets.size(), 1u) << "http to https is followed";
  EXPECT_TRUE(plain_end.targets().empty());
}

TEST_F(HttpsAnnounce, RedirectFromHttpsToHttpsIsFollowed) {
  auto cert = make_self_signed("DNS:localhost,IP:127.0.0.1");
  ASSERT_TRUE(cert.cert);
  trust(cert);
  fake_https_tracker end(io, cert, tracker_body());
  fake_https_tracker start(io, cert, "");
  start.state->location = end.url("localhost");
  auto r = test::run(io, announce_http(start.url(), sample_request(), 5s));
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(*r) << r->error().message;
  EXPECT_EQ((*r)->peers.size(), 2u);
  EXPECT_EQ(end.state->targets.size(), 1u);
}

}  // namespace
}  // namespace tessera::detail
