// The pure parts of the RPC client: URL parsing, credential choice.
#include <gtest/gtest.h>

#include "remote_context.hpp"
#include "rpc_client.hpp"

using namespace tessera::cli;

TEST(RpcUrl, HttpWithPortAndPath) {
  auto u = parse_rpc_url("http://127.0.0.1:9091/transmission/rpc");
  ASSERT_TRUE(u) << u.error();
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 9091);
  EXPECT_EQ(u->host_header, "127.0.0.1:9091");
  EXPECT_EQ(u->target, "/transmission/rpc");
  EXPECT_FALSE(u->user);
}

TEST(RpcUrl, DefaultPortsIpv6AndUserinfo) {
  auto u = parse_rpc_url("https://user:p%40ss@[::1]/rpc/?x=1");
  ASSERT_TRUE(u) << u.error();
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->host_header, "[::1]");
  EXPECT_EQ(u->target, "/rpc/?x=1");
  ASSERT_TRUE(u->user && u->password);
  EXPECT_EQ(*u->user, "user");
  EXPECT_EQ(*u->password, "p@ss");
  u = parse_rpc_url("http://localhost");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->target, "/");
}

TEST(RpcUrl, BadUrlsAreClearErrors) {
  auto message = [](std::string_view url) {
    auto u = parse_rpc_url(url);
    EXPECT_FALSE(u) << url;
    return u ? std::string() : u.error();
  };
  EXPECT_EQ(message("ftp://h/x"), "'ftp://h/x': only http:// and https:// URLs are supported");
  EXPECT_EQ(message("not a url"), "'not a url' is not a URL (expected http://HOST:PORT/transmission/rpc)");
  EXPECT_EQ(message("http:///x"), "'http:///x': no host");
  EXPECT_EQ(message("http://h:0/x"), "'http://h:0/x': bad port");
}

TEST(RpcClient, CreateRefusesABadUrlAndSendsNothing) {
  rpc_options options;
  options.url = "gopher://h";
  auto c = rpc_client::create(std::move(options));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), "--rpc: 'gopher://h': only http:// and https:// URLs are supported");
}

TEST(Credentials, FlagThenEnvironmentThenNetrc) {
  const std::optional<std::string> netrc = "machine h login n password np\n";
  auto c = choose_credentials("f:fp", "e:ep", netrc, "h");
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->user, "f");
  EXPECT_EQ((*c)->password, "fp");
  EXPECT_TRUE((*c)->up_front);

  c = choose_credentials("", "e:ep:with:colons", netrc, "h");
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->user, "e");
  EXPECT_EQ((*c)->password, "ep:with:colons");
  EXPECT_TRUE((*c)->up_front);

  c = choose_credentials("", "", netrc, "h");
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->user, "n");
  EXPECT_EQ((*c)->password, "np");
  EXPECT_FALSE((*c)->up_front);  // sent only when the daemon asks

  c = choose_credentials("", nullptr, netrc, "other");
  ASSERT_TRUE(c);
  EXPECT_FALSE(*c);
  c = choose_credentials("", nullptr, std::nullopt, "h");
  ASSERT_TRUE(c);
  EXPECT_FALSE(*c);
}

TEST(Credentials, MissingColonIsAnError) {
  auto c = choose_credentials("useronly", nullptr, std::nullopt, "h");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), "--auth: expected USER:PASSWORD");
  c = choose_credentials("", "useronly", std::nullopt, "h");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), "TESSERA_AUTH: expected USER:PASSWORD");
}

