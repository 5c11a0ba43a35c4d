// The disk worker pool: a mutex + condition-variable job queue served by std::threads.
#include "disk/disk_io.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "disk/file_ranges.hpp"
#include "disk/piece_check.hpp"
#include "tessera/hasher.hpp"

namespace tessera::detail {

namespace {

using op = storage_error::operation;
using clock = std::chrono::steady_clock;

/// Interval between two progress reports of a check.
constexpr auto check_progress_interval = std::chrono::milliseconds(100);
/// Bytes a check task hashes before it yields its worker to other queued jobs (a write or a read
/// waits for at most this much work).
constexpr std::int64_t check_slice_bytes = 8 * 1024 * 1024;

/// True when every byte of piece `p` can exist according to `sizes` (storage::on_disk_sizes);
/// always true when the sizes are unknown.
bool piece_may_exist(const torrent_info& ti, const std::vector<std::int64_t>& sizes, int p) {
  if (sizes.empty()) return true;
  bool ok = true;
  for_each_file_range(ti, p * ti.piece_length(), ti.piece_size(piece_index{p}), [&](file_range r) {
    ok = r.file < static_cast<int>(sizes.size()) && sizes[r.file] >= r.file_offset + r.length;
    return ok;
  });
  return ok;
}

/// One queued job: what to run and which storage it uses (null: none).
struct queued_job {
  const storage* key = nullptr;
  bool exclusive = false;
  std::function<void()> run;
};

/// Per storage with a job running or an exclusive job queued (see disk_io's ordering rules).
struct storage_jobs {
  int running = 0;               // jobs of the storage running now (an exclusive one included)
  int exclusive_queued = 0;      // exclusive jobs of the storage waiting in the queue
  bool exclusive_running = false;
};

/// The job queue and its threads.
struct worker_pool {
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<queued_job> jobs;          // guarded by mutex
  /// Storages with a job running or an exclusive job queued; guarded by mutex.
  std::unordered_map<const storage*, storage_jobs> busy;
  int exclusive_pending = 0;            // exclusive jobs queued or running; guarded by mutex
  bool stopping = false;  // guarded by mutex
  std::atomic<bool> abort_checks{false};
  std::vector<std::thread> workers;

  void push(const storage* key, std::function<void()> job, bool exclusive = false) {
    {
      std::lock_guard lock(mutex);
      jobs.push_back(queued_job{key, exclusive, std::move(job)});
      if (exclusive && key) {
        ++busy[key].exclusive_queued;
        ++exclusive_pending;
      }
    }
    wake.notify_one();
  }

  // The first job that may start now, or jobs.end(). Without exclusive jobs: the front.
  std::deque<queued_job>::iterator pick_locked() {
    if (exclusive_pending == 0 || jobs.empty()) return jobs.begin();
    std::vector<const storage*> fenced;  // storages with an exclusive job waiting ahead
    for (auto it = jobs.begin(); it != jobs.end(); ++it) {
      if (!it->key) return it;
      if (std::find(fenced.begin(), fenced.end(), it->key) != fenced.end()) continue;
      auto b = busy.find(it->key);
      const bool blocked = b != busy.end() && (b->second.exclusive_running ||
                                               (it->exclusive && b->second.running > 0));
      if (!blocked) return it;
      if (it->exclusive) fenced.push_back(it->key);  // later jobs of it wait behind it
    }
    return jobs.end();
  }

