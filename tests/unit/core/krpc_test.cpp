// Tests for the KRPC codec (BEP 5, BEP 32).
#include "core/krpc.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tessera::detail::krpc {
namespace {

sha1_hash id_of(char c) { return *sha1_hash::from_bytes(std::string(20, c)); }
peer_endpoint ep(std::string_view s) { return *peer_endpoint::from_string(s); }

void expect_error(std::string_view d, krpc_errc e) {
  auto m = parse(d);
  ASSERT_FALSE(m) << d;
  EXPECT_EQ(m.error(), make_error_code(e)) << d << ": " << m.error().message();
}

TEST(Krpc, ParsesBep5PingExample) {
  auto m = parse("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe");
  ASSERT_TRUE(m) << m.error().message();
  const auto& q = std::get<query>(*m);
  EXPECT_EQ(q.transaction, "aa");
  EXPECT_EQ(q.method, query_method::ping);
  EXPECT_EQ(q.id.to_bytes(), "abcdefghij0123456789");
}

TEST(Krpc, ParsesBep5AnnouncePeerExample) {
  auto m = parse("d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz123456"
                 "4:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe");
  ASSERT_TRUE(m) << m.error().message();
  const auto& q = std::get<query>(*m);
  EXPECT_EQ(q.method, query_method::announce_peer);
  EXPECT_TRUE(q.implied_port);
  EXPECT_EQ(q.port, 6881);
  EXPECT_EQ(q.token, "aoeusnth");
  EXPECT_EQ(q.target.to_bytes(), "mnopqrstuvwxyz123456");
}

TEST(Krpc, QueriesRoundTrip) {
  for (auto method : {query_method::ping, query_method::find_node, query_method::get_peers, query_method::announce_peer}) {
    query q;
    q.transaction = std::string("\x00\xff", 2);
    q.method = method;
    q.id = id_of('a');
    if (method != query_method::ping) q.target = id_of('b');
    if (method == query_method::announce_peer) {
      q.port = 51413;
      q.token = "tok";
    }
    q.read_only = method == query_method::get_peers;
    q.method_name = std::string(method_name(q));
    auto back = parse(encode(q, "TS01"));
    ASSERT_TRUE(back) << encode(q);
    EXPECT_EQ(std::get<query>(*back), q);
  }
}

TEST(Krpc, AnnounceWithImpliedPortNeedsNoPort) {
  query q;
  q.transaction = "t1";
  q.method = query_method::announce_peer;
  q.method_name = "announce_peer";
  q.id = id_of('a');
  q.target = id_of('b');
  q.implied_port = true;
  q.token = "x";
  auto back = parse(encode(q));
  ASSERT_TRUE(back);
  EXPECT_TRUE(std::get<query>(*back).implied_port);
}

TEST(Krpc, UnknownMethodParsesForA204Reply) {
  auto m = parse("d1:ad2:id20:abcdefghij0123456789e1:q9:vote_some1:t2:xy1:y1:qe");
  ASSERT_TRUE(m);
  const auto& q = std::get<query>(*m);
  EXPECT_EQ(q.method, query_method::unknown);
  EXPECT_EQ(q.method_name, "vote_some");
  EXPECT_EQ(method_name(q), "vote_some");
  EXPECT_TRUE(parse("d1:ade1:q3:foo1:t2:xy1:y1:qe"));  // id optional for unknown methods
}

TEST(Krpc, WantParsesN4AndN6AndIgnoresOtherFlags) {
  // BEP 32: a list of strings; unknown strings are silently ignored.
  auto m = parse("d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz1234564:wantl2:n62:xx2:n4ee"
                 "1:q9:find_node1:t2:aa1:y1:qe");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_TRUE(std::get<query>(*m).want_n4);
  EXPECT_TRUE(std::get<query>(*m).want_n6);
  auto only6 = parse("d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:wantl2:n6ee"
                     "1:q9:get_peers1:t2:aa1:y1:qe");
  ASSERT_TRUE(only6) << only6.error().message();
  EXPECT_FALSE(std::get<query>(*only6).want_n4);
  EXPECT_TRUE(std::get<query>(*only6).want_n6);
  // Not a list (or a list of non-strings): as if absent, the query itself stays valid.
  auto odd = parse("d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz1234564:want2:n6e"
                   "1:q9:find_node1:t2:aa1:y1:qe");
  ASSERT_TRUE(odd) << odd.error().message();
  EXPECT_FALSE(std::get<query>(*odd).want_n4 || std::get<query>(*odd).want_n6);
  auto ping = parse("d1:ad2:id20:abcdefghij01234567894:wantl2:n6ee1:q4:ping1:t2:aa1:y1:qe");
  ASSERT_TRUE(ping) << ping.error().message();
  EXPECT_FALSE(std::get<query>(*ping).want_n6) << "want belongs to find_node and get_peers only";
  auto ints = parse("d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz1234564:wantli4eee"
                    "1:q9:find_node1:t2:aa1:y1:qe");
  ASSERT_TRUE(ints) << ints.error().message();
  EXPECT_FALSE(std::get<query>(*ints).want_n4 || std::get<query>(*ints).want_n6);
}

TEST(Krpc, WantIsEncodedOnlyForFindNodeAndGetPeers) {
  query q;
  q.transaction = "tt";
  q.id = id_of('a');
  q.target = id_of('b');
  q.want_n4 = true;
  q.want_n6 = true;
  for (auto method : {query_method::find_node, query_method::get_peers}) {
    q.method = method;
    const auto bytes = encode(q);
    EXPECT_NE(bytes.find("4:wantl2:n42:n6e"), std::string::npos) << bytes;
    auto back = parse(bytes);
    ASSERT_TRUE(back);
    const auto& got = std::get<query>(*back);
    EXPECT_EQ(got.method, method);
    EXPECT_TRUE(got.want_n4 && got.want_n6);
  }
  q.want_n4 = false;
  q.method = query_method::get_peers;
  EXPECT_NE(encode(q).find("4:wantl2:n6e"), std::string::npos);
  q.want_n6 = false;
  EXPECT_EQ(encode(q).find("want"), std::string::npos) << "no flag, no key";
  q.want_n6 = true;
  q.method = query_method::ping;
  EXPECT_EQ(encode(q).find("want"), std::string::npos) << "ping takes no want";
}

TEST(Krpc, ResponsesRoundTripWithNodesNodes6ValuesAndToken) {
  response r;
  r.transaction = "aa";
  r.id = id_of('z');
  r.nodes = {{id_of('1'), ep("127.0.0.1:6881")}, {id_of('2'), ep("10.0.0.2:1")}, {id_of('3'), ep("[::1]:6882")}};
  r.values = {ep("127.0.0.2:2"), ep("[::2]:3")};
  r.token = "secret";
  const std::string bytes = encode(r);
  EXPECT_NE(bytes.find("5:nodes52:"), std::string::npos);
  EXPECT_NE(bytes.find("6:nodes638:"), std::string::npos);
  auto back = parse(bytes);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(std::get<response>(*back), r);
}

// BEP 42: a response carries the requester's address as a top-level compact `ip`.
TEST(Krpc, ResponseIpRoundTripsAtTopLevel) {
  response r;
  r.transaction = "aa";
  r.id = id_of('z');
  r.ip = ep("124.31.75.21:6881");
  const std::string bytes = encode(r);
  EXPECT_NE(bytes.find("2:ip6:"), std::string::npos);
  EXPECT_EQ(bytes.find("1:rd2:ip"), std::string::npos);  // not inside `r`
  auto back = parse(bytes);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(std::get<response>(*back), r);
  // A malformed `ip` is ignored, not a reason to drop the answer.
  auto odd = parse("d2:ip3:abc1:rd2:id20:zzzzzzzzzzzzzzzzzzzze1:t2:aa1:y1:re");
  ASSERT_TRUE(odd) << odd.error().message();
  EXPECT_FALSE(std::get<response>(*odd).ip);
}

TEST(Krpc, ErrorsRoundTrip) {
  auto m = parse("d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee");
  ASSERT_TRUE(m);
  EXPECT_EQ(std::get<error>(*m), (error{"aa", 201, "A Generic Error Ocurred"}));
  error e{"tt", error_code::method_unknown, "Method Unknown"};
  EXPECT_EQ(std::get<error>(*parse(encode(e))), e);
}

TEST(Krpc, RejectsBadEnvelopes) {
  expect_error("", krpc_errc::bad_bencode);
  expect_error("d1:t", krpc_errc::bad_bencode);
  expect_error("li1ee", krpc_errc::not_a_dictionary);
  expect_error("d1:y1:qe", krpc_errc::bad_transaction);
  expect_error("d1:t0:1:y1:qe", krpc_errc::bad_transaction);
  expect_error("d1:t17:aaaaaaaaaaaaaaaaa1:y1:qe", krpc_errc::bad_transaction);
  expect_error("d1:ti1e1:y1:qe", krpc_errc::bad_transaction);
  expect_error("d1:t2:aae", krpc_errc::bad_type);
  expect_error("d1:t2:aa1:y1:xe", krpc_errc::bad_type);
  expect_error("d1:t2:aa1:y2:qqe", krpc_errc::bad_type);
  expect_error(std::string(max_datagram + 1, 'x'), krpc_errc::bad_bencode);
}

TEST(Krpc, RejectsBadQueries) {
  expect_error("d1:q4:ping1:t2:aa1:y1:qe", krpc_errc::missing_arguments);
  expect_error("d1:ad2:id20:abcdefghij0123456789e1:t2:aa1:y1:qe", krpc_errc::missing_arguments);
  expect_error("d1:ad2:id19:abcdefghij012345678e1:q4:ping1:t2:aa1:y1:qe", krpc_errc::bad_node_id);
  expect_error("d1:ade1:q4:ping1:t2:aa1:y1:qe", krpc_errc::bad_node_id);
  expect_error("d1:ad2:id20:abcdefghij0123456789e1:q9:find_node1:t2:aa1:y1:qe", krpc_errc::bad_target);
  expect_error("d1:ad2:id20:abcdefghij01234567896:target3:abce1:q9:find_node1:t2:aa1:y1:qe", krpc_errc::bad_target);
  expect_error("d1:ad2:id20:abcdefghij0123456789e1:q9:get_peers1:t2:aa1:y1:qe", krpc_errc::bad_target);
  const std::string ann = "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456";
  expect_error(ann + "5:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe", krpc_errc::bad_port);
  expect_error(ann + "4:porti0e5:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe", krpc_errc::bad_port);
  expect_error(ann + "4:porti65536e5:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe", krpc_errc::bad_port);
  expect_error(ann + "4:porti1ee1:q13:announce_peer1:t2:aa1:y1:qe", krpc_errc::bad_token);
  expect_error(ann + "4:porti1e5:token0:e1:q13:announce_peer1:t2:aa1:y1:qe", krpc_errc::bad_token);
  expect_error(ann + "4:porti1e5:token65:" + std::string(65, 'k') + "e1:q13:announce_peer1:t2:aa1:y1:qe",
               krpc_errc::bad_token);
}

TEST(Krpc, RejectsBadResponses) {
  expect_error("d1:t2:aa1:y1:re", krpc_errc::missing_arguments);
  expect_error("d1:rde1:t2:aa1:y1:re", krpc_errc::bad_node_id);
  const std::string r = "d1:rd2:id20:abcdefghij0123456789";
  expect_error(r + "5:nodes25:" + std::string(25, 'n') + "e1:t2:aa1:y1:re", krpc_errc::bad_nodes);
  expect_error(r + "6:nodes626:" + std::string(26, 'n') + "e1:t2:aa1:y1:re", krpc_errc::bad_nodes);
  expect_error(r + "6:valuesi1ee1:t2:aa1:y1:re", krpc_errc::bad_values);
  expect_error(r + "6:valuesli1eee1:t2:aa1:y1:re", krpc_errc::bad_values);
  expect_error(r + "6:valuesl5:abcdeee1:t2:aa1:y1:re", krpc_errc::bad_values);
  expect_error(r + "5:token65:" + std::string(65, 'k') + "e1:t2:aa1:y1:re", krpc_errc::bad_token);
}

TEST(Krpc, RejectsBadErrors) {
  expect_error("d1:t2:aa1:y1:ee", krpc_errc::bad_error);
  expect_error("d1:eli201ee1:t2:aa1:y1:ee", krpc_errc::bad_error);
  expect_error("d1:el3:abci201ee1:t2:aa1:y1:ee", krpc_errc::bad_error);
}

TEST(Krpc, KeepsAtMostMaxValues) {
  std::string values = "l";
  for (std::size_t i = 0; i < max_values + 20; ++i) values += "6:abcdef";
  values += "e";
  auto m = parse("d1:rd2:id20:abcdefghij01234567896:values" + values + "e1:t2:aa1:y1:re");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(std::get<response>(*m).values.size(), max_values);
}

TEST(Krpc, FindsTransactionOfInvalidQueries) {
  EXPECT_EQ(parse_error_transaction("d1:ade1:q4:ping1:t2:zz1:y1:qe"), "zz");
  EXPECT_EQ(parse_error_transaction("d1:q4:ping1:y1:qe"), "");
  EXPECT_EQ(parse_error_transaction("garbage"), "");
}

}  // namespace
}  // namespace tessera::detail::krpc
