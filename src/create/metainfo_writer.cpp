#include "create/metainfo_writer.hpp"

#include "core/bencode.hpp"
#include "tessera/hasher.hpp"

namespace tessera::detail {

namespace {

blist string_list(const std::vector<std::string>& items) {
  blist out;
  for (const auto& s : items) out.emplace_back(s);
  return out;
}

/// BEP 52 `file tree`: folders as nested dictionaries, a file as {"": {length, pieces root}}.
bdict file_tree(const std::string& name, bool single_file, const torrent_layout& layout, const hash_result& hashes) {
  bdict tree;
  for (std::size_t i = 0; i < layout.entries.size(); ++i) {
    const auto& e = layout.entries[i];
    if (e.pad) continue;
    bdict* dir = &tree;
    const std::vector<std::string> single{name};
    const auto& path = single_file ? single : e.path;
    for (std::size_t c = 0; c + 1 < path.size(); ++c) {
      auto& sub = (*dir)[path[c]];
      if (!sub.is_dict()) sub = bdict{};
      dir = &sub.as_dict();
    }
    bdict leaf;
    leaf["length"] = e.size;
    if (e.size > 0) leaf["pieces root"] = file_root(hashes.files[i], e.size, layout.piece_length).to_bytes();
    if (e.executable) leaf["attr"] = "x";
    (*dir)[path.back()] = bdict{{"", bvalue(std::move(leaf))}};
  }
  return tree;
}

bdict piece_layers(const torrent_layout& layout, const hash_result& hashes) {
  bdict layers;
  for (std::size_t i = 0; i < layout.entries.size(); ++i) {
    const auto& e = layout.entries[i];
    if (e.pad || e.size == 0 || !hashes.files[i].piece_layer) continue;
    std::string concat;
    concat.reserve(hashes.files[i].hashes.size() * sha256_hash::size);
    for (const auto& h : hashes.files[i].hashes) concat += h.to_bytes();
    layers[file_root(hashes.files[i], e.size, layout.piece_length).to_bytes()] = std::move(concat);
  }
  return layers;
}

blist v1_files(const torrent_layout& layout) {
  blist files;
  for (const auto& e : layout.entries) {
    bdict f;
    f["length"] = e.size;
    f["path"] = string_list(e.path);
    if (e.pad) f["attr"] = "p";
    else if (e.executable) f["attr"] = "x";
    files.emplace_back(std::move(f));
  }
  return files;
}

}  // namespace

written_torrent write_metainfo(const create_torrent_params& params, const std::string& name, bool single_file,
                               const torrent_layout& layout, const hash_result& hashes, const std::string& creator,
                               std::int64_t creation_date) {
  const bool v1 = params.kind != torrent_kind::v2;
  const bool v2 = params.kind != torrent_kind::v1;
  bdict info;
  info["name"] = name;
  info["piece length"] = layout.piece_length;
  if (params.is_private) info["private"] = 1;
  if (!params.source.empty()) info["source"] = params.source;
  if (v1) {
    std::string pieces;
    pieces.reserve(hashes.pieces.size() * sha1_hash::size);
    for (const auto& h : hashes.pieces) pieces += h.to_bytes();
    info["pieces"] = std::move(pieces);
    if (single_file) {
      info["length"] = layout.entries.front().size;
      if (layout.entries.front().executable) info["attr"] = "x";
    } else {
      info["files"] = v1_files(layout);
    }
  }
  if (v2) {
    info["meta version"] = 2;
    info["file tree"] = file_tree(name, single_file, layout, hashes);
  }

  bdict top;
  std::vector<std::vector<std::string>> tiers;
  std::size_t urls = 0;
  for (const auto& tier : params.trackers) {
    std::vector<std::string> t;
    for (const auto& u : tier)
      if (!u.empty()) t.push_back(u);
    urls += t.size();
    if (!t.empty()) tiers.push_back(std::move(t));
  }
  if (!tiers.empty()) top["announce"] = tiers.front().front();
  if (urls > 1) {
    blist list;
    for (const auto& t : tiers) list.emplace_back(string_list(t));
    top["announce-list"] = std::move(list);
  }
  std::vector<std::string> seeds;
  for (const auto& w : params.web_seeds)
    if (!w.empty()) seeds.push_back(w);
  if (seeds.size() == 1) top["url-list"] = seeds.front();
  else if (seeds.size() > 1) top["url-list"] = string_list(seeds);
  if (!params.comment.empty()) top["comment"] = params.comment;
  if (!creator.empty()) top["created by"] = creator;
  if (creation_date >= 0) top["creation date"] = creation_date;
  if (v2) top["piece layers"] = piece_layers(layout, hashes);

  written_torrent out;
  const std::string info_bytes = bencode(bvalue(std::move(info)));
  if (v1) out.info_hashes.v1 = sha1(info_bytes);
  if (v2) out.info_hashes.v2 = sha256(info_bytes);
  out.bytes = "d";
  // Keys in order around the info dictionary, whose bytes are the ones hashed above.
  for (const auto& [k, v] : top) {
    if (k > "info") break;
    bencode_append(out.bytes, bvalue(k));
    bencode_append(out.bytes, v);
  }
  bencode_append(out.bytes, bvalue("info"));
  out.bytes += info_bytes;
  for (const auto& [k, v] : top) {
    if (k <= "info") continue;
    bencode_append(out.bytes, bvalue(k));
    bencode_append(out.bytes, v);
  }
  out.bytes += "e";
  return out;
}

}  // namespace tessera::detail
