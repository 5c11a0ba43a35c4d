#include "create/piece_hashing.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <new>
#include <optional>
#include <thread>

#include "core/merkle.hpp"
#include "disk/positional_io.hpp"
#include "disk/posix.hpp"
#include "tessera/hasher.hpp"

namespace tessera::detail {

namespace {

/// A piece-aligned range of the stream that one thread hashes from start to end.
struct work_item {
  std::int64_t begin = 0;
  std::int64_t end = 0;
};

std::vector<work_item> make_items(const torrent_layout& layout, bool v1) {
  const std::int64_t pl = layout.piece_length;
  const std::int64_t step = std::max<std::int64_t>(1, create_item_size / pl) * pl;
  std::vector<work_item> items;
  auto cut = [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t p = b; p < e; p += step) items.push_back({p, std::min(p + step, e)});
  };
  if (v1) {
    cut(0, layout.stream_size);  // padding and all: v1 pieces span files
  } else {
    for (const auto& e : layout.entries) {
      if (!e.pad && e.size > 0) cut(e.offset, e.offset + e.size);  // v2 pieces are per file
    }
  }
  return items;
}

/// What the threads share.
struct shared_state {
  shared_state(const hash_request& r, const torrent_layout& l) : req(r), layout(l), items(make_items(l, r.v1)) {}
  const hash_request& req;
  const torrent_layout& layout;
  std::vector<std::int64_t> entry_ends;  // offset + size, non-decreasing
  std::vector<work_item> items;
  hash_result out;
  std::atomic<std::size_t> next_item{0};
  std::atomic<std::int64_t> hashed{0};
  std::atomic<bool> abort{false};
  std::mutex mutex;
  std::condition_variable cv;
  int running = 0;                    // guarded by mutex
  std::optional<create_error> error;  // guarded by mutex; the first one wins

  void fail(create_error e) {
    std::lock_guard lock(mutex);
    if (!error) error = std::move(e);
    abort = true;
  }
};

/// One hashing thread: its buffer, its open file, its hashers.
class hash_worker {
 public:
  explicit hash_worker(shared_state& s) : s_(s), buffer_(static_cast<std::size_t>(create_read_size)) {}

  void run() {
    for (;;) {
      const std::size_t i = s_.next_item.fetch_add(1);
      if (i >= s_.items.size()) return;
      if (!hash_item(s_.items[i])) return;
    }
  }

 private:
  bool stopped() const { return s_.abort.load(std::memory_order_relaxed) || s_.req.stop.stop_requested(); }

  bool hash_item(const work_item& item) {
    for (std::int64_t pos = item.begin; pos < item.end;) {
      if (stopped()) return false;
      const std::int64_t n = std::min(create_read_size, item.end - pos);
      std::int64_t file_bytes = 0;
      if (!fill(pos, n, file_bytes)) return false;
      buffer_pos_ = pos;
      if (!s_.req.v2) {
        feed_v1(pos, n);
      } else {
        // Both hashes over each 64 KiB while it is in the CPU's cache, rather than the whole
        // buffer twice from memory. Slices start on 16 KiB boundaries of every v2 file.
        constexpr std::int64_t slice = 4 * block_size;
        for (std::int64_t off = 0; off < n; off += slice) {
          const std::int64_t len = std::min(slice, n - off);
          if (s_.req.v1) feed_v1(pos + off, len);
          feed_v2(pos + off, len);
        }
      }
      s_.hashed.fetch_add(file_bytes, std::memory_order_relaxed);
      pos += n;
    }
    return true;
  }

  std::size_t first_entry(std::int64_t pos) const {
    return static_cast<std::size_t>(std::upper_bound(s_.entry_ends.begin(), s_.entry_ends.end(), pos) -
                                    s_.entry_ends.begin());
  }

  int fd_for(int source, const std::string& path) {
    if (source == fd_source_ && fd_ >= 0) return fd_;
    if (fd_ >= 0) ::close(fd_);
    fd_source_ = source;
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd_ >= 0) ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
    return fd_;
  }

