// Parsing and validation of .torrent files: BEP 3 (metainfo), BEP 12 (announce-list),
// BEP 19 (url-list), BEP 27 (private), BEP 47 (padding files and attributes), BEP 5 (`nodes`),
// BEP 52 (v2 and hybrid: `meta version`, `file tree`, `piece layers`; core/metainfo_v2).
//
// Everything a .torrent says is untrusted: sizes are range checked, the piece count must match the
// total size, and every path component is checked so that no file can land outside the download
// directory (absolute paths, "..", ".", empty components, separators and NUL are rejected, not
// silently rewritten: a torrent that tries it is broken or hostile). Control characters and
// invalid UTF-8 are replaced and over-long names truncated (core/path_component.hpp); paths are
// bounded in depth and length, and every check is linear in the size of the input.
#include <cerrno>
#include <cstdio>
#include <memory>

#include "core/bencode.hpp"
#include "core/file_tree.hpp"
#include "core/metainfo_limits.hpp"
#include "core/metainfo_v2.hpp"
#include "core/piece_layers.hpp"
#include "core/path_component.hpp"
#include "core/path_tree.hpp"
#include "core/torrent_info_builder.hpp"
#include "tessera/hasher.hpp"

namespace tessera {

using detail::torrent_info_builder;

namespace {

using detail::bdecode_limits;
using detail::blist;
using detail::bvalue;

using detail::max_metainfo_bytes;
constexpr std::int64_t max_piece_length = 64 * 1024 * 1024;

class metainfo_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tessera.metainfo"; }
  std::string message(int ev) const override {
    switch (static_cast<metainfo_errc>(ev)) {
      case metainfo_errc::bencode: return "metainfo is not valid bencode";
      case metainfo_errc::not_a_dictionary: return "metainfo or info is not a dictionary";
      case metainfo_errc::missing_info: return "missing info dictionary";
      case metainfo_errc::missing_name: return "missing or invalid name";
      case metainfo_errc::bad_piece_length: return "invalid piece length";
      case metainfo_errc::bad_pieces: return "invalid pieces";
      case metainfo_errc::piece_count_mismatch: return "piece count does not match total size";
      case metainfo_errc::bad_length: return "invalid file length";
      case metainfo_errc::bad_files: return "invalid files list";
      case metainfo_errc::bad_path: return "invalid or unsafe file path";
      case metainfo_errc::no_files: return "needs exactly one of length and files";
      case metainfo_errc::duplicate_path: return "two files map to the same path";
      case metainfo_errc::path_too_deep:
        return "a file path has more than " + std::to_string(max_path_components) + " components";
      case metainfo_errc::path_too_long:
        return "a file path is longer than " + std::to_string(max_path_bytes) + " bytes";
      case metainfo_errc::unsupported_meta_version: return "unsupported meta version (not 2)";
      case metainfo_errc::bad_file_tree: return "invalid file tree";
      case metainfo_errc::bad_pieces_root: return "missing or invalid pieces root";
      case metainfo_errc::bad_piece_layers: return "invalid piece layers";
      case metainfo_errc::piece_layer_mismatch: return "a piece layer does not hash to its pieces root";
      case metainfo_errc::hybrid_mismatch: return "the v1 files and the v2 file tree of a hybrid torrent differ";
      case metainfo_errc::too_many_pieces:
        return "a v2 torrent with more than " + std::to_string(max_v2_pieces) + " pieces";
    }
    return "unknown metainfo error";
  }
};


/// The string under `key`, preferring `key.utf-8` when that is present as a string.
const std::string* find_utf8_string(const bvalue& dict, std::string_view key) {
  if (const auto* s = dict.find_string(std::string(key) + ".utf-8")) return s;
  return dict.find_string(key);
}

bool all_strings(const blist& l) {
  for (const auto& v : l)
    if (!v.is_string()) return false;
  return true;
}

/// The path list of a file entry, preferring `path.utf-8` when it is a list of strings.
const blist* find_path(const bvalue& file) {
  if (const auto* l = file.find_list("path.utf-8"); l && all_strings(*l)) return l;
  return file.find_list("path");
}

void parse_trackers(const bvalue& root, torrent_info_builder& ti) {
  if (const auto* tiers = root.find_list("announce-list")) {
    for (const auto& tier : *tiers) {
      if (!tier.is_list()) continue;
      std::vector<std::string> urls;
      for (const auto& url : tier.as_list())
        if (url.is_string() && !url.as_string().empty()) urls.push_back(url.as_string());
      if (!urls.empty()) ti.trackers.push_back(std::move(urls));
    }
  }
  if (ti.trackers.empty()) {
    if (const auto* a = root.find_string("announce"); a && !a->empty()) ti.trackers.push_back({*a});
  }
}

void parse_web_seeds(const bvalue& root, torrent_info_builder& ti) {
  if (const auto* s = root.find_string("url-list")) {
    if (!s->empty()) ti.web_seeds.push_back(*s);
  } else if (const auto* l = root.find_list("url-list")) {
    for (const auto& url : *l)
      if (url.is_string() && !url.as_string().empty()) ti.web_seeds.push_back(url.as_string());
  }
}

/// BEP 5 `nodes`: [["host", port], ...]. Malformed entries are skipped, not fatal: the key is a
/// hint for the DHT, never a reason to reject the torrent.
void parse_dht_nodes(const bvalue& root, torrent_info_builder& ti) {
  const auto* nodes = root.find_list("nodes");
  if (!nodes) return;
  for (const auto& n : *nodes) {
    if (ti.dht_nodes.size() >= max_torrent_dht_nodes) break;
    if (!n.is_list() || n.as_list().size() != 2) continue;
    const auto& host = n.as_list()[0];
    const auto& port = n.as_list()[1];
    if (!host.is_string() || !port.is_int()) continue;
    const auto& h = host.as_string();
    if (h.empty() || h.size() > 253 || h.find('\0') != std::string::npos) continue;
    if (port.as_int() < 1 || port.as_int() > 65535) continue;
    ti.dht_nodes.push_back({h, static_cast<std::uint16_t>(port.as_int())});
  }
}

void parse_attr(const bvalue& file, file_entry& fe) {
  const auto* attr = file.find_string("attr");
  if (!attr) return;
  fe.pad = attr->find('p') != std::string::npos;
  fe.executable = attr->find('x') != std::string::npos;
  fe.hidden = attr->find('h') != std::string::npos;
}

/// BEP 47 symlinks of a multi-file torrent: `attr` 'l' with `symlink path`, a list of components.
/// Resolved as libtorrent 2.0 resolves them (and writes them: the components of the link's text,
/// "..", "bin", "tool" for a link made as ../bin/tool): from the link's folder, ".." going one
/// folder up, "." staying. The result, relative to the torrent's root folder, is kept in
/// fe.symlink_target; a target that would leave the root folder at any step, or is the root
/// folder itself, is bad_path. Other components are checked and sanitised like `path`'s.
std::error_code parse_symlink(const bvalue& file, const torrent_info_builder& ti, file_entry& fe) {
  const auto* attr = file.find_string("attr");
  if (!attr || attr->find('l') == std::string::npos || fe.pad) return {};
  if (fe.size != 0) return metainfo_errc::bad_length;  // a link has no data (BEP 47)
  const blist* target = file.find_list("symlink path");
  if (!target || target->empty()) return metainfo_errc::bad_path;
  if (target->size() > max_path_components) return metainfo_errc::path_too_deep;
  // The link's folder, relative to the root folder: fe.path less "name/" and its last component.
  std::vector<std::string> at;
  const std::string_view rel = std::string_view(fe.path).substr(ti.name.size() + 1);
  for (std::size_t start = 0;;) {
    const std::size_t slash = rel.find('/', start);
    if (slash == std::string_view::npos) break;
    at.emplace_back(rel.substr(start, slash - start));
    start = slash + 1;
  }
  for (const auto& c : *target) {
    if (!c.is_string()) return metainfo_errc::bad_path;
    const std::string& raw = c.as_string();
    if (raw == ".") continue;
    if (raw == "..") {
      if (at.empty()) return metainfo_errc::bad_path;  // out of the torrent's folder
      at.pop_back();
      continue;
    }
    std::string component;
    if (!detail::append_path_component(component, raw)) return metainfo_errc::bad_path;
    at.push_back(std::move(component));
  }
  if (at.empty()) return metainfo_errc::bad_path;  // the root folder itself
  fe.symlink = true;
  for (const auto& c : at) {
    if (!fe.symlink_target.empty()) fe.symlink_target += '/';
    fe.symlink_target += c;
  }
  if (fe.symlink_target.size() > max_path_bytes) return metainfo_errc::path_too_long;
  return {};
}

/// Fills ti.files from the `files` list of a multi-file torrent (name already set).
std::error_code parse_files(const blist& files, torrent_info_builder& ti) {
  static constexpr std::int64_t zero_length = 0;
  if (files.empty()) return metainfo_errc::no_files;
  if (files.size() > detail::max_metainfo_files) return metainfo_errc::bad_files;
  // Never grows past this: the path_tree below keeps views into the paths of ti.files.
  ti.files.reserve(files.size());
  // Real files and every folder they imply: a file may not share its path with another file,
  // nor with a folder that another file needs.
  detail::path_tree tree;
  std::int64_t offset = 0;
  for (const auto& f : files) {
    if (!f.is_dict()) return metainfo_errc::bad_files;
    file_entry fe;
    const auto* length = f.find_int("length");
    // BEP 47: a symlink's `length` (always 0) may be left out.
    const auto* attr = f.find_string("attr");
    const bool link = attr && attr->find('l') != std::string::npos;
    if (!length && link && !f.find("length")) length = &zero_length;
    if (!length || *length < 0) return metainfo_errc::bad_length;
    if (*length > INT64_MAX - offset) return metainfo_errc::bad_length;
    fe.size = *length;
    fe.offset = offset;
    offset += *length;

    const blist* path = find_path(f);
    if (!path || path->empty()) return metainfo_errc::bad_path;
    // Refused before any work on its components: a hostile path of 50,000 components costs
    // nothing more than its bencode.
    if (path->size() > max_path_components) return metainfo_errc::path_too_deep;
    fe.path = ti.name;
    for (const auto& c : *path) {
      fe.path += '/';
      if (!c.is_string() || !detail::append_path_component(fe.path, c.as_string()))
        return metainfo_errc::bad_path;
      if (fe.path.size() > max_path_bytes) return metainfo_errc::path_too_long;
    }
    parse_attr(f, fe);
    if (auto ec = parse_symlink(f, ti, fe)) return ec;
    ti.files.push_back(std::move(fe));
    // BEP 47 padding files are never written, and several may carry the same conventional
    // ".pad/<size>" path, so they take no part in the collision check. The check runs on the
    // sanitised paths: two names that sanitise to the same string collide.
    const file_entry& added = ti.files.back();
    if (!added.pad && !tree.add_file(added.path)) return metainfo_errc::duplicate_path;
  }
  ti.total_size = offset;
  return {};
}

std::error_code parse_name_and_piece_length(const bvalue& info, torrent_info_builder& ti) {
  const auto* name = find_utf8_string(info, "name");
  if (!name) return metainfo_errc::missing_name;
  if (!detail::append_path_component(ti.name, *name)) return metainfo_errc::bad_path;

  const auto* piece_length = info.find_int("piece length");
  if (!piece_length || *piece_length <= 0 || *piece_length > max_piece_length)
    return metainfo_errc::bad_piece_length;
  ti.piece_length = *piece_length;
  return {};
}

/// The v1 part of `info` (name and piece length already read): files, pieces, private.
std::error_code parse_v1_info(const bvalue& info, torrent_info_builder& ti) {
  const auto* pieces = info.find_string("pieces");
  if (!pieces || pieces->size() % 20 != 0) return metainfo_errc::bad_pieces;

  const bvalue* length = info.find("length");
  const bvalue* files = info.find("files");
  if ((length != nullptr) == (files != nullptr)) return metainfo_errc::no_files;
  if (length) {
    if (!length->is_int() || length->as_int() < 0) return metainfo_errc::bad_length;
    file_entry fe;
    fe.path = ti.name;
    fe.size = length->as_int();
    parse_attr(info, fe);
    ti.total_size = fe.size;
    ti.files.push_back(std::move(fe));
  } else {
    if (!files->is_list()) return metainfo_errc::bad_files;
    ti.multi_file = true;
    if (auto ec = parse_files(files->as_list(), ti)) return ec;
  }

  // ceil(total / piece_length) without overflow: total >= 0 and piece_length > 0.
  const std::int64_t expected = ti.total_size / ti.piece_length + (ti.total_size % ti.piece_length != 0);
  const std::size_t count = pieces->size() / 20;
  if (static_cast<std::uint64_t>(expected) != count) return metainfo_errc::piece_count_mismatch;
  ti.piece_hashes.reserve(count);
  for (std::size_t i = 0; i < count; ++i)
    ti.piece_hashes.push_back(*sha1_hash::from_bytes(std::string_view(*pieces).substr(i * 20, 20)));

  if (const auto* priv = info.find_int("private")) ti.is_private = *priv == 1;
  return {};
}

/// BEP 52: `meta version` 2 with a `file tree`; hybrid when `pieces` is there too. `layers` is
/// the top-level `piece layers` (nullptr when absent).
std::error_code parse_v2_info(const bvalue& info, const bvalue* layers, torrent_info_builder& ti) {
  ti.meta_version = 2;
  // Every v2 piece is a whole subtree of 16 KiB leaves.
  if (ti.piece_length < block_size || (ti.piece_length & (ti.piece_length - 1)) != 0)
    return metainfo_errc::bad_piece_length;
  const bvalue* tree = info.find("file tree");
  if (!tree) return metainfo_errc::bad_file_tree;
  auto files = detail::parse_file_tree(*tree, detail::max_metainfo_files);
  if (!files) return files.error();
  if (info.find("pieces")) {
    if (auto ec = parse_v1_info(info, ti)) return ec;
    if (auto ec = detail::check_hybrid_files(*files, ti)) return ec;
  } else {
    if (auto ec = detail::lay_out_v2_files(*files, ti)) return ec;
    if (const auto* priv = info.find_int("private")) ti.is_private = *priv == 1;
  }
  if (layers) {
    auto parsed = detail::parse_piece_layers(*layers, *files, ti.piece_length);
    if (!parsed) return parsed.error();
    ti.piece_layers = std::move(*parsed);
  }
  return {};
}

std::error_code parse_info(const bvalue& info, const bvalue* layers, torrent_info_builder& ti) {
  // BEP 52: the version is checked before anything else, so that a later version is named as
  // such rather than failing some other check.
  const bvalue* version = info.find("meta version");
  if (version && (!version->is_int() || version->as_int() != 2)) return metainfo_errc::unsupported_meta_version;
  if (auto ec = parse_name_and_piece_length(info, ti)) return ec;
  if (version) return parse_v2_info(info, layers, ti);
  return parse_v1_info(info, ti);
}

}  // namespace

