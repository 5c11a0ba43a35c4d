// tessera::create_torrent: scan, lay out, hash, write, parse back.
#include "tessera/create_torrent.hpp"

#include <array>
#include <chrono>
#include <thread>

#include "create/file_scan.hpp"
#include "create/metainfo_writer.hpp"
#include "create/piece_hashing.hpp"
#include "create/torrent_layout.hpp"

#ifndef TESSERA_VERSION
#define TESSERA_VERSION "0.1.0"
#endif

namespace tessera {

namespace {

class create_category_impl : public std::error_category {
 public:
  const char* name() const noexcept override { return "tessera.create"; }
  std::string message(int ev) const override {
    switch (static_cast<create_errc>(ev)) {
      case create_errc::no_files: return "no file to make a torrent of";
      case create_errc::no_data: return "every file is empty (a torrent needs at least one byte)";
      case create_errc::bad_piece_size:
        return "bad piece size (a multiple of 16 KiB from 16 KiB to 64 MiB; a power of two for v2 and hybrid)";
      case create_errc::file_changed: return "the file changed while it was hashed (it ended early)";
      case create_errc::too_large: return "too many files, pieces or folder levels";
      case create_errc::bad_name: return "the root has no name";
      case create_errc::cancelled: return "cancelled";
    }
    return "unknown torrent creation error";
  }
};

}  // namespace

const std::error_category& create_category() noexcept {
  static const create_category_impl cat;
  return cat;
}

std::string create_error::message() const {
  return path.empty() ? code.message() : path + ": " + code.message();
}

std::int64_t auto_piece_size(std::int64_t total_size) {
  // libtorrent 2.0's table: the largest total for each piece size from 16 KiB up, derived from a
  // hash list of about 2 * sqrt(total) bytes at 20 bytes a hash. Above the last: 16 MiB.
  static constexpr std::array<std::int64_t, 10> limits{
      2684355LL,     10737418LL,     42949673LL,     171798692LL,     687194767LL,
      2748779069LL,  10995116278LL,  43980465111LL,  175921860444LL,  703687441777LL};
  std::int64_t size = block_size;
  for (const auto limit : limits) {
    if (limit >= total_size) break;
    size *= 2;
  }
  return size;
}

result<created_torrent, create_error> create_torrent(const create_torrent_params& params) {
  using namespace detail;
  auto tree = scan_files(params.root, params.exclude);
  if (!tree) return unexpected{tree.error()};
  sort_files(tree->files, params.kind != torrent_kind::v1);

  std::int64_t total = 0;
  for (const auto& f : tree->files) total += f.size;
  auto piece_length = choose_piece_length(params.kind, params.piece_size, total);
  if (!piece_length) return unexpected{piece_length.error()};
  auto layout = make_layout(tree->files, params.kind, *piece_length);
  if (!layout) return unexpected{layout.error()};

  std::vector<std::string> disk_paths;
  disk_paths.reserve(tree->files.size());
  for (const auto& f : tree->files) disk_paths.push_back(f.disk_path);
  hash_request req;
  req.layout = &*layout;
  req.disk_paths = &disk_paths;
  req.v1 = params.kind != torrent_kind::v2;
  req.v2 = params.kind != torrent_kind::v1;
  req.threads = params.threads > 0 ? params.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  req.progress = params.progress;
  req.stop = params.stop;
  auto hashes = hash_files(req);
  if (!hashes) return unexpected{hashes.error()};

  const std::string creator = params.creator ? *params.creator : std::string("tessera " TESSERA_VERSION);
  const std::int64_t date =
      params.creation_date ? *params.creation_date
                           : std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch()).count();
  auto written = write_metainfo(params, tree->name, tree->single_file, *layout, *hashes, creator, date);

  created_torrent out;
  out.info_hashes = written.info_hashes;
  out.name = tree->name;
  out.piece_length = *piece_length;
  if (req.v1) {
    out.num_pieces = layout->stream_pieces();
  } else {
    for (const auto& e : layout->entries) out.num_pieces += (e.size + *piece_length - 1) / *piece_length;
  }
  out.num_files = static_cast<std::int64_t>(tree->files.size());
  out.total_size = total;
  out.skipped = std::move(tree->skipped);
  if (auto ti = parse_torrent(written.bytes)) out.info = std::move(*ti);
  out.torrent = std::move(written.bytes);
  return out;
}

}  // namespace tessera
