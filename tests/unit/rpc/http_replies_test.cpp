// The HTTP front's replies: statuses, the headers clients depend on, and the ones never sent.
#include <gtest/gtest.h>

#include "rpc/http_replies.hpp"

namespace tessera::rpc {
namespace {

constexpr std::time_t t = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's example)
constexpr std::string_view sid = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV";

http_reply for_outcome(gate_outcome o, std::string location = {}) {
  return reply_for(gate_decision{o, std::move(location), {}}, sid, t);
}

void expect_common_headers(const http_reply& r) {
  EXPECT_EQ(r.header("Server"), "Transmission");
  EXPECT_EQ(r.header("Date"), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(r.header("X-Frame-Options"), "SAMEORIGIN");
  EXPECT_EQ(r.header("Content-Security-Policy"), "frame-ancestors 'self'");
  EXPECT_EQ(r.header("X-Transmission-Rpc-Version"), "");
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "");
}

TEST(HttpReplies, FormatsHttpDates) {
  EXPECT_EQ(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(HttpReplies, SessionConflictCarriesTheIdInHeaderAndBody) {
  const http_reply r = for_outcome(gate_outcome::session_conflict);
  EXPECT_EQ(r.status, 409u);
  EXPECT_EQ(r.header("X-Transmission-Session-Id"), sid);
  EXPECT_NE(r.body.find("X-Transmission-Session-Id: " + std::string(sid)), std::string::npos);
  EXPECT_EQ(r.header("Content-Type"), "text/html; charset=UTF-8");
  expect_common_headers(r);
}

TEST(HttpReplies, UnauthorizedAsksForBasicCredentials) {
  const http_reply r = for_outcome(gate_outcome::unauthorized);
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(r.header("WWW-Authenticate"), "Basic realm=\"Transmission\"");
  expect_common_headers(r);
}

TEST(HttpReplies, UnauthorizedForTheWebUiHasNoChallenge) {
  const http_reply r = for_outcome(gate_outcome::unauthorized_quiet);
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(r.header("WWW-Authenticate"), "");  // no browser password dialog over the page
  expect_common_headers(r);
}

TEST(HttpReplies, RefusalsNameTheSettingToChange) {
  http_reply r = for_outcome(gate_outcome::host_refused);
  EXPECT_EQ(r.status, 421u);
  EXPECT_NE(r.body.find("rpc-host-whitelist"), std::string::npos);
  r = for_outcome(gate_outcome::address_refused);
  EXPECT_EQ(r.status, 403u);
  EXPECT_NE(r.body.find("rpc-whitelist"), std::string::npos);
  EXPECT_EQ(for_outcome(gate_outcome::locked_out).status, 403u);
}

TEST(HttpReplies, RedirectsMethodsAndNotFound) {
  http_reply r = for_outcome(gate_outcome::redirect, "/transmission/web/");
  EXPECT_EQ(r.status, 301u);
  EXPECT_EQ(r.header("Location"), "/transmission/web/");
  r = for_outcome(gate_outcome::web_bad_method);
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.header("Allow"), "GET");
  r = for_outcome(gate_outcome::rpc_bad_method);
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.header("Allow"), "POST");
  r = for_outcome(gate_outcome::ui_bad_method);
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.header("Allow"), "GET, HEAD");
  EXPECT_EQ(for_outcome(gate_outcome::not_found).status, 404u);
  EXPECT_EQ(for_outcome(gate_outcome::web_not_found).status, 404u);
}

TEST(HttpReplies, RpcReplyIsJsonWithTheSessionId) {
  const http_reply r = rpc_reply(R"({"result":"success","arguments":{}})", sid, t);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.header("Content-Type"), "application/json; charset=UTF-8");
  EXPECT_EQ(r.header("X-Transmission-Session-Id"), sid);
  EXPECT_EQ(r.body, R"({"result":"success","arguments":{}})");
  expect_common_headers(r);
}

TEST(HttpReplies, FilesGetTransmissionsMimeTypesAndExpire) {
  EXPECT_EQ(mime_type_for("index.html"), "text/html");
  EXPECT_EQ(mime_type_for("style/transmission/common.css"), "text/css");
  EXPECT_EQ(mime_type_for("javascript/transmission.JS"), "application/javascript");
  EXPECT_EQ(mime_type_for("images/favicon.ico"), "image/vnd.microsoft.icon");
  EXPECT_EQ(mime_type_for("images/logo.png"), "image/png");
  EXPECT_EQ(mime_type_for("README"), "application/octet-stream");
  EXPECT_EQ(mime_type_for("dir.js/README"), "application/octet-stream");
  EXPECT_EQ(mime_type_for("archive.tar.gz"), "application/octet-stream");
  const http_reply r = file_reply("body{}", "a.css", t);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.header("Content-Type"), "text/css");
  EXPECT_EQ(r.header("Expires"), "Mon, 07 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(r.body, "body{}");
  expect_common_headers(r);
}

TEST(HttpReplies, TransportErrors) {
  EXPECT_EQ(payload_too_large(1024, t).status, 413u);
  EXPECT_NE(payload_too_large(1024, t).body.find("1024"), std::string::npos);
  EXPECT_EQ(header_too_large(t).status, 431u);
  EXPECT_EQ(bad_request(t).status, 400u);
  EXPECT_EQ(internal_error(t).status, 500u);
}

TEST(HttpReplies, TheEventStreamsRefusalsAndHead) {
  const http_reply quiet = for_outcome(gate_outcome::unauthorized_quiet);
  EXPECT_EQ(quiet.status, 401u);
  EXPECT_EQ(quiet.header("WWW-Authenticate"), "");  // no browser dialog over the web UI's form
  expect_common_headers(quiet);
  EXPECT_EQ(for_outcome(gate_outcome::origin_refused).status, 403u);
  const http_reply method = for_outcome(gate_outcome::events_bad_method);
  EXPECT_EQ(method.status, 405u);
  EXPECT_EQ(method.header("Allow"), "GET");
  const http_reply busy = too_many_streams(16, t);
  EXPECT_EQ(busy.status, 503u);
  EXPECT_EQ(busy.header("Retry-After"), "2");
  EXPECT_NE(busy.body.find("16"), std::string::npos);

  const http_reply head = event_stream_head(t);
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.header("Content-Type"), "text/event-stream");
  EXPECT_EQ(head.header("Cache-Control"), "no-store");
  EXPECT_EQ(head.header("X-Accel-Buffering"), "no");
  EXPECT_EQ(head.header("Content-Length"), "");
  expect_common_headers(head);
}

TEST(HttpReplies, SseMessagesAndTheHello) {
  EXPECT_EQ(sse_message("tick", 12, R"({"a":1})"), "event: tick\nid: 12\ndata: {\"a\":1}\n\n");
  EXPECT_EQ(hello_event_data("0.1.0", sid),
            R"({"version":"0.1.0","rpc-version":16,"session-id":")" + std::string(sid) + R"(","interval":1000})");
  EXPECT_EQ(hello_event_data("a\"b", "x"), R"({"version":"a\"b","rpc-version":16,"session-id":"x","interval":1000})");
}

}  // namespace
}  // namespace tessera::rpc