namespace detail {

bdecode_limits metainfo_bdecode_limits() {
  bdecode_limits l;
  l.max_depth = 100;
  // The smallest file entry ("d6:lengthi0e4:pathl1:aee", 24 bytes) holds six values, so 10 MiB
  // of real metainfo stays under 3M values; the limit bounds memory for hostile input made of
  // 2-byte values ("le" repeated) while leaving room for every real torrent of that size.
  l.max_items = 4'000'000;
  return l;
}

}  // namespace detail

const std::error_category& metainfo_category() noexcept {
  static const metainfo_category_impl instance;
  return instance;
}

result<torrent_info> parse_torrent(std::string_view data) {
  if (data.size() > max_metainfo_bytes) return unexpected{std::make_error_code(std::errc::file_too_large)};
  const bdecode_limits limits = detail::metainfo_bdecode_limits();
  auto root = detail::bdecode(data, limits);
  if (!root) return unexpected{make_error_code(metainfo_errc::bencode)};
  if (!root->is_dict()) return unexpected{make_error_code(metainfo_errc::not_a_dictionary)};
  const bvalue* info = root->find("info");
  if (!info) return unexpected{make_error_code(metainfo_errc::missing_info)};
  if (!info->is_dict()) return unexpected{make_error_code(metainfo_errc::not_a_dictionary)};

  detail::torrent_info_builder ti;
  // The info-hash covers the info dictionary exactly as it appears in the file (key order and all),
  // never a re-encoding; the parsed `info` and these bytes are the same (first) occurrence.
  const std::string_view raw_info = detail::find_raw_value(data, "info", limits);
  if (raw_info.empty()) return unexpected{make_error_code(metainfo_errc::missing_info)};
  if (auto ec = parse_info(*info, root->find("piece layers"), ti)) return unexpected{ec};
  ti.info_bytes = std::string(raw_info);
  // v1: every torrent with `pieces`; v2: every torrent with `meta version` 2 (BEP 52).
  if (ti.meta_version == 1 || info->find("pieces")) ti.info_hash.v1 = sha1(raw_info);
  if (ti.meta_version == 2) ti.info_hash.v2 = sha256(raw_info);

  parse_trackers(*root, ti);
  parse_web_seeds(*root, ti);
  parse_dht_nodes(*root, ti);
  if (const auto* s = root->find_string("comment")) ti.comment = *s;
  if (const auto* s = root->find_string("created by")) ti.created_by = *s;
  if (const auto* d = root->find_int("creation date")) ti.creation_date = *d;
  return std::move(ti).build();
}

