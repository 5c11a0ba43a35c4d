// The BEP 52 half of .torrent parsing (metainfo.cpp calls it): a v2 file tree laid out as the
// engine's v1-style file list, and the check that a hybrid torrent's two halves agree. Pure.
#pragma once

#include <span>
#include <string_view>
#include <system_error>

#include "core/file_tree.hpp"
#include "core/torrent_info_builder.hpp"

namespace tessera::detail {

/// Fills ti.files(), ti.multi_file() and ti.total_size() of a v2-only torrent from its tree's files
/// (ti.name() and ti.piece_length() set): a single file at the top of the tree is a single-file
/// torrent (path: its tree key); otherwise every path is "<name>/<tree path>" and a padding file
/// follows each non-empty file whose end is not on a piece boundary when another non-empty file
/// comes after it (torrent_info's comment). Errors: path_too_long (name + path over
/// max_path_bytes), duplicate_path (against a padding path), bad_length (the aligned total
/// overflows), too_many_pieces (above max_v2_pieces).
std::error_code lay_out_v2_files(std::span<const v2_file> files, torrent_info_builder& ti);

/// Checks a hybrid torrent (ti.files() from its v1 list, ti.piece_length() set) against its v2
/// tree's files: the v1 files that are not padding must be the v2 files, in order, with the same
/// paths ("<name>/<tree path>" for a multi-file torrent, the tree key for a single file) and
/// lengths, and every non-empty one must start at a multiple of the piece length (BEP 52
/// "Upgrade Path"). On success sets each v1 file's pieces_root. Error: hybrid_mismatch.
std::error_code check_hybrid_files(std::span<const v2_file> files, torrent_info_builder& ti);

}  // namespace tessera::detail
