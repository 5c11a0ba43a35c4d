// BEP 52 v2 and hybrid torrents: the v1-style layout of a v2 file tree, and the agreement of a
// hybrid torrent's v1 list and v2 tree.
#include "core/metainfo_v2.hpp"

#include <limits>
#include <string>

namespace tessera::detail {

namespace {

bool single_file(std::span<const v2_file> files) {
  return files.size() == 1 && files.front().path.find('/') == std::string::npos;
}

}  // namespace

std::error_code lay_out_v2_files(std::span<const v2_file> files, torrent_info_builder& ti) {
  const std::int64_t piece = ti.piece_length;
  ti.multi_file = !single_file(files);
  // The last non-empty file gets no padding after it.
  std::size_t last_data = files.size();
  for (std::size_t i = 0; i < files.size(); ++i)
    if (files[i].length > 0) last_data = i;
  ti.files.clear();
  ti.files.reserve(files.size() * 2);
  std::int64_t offset = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const v2_file& f = files[i];
    file_entry fe;
    fe.path = ti.multi_file ? ti.name + '/' + f.path : f.path;
    if (fe.path.size() > max_path_bytes) return metainfo_errc::path_too_long;
    fe.size = f.length;
    fe.offset = offset;
    fe.pieces_root = f.pieces_root;
    fe.executable = f.attr.find('x') != std::string::npos;
    fe.hidden = f.attr.find('h') != std::string::npos;
    if (f.length > std::numeric_limits<std::int64_t>::max() - offset) return metainfo_errc::bad_length;
    offset += f.length;
    ti.files.push_back(std::move(fe));
    const std::int64_t gap = offset % piece == 0 ? 0 : piece - offset % piece;
    if (f.length > 0 && i < last_data && gap > 0) {
      if (gap > std::numeric_limits<std::int64_t>::max() - offset) return metainfo_errc::bad_length;
      file_entry pad;
      pad.path = ti.name + "/.pad/" + std::to_string(gap);
      pad.size = gap;
      pad.offset = offset;
      pad.pad = true;
      offset += gap;
      ti.files.push_back(std::move(pad));
    }
  }
  ti.total_size = offset;
  if (offset / piece + (offset % piece != 0) > max_v2_pieces) return metainfo_errc::too_many_pieces;
  // A tree file named ".pad" in the top folder could collide with a padding path; padding
  // files are never created, so the only harm would be confusion: refused all the same.
  if (ti.multi_file) {
    const std::string pad_dir = ti.name + "/.pad";
    for (const auto& fe : ti.files) {
      if (!fe.pad && (fe.path == pad_dir || fe.path.compare(0, pad_dir.size() + 1, pad_dir + '/') == 0))
        return metainfo_errc::duplicate_path;
    }
  }
  return {};
}

std::error_code check_hybrid_files(std::span<const v2_file> files, torrent_info_builder& ti) {
  // A tree of one top-level file goes with either v1 form: a single file named by `name`, or a
  // `files` list of that one file in the folder `name` (what libtorrent 2.0 and `tessera create`
  // make of a folder holding one file).
  const bool single = !ti.multi_file;
  if (single && !single_file(files)) return metainfo_errc::hybrid_mismatch;
  std::size_t next = 0;
  for (auto& fe : ti.files) {
    if (fe.pad) continue;
    if (next == files.size()) return metainfo_errc::hybrid_mismatch;
    const v2_file& f = files[next++];
    const std::string path = single ? f.path : ti.name + '/' + f.path;
    if (fe.path != path || fe.size != f.length) return metainfo_errc::hybrid_mismatch;
    if (fe.size > 0 && fe.offset % ti.piece_length != 0) return metainfo_errc::hybrid_mismatch;
    fe.pieces_root = f.pieces_root;
  }
  if (next != files.size()) return metainfo_errc::hybrid_mismatch;
  return {};
}

}  // namespace tessera::detail
