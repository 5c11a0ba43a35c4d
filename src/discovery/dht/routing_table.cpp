// Kademlia routing table (BEP 5) and its persistence.
#include "discovery/dht/routing_table.hpp"

#include <algorithm>

#include "core/bencode.hpp"
#include "discovery/dht/node_id_security.hpp"

namespace tessera::detail::dht {

node_state node_info::state(clock::time_point now) const {
  if (failures >= max_failures) return node_state::bad;
  if (last_response && now - *last_response < good_window) return node_state::good;
  if (last_response && last_query && now - *last_query < good_window) return node_state::good;
  return node_state::questionable;
}

routing_table::routing_table(const sha1_hash& own_id, bool ipv6, table_policy policy)
    : own_id_(own_id), ipv6_(ipv6), policy_(policy) {
  buckets_.emplace_back();
}

routing_table routing_table::rebuilt(const sha1_hash& new_own_id, clock::time_point now) const {
  routing_table t(new_own_id, ipv6_, policy_);
  for (const auto& b : buckets_) {
    for (const auto* list : {&b.nodes, &b.replacements}) {
      for (const auto& n : *list) {
        if (n.node.id != new_own_id) t.insert(n, now);
      }
    }
  }
  return t;
}

void routing_table::insert(const node_info& n, clock::time_point now) {
  // Responded nodes take precedence over query-only ones, as with node_seen.
  const auto how = n.last_response ? contact::response : contact::query;
  if (node_seen(n.node, how, now) == add_result::rejected) return;
  bucket& b = buckets_[bucket_index(n.node.id)];
  for (auto* list : {&b.nodes, &b.replacements}) {
    for (auto& m : *list) {
      if (m.node == n.node) m = n;
    }
  }
}

bool routing_table::address_taken(const krpc::node_entry& node) const {
  for (const auto& b : buckets_) {
    for (const auto* list : {&b.nodes, &b.replacements}) {
      for (const auto& n : *list) {
        if (n.node.endpoint.addr == node.endpoint.addr && n.node != node) return true;
      }
    }
  }
  return false;
}

std::size_t routing_table::bucket_index(const sha1_hash& id) const {
  const auto lz = static_cast<std::size_t>(leading_zero_bits(distance(own_id_, id)));
  return std::min(lz, buckets_.size() - 1);
}

void routing_table::split_last() {
  bucket& old = buckets_.back();
  bucket fresh;
  fresh.last_changed = old.last_changed;
  const std::size_t new_index = buckets_.size();
  auto moves = [&](const node_info& n) {
    return static_cast<std::size_t>(leading_zero_bits(distance(own_id_, n.node.id))) >= new_index;
  };
  for (auto* list : {&old.nodes, &old.replacements}) {
    auto& target = list == &old.nodes ? fresh.nodes : fresh.replacements;
    auto it = std::stable_partition(list->begin(), list->end(), [&](const node_info& n) { return !moves(n); });
    target.assign(std::make_move_iterator(it), std::make_move_iterator(list->end()));
    list->erase(it, list->end());
  }
  buckets_.push_back(std::move(fresh));
  // A bucket left with room takes its replacements: they are the freshest spare nodes.
  for (auto& b : {std::ref(buckets_[buckets_.size() - 2]), std::ref(buckets_.back())}) {
    while (b.get().nodes.size() < bucket_size && !b.get().replacements.empty()) promote_replacement(b.get());
  }
}

void routing_table::promote_replacement(bucket& b) {
  if (b.replacements.empty()) return;
  b.nodes.push_back(std::move(b.replacements.back()));
  b.replacements.pop_back();
}

add_result routing_table::node_seen(const krpc::node_entry& node, contact how, clock::time_point now) {
  if (node.id == own_id_ || node.endpoint.port == 0 || node.endpoint.v6 != ipv6_) return add_result::rejected;
  if (policy_.enforce_node_id && !bep42_valid(node.id, node.endpoint)) return add_result::rejected;
  auto refresh = [&](node_info& n) {
    if (how == contact::response) {
      n.last_response = now;
      n.failures = 0;
    } else {
      n.last_query = now;
    }
  };
  {
    bucket& b = buckets_[bucket_index(node.id)];
    for (auto& n : b.nodes) {
      if (n.node.id != node.id) continue;
      if (n.node.endpoint != node.endpoint) return add_result::rejected;
      refresh(n);
      if (how == contact::response) b.last_changed = now;
      return add_result::updated;
    }
  }
  for (const auto& b : buckets_) {
    for (const auto& n : b.nodes) {
      if (n.node.endpoint == node.endpoint) return add_result::rejected;
    }
  }
  if (policy_.one_node_per_ip && address_taken(node)) return add_result::rejected;
  node_info fresh{node, {}, {}, 0};
  refresh(fresh);
  // Each pass either inserts, gives up, or splits the last bucket (at most id_bits times).
  for (;;) {
    const std::size_t index = bucket_index(node.id);
    bucket& b = buckets_[index];
    std::erase_if(b.replacements, [&](const node_info& n) { return n.node.id == node.id; });
    if (b.nodes.size() < bucket_size) {
      b.nodes.push_back(fresh);
      b.last_changed = now;
      return add_result::added;
    }
    if (index == buckets_.size() - 1 && buckets_.size() < id_bits) {
      split_last();
      continue;
    }
    auto victim = std::find_if(b.nodes.begin(), b.nodes.end(),
                               [&](const node_info& n) { return n.state(now) == node_state::bad; });
    if (victim == b.nodes.end() && how == contact::response) {
      victim = std::find_if(b.nodes.begin(), b.nodes.end(),
                            [](const node_info& n) { return !n.last_response; });
    }
    if (victim != b.nodes.end()) {
      *victim = fresh;
      b.last_changed = now;
      return add_result::replaced;
    }
    b.replacements.push_back(fresh);
    if (b.replacements.size() > replacement_size) b.replacements.erase(b.replacements.begin());
    return add_result::pending;
  }
}

void routing_table::node_failed(const krpc::node_entry& node) {
  if (node.id == own_id_) return;
  bucket& b = buckets_[bucket_index(node.id)];
  std::erase_if(b.replacements, [&](const node_info& n) { return n.node == node; });
  for (auto it = b.nodes.begin(); it != b.nodes.end(); ++it) {
    if (it->node != node) continue;
    ++it->failures;
    if (it->failures >= max_failures && !b.replacements.empty()) {
      b.nodes.erase(it);
      promote_replacement(b);
    }
    return;
  }
}

std::vector<krpc::node_entry> routing_table::closest(const sha1_hash& target, std::size_t count) const {
  std::vector<const node_info*> all;
  for (const auto& b : buckets_) {
    for (const auto& n : b.nodes) {
      if (n.failures < max_failures) all.push_back(&n);
    }
  }
  const std::size_t n = std::min(count, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(),
                    [&](const node_info* a, const node_info* b) { return closer(target, a->node.id, b->node.id); });
  std::vector<krpc::node_entry> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(all[i]->node);
  return out;
}

const node_info* routing_table::find(const sha1_hash& id) const {
  const bucket& b = buckets_[bucket_index(id)];
  for (const auto& n : b.nodes) {
    if (n.node.id == id) return &n;
  }
  return nullptr;
}

std::size_t routing_table::size() const {
  std::size_t n = 0;
  for (const auto& b : buckets_) n += b.nodes.size();
  return n;
}

std::vector<std::size_t> routing_table::stale_buckets(clock::time_point now, clock::duration interval) const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    const auto& changed = buckets_[i].last_changed;
    if (!changed || now - *changed >= interval) out.push_back(i);
  }
  return out;
}