  void run() {
    for (;;) {
      queued_job job;
      {
        std::unique_lock lock(mutex);
        for (;;) {
          if (auto it = pick_locked(); it != jobs.end()) {
            job = std::move(*it);
            jobs.erase(it);
            break;
          }
          if (stopping && jobs.empty()) return;  // every queued job is done
          wake.wait(lock);
        }
        // Every job of a storage is counted, so that an exclusive one queued later waits for it.
        if (job.key) {
          auto& b = busy[job.key];
          ++b.running;
          if (job.exclusive) {
            --b.exclusive_queued;
            b.exclusive_running = true;
          }
        }
      }
      job.run();
      if (!job.key) continue;
      bool notify = false;
      {
        std::lock_guard lock(mutex);
        auto b = busy.find(job.key);
        --b->second.running;
        if (job.exclusive) {
          b->second.exclusive_running = false;
          --exclusive_pending;
        }
        notify = job.exclusive || (b->second.exclusive_queued > 0 && b->second.running == 0);
        if (b->second.running == 0 && b->second.exclusive_queued == 0) busy.erase(b);
      }
      if (notify) wake.notify_all();  // a waiting exclusive job, or the jobs behind one, may go
    }
  }
};

/// Shared state of one async_check: its workers claim pieces from `next`.
struct check_state {
  std::shared_ptr<storage> st;
  std::shared_ptr<const torrent_info> ti;
  boost::asio::any_io_executor ex;
  std::function<void(int)> progress;
  std::function<void(check_result)> done;
  std::vector<std::int64_t> sizes;  // storage::on_disk_sizes(), read once at the start
  std::function<bitfield()> trust;  // pieces to take without hashing (resume data); may be empty
  std::shared_ptr<const v2_piece_targets> v2;  // v2 targets; null for a v1 torrent
  // Runs after the last piece, with the pieces found (may be empty; see async_check).
  std::function<std::optional<storage_error>(const bitfield&)> finish;
  bitfield trusted;                 // its result, computed on a worker at the start
  std::vector<std::uint8_t> have;   // one byte per piece, each written by one task only
  std::atomic<int> next{0};         // next piece to claim
  std::atomic<int> checked{0};      // pieces finished (hashed or skipped)
  std::atomic<int> active_tasks{0};
  std::mutex report_mutex;  // orders progress posts; guards the two below
  clock::time_point last_report = clock::now();
  std::optional<storage_error> error;
};

void finish_check(check_state& s) {
  check_result res;
  res.have = bitfield(s.ti->num_pieces());
  for (int p = 0; p < s.ti->num_pieces(); ++p)
    if (s.have[p]) res.have.set(p);
  {
    std::lock_guard lock(s.report_mutex);
    res.error = s.error;
  }
  if (s.finish) {
    auto e = s.finish(res.have);
    if (e && !res.error) res.error = std::move(e);
  }
  boost::asio::post(
      s.ex, [done = std::move(s.done), r = std::move(res)]() mutable { done(std::move(r)); });
}

void maybe_report(check_state& s) {
  std::lock_guard lock(s.report_mutex);
  auto now = clock::now();
  if (now - s.last_report < check_progress_interval || !s.progress) return;
  s.last_report = now;
  boost::asio::post(s.ex, [f = s.progress, n = s.checked.load()] { f(n); });
}

// Checks pieces until the slice is used up (then re-queues itself) or none are left.
void run_check_task(worker_pool& io, std::shared_ptr<check_state> s,
                    std::shared_ptr<std::vector<std::uint8_t>> buf) {
  const torrent_info& ti = *s->ti;
  std::int64_t hashed = 0;
  for (;;) {
    if (io.abort_checks.load()) return;  // disk_io is shutting down: the check is dropped
    int p = s->next.fetch_add(1);
    if (p >= ti.num_pieces()) break;
    std::int32_t piece_size = ti.piece_size(piece_index{p});
    if (p < s->trusted.size() && s->trusted.get(p)) {  // the resume data vouches for it
      s->have[p] = 1;
      s->checked.fetch_add(1);
      continue;
    }
    // The size test only guards against an inconsistent torrent_info (the parser rules it out).
    if (piece_size > 0 && piece_size <= ti.piece_length() && piece_may_exist(ti, s->sizes, p)) {
      auto size = static_cast<std::size_t>(piece_size);
      auto got = s->st->read(p * ti.piece_length(), std::span(buf->data(), size));
      if (!got) {
        std::lock_guard lock(s->report_mutex);
        if (!s->error) s->error = got.error();
      } else if (*got == size &&
                 piece_matches(ti, piece_index{p}, std::span(buf->data(), size),
                               s->v2 ? s->v2->check(piece_index{p}) : std::nullopt)) {
        s->have[p] = 1;
      }
      hashed += static_cast<std::int64_t>(size);
    }
    s->checked.fetch_add(1);
    maybe_report(*s);
    if (hashed >= check_slice_bytes) {
      io.push(s->st.get(), [&io, s, buf] { run_check_task(io, s, buf); });
      return;
    }
  }
  if (s->active_tasks.fetch_sub(1) == 1) finish_check(*s);
}

}  // namespace

struct disk_io::impl {
  worker_pool pool;
};

disk_io::disk_io(int threads) : impl_(std::make_unique<impl>()) {
  threads = std::max(1, threads);
  worker_pool* pool = &impl_->pool;
  for (int i = 0; i < threads; ++i) pool->workers.emplace_back([pool] { pool->run(); });
}

disk_io::~disk_io() {
  worker_pool& pool = impl_->pool;
  pool.abort_checks.store(true);
  {
    std::lock_guard lock(pool.mutex);
    pool.stopping = true;
  }
  pool.wake.notify_all();
  for (auto& t : pool.workers) t.join();
}

void disk_io::async_hash_and_write(std::shared_ptr<storage> st,
                                   std::shared_ptr<const torrent_info> ti, piece_index piece,
                                   std::vector<std::uint8_t> data, boost::asio::any_io_executor ex,
                                   std::function<void(piece_write_result)> done,
                                   bool hash_blocks_on_pass, std::optional<v2_piece_check> v2) {
  const storage* key = st.get();
  impl_->pool.push(key, [st = std::move(st), ti = std::move(ti), piece, data = std::move(data),
                         ex = std::move(ex), done = std::move(done), hash_blocks_on_pass, v2]() mutable {
    piece_write_result res;
    res.piece = piece;
    bool valid = piece.value >= 0 && piece.value < ti->num_pieces() &&
                 data.size() == static_cast<std::size_t>(ti->piece_size(piece));
    res.hash_passed = valid && piece_matches(*ti, piece, data, v2);
    if (valid && (!res.hash_passed || hash_blocks_on_pass)) {
      res.block_hashes = block_hashes<sha1_hasher>(data);
      if (v2 && v2->file_bytes > 0 && static_cast<std::size_t>(v2->file_bytes) <= data.size()) {
        res.v2_block_hashes = block_hashes<sha256_hasher>(std::span(data).first(static_cast<std::size_t>(v2->file_bytes)));
      }
    }
    if (res.hash_passed) {
      auto w = st->write(piece.value * ti->piece_length(), data);
      if (!w) res.error = w.error();
    }
    res.buffer = std::move(data);  // back to the caller for reuse
    boost::asio::post(
        ex, [done = std::move(done), res = std::move(res)]() mutable { done(std::move(res)); });
  });
}

void disk_io::async_storage_job(std::shared_ptr<storage> st, storage_access access,
                                std::function<result<bool, storage_error>()> job,
                                boost::asio::any_io_executor ex,
                                std::function<void(result<bool, storage_error>)> done) {
  const storage* key = st.get();
  impl_->pool.push(
      key,
      [st = std::move(st), job = std::move(job), ex = std::move(ex), done = std::move(done)]() mutable {
        auto r = job();
        boost::asio::post(ex,
                          [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
      },
      access == storage_access::exclusive);
}

void disk_io::async_run(std::function<void()> job) { impl_->pool.push(nullptr, std::move(job)); }

void disk_io::async_read(
    std::shared_ptr<storage> st, std::shared_ptr<const torrent_info> ti, piece_index piece,
    std::int32_t begin, std::int32_t length, boost::asio::any_io_executor ex,
    std::function<void(result<std::vector<std::uint8_t>, storage_error>)> done) {
  const storage* key = st.get();
  impl_->pool.push(key, [st = std::move(st), ti = std::move(ti), piece, begin, length,
                         ex = std::move(ex), done = std::move(done)]() mutable {
    auto fail = [&](std::errc e) {
      boost::asio::post(ex, [done = std::move(done), e]() mutable {
        done(unexpected{storage_error{std::make_error_code(e), op::read, {}}});
      });
    };
    bool valid = piece.value >= 0 && piece.value < ti->num_pieces() && begin >= 0 && length > 0 &&
                 static_cast<std::int64_t>(begin) + length <= ti->piece_size(piece);
    if (!valid) return fail(std::errc::invalid_argument);
    std::vector<std::uint8_t> buf(static_cast<std::size_t>(length));
    auto got = st->read(piece.value * ti->piece_length() + begin, buf);
    if (!got) {
      boost::asio::post(ex, [done = std::move(done), e = got.error()]() mutable {
        done(unexpected{std::move(e)});
      });
      return;
    }
    if (*got != buf.size()) return fail(std::errc::no_message_available);  // ENODATA: not on disk
    boost::asio::post(
        ex, [done = std::move(done), b = std::move(buf)]() mutable { done(std::move(b)); });
  });
}

void disk_io::async_check(std::shared_ptr<storage> st, std::shared_ptr<const torrent_info> ti,
                          boost::asio::any_io_executor ex, std::function<void(int)> progress,
                          std::function<void(check_result)> done, std::function<bitfield()> trust,
                          std::function<std::optional<storage_error>(const bitfield&)> finish,
                          std::shared_ptr<const v2_piece_targets> v2) {
  auto s = std::make_shared<check_state>();
  s->v2 = std::move(v2);
  s->trust = std::move(trust);
  s->finish = std::move(finish);
  s->st = std::move(st);
  s->ti = std::move(ti);
  s->ex = std::move(ex);
  s->progress = std::move(progress);
  s->done = std::move(done);
  worker_pool* io = &impl_->pool;
  // First job: the file sizes (one stat per file), then one task per worker.
  const storage* key = s->st.get();
  io->push(key, [io, s] {
    if (io->abort_checks.load()) return;
    s->sizes = s->st->on_disk_sizes();
    if (s->trust) s->trusted = s->trust();
    s->have.assign(static_cast<std::size_t>(s->ti->num_pieces()), 0);
    int tasks = static_cast<int>(io->workers.size());
    s->active_tasks.store(tasks);
    for (int i = 0; i < tasks; ++i) {
      auto buf = std::make_shared<std::vector<std::uint8_t>>(
          static_cast<std::size_t>(std::max<std::int64_t>(s->ti->piece_length(), 0)));
      io->push(s->st.get(), [io, s, buf] { run_check_task(*io, s, buf); });
    }
  });
}

}  // namespace tessera::detail
