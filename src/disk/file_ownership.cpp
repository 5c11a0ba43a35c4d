#include "disk/file_ownership.hpp"

#include "disk/file_ranges.hpp"
#include "disk/part_file_storage.hpp"

namespace tessera::detail {

namespace {

// Calls fn(file index) for each non-padding file holding bytes of piece p.
template <class Fn>
void for_each_file_of_piece(const torrent_info& ti, int p, Fn&& fn) {
  for_each_file_range(ti, std::int64_t{p} * ti.piece_length(), ti.piece_size(piece_index{p}),
                      [&](file_range r) {
                        if (!ti.files()[static_cast<std::size_t>(r.file)].pad) fn(r.file);
                        return true;
                      });
}

}  // namespace

std::vector<bool> files_of_pieces(const torrent_info& ti, const bitfield& pieces) {
  std::vector<bool> out(ti.files().size(), false);
  const int n = std::min(pieces.size(), ti.num_pieces());
  for (int p = 0; p < n; ++p) {
    if (pieces.get(p)) for_each_file_of_piece(ti, p, [&](int f) { out[static_cast<std::size_t>(f)] = true; });
  }
  return out;
}

std::vector<bool> files_to_write(const torrent_info& ti, const bitfield& have,
                                 const std::vector<bool>& file_wanted) {
  std::vector<bool> out(ti.files().size(), false);
  for (int p = 0; p < ti.num_pieces(); ++p) {
    if (p < have.size() && have.get(p)) continue;
    for_each_file_of_piece(ti, p, [&](int f) {
      const auto i = static_cast<std::size_t>(f);
      if (i >= file_wanted.size() || file_wanted[i]) out[i] = true;
    });
  }
  return out;
}

std::optional<storage_error> claim_checked_files(storage& st, const torrent_info& ti,
                                                 const bitfield& have,
                                                 const std::vector<bool>& file_wanted) {
  file_ownership* own = ownership_of(st);
  if (!own) return std::nullopt;
  // A piece held in the part file was read from there: it says nothing about the files.
  bitfield read_from_files = have;
  if (auto* parts = dynamic_cast<part_file_storage*>(&st)) {
    for (int p : parts->held_pieces())
      if (p < read_from_files.size()) read_from_files.clear(p);
  }
  own->adopt_files(files_of_pieces(ti, read_from_files));
  auto writable = own->check_writable(files_to_write(ti, have, file_wanted));
  if (!writable) return writable.error();
  if (have.size() == ti.num_pieces() && have.all()) return own->create_links();
  return std::nullopt;
}

}  // namespace tessera::detail
