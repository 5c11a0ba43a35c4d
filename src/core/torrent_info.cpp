// Small accessors of torrent_info, its builder and its edits; parsing lives in metainfo.cpp.
#include "tessera/torrent_info.hpp"

#include <stdexcept>

#include "core/torrent_info_builder.hpp"


namespace tessera {

int torrent_info::num_pieces() const {
  if (!lacks_v1_pieces() || piece_length_ <= 0) return static_cast<int>(piece_hashes_.size());
  // v2-only: the parser bounds this by max_v2_pieces.
  return static_cast<int>(total_size_ / piece_length_ + (total_size_ % piece_length_ != 0));
}

bool torrent_info::has_all_piece_layers() const {
  for (const auto& f : files_) {
    if (!f.pad && f.size > piece_length_ && !piece_layers_.count(f.pieces_root)) return false;
  }
  return true;
}

std::int32_t torrent_info::piece_size(piece_index p) const {
  if (p.value < 0 || p.value >= num_pieces()) return 0;
  if (p.value + 1 < num_pieces()) return static_cast<std::int32_t>(piece_length_);
  return static_cast<std::int32_t>(total_size_ - piece_length_ * (num_pieces() - 1));
}

torrent_info torrent_info::with_trackers(std::vector<std::vector<std::string>> tiers) const {
  torrent_info out = *this;
  out.trackers_ = std::move(tiers);
  return out;
}

}  // namespace tessera

namespace tessera::detail {

torrent_info_builder::torrent_info_builder(const torrent_info& ti)
    : info_hash(ti.info_hash_),
      meta_version(ti.meta_version_),
      piece_layers(ti.piece_layers_),
      name(ti.name_),
      piece_length(ti.piece_length_),
      piece_hashes(ti.piece_hashes_),
      files(ti.files_),
      total_size(ti.total_size_),
      multi_file(ti.multi_file_),
      trackers(ti.trackers_),
      web_seeds(ti.web_seeds_),
      is_private(ti.is_private_),
      dht_nodes(ti.dht_nodes_),
      comment(ti.comment_),
      created_by(ti.created_by_),
      creation_date(ti.creation_date_),
      info_bytes(ti.info_bytes_) {}

void torrent_info_builder::check() const {
  auto broken = [](const char* what) { throw std::logic_error(std::string("torrent_info_builder: ") + what); };
  if (meta_version != 1 && meta_version != 2) broken("meta_version is neither 1 nor 2");
  if (piece_length < 0) broken("negative piece_length");
  std::int64_t offset = 0;
  for (const auto& f : files) {
    if (f.size < 0) broken("negative file size");
    if (f.offset != offset) broken("file offsets are not contiguous");
    if (f.size > INT64_MAX - offset) broken("total size overflows");
    offset += f.size;
  }
  if (offset != total_size) broken("total_size is not the sum of the file sizes");
  if (!files.empty() && piece_length <= 0) broken("files without a piece_length");
  if (piece_length > 0) {
    const std::int64_t pieces = total_size / piece_length + (total_size % piece_length != 0);
    if (!piece_hashes.empty() || (meta_version == 1 && !files.empty())) {
      if (static_cast<std::uint64_t>(pieces) != piece_hashes.size())
        broken("the v1 piece count does not match total_size / piece_length");
    } else if (pieces > max_v2_pieces) {
      broken("more than max_v2_pieces pieces");
    }
  } else if (!piece_hashes.empty()) {
    broken("piece hashes without a piece_length");
  }
}

torrent_info torrent_info_builder::build() const& {
  return torrent_info_builder(*this).build();
}

torrent_info torrent_info_builder::build() && {
  check();
  torrent_info ti;
  ti.info_hash_ = info_hash;
  ti.meta_version_ = meta_version;
  ti.piece_layers_ = std::move(piece_layers);
  ti.name_ = std::move(name);
  ti.piece_length_ = piece_length;
  ti.piece_hashes_ = std::move(piece_hashes);
  ti.files_ = std::move(files);
  ti.total_size_ = total_size;
  ti.multi_file_ = multi_file;
  ti.trackers_ = std::move(trackers);
  ti.web_seeds_ = std::move(web_seeds);
  ti.is_private_ = is_private;
  ti.dht_nodes_ = std::move(dht_nodes);
  ti.comment_ = std::move(comment);
  ti.created_by_ = std::move(created_by);
  ti.creation_date_ = creation_date;
  ti.info_bytes_ = std::move(info_bytes);
  ti.tree_ = folder_tree(ti.files_);
  return ti;
}

}  // namespace tessera::detail

namespace tessera {

result<torrent_info> rename_torrent_path(const torrent_info& ti, std::string_view path, std::string_view new_name) {
  const auto invalid = unexpected{std::make_error_code(std::errc::invalid_argument)};
  if (new_name.empty() || new_name == "." || new_name == ".." || new_name.size() > max_path_component_bytes ||
      new_name.find_first_of(std::string_view("/\\\0", 3)) != std::string_view::npos) {
    return invalid;
  }
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) return invalid;
  const auto files = ti.files();
  const folder_tree& tree = ti.file_tree();
  // The real files at or beneath `path` come from the tree; padding files (not in it) that
  // share the prefix move along with them.
  auto under = [](std::string_view file, std::string_view dir) {
    return file == dir || (file.size() > dir.size() && file.compare(0, dir.size(), dir) == 0 && file[dir.size()] == '/');
  };
  const folder_tree::node_id from = tree.find(path);
  std::vector<file_index> moved;
  if (from != folder_tree::no_node) moved = tree.files_under(from);
  for (std::size_t i = 0; i < files.size(); ++i)
    if (files[i].pad && under(files[i].path, path)) moved.push_back(file_index{static_cast<std::int32_t>(i)});
  if (moved.empty()) return unexpected{std::make_error_code(std::errc::no_such_file_or_directory)};
  const auto slash = path.rfind('/');
  const std::string target =
      (slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash + 1))) + std::string(new_name);
  if (target == path) return ti;
  // The new path is a sibling of `path`: any node there is another file or folder.
  if (tree.find(target) != folder_tree::no_node) return unexpected{std::make_error_code(std::errc::file_exists)};
  for (const auto& f : files)
    if (f.pad && under(f.path, target)) return unexpected{std::make_error_code(std::errc::file_exists)};
  detail::torrent_info_builder b(ti);
  for (file_index i : moved) {
    std::string& p = b.files[static_cast<std::size_t>(i.value)].path;
    std::string renamed = target + p.substr(path.size());
    if (renamed.size() > max_path_bytes) return invalid;
    p = std::move(renamed);
  }
  if (path == ti.name()) b.name = std::string(new_name);
  return std::move(b).build();
}

}  // namespace tessera
