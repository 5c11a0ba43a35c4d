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
#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "core/piece_verify.hpp"
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
  const std::int64_t pl = std::max<std::int64_t>(1, ti.piece_length);
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

// What the threads share.
struct check_state {
  const torrent_info& ti;
  storage& st;
  const check_options& opts;
  std::filesystem::path dir;
  std::vector<piece_run> runs;
  std::atomic<std::size_t> next_run{0};
  std::vector<std::uint8_t> verified;  // per piece, written by the one thread owning its run
  std::mutex mutex;                    // guards everything below
  check_progress progress;
  std::map<int, std::string> file_errors;  // first read error per file
};

// The file a storage_error names (by its full path), or -1.
int file_of_error(const check_state& s, const storage_error& e) {
  for (std::size_t i = 0; i < s.ti.files.size(); ++i)
    if ((s.dir / s.ti.files[i].path).string() == e.path) return static_cast<int>(i);
  return -1;
}

void check_run(check_state& s, const piece_run& run, std::vector<std::uint8_t>& buf) {
  const torrent_info& ti = s.ti;
  detail::v1_piece_hasher hasher;
  const std::int64_t begin = std::int64_t{run.first} * ti.piece_length;
  const std::int64_t end = std::min(ti.total_size, std::int64_t{run.end} * ti.piece_length);
  std::int64_t pos = begin;
  while (pos < end) {
    if (s.opts.stop.stop_requested()) return;
    const auto want = static_cast<std::size_t>(std::min<std::int64_t>(end - pos, static_cast<std::int64_t>(buf.size())));
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
      const int p = static_cast<int>(at / ti.piece_length);
      const std::int64_t p_end = std::min(ti.total_size, std::int64_t{p + 1} * ti.piece_length);
      const std::int64_t take = std::min(p_end, stop_at) - at;
      hasher.update(std::span(buf.data() + (at - pos), static_cast<std::size_t>(take)));
      at += take;
      if (at == p_end) s.verified[static_cast<std::size_t>(p)] = hasher.finish(ti.piece_hashes[static_cast<std::size_t>(p)]);
    }
    if (n == want) {
      pos = stop_at;
      continue;
    }
    // A short read or an error: the piece it stopped in fails; go on with the next one.
    const int failed = static_cast<int>(stop_at / ti.piece_length);
    (void)hasher.finish(sha1_hash{});  // reset
    s.verified[static_cast<std::size_t>(failed)] = 0;
    pos = std::min(ti.total_size, std::int64_t{failed + 1} * ti.piece_length);
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
    s.progress.bytes_done += std::min(s.ti.total_size, std::int64_t{run.end} * s.ti.piece_length) -
                             std::int64_t{run.first} * s.ti.piece_length;
    if (s.opts.progress) s.opts.progress(s.progress);
  }
}

// Per-file counts from the verified pieces and what is on disk.
void fill_files(check_state& s, storage& st, check_report& r) {
  const torrent_info& ti = s.ti;
  const std::vector<std::int64_t> on_disk = st.on_disk_sizes();
  detail::fd_guard root(::open(s.dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  for (std::size_t i = 0; i < ti.files.size(); ++i) {
    const file_entry& fe = ti.files[i];
    file_check fc;
    fc.path = fe.path;
    fc.size = fe.size;
    fc.on_disk = i < on_disk.size() ? on_disk[i] : -1;
    if (fe.size > 0) {
      const auto first = static_cast<int>(fe.offset / ti.piece_length);
      const auto last = static_cast<int>((fe.offset + fe.size - 1) / ti.piece_length);
      fc.pieces_total = last - first + 1;
      for (int p = first; p <= last; ++p) {
        if (!r.verified[static_cast<std::size_t>(p)]) continue;
        ++fc.pieces_verified;
        const std::int64_t lo = std::max(fe.offset, std::int64_t{p} * ti.piece_length);
        const std::int64_t hi = std::min(fe.offset + fe.size, std::int64_t{p + 1} * ti.piece_length);
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

  // Not owned: the storage lives only for this call, while `ti` is valid.
  std::shared_ptr<const torrent_info> alias(std::shared_ptr<void>{}, &ti);
  const std::size_t max_open = 64;
  auto st = make_file_storage(alias, dir, max_open);

  int threads = opts.threads > 0 ? opts.threads : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(1, threads);
  const std::int64_t read_bytes = std::max<std::int64_t>(block_size, opts.read_bytes);
  check_state s{ti, *st, opts, dir, plan_runs(ti, run_bytes_for(ti.total_size, threads, read_bytes)), {},
                std::vector<std::uint8_t>(static_cast<std::size_t>(ti.num_pieces()), 0), {}, {}, {}};
  s.progress.pieces_total = ti.num_pieces();
  s.progress.bytes_total = ti.total_size;

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
  r.bytes_total = ti.total_size;
  r.verified.assign(s.verified.begin(), s.verified.end());
  for (int p = 0; p < r.pieces_total; ++p) {
    if (!r.verified[static_cast<std::size_t>(p)]) continue;
    ++r.pieces_verified;
    r.bytes_verified += ti.piece_size(piece_index{p});
  }
  fill_files(s, *st, r);
  r.elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start);
  return r;
}

}  // namespace tessera
