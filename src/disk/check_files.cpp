// check_files (tessera/check.hpp): the data check behind `tessera check`.
//
// The torrent's byte stream is cut into runs of consecutive whole pieces of 1 MiB to read_bytes
// (one piece when pieces are larger; shorter runs only for a small torrent, so that every thread
// has work). A pool of threads takes runs in order from
// one counter and reads each run front to back in reads of read_bytes through the files-on-disk
// storage (the same backend a download uses: paths resolved beneath the directory, no symlink
// followed, padding read as zeros, nothing created), hashing every piece as its bytes arrive. A
// short read (a missing or short file) fails the piece it stops in, and the run goes on at the
// next piece; a read error does the same and names the file.
//
// v2 and hybrid torrents (BEP 52) are read the same way: their files start at piece boundaries,
// so each piece of the stream is also one piece of one file (core/v2_hash_store), hashed with
// SHA-256 over that file's bytes as they arrive, beside the SHA-1 of the whole piece in a
// hybrid. A v2-only piece whose file's piece layer the torrent lacks is unverifiable: skipped
// without reading it.
#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/piece_verify.hpp"
#include "core/v2_hash_store.hpp"
#include "disk/posix.hpp"
#include "disk/storage.hpp"
#include "disk/symlink_file.hpp"
#include "tessera/check.hpp"
#include "tessera/storage.hpp"

namespace tessera {

const char* to_string(file_check_state s) {
  switch (s) {
    case file_check_state::complete: return "complete";
    case file_check_state::incomplete: return "incomplete";
    case file_check_state::short_file: return "short";
    case file_check_state::missing: return "missing";
    case file_check_state::unreadable: return "unreadable";
    case file_check_state::padding: return "padding";
    case file_check_state::unverifiable: return "unverifiable";
  }
  return "unknown";
}

namespace {

struct piece_run {
  int first;
  int end;  // one past the last piece
};

// Runs of whole pieces of about `run_bytes` (one piece when pieces are larger).
std::vector<piece_run> plan_runs(const torrent_info& ti, std::int64_t run_bytes) {
  std::vector<piece_run> runs;
  const int n = ti.num_pieces();
  const std::int64_t pl = std::max<std::int64_t>(1, ti.piece_length());
  const std::int64_t per_run = std::max<std::int64_t>(1, (run_bytes + pl - 1) / pl);
  for (std::int64_t p = 0; p < n; p += per_run)
    runs.push_back({static_cast<int>(p), static_cast<int>(std::min<std::int64_t>(n, p + per_run))});
  return runs;
}

// Bytes per run: read_bytes, less for a small torrent so that every thread gets a few runs, but
// never under 1 MiB (reads stay large and sequential).
std::int64_t run_bytes_for(std::int64_t total, int threads, std::int64_t read_bytes) {
  constexpr std::int64_t min_run = 1024 * 1024;
  const std::int64_t share = total / (std::int64_t{threads} * 4);
  return std::max(std::min(read_bytes, min_run), std::min(read_bytes, share));
}

// What a run found for one piece.
enum piece_result : std::uint8_t {
  piece_failed = 0,
  piece_verified = 1,
  piece_unverifiable = 2,  // no hash to check it against: never read
};

// What the threads share.
struct check_state {
  const torrent_info& ti;
  storage& st;
  const check_options& opts;
  std::filesystem::path dir;
  std::vector<piece_run> runs;
  bool v1;                             // compare the SHA-1 piece hashes
  const detail::v2_piece_targets* v2;  // compare the SHA-256 ones; null: not
  std::atomic<std::size_t> next_run{0};
  std::vector<std::uint8_t> pieces;    // piece_result; written by the one thread owning its run
  std::mutex mutex;                    // guards everything below
  check_progress progress;
  std::map<int, std::string> file_errors;  // first read error per file
};

// The file a storage_error names (by its full path), or -1.
int file_of_error(const check_state& s, const storage_error& e) {
  for (std::size_t i = 0; i < s.ti.files().size(); ++i)
    if ((s.dir / s.ti.files()[i].path).string() == e.path) return static_cast<int>(i);
  return -1;
}

// The hashes of the piece being read. A v1 piece is the SHA-1 of all its bytes (padding
// included); a v2 piece the SHA-256 merkle root of its file's bytes only (BEP 52). A hybrid's
// piece verifies only when both match.
class piece_hashing {
 public:
  explicit piece_hashing(const check_state& s) : s_(s), v1_(s.v1), v2_hasher_(s.ti.piece_length()) {}