void routing_table::mark_refreshed(std::size_t i, clock::time_point now) {
  if (i < buckets_.size()) buckets_[i].last_changed = now;
}

sha1_hash routing_table::random_id_in_bucket(std::size_t i, const sha1_hash& random) const {
  // Bucket i (not the last): the first i bits equal ours and bit i differs. The last bucket:
  // the first i bits equal ours and the rest is free.
  const std::size_t shared = std::min(i, id_bits);
  const bool flip = i < buckets_.size() - 1;
  sha1_hash out = random;
  for (std::size_t bit = 0; bit < shared + (flip ? 1 : 0) && bit < id_bits; ++bit) {
    const std::size_t byte = bit / 8;
    const auto mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
    const bool own_bit = (own_id_.bytes[byte] & mask) != 0;
    const bool want = bit < shared ? own_bit : !own_bit;
    out.bytes[byte] = static_cast<std::uint8_t>(want ? (out.bytes[byte] | mask) : (out.bytes[byte] & ~mask));
  }
  return out;
}

std::vector<krpc::node_entry> routing_table::questionable_nodes(clock::time_point now, std::size_t count) const {
  std::vector<const node_info*> found;
  for (const auto& b : buckets_) {
    for (const auto& n : b.nodes) {
      if (n.state(now) == node_state::questionable) found.push_back(&n);
    }
  }
  auto heard = [](const node_info* n) {
    return std::max(n->last_response.value_or(clock::time_point{}), n->last_query.value_or(clock::time_point{}));
  };
  std::stable_sort(found.begin(), found.end(), [&](auto* a, auto* b) { return heard(a) < heard(b); });
  std::vector<krpc::node_entry> out;
  for (std::size_t i = 0; i < found.size() && i < count; ++i) out.push_back(found[i]->node);
  return out;
}