  /// Reads stream bytes [pos, pos + n) into the buffer: files read, padding and gaps zeros.
  bool fill(std::int64_t pos, std::int64_t n, std::int64_t& file_bytes) {
    const auto& entries = s_.layout.entries;
    std::uint8_t* buf = reinterpret_cast<std::uint8_t*>(buffer_.data());
    std::int64_t cur = pos;
    const std::int64_t end = pos + n;
    for (std::size_t idx = first_entry(pos); cur < end;) {
      if (idx >= entries.size() || entries[idx].offset > cur) {
        const std::int64_t gap_end = idx < entries.size() ? std::min(entries[idx].offset, end) : end;
        std::memset(buf + (cur - pos), 0, static_cast<std::size_t>(gap_end - cur));
        cur = gap_end;
        continue;
      }
      const auto& e = entries[idx];
      const std::int64_t seg_end = std::min(e.offset + e.size, end);
      if (seg_end <= cur) {  // an empty file
        ++idx;
        continue;
      }
      if (e.pad) {
        std::memset(buf + (cur - pos), 0, static_cast<std::size_t>(seg_end - cur));
      } else {
        const std::string& path = (*s_.req.disk_paths)[static_cast<std::size_t>(e.source)];
        const int fd = fd_for(e.source, path);
        if (fd < 0) {
          s_.fail(create_error{errno_code(errno), path});
          return false;
        }
        std::size_t got = 0;
        if (auto ec = pread_all(fd, buf + (cur - pos), seg_end - cur, cur - e.offset, got)) {
          s_.fail(create_error{ec, path});
          return false;
        }
        if (static_cast<std::int64_t>(got) != seg_end - cur) {
          s_.fail(create_error{create_errc::file_changed, path});
          return false;
        }
        file_bytes += seg_end - cur;
      }
      cur = seg_end;
      if (seg_end == e.offset + e.size) ++idx;
    }
    return true;
  }

  void feed_v1(std::int64_t pos, std::int64_t n) {
    const std::int64_t pl = s_.layout.piece_length;
    for (std::int64_t off = 0; off < n;) {
      const std::int64_t piece = (pos + off) / pl;
      const std::int64_t piece_end = std::min((piece + 1) * pl, s_.layout.stream_size);
      const std::int64_t take = std::min(n - off, piece_end - (pos + off));
      sha1_.update(buffer_.data() + (pos - buffer_pos_ + off), static_cast<std::size_t>(take));
      off += take;
      if (pos + off == piece_end) s_.out.pieces[static_cast<std::size_t>(piece)] = sha1_.final();
    }
  }

  void feed_v2(std::int64_t pos, std::int64_t n) {
    const auto& entries = s_.layout.entries;
    const std::int64_t pl = s_.layout.piece_length;
    const std::int64_t blocks_per_piece = pl / block_size;
    const std::int64_t end = pos + n;
    for (std::size_t idx = first_entry(pos); idx < entries.size() && entries[idx].offset < end; ++idx) {
      const auto& e = entries[idx];
      if (e.pad || e.size == 0) continue;
      auto& fh = s_.out.files[idx];
      const std::int64_t from = std::max(pos, e.offset) - e.offset;  // a multiple of 16 KiB
      const std::int64_t to = std::min(end, e.offset + e.size) - e.offset;
      for (std::int64_t b = from; b < to; b += block_size) {
        const std::int64_t len = std::min<std::int64_t>(block_size, e.size - b);
        sha256_.update(buffer_.data() + (e.offset + b - buffer_pos_), static_cast<std::size_t>(len));
        const sha256_hash h = sha256_.final();
        const std::int64_t block = b / block_size;
        if (!fh.piece_layer) {
          fh.hashes[static_cast<std::size_t>(block)] = h;
          continue;
        }
        piece_blocks_.push_back(h);
        if ((block + 1) % blocks_per_piece == 0 || b + len == e.size) {
          fh.hashes[static_cast<std::size_t>(block / blocks_per_piece)] = merkle::piece_root(piece_blocks_, pl);
          piece_blocks_.clear();
        }
      }
    }
  }

