// Small accessors of torrent_info; parsing lives in metainfo.cpp.
#include "tessera/torrent_info.hpp"

namespace tessera {

int torrent_info::num_pieces() const {
  if (!lacks_v1_pieces() || piece_length <= 0) return static_cast<int>(piece_hashes.size());
  // v2-only: the parser bounds this by max_v2_pieces.
  return static_cast<int>(total_size / piece_length + (total_size % piece_length != 0));
}

bool torrent_info::has_all_piece_layers() const {
  for (const auto& f : files) {
    if (!f.pad && f.size > piece_length && !piece_layers.count(f.pieces_root)) return false;
  }
  return true;
}

std::int32_t torrent_info::piece_size(piece_index p) const {
  if (p.value < 0 || p.value >= num_pieces()) return 0;
  if (p.value + 1 < num_pieces()) return static_cast<std::int32_t>(piece_length);
  return static_cast<std::int32_t>(total_size - piece_length * (num_pieces() - 1));
}

}  // namespace tessera

namespace tessera {

result<bool> rename_torrent_path(torrent_info& ti, std::string_view path, std::string_view new_name) {
  const auto invalid = unexpected{std::make_error_code(std::errc::invalid_argument)};
  if (new_name.empty() || new_name == "." || new_name == ".." || new_name.size() > max_path_component_bytes ||
      new_name.find_first_of(std::string_view("/\\\0", 3)) != std::string_view::npos) {
    return invalid;
  }
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) return invalid;
  // Files at or beneath `path`, and the path that replaces `path` in theirs.
  auto under = [](std::string_view file, std::string_view dir) {
    return file == dir || (file.size() > dir.size() && file.compare(0, dir.size(), dir) == 0 && file[dir.size()] == '/');
  };
  const auto slash = path.rfind('/');
  const std::string target =
      (slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash + 1))) + std::string(new_name);
  std::vector<std::size_t> moved;
  for (std::size_t i = 0; i < ti.files.size(); ++i) {
    if (under(ti.files[i].path, path)) moved.push_back(i);
  }
  if (moved.empty()) return unexpected{std::make_error_code(std::errc::no_such_file_or_directory)};
  if (target == path) return true;
  for (std::size_t i = 0; i < ti.files.size(); ++i) {
    if (!under(ti.files[i].path, path) && under(ti.files[i].path, target)) {
      return unexpected{std::make_error_code(std::errc::file_exists)};
    }
  }
  std::vector<std::string> renamed;
  for (std::size_t i : moved) {
    renamed.push_back(target + ti.files[i].path.substr(path.size()));
    if (renamed.back().size() > max_path_bytes) return invalid;
  }
  for (std::size_t k = 0; k < moved.size(); ++k) ti.files[moved[k]].path = std::move(renamed[k]);
  if (path == ti.name) ti.name = std::string(new_name);
  return true;
}

}  // namespace tessera
