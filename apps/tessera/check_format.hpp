// What `tessera check` prints: the per-file table and summary, or the same as JSON. Pure.
#pragma once

#include <string>
#include <vector>

#include "tessera/check.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::cli {

/// The indexes of pieces first..last (inclusive) that are not set in `verified`, as ranges
/// ("5", "7-9"), comma-separated; after `max_ranges` ranges, ", ..." ends the list. Empty when
/// every one verified.
std::string failed_piece_ranges(const std::vector<bool>& verified, int first, int last,
                                int max_ranges = 8);

/// The human report: one line per non-padding file (state, percent verified, pieces
/// verified/total, size, path made printable; then what is wrong: bytes on disk of a short file,
/// the failed pieces of an incomplete one, the error of an unreadable one, "no piece layer" for
/// an unverifiable one), then the summary (pieces, bytes, unverifiable pieces if any, time, rate,
/// threads) and the verdict line. Every line ends in '\n'.
std::string check_report_text(const torrent_info& ti, const check_report& r);

/// The same as one JSON object (README, "tessera check"): name, info_hash, complete, pieces_verified,
/// pieces_total, pieces_unverifiable, bytes_verified, bytes_total, seconds, bytes_per_second,
/// threads, failed_pieces (every index hashed and not verified; unverifiable pieces are not
/// listed), files (index, path, size, on_disk, pieces_verified, pieces_total, bytes_verified,
/// state, error when unreadable or unverifiable). Ends in '\n'.
std::string check_report_json(const torrent_info& ti, const check_report& r);

}  // namespace tessera::cli
