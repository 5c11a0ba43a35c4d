// KRPC codec (BEP 5, BEP 32 nodes6 and want, BEP 43 ro).
#include "core/krpc.hpp"

#include "core/bencode.hpp"

namespace tessera::detail::krpc {

namespace {

class krpc_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tessera.krpc"; }
  std::string message(int ev) const override {
    switch (static_cast<krpc_errc>(ev)) {
      case krpc_errc::bad_bencode: return "KRPC datagram is not valid bencode";
      case krpc_errc::not_a_dictionary: return "KRPC datagram is not a dictionary";
      case krpc_errc::bad_transaction: return "KRPC transaction id missing or too long";
      case krpc_errc::bad_type: return "KRPC message type missing or unknown";
      case krpc_errc::missing_arguments: return "KRPC query or response body missing";
      case krpc_errc::bad_node_id: return "KRPC node id missing or not 20 bytes";
      case krpc_errc::bad_target: return "KRPC target or info_hash not 20 bytes";
      case krpc_errc::bad_port: return "KRPC announce_peer port missing or invalid";
      case krpc_errc::bad_token: return "KRPC token missing or too long";
      case krpc_errc::bad_nodes: return "KRPC nodes/nodes6 has a bad length";
      case krpc_errc::bad_values: return "KRPC values is not a list of compact peers";
      case krpc_errc::bad_error: return "KRPC error is not [code, message]";
    }
    return "unknown KRPC error";
  }
};

auto fail(krpc_errc e) { return unexpected{make_error_code(e)}; }

bdecode_limits krpc_limits() {
  bdecode_limits l;
  l.max_depth = 6;
  l.max_items = 2048;
  return l;
}

std::optional<sha1_hash> read_id(const bvalue& dict, std::string_view key) {
  const auto* s = dict.find_string(key);
  if (!s) return std::nullopt;
  return sha1_hash::from_bytes(*s);
}

bool read_nodes(const std::string& s, std::size_t entry, std::vector<node_entry>& out) {
  if (s.size() % entry != 0) return false;
  for (std::size_t i = 0; i < s.size(); i += entry) {
    std::string_view e = std::string_view(s).substr(i, entry);
    node_entry n;
    n.id = *sha1_hash::from_bytes(e.substr(0, 20));
    n.endpoint = *parse_compact_endpoint(e.substr(20));
    out.push_back(n);
  }
  return true;
}

const std::string* transaction_of(const bvalue& root) {
  const auto* t = root.find_string("t");
  if (!t || t->empty() || t->size() > max_transaction_length) return nullptr;
  return t;
}

result<message> parse_query(const bvalue& root, std::string transaction) {
  const auto* q = root.find_string("q");
  const bvalue* a = root.find_dict("a");
  if (!q || !a) return fail(krpc_errc::missing_arguments);
  query out;
  out.transaction = std::move(transaction);
  out.method_name = q->substr(0, 64);
  if (*q == "ping") out.method = query_method::ping;
  else if (*q == "find_node") out.method = query_method::find_node;
  else if (*q == "get_peers") out.method = query_method::get_peers;
  else if (*q == "announce_peer") out.method = query_method::announce_peer;
  else out.method = query_method::unknown;

  auto id = read_id(*a, "id");
  if (id) out.id = *id;
  else if (out.method != query_method::unknown) return fail(krpc_errc::bad_node_id);
  if (const auto* ro = a->find_int("ro")) out.read_only = *ro == 1;
  // BEP 32 allows `want` in find_node and get_peers only; elsewhere it is an unknown key.
  const bool may_want = out.method == query_method::find_node || out.method == query_method::get_peers;
  if (const auto* want = may_want ? a->find_list("want") : nullptr) {
    for (const auto& w : *want) {
      if (!w.is_string()) continue;
      if (w.as_string() == "n4") out.want_n4 = true;
      else if (w.as_string() == "n6") out.want_n6 = true;
    }
  }

  switch (out.method) {
    case query_method::find_node: {
      auto t = read_id(*a, "target");
      if (!t) return fail(krpc_errc::bad_target);
      out.target = *t;
      break;
    }
    case query_method::get_peers:
    case query_method::announce_peer: {
      auto t = read_id(*a, "info_hash");
      if (!t) return fail(krpc_errc::bad_target);
      out.target = *t;
      if (out.method == query_method::get_peers) break;
      if (const auto* ip = a->find_int("implied_port")) out.implied_port = *ip != 0;
      const auto* port = a->find_int("port");
      if (port && *port >= 1 && *port <= 65535) out.port = static_cast<std::uint16_t>(*port);
      else if (!out.implied_port) return fail(krpc_errc::bad_port);
      const auto* token = a->find_string("token");
      if (!token || token->empty() || token->size() > max_token_length) return fail(krpc_errc::bad_token);
      out.token = *token;
      break;
    }
    default:
      break;
  }
  return message{std::move(out)};
}

result<message> parse_response(const bvalue& root, std::string transaction) {
  const bvalue* r = root.find_dict("r");
  if (!r) return fail(krpc_errc::missing_arguments);
  response out;
  out.transaction = std::move(transaction);
  auto id = read_id(*r, "id");
  if (!id) return fail(krpc_errc::bad_node_id);
  out.id = *id;
  if (const auto* n = r->find_string("nodes"); n && !read_nodes(*n, compact_node_v4_size, out.nodes))
    return fail(krpc_errc::bad_nodes);
  if (const auto* n = r->find_string("nodes6"); n && !read_nodes(*n, compact_node_v6_size, out.nodes))
    return fail(krpc_errc::bad_nodes);
  if (const bvalue* v = r->find("values")) {
    if (!v->is_list()) return fail(krpc_errc::bad_values);
    for (const auto& item : v->as_list()) {
      if (!item.is_string()) return fail(krpc_errc::bad_values);
      auto ep = parse_compact_endpoint(item.as_string());
      if (!ep) return fail(krpc_errc::bad_values);
      if (out.values.size() < max_values) out.values.push_back(*ep);
    }
  }
  if (const auto* token = r->find_string("token")) {
    if (token->size() > max_token_length) return fail(krpc_errc::bad_token);
    out.token = *token;
  }
  if (const auto* ip = root.find_string("ip")) out.ip = parse_compact_endpoint(*ip);
  return message{std::move(out)};
}

result<message> parse_error(const bvalue& root, std::string transaction) {
  const auto* e = root.find_list("e");
  if (!e || e->size() < 2 || !(*e)[0].is_int() || !(*e)[1].is_string()) return fail(krpc_errc::bad_error);
  error out;
  out.transaction = std::move(transaction);
  out.code = (*e)[0].as_int();
  out.message = (*e)[1].as_string().substr(0, 256);
  return message{std::move(out)};
}

void finish(bdict& d, std::string_view transaction, std::string_view y, std::string_view version) {
  d["t"] = bvalue(transaction);
  d["y"] = bvalue(y);
  if (!version.empty()) d["v"] = bvalue(version);
}

}  // namespace