result<torrent_info> parse_torrent(std::span<const std::byte> data) {
  return parse_torrent(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

result<torrent_info> load_torrent_file(const std::string& path) {
  errno = 0;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return unexpected{std::error_code(errno ? errno : EIO, std::generic_category())};
  std::string data;
  char buf[64 * 1024];
  while (true) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, f.get());
    data.append(buf, n);
    if (data.size() > max_metainfo_bytes) return unexpected{std::make_error_code(std::errc::file_too_large)};
    if (n < sizeof buf) {
      // Reading a directory fails here with EISDIR on Linux.
      if (std::ferror(f.get())) return unexpected{std::error_code(errno ? errno : EIO, std::generic_category())};
      break;
    }
  }
  return parse_torrent(std::string_view(data));
}

result<torrent_info> parse_info_dictionary(std::string_view info_bytes) {
  std::string wrapped = "d4:info";
  wrapped += info_bytes;
  wrapped += 'e';
  return parse_torrent(std::string_view(wrapped));
}

std::string make_torrent_file(std::string_view info_bytes, const std::vector<std::vector<std::string>>& tiers,
                              const std::vector<std::string>& web_seeds) {
  detail::bdict top;
  if (!tiers.empty() && !tiers.front().empty()) {
    top["announce"] = tiers.front().front();
    detail::blist list;
    for (const auto& tier : tiers) {
      detail::blist urls(tier.begin(), tier.end());
      list.emplace_back(std::move(urls));
    }
    top["announce-list"] = std::move(list);
  }
  // bencode cannot splice raw bytes: encode without `info`, then insert it after "announce" and
  // "announce-list" and before "url-list" (keys in sorted order).
  std::string out = detail::bencode(detail::bvalue(std::move(top)));
  out.pop_back();  // the dictionary's 'e'
  out += "4:info";
  out += info_bytes;
  if (!web_seeds.empty()) {
    out += "8:url-list";
    out += detail::bencode(detail::bvalue(detail::blist(web_seeds.begin(), web_seeds.end())));
  }
  out += 'e';
  return out;
}

}  // namespace tessera
