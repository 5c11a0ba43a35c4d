// tessera's own web interface as the binary carries it: the files embedded at build time
// (cmake/embed_web.cmake), their content types and ETags, and the replies that serve them
// (security headers, 304 revalidation, HEAD).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>

#include <boost/beast/zlib/error.hpp>
#include <boost/beast/zlib/inflate_stream.hpp>

#include "rpc/web_assets.hpp"
#include "rpc/web_ui_replies.hpp"

namespace tessera::rpc {
namespace {

constexpr std::time_t t = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT

/// The data of a gzip member (RFC 1952) as the build writes it: a 10-byte header with no
/// optional field, raw deflate, then CRC-32 and the length (checked against what inflates).
std::string gunzip(std::string_view gz) {
  namespace zlib = boost::beast::zlib;
  if (gz.size() < 18 || gz.substr(0, 4) != std::string_view("\x1f\x8b\x08\x00", 4)) return "?";
  std::uint32_t length = 0;
  for (int i = 3; i >= 0; --i) {
    length = length << 8 | static_cast<unsigned char>(gz[gz.size() - 4 + static_cast<std::size_t>(i)]);
  }
  zlib::inflate_stream in;
  zlib::z_params zs;
  std::string out(length + 1, '\0');
  zs.next_in = gz.data() + 10;
  zs.avail_in = gz.size() - 18;
  zs.next_out = out.data();
  zs.avail_out = out.size();
  boost::system::error_code ec;
  in.write(zs, zlib::Flush::finish, ec);
  if (ec && ec != zlib::error::end_of_stream) return "? " + ec.message();
  out.resize(zs.total_out);
  return out.size() == length ? out : "? length";
}

TEST(WebAssets, TheBuiltPageIsEmbedded) {
  const auto assets = embedded_web_assets();
  std::set<std::string_view> paths;
  for (const web_asset& a : assets) paths.insert(a.path);
  for (const char* name : {"index.html", "app.js", "app.css", "icon.svg"}) {
    EXPECT_TRUE(paths.contains(name)) << name;
  }
  const web_asset* index = find_embedded_web_asset("index.html");
  ASSERT_NE(index, nullptr);
  EXPECT_NE(index->body.find("app.js"), std::string_view::npos);
  EXPECT_NE(index->body.find("app.css"), std::string_view::npos);
  const web_asset* app = find_embedded_web_asset("app.js");
  ASSERT_NE(app, nullptr);
  EXPECT_GT(app->body.size(), 1000u);  // the bundle: Preact and the page
}

TEST(WebAssets, EveryEmbeddedFileHasItsTypeAndTheHashOfItsBytes) {
  const auto assets = embedded_web_assets();
  ASSERT_FALSE(assets.empty());
  EXPECT_TRUE(std::is_sorted(assets.begin(), assets.end(),
                             [](const web_asset& a, const web_asset& b) { return a.path < b.path; }));
  for (const web_asset& a : assets) {
    // The build (CMake) and the runtime (--web-ui-dir) compute both the same way.
    EXPECT_EQ(a.content_type, web_ui_content_type(a.path)) << a.path;
    EXPECT_EQ(a.etag, web_ui_etag(a.body)) << a.path;
    EXPECT_EQ(find_embedded_web_asset(a.path), &a) << a.path;
    if (!a.gzip.empty()) {
      EXPECT_EQ(gunzip(a.gzip), a.body) << a.path;
      EXPECT_LT(a.gzip.size(), a.body.size()) << a.path;
      EXPECT_EQ(a.gzip.substr(4, 4), std::string_view("\0\0\0\0", 4)) << "no time stamp";
    }
  }
  // The bundle is large and compressible: the build always has a gzip copy of it.
  const web_asset* app = find_embedded_web_asset("app.js");
  ASSERT_NE(app, nullptr);
  EXPECT_FALSE(app->gzip.empty());
}

TEST(WebAssets, LookupIsExact) {
  EXPECT_EQ(find_embedded_web_asset(""), nullptr);
  EXPECT_EQ(find_embedded_web_asset("missing.js"), nullptr);
  EXPECT_EQ(find_embedded_web_asset("/index.html"), nullptr);
  EXPECT_EQ(find_embedded_web_asset("INDEX.HTML"), nullptr);
  EXPECT_EQ(find_embedded_web_asset("index.htm"), nullptr);
}

TEST(WebAssets, ContentTypesByExtension) {
  EXPECT_EQ(web_ui_content_type("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(web_ui_content_type("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(web_ui_content_type("a/b.MJS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(web_ui_content_type("app.css"), "text/css; charset=utf-8");
  EXPECT_EQ(web_ui_content_type("icon.svg"), "image/svg+xml");
  EXPECT_EQ(web_ui_content_type("manifest.webmanifest"), "application/manifest+json");
  EXPECT_EQ(web_ui_content_type("font.woff2"), "font/woff2");
  EXPECT_EQ(web_ui_content_type("README"), "application/octet-stream");
  EXPECT_EQ(web_ui_content_type("dir.js/file"), "application/octet-stream");
  EXPECT_EQ(web_ui_content_type("x.exe"), "application/octet-stream");
}

TEST(WebAssets, EtagIsAQuotedPrefixOfSha256) {
  // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
  EXPECT_EQ(web_ui_etag("abc"), "\"ba7816bf8f01cfea\"");
  // SHA-256("") = e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
  EXPECT_EQ(web_ui_etag(""), "\"e3b0c44298fc1c14\"");
}

TEST(WebUiReplies, EtagMatching) {
  const std::string_view tag = "\"ba7816bf8f01cfea\"";
  EXPECT_TRUE(etag_matches("\"ba7816bf8f01cfea\"", tag));
  EXPECT_TRUE(etag_matches("W/\"ba7816bf8f01cfea\"", tag));
  EXPECT_TRUE(etag_matches("\"x\", \"ba7816bf8f01cfea\"", tag));
  EXPECT_TRUE(etag_matches(" \"x\" ,W/\"ba7816bf8f01cfea\" ", tag));
  EXPECT_TRUE(etag_matches("*", tag));
  EXPECT_FALSE(etag_matches("", tag));
  EXPECT_FALSE(etag_matches("\"x\"", tag));
  EXPECT_FALSE(etag_matches("ba7816bf8f01cfea", tag));  // unquoted: not the same tag
  EXPECT_FALSE(etag_matches("\"ba7816bf8f01cfe\"", tag));
  EXPECT_FALSE(etag_matches("\"x\",", tag));
}

TEST(WebUiReplies, AcceptEncodingGzip) {
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(accepts_gzip("br;q=1.0, GZIP;q=0.5"));
  EXPECT_TRUE(accepts_gzip("x-gzip"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_TRUE(accepts_gzip("identity, *;q=0.1"));
  EXPECT_FALSE(accepts_gzip(std::nullopt));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("deflate, br"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip; q=0.000, br"));
  EXPECT_FALSE(accepts_gzip("*, gzip;q=0"));  // the named coding wins over *
  EXPECT_FALSE(accepts_gzip("*;q=0"));
  EXPECT_TRUE(accepts_gzip("gzip;q=0.001"));
  EXPECT_FALSE(accepts_gzip("gzipx, xgzip"));
}

TEST(WebUiReplies, GzipRepresentationHasItsOwnEtag) {
  EXPECT_EQ(gzip_etag("\"1234\""), "\"1234-gzip\"");
  const web_ui_file file{"plain body", "text/css; charset=utf-8", "\"1234\"", "GZ"};
  http_reply r = web_ui_file_reply(file, {.head = false, .if_none_match = std::nullopt,
                                          .accept_encoding = "gzip"}, t);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "GZ");
  EXPECT_EQ(r.header("Content-Encoding"), "gzip");
  EXPECT_EQ(r.header("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(r.header("ETag"), "\"1234-gzip\"");
  EXPECT_EQ(r.header("Vary"), "Accept-Encoding");
  r = web_ui_file_reply(file, {.head = false, .if_none_match = "\"1234-gzip\"",
                               .accept_encoding = "gzip"}, t);
  EXPECT_EQ(r.status, 304u);
  // The plain tag does not revalidate the gzip copy, nor the reverse.
  r = web_ui_file_reply(file, {.head = false, .if_none_match = "\"1234\"",
                               .accept_encoding = "gzip"}, t);
  EXPECT_EQ(r.status, 200u);
  r = web_ui_file_reply(file, {.head = false, .if_none_match = "\"1234-gzip\"",
                               .accept_encoding = std::nullopt}, t);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "plain body");
  EXPECT_EQ(r.header("Content-Encoding"), "");
  EXPECT_EQ(r.header("ETag"), "\"1234\"");
  EXPECT_EQ(r.header("Vary"), "Accept-Encoding");
  // No gzip copy: the bytes as they are, and nothing varies.
  const web_ui_file plain{"plain body", "text/css; charset=utf-8", "\"1234\"", {}};
  r = web_ui_file_reply(plain, {.head = false, .if_none_match = std::nullopt,
                                .accept_encoding = "gzip"}, t);
  EXPECT_EQ(r.body, "plain body");
  EXPECT_EQ(r.header("Content-Encoding"), "");
  EXPECT_EQ(r.header("Vary"), "");
}

void expect_ui_headers(const http_reply& r, std::string_view etag) {
  EXPECT_EQ(r.header("Content-Security-Policy"),
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'none'");
  EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r.header("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(r.header("X-Frame-Options"), "DENY");
  EXPECT_EQ(r.header("Cache-Control"), "no-cache");
  EXPECT_EQ(r.header("ETag"), etag);
  EXPECT_EQ(r.header("Date"), "Sun, 06 Nov 1994 08:49:37 GMT");
  // One value each: the usual SAMEORIGIN and frame-ancestors 'self' were replaced, not doubled.
  const auto count = [&](std::string_view name) {
    return std::count_if(r.headers.begin(), r.headers.end(),
                         [&](const auto& h) { return h.first == name; });
  };
  EXPECT_EQ(count("X-Frame-Options"), 1);
  EXPECT_EQ(count("Content-Security-Policy"), 1);
}

TEST(WebUiReplies, FileWithSecurityHeaders) {
  const web_ui_file file{"<!doctype html>", "text/html; charset=utf-8", "\"1234\"", {}};
  const http_reply r = web_ui_file_reply(file, {}, t);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "<!doctype html>");
  EXPECT_FALSE(r.omit_body);
  EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8");
  expect_ui_headers(r, "\"1234\"");
}

TEST(WebUiReplies, HeadKeepsTheBodyForItsLengthButOmitsIt) {
  const web_ui_file file{"body!", "text/css; charset=utf-8", "\"1234\"", {}};
  const http_reply r = web_ui_file_reply(file, {.head = true, .if_none_match = std::nullopt,
                                                .accept_encoding = std::nullopt}, t);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body.size(), 5u);
  EXPECT_TRUE(r.omit_body);
  expect_ui_headers(r, "\"1234\"");
}

TEST(WebUiReplies, MatchingIfNoneMatchGives304WithoutBody) {
  const web_ui_file file{"body!", "text/css; charset=utf-8", "\"1234\"", {}};
  http_reply r = web_ui_file_reply(file, {.head = false, .if_none_match = "\"1234\"",
                                          .accept_encoding = std::nullopt}, t);
  EXPECT_EQ(r.status, 304u);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(r.header("Content-Type"), "");
  expect_ui_headers(r, "\"1234\"");
  r = web_ui_file_reply(file, {.head = false, .if_none_match = "\"old\"",
                               .accept_encoding = std::nullopt}, t);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "body!");
}

}  // namespace
}  // namespace tessera::rpc
