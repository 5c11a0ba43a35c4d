// BEP 11 ut_pex codec.
#include "core/ut_pex.hpp"

#include "core/bencode.hpp"

namespace tessera::detail {

namespace {

/// Reads a compact list of `entry`-byte endpoints into `out` (at most max_pex_peers_per_list).
bool read_list(const bvalue& root, std::string_view key, std::size_t entry,
               std::vector<peer_endpoint>& out) {
  const auto* s = root.find_string(key);
  if (!s) return true;
  if (s->size() % entry != 0) return false;
  const std::size_t n = std::min(s->size() / entry, max_pex_peers_per_list);
  for (std::size_t i = 0; i < n; ++i) {
    auto ep = parse_compact_endpoint(std::string_view(*s).substr(i * entry, entry));
    if (ep && ep->port != 0) out.push_back(*ep);
  }
  return true;
}

bool read_added(const bvalue& root, std::string_view key, std::string_view flags_key,
                std::size_t entry, std::vector<pex_peer>& out) {
  const auto* s = root.find_string(key);
  if (!s) return true;
  if (s->size() % entry != 0) return false;
  const std::string* flags = root.find_string(flags_key);
  const std::size_t n = std::min(s->size() / entry, max_pex_peers_per_list);
  for (std::size_t i = 0; i < n; ++i) {
    auto ep = parse_compact_endpoint(std::string_view(*s).substr(i * entry, entry));
    if (!ep || ep->port == 0) continue;
    pex_peer p{*ep, 0};
    if (flags && i < flags->size()) p.flags = static_cast<std::uint8_t>((*flags)[i]);
    out.push_back(p);
  }
  return true;
}

}  // namespace

result<pex_message> parse_pex_message(std::string_view payload) {
  if (payload.size() > max_extension_payload)
    return unexpected{make_error_code(extension_errc::bad_bencode)};
  auto root = bdecode(payload, extension_bdecode_limits());
  if (!root) return unexpected{make_error_code(extension_errc::bad_bencode)};
  if (!root->is_dict()) return unexpected{make_error_code(extension_errc::not_a_dictionary)};
  pex_message m;
  if (!read_added(*root, "added", "added.f", compact_v4_size, m.added) ||
      !read_added(*root, "added6", "added6.f", compact_v6_size, m.added) ||
      !read_list(*root, "dropped", compact_v4_size, m.dropped) ||
      !read_list(*root, "dropped6", compact_v6_size, m.dropped))
    return unexpected{make_error_code(extension_errc::bad_compact_peers)};
  return m;
}

std::string make_pex_message(const pex_message& m) {
  std::string added, added_f, added6, added6_f, dropped, dropped6;
  std::size_t n4 = 0, n6 = 0;
  for (const auto& p : m.added) {
    auto& n = p.endpoint.v6 ? n6 : n4;
    if (n == max_pex_peers_per_list) continue;
    ++n;
    append_compact_endpoint(p.endpoint.v6 ? added6 : added, p.endpoint);
    (p.endpoint.v6 ? added6_f : added_f).push_back(static_cast<char>(p.flags));
  }
  n4 = n6 = 0;
  for (const auto& ep : m.dropped) {
    auto& n = ep.v6 ? n6 : n4;
    if (n == max_pex_peers_per_list) continue;
    ++n;
    append_compact_endpoint(ep.v6 ? dropped6 : dropped, ep);
  }
  // BEP 11 senders include every key, empty or not; receivers treat absent and empty alike.
  bdict d;
  d["added"] = bvalue(std::move(added));
  d["added.f"] = bvalue(std::move(added_f));
  d["added6"] = bvalue(std::move(added6));
  d["added6.f"] = bvalue(std::move(added6_f));
  d["dropped"] = bvalue(std::move(dropped));
  d["dropped6"] = bvalue(std::move(dropped6));
  return bencode(bvalue(std::move(d)));
}

}  // namespace tessera::detail