const std::error_category& krpc_category() noexcept {
  static const krpc_category_impl category;
  return category;
}

result<message> parse(std::string_view datagram) {
  if (datagram.size() > max_datagram) return fail(krpc_errc::bad_bencode);
  auto root = bdecode(datagram, krpc_limits());
  if (!root) return fail(krpc_errc::bad_bencode);
  if (!root->is_dict()) return fail(krpc_errc::not_a_dictionary);
  const auto* t = transaction_of(*root);
  if (!t) return fail(krpc_errc::bad_transaction);
  const auto* y = root->find_string("y");
  if (!y || y->size() != 1) return fail(krpc_errc::bad_type);
  switch ((*y)[0]) {
    case 'q': return parse_query(*root, *t);
    case 'r': return parse_response(*root, *t);
    case 'e': return parse_error(*root, *t);
    default: return fail(krpc_errc::bad_type);
  }
}

std::string parse_error_transaction(std::string_view datagram) {
  if (datagram.size() > max_datagram) return {};
  auto root = bdecode(datagram, krpc_limits());
  if (!root || !root->is_dict()) return {};
  const auto* t = transaction_of(*root);
  return t ? *t : std::string{};
}

std::string_view method_name(const query& q) {
  switch (q.method) {
    case query_method::ping: return "ping";
    case query_method::find_node: return "find_node";
    case query_method::get_peers: return "get_peers";
    case query_method::announce_peer: return "announce_peer";
    case query_method::unknown: break;
  }
  return q.method_name;
}

std::string encode(const query& q, std::string_view version) {
  bdict a;
  a["id"] = bvalue(q.id.to_bytes());
  if (q.read_only) a["ro"] = bvalue(std::int64_t{1});
  const bool may_want = q.method == query_method::find_node || q.method == query_method::get_peers;
  if (may_want && (q.want_n4 || q.want_n6)) {
    blist want;
    if (q.want_n4) want.emplace_back(std::string_view("n4"));
    if (q.want_n6) want.emplace_back(std::string_view("n6"));
    a["want"] = bvalue(std::move(want));
  }
  switch (q.method) {
    case query_method::find_node:
      a["target"] = bvalue(q.target.to_bytes());
      break;
    case query_method::get_peers:
      a["info_hash"] = bvalue(q.target.to_bytes());
      break;
    case query_method::announce_peer:
      a["info_hash"] = bvalue(q.target.to_bytes());
      a["port"] = bvalue(std::int64_t{q.port});
      if (q.implied_port) a["implied_port"] = bvalue(std::int64_t{1});
      a["token"] = bvalue(q.token);
      break;
    default:
      break;
  }
  bdict d;
  d["a"] = bvalue(std::move(a));
  d["q"] = bvalue(method_name(q));
  finish(d, q.transaction, "q", version);
  return bencode(bvalue(std::move(d)));
}

std::string encode(const response& r, std::string_view version) {
  bdict body;
  body["id"] = bvalue(r.id.to_bytes());
  std::string nodes, nodes6;
  for (const auto& n : r.nodes) {
    std::string& out = n.endpoint.v6 ? nodes6 : nodes;
    out += n.id.to_bytes();
    append_compact_endpoint(out, n.endpoint);
  }
  if (!nodes.empty()) body["nodes"] = bvalue(std::move(nodes));
  if (!nodes6.empty()) body["nodes6"] = bvalue(std::move(nodes6));
  if (!r.values.empty()) {
    blist values;
    for (const auto& ep : r.values) {
      std::string s;
      append_compact_endpoint(s, ep);
      values.emplace_back(std::move(s));
    }
    body["values"] = bvalue(std::move(values));
  }
  if (r.token) body["token"] = bvalue(*r.token);
  bdict d;
  d["r"] = bvalue(std::move(body));
  if (r.ip) {
    std::string ip;
    append_compact_endpoint(ip, *r.ip);
    d["ip"] = bvalue(std::move(ip));
  }
  finish(d, r.transaction, "r", version);
  return bencode(bvalue(std::move(d)));
}

std::string encode(const error& e, std::string_view version) {
  bdict d;
  d["e"] = bvalue(blist{bvalue(e.code), bvalue(e.message)});
  finish(d, e.transaction, "e", version);
  return bencode(bvalue(std::move(d)));
}

}  // namespace tessera::detail::krpc
