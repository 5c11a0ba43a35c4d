#include "torrent/file_priorities.hpp"

#include <algorithm>

namespace tessera::detail {

namespace {

constexpr std::uint8_t max_priority = 7;
constexpr std::uint8_t unset = 0xff;  // no non-padding file seen in the piece yet

}  // namespace

std::vector<file_priority> normalize_file_priorities(const torrent_info& ti,
                                                     std::span<const file_priority> given) {
  std::vector<file_priority> out(ti.files().size(), file_priority::normal);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (ti.files()[i].pad) {
      out[i] = file_priority::skip;
    } else if (i < given.size()) {
      out[i] = static_cast<file_priority>(std::min(static_cast<std::uint8_t>(given[i]), max_priority));
    }
  }
  return out;
}

std::vector<std::uint8_t> piece_priorities_from_files(const torrent_info& ti,
                                                      std::span<const file_priority> files,
                                                      bool first_last_first) {
  const int n = ti.num_pieces();
  std::vector<std::uint8_t> prio(static_cast<std::size_t>(n), unset);
  if (ti.piece_length() <= 0) return std::vector<std::uint8_t>(prio.size(), 4);
  for (std::size_t i = 0; i < ti.files().size() && i < files.size(); ++i) {
    const auto& f = ti.files()[i];
    if (f.pad || f.size <= 0) continue;
    const auto q = std::min(static_cast<std::uint8_t>(files[i]), max_priority);
    const int first = static_cast<int>(f.offset / ti.piece_length());
    const int last = std::min(n - 1, static_cast<int>((f.offset + f.size - 1) / ti.piece_length()));
    for (int p = first; p <= last; ++p) {
      auto& slot = prio[static_cast<std::size_t>(p)];
      slot = slot == unset ? q : std::max(slot, q);
    }
    if (first_last_first && q > 0 && first <= last) {
      prio[static_cast<std::size_t>(first)] = max_priority;
      prio[static_cast<std::size_t>(last)] = max_priority;
    }
  }
  for (auto& q : prio) {
    if (q == unset) q = static_cast<std::uint8_t>(file_priority::normal);
  }
  return prio;
}

std::vector<bool> skipped_files(std::span<const file_priority> files) {
  std::vector<bool> out(files.size());
  for (std::size_t i = 0; i < files.size(); ++i) out[i] = files[i] == file_priority::skip;
  return out;
}

}  // namespace tessera::detail