std::vector<krpc::node_entry> routing_table::all_nodes() const {
  std::vector<krpc::node_entry> out;
  for (const auto& b : buckets_) {
    for (const auto& n : b.nodes) out.push_back(n.node);
  }
  return out;
}

// ---- persistence -----------------------------------------------------------------------------

std::string encode_state(const saved_state& s) {
  std::string nodes, nodes6;
  for (const auto& n : s.nodes) {
    std::string& out = n.endpoint.v6 ? nodes6 : nodes;
    out += n.id.to_bytes();
    append_compact_endpoint(out, n.endpoint);
  }
  bdict d;
  d["id"] = bvalue(s.id.to_bytes());
  if (s.id6) d["id6"] = bvalue(s.id6->to_bytes());
  d["nodes"] = bvalue(std::move(nodes));
  if (!nodes6.empty()) d["nodes6"] = bvalue(std::move(nodes6));
  return bencode(bvalue(std::move(d)));
}

result<saved_state> decode_state(std::string_view bytes) {
  auto root = bdecode(bytes);
  if (!root || !root->is_dict()) return unexpected{make_error_code(krpc::krpc_errc::bad_bencode)};
  saved_state out;
  const auto* id = root->find_string("id");
  auto parsed_id = id ? sha1_hash::from_bytes(*id) : std::nullopt;
  if (!parsed_id) return unexpected{make_error_code(krpc::krpc_errc::bad_node_id)};
  out.id = *parsed_id;
  if (const auto* id6 = root->find_string("id6")) {
    out.id6 = sha1_hash::from_bytes(*id6);
    if (!out.id6) return unexpected{make_error_code(krpc::krpc_errc::bad_node_id)};
  }
  for (auto [key, size] : {std::pair{"nodes", krpc::compact_node_v4_size}, std::pair{"nodes6", krpc::compact_node_v6_size}}) {
    const auto* s = root->find_string(key);
    if (!s) continue;
    if (s->size() % size != 0) return unexpected{make_error_code(krpc::krpc_errc::bad_nodes)};
    // The bound applies per family: a full IPv4 table does not crowd out the IPv6 one.
    for (std::size_t i = 0, kept = 0; i < s->size() && kept < max_saved_nodes; i += size, ++kept) {
      std::string_view e = std::string_view(*s).substr(i, size);
      out.nodes.push_back({*sha1_hash::from_bytes(e.substr(0, 20)), *parse_compact_endpoint(e.substr(20))});
    }
  }
  return out;
}

}  // namespace tessera::detail::dht