 public:
  ~hash_worker() {
    if (fd_ >= 0) ::close(fd_);
  }
  hash_worker(const hash_worker&) = delete;
  hash_worker& operator=(const hash_worker&) = delete;

 private:
  shared_state& s_;
  std::vector<std::byte> buffer_;
  std::int64_t buffer_pos_ = 0;  // the stream offset of buffer_[0]
  sha1_hasher sha1_;
  sha256_hasher sha256_;
  std::vector<sha256_hash> piece_blocks_;
  int fd_ = -1;
  int fd_source_ = -1;
};

}  // namespace

result<hash_result, create_error> hash_files(const hash_request& req) {
  const torrent_layout& layout = *req.layout;
  shared_state s(req, layout);
  s.entry_ends.reserve(layout.entries.size());
  for (const auto& e : layout.entries) s.entry_ends.push_back(e.offset + e.size);
  if (req.v1) s.out.pieces.resize(static_cast<std::size_t>(layout.stream_pieces()));
  if (req.v2) {
    s.out.files.resize(layout.entries.size());
    for (std::size_t i = 0; i < layout.entries.size(); ++i) {
      const auto& e = layout.entries[i];
      if (e.pad || e.size == 0) continue;
      auto& fh = s.out.files[i];
      fh.piece_layer = e.size > layout.piece_length;
      fh.hashes.resize(static_cast<std::size_t>(fh.piece_layer ? (e.size + layout.piece_length - 1) / layout.piece_length
                                                               : (e.size + block_size - 1) / block_size));
    }
  }
  const std::int64_t total = layout.total_file_bytes;
  const int threads = static_cast<int>(std::clamp<std::size_t>(static_cast<std::size_t>(std::max(1, req.threads)), 1,
                                                               std::max<std::size_t>(1, s.items.size())));
  std::vector<std::thread> pool;
  s.running = threads;
  for (int t = 0; t < threads; ++t) {
    try {
      pool.emplace_back([&s] {
        try {
          hash_worker w(s);
          w.run();
        } catch (const std::bad_alloc&) {
          s.fail(create_error{std::make_error_code(std::errc::not_enough_memory), {}});
        }
        std::lock_guard lock(s.mutex);
        --s.running;
        s.cv.notify_all();
      });
    } catch (const std::system_error& e) {  // no thread to be had: the started ones stop
      s.fail(create_error{e.code(), {}});
      std::lock_guard lock(s.mutex);
      s.running -= threads - t;
      break;
    }
  }
  // The calling thread reports progress and watches for cancellation while the pool hashes.
  bool cancelled = false;
  {
    constexpr auto period = std::chrono::milliseconds(100);
    auto next_report = std::chrono::steady_clock::now() + period;
    std::unique_lock lock(s.mutex);
    while (s.running > 0) {
      s.cv.wait_until(lock, next_report);
      if (s.running == 0) break;
      if (std::chrono::steady_clock::now() < next_report) continue;  // a thread ended: not yet time
      next_report += period;
      lock.unlock();
      const bool go_on = !req.progress || req.progress(s.hashed.load(), total);
      if (!go_on || req.stop.stop_requested()) {
        cancelled = true;
        s.abort = true;
      }
      lock.lock();
    }
  }
  for (auto& t : pool) t.join();
  if (cancelled || req.stop.stop_requested()) return unexpected{create_error{create_errc::cancelled, {}}};
  if (s.error) return unexpected{*s.error};
  if (req.progress && !req.progress(total, total)) return unexpected{create_error{create_errc::cancelled, {}}};
  return std::move(s.out);
}

sha256_hash file_root(const file_hashes& h, std::int64_t file_size, std::int64_t piece_length) {
  if (file_size == 0) return {};
  if (h.piece_layer) return merkle::piece_layer_root(h.hashes, piece_length);
  return merkle::hash_file(h.hashes, file_size, piece_length).pieces_root;
}

}  // namespace tessera::detail