  // Feeds `bytes`, the stream's bytes from `at` on, all inside piece `p`.
  void update(int p, std::int64_t at, std::span<const std::uint8_t> bytes) {
    if (p != piece_) start(p);
    if (v1_) v1_hasher_.update(bytes);
    if (v2_piece_) {
      // The file's bytes are the piece's first file_bytes; the rest is padding.
      const std::int64_t file_end = start_ + v2_piece_->file_bytes;
      if (at < file_end) v2_hasher_.update(bytes.first(static_cast<std::size_t>(std::min<std::int64_t>(
                             file_end - at, static_cast<std::int64_t>(bytes.size())))));
    }
  }
  // Piece `p`'s bytes are all fed: whether it verifies. Resets.
  bool finish(int p) {
    if (p != piece_) start(p);
    const bool v1_ok = !v1_ || v1_hasher_.finish(s_.ti.piece_hashes()[static_cast<std::size_t>(p)]);
    const bool v2_ok = !v2_piece_ || v2_hasher_.finish(v2_piece_->target);
    piece_ = -1;
    return v1_ok && v2_ok;
  }
  // Forgets what was fed (a short read).
  void reset() {
    (void)v1_hasher_.finish(sha1_hash{});
    (void)v2_hasher_.finish(detail::v2_piece_target{});
    piece_ = -1;
  }

 private:
  void start(int p) {
    piece_ = p;
    start_ = std::int64_t{p} * s_.ti.piece_length();
    v2_piece_ = s_.v2 ? s_.v2->check(piece_index{p}) : std::nullopt;
  }

  const check_state& s_;
  bool v1_;
  detail::v1_piece_hasher v1_hasher_;
  detail::v2_piece_hasher v2_hasher_;
  int piece_ = -1;           // the piece being fed, -1 before its first byte
  std::int64_t start_ = 0;   // its first byte in the stream
  std::optional<detail::v2_piece_check> v2_piece_;  // its v2 target; none: SHA-1 alone
};

void check_run(check_state& s, const piece_run& run, std::vector<std::uint8_t>& buf) {
  const torrent_info& ti = s.ti;
  const std::int64_t pl = ti.piece_length();
  piece_hashing hashing(s);
  const std::int64_t begin = std::int64_t{run.first} * pl;
  const std::int64_t end = std::min(ti.total_size(), std::int64_t{run.end} * pl);
  auto unverifiable = [&](std::int64_t p) { return s.pieces[static_cast<std::size_t>(p)] == piece_unverifiable; };
  std::int64_t pos = begin;
  while (pos < end) {
    if (s.opts.stop.stop_requested()) return;
    if (pos % pl == 0 && unverifiable(pos / pl)) {  // nothing to check it against: not read
      pos = std::min(end, pos + pl);
      continue;
    }
    // One read, up to the buffer's size, stopping where a piece not to be read starts.
    std::int64_t read_end = std::min(end, pos + static_cast<std::int64_t>(buf.size()));
    for (std::int64_t q = pos / pl + 1; q * pl < read_end; ++q)
      if (unverifiable(q)) read_end = q * pl;
    const auto want = static_cast<std::size_t>(read_end - pos);
    auto got = s.st.read(pos, std::span(buf.data(), want));
    std::size_t n = got ? *got : 0;
    if (!got) {
      std::lock_guard lock(s.mutex);
      const int f = file_of_error(s, got.error());
      if (f >= 0) s.file_errors.emplace(f, got.error().message());
    }
    // Hash what arrived, piece by piece.
    std::int64_t at = pos;
    const std::int64_t stop_at = pos + static_cast<std::int64_t>(n);
    while (at < stop_at) {
      const int p = static_cast<int>(at / pl);
      const std::int64_t p_end = std::min(ti.total_size(), std::int64_t{p + 1} * pl);
      const std::int64_t take = std::min(p_end, stop_at) - at;
      hashing.update(p, at, std::span(buf.data() + (at - pos), static_cast<std::size_t>(take)));
      at += take;
      if (at == p_end) s.pieces[static_cast<std::size_t>(p)] = hashing.finish(p) ? piece_verified : piece_failed;
    }
    if (n == want) {
      pos = stop_at;
      continue;
    }
    // A short read or an error: the piece it stopped in fails; go on with the next one.
    const int failed = static_cast<int>(stop_at / pl);
    hashing.reset();
    s.pieces[static_cast<std::size_t>(failed)] = piece_failed;
    pos = std::min(ti.total_size(), std::int64_t{failed + 1} * pl);
  }
}

void worker(check_state& s) {
  std::vector<std::uint8_t> buf(static_cast<std::size_t>(std::max<std::int64_t>(block_size, s.opts.read_bytes)));
  for (;;) {
    if (s.opts.stop.stop_requested()) return;
    const std::size_t i = s.next_run.fetch_add(1, std::memory_order_relaxed);
    if (i >= s.runs.size()) return;
    const piece_run& run = s.runs[i];
    check_run(s, run, buf);
    if (s.opts.stop.stop_requested()) return;
    std::lock_guard lock(s.mutex);
    s.progress.pieces_done += run.end - run.first;
    s.progress.bytes_done += std::min(s.ti.total_size(), std::int64_t{run.end} * s.ti.piece_length()) -
                             std::int64_t{run.first} * s.ti.piece_length();
    if (s.opts.progress) s.opts.progress(s.progress);
  }
}

// Per-file counts from the verified pieces and what is on disk.
void fill_files(check_state& s, storage& st, check_report& r) {
  const torrent_info& ti = s.ti;
  const std::vector<std::int64_t> on_disk = st.on_disk_sizes();
  detail::fd_guard root(::open(s.dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  for (std::size_t i = 0; i < ti.files().size(); ++i) {
    const file_entry& fe = ti.files()[i];
    file_check fc;
    fc.path = fe.path;
    fc.size = fe.size;
    fc.on_disk = i < on_disk.size() ? on_disk[i] : -1;
    int unverifiable = 0;
    if (fe.size > 0) {
      const auto first = static_cast<int>(fe.offset / ti.piece_length());
      const auto last = static_cast<int>((fe.offset + fe.size - 1) / ti.piece_length());
      fc.pieces_total = last - first + 1;
      for (int p = first; p <= last; ++p) {
        if (r.unverifiable[static_cast<std::size_t>(p)]) ++unverifiable;
        if (!r.verified[static_cast<std::size_t>(p)]) continue;
        ++fc.pieces_verified;
        const std::int64_t lo = std::max(fe.offset, std::int64_t{p} * ti.piece_length());
        const std::int64_t hi = std::min(fe.offset + fe.size, std::int64_t{p + 1} * ti.piece_length());
        fc.bytes_verified += hi - lo;
      }
    }
    if (fe.pad) {
      fc.state = file_check_state::padding;
      fc.on_disk = fe.size;
    } else if (fe.symlink) {
      // BEP 47: a link with the text a download would give it, no data.
      auto text = detail::symlink_text_of(ti, static_cast<int>(i));
      const bool there = text && root.fd >= 0 && detail::symlink_in_place(root.fd, fe.path, *text);
      fc.state = there ? file_check_state::complete : file_check_state::missing;
      fc.on_disk = there ? 0 : -1;
    } else if (auto it = s.file_errors.find(static_cast<int>(i)); it != s.file_errors.end()) {
      fc.state = file_check_state::unreadable;
      fc.error = it->second;
    } else if (fc.on_disk < 0) {
      fc.state = file_check_state::missing;
    } else if (fc.on_disk < fe.size) {
      fc.state = file_check_state::short_file;
    } else if (unverifiable > 0) {
      fc.state = file_check_state::unverifiable;
      fc.error = "the torrent has no piece layer for this file (BEP 52 `piece layers`): " +
                 std::to_string(unverifiable) + " of its pieces cannot be verified";
    } else {
      fc.state = fc.pieces_verified == fc.pieces_total ? file_check_state::complete
                                                       : file_check_state::incomplete;
    }
    r.files.push_back(std::move(fc));
  }
}

}  // namespace

result<check_report> check_files(const torrent_info& ti, const std::filesystem::path& dir,
                                 const check_options& opts) {
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  const auto status = std::filesystem::status(dir, ec);
  if (!std::filesystem::exists(status)) return unexpected{std::make_error_code(std::errc::no_such_file_or_directory)};
  if (!std::filesystem::is_directory(status)) return unexpected{std::make_error_code(std::errc::not_a_directory)};
  const bool has_v1 = !ti.piece_hashes().empty();
  const bool has_v2 = ti.meta_version() == 2;
  if ((opts.hashes == check_hashes::v1_only && !has_v1) || (opts.hashes == check_hashes::v2_only && !has_v2))
    return unexpected{std::make_error_code(std::errc::invalid_argument)};
  const bool use_v1 = has_v1 && opts.hashes != check_hashes::v2_only;
  const bool use_v2 = has_v2 && opts.hashes != check_hashes::v1_only;

  // Not owned: the storage lives only for this call, while `ti` is valid.
  std::shared_ptr<const torrent_info> alias(std::shared_ptr<void>{}, &ti);
  const std::size_t max_open = 64;
  auto st = make_file_storage(alias, dir, max_open);

  int threads = opts.threads > 0 ? opts.threads : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(1, threads);
  const std::int64_t read_bytes = std::max<std::int64_t>(block_size, opts.read_bytes);
  // v2 and hybrid torrents: each piece is also a piece of one file, checked by SHA-256 (BEP 52).
  std::shared_ptr<const detail::v2_piece_targets> v2;
  if (use_v2) v2 = detail::v2_hash_store(ti).snapshot();
  check_state s{ti, *st, opts, dir, plan_runs(ti, run_bytes_for(ti.total_size(), threads, read_bytes)),
                use_v1, v2.get(), {},
                std::vector<std::uint8_t>(static_cast<std::size_t>(ti.num_pieces()), piece_failed), {}, {}, {}};
  // A piece checked by SHA-256 alone with nothing to check it against (its file's piece layer is
  // not in the torrent) is unverifiable, and not read. With SHA-1 too, the SHA-1 decides.
  if (v2 && !use_v1)
    for (int p = 0; p < ti.num_pieces(); ++p)
      if (!v2->check(piece_index{p})) s.pieces[static_cast<std::size_t>(p)] = piece_unverifiable;
  s.progress.pieces_total = ti.num_pieces();
  s.progress.bytes_total = ti.total_size();

  threads = std::min(threads, std::max(1, static_cast<int>(s.runs.size())));
  {
    std::vector<std::jthread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back([&s] { worker(s); });
    worker(s);
  }
  st->close_all();
  if (opts.stop.stop_requested()) return unexpected{std::make_error_code(std::errc::operation_canceled)};

  check_report r;
  r.threads = threads;
  r.pieces_total = ti.num_pieces();
  r.bytes_total = ti.total_size();
  r.verified.resize(s.pieces.size());
  r.unverifiable.resize(s.pieces.size());
  for (int p = 0; p < r.pieces_total; ++p) {
    const auto i = static_cast<std::size_t>(p);
    r.verified[i] = s.pieces[i] == piece_verified;
    r.unverifiable[i] = s.pieces[i] == piece_unverifiable;
    r.pieces_unverifiable += r.unverifiable[i];
    if (!r.verified[i]) continue;
    ++r.pieces_verified;
    r.bytes_verified += ti.piece_size(piece_index{p});
  }
  fill_files(s, *st, r);
  r.elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start);
  return r;
}

}  // namespace tessera
