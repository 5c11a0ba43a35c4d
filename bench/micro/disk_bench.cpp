// Disk pool throughput: hash-and-write of 1 MiB pieces into a temporary file, and the start-up
// check (read + SHA-1 of every piece) of a file already in the page cache. Files live under /tmp
// and are removed afterwards. Run e.g. `bench_micro --benchmark_filter=Disk`.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <mutex>
#include <random>
#include <stdexcept>
#include <vector>

#include "core/torrent_info_builder.hpp"
#include "disk/disk_io.hpp"
#include "disk/storage.hpp"
#include "tessera/hasher.hpp"

namespace {

using namespace tessera;
using namespace tessera::detail;
namespace fs = std::filesystem;

constexpr std::int64_t piece_len = 1 << 20;

struct bench_torrent {
  fs::path dir;
  std::shared_ptr<const torrent_info> ti;
  std::vector<std::vector<std::uint8_t>> pieces;

  explicit bench_torrent(int num_pieces, bool keep_pieces) {
    std::string tmpl = "/tmp/tessera-disk-bench-XXXXXX";
    dir = ::mkdtemp(tmpl.data());
    torrent_info_builder b;
    b.piece_length = piece_len;
    b.total_size = num_pieces * piece_len;
    b.files.push_back({"data.bin", b.total_size, 0});
    std::vector<std::uint8_t> piece(piece_len);
    // Two passes over the same random bytes: the hashes first (the torrent_info is built with
    // them), then the writes (the storage needs the torrent_info).
    std::mt19937 rng(1);
    for (int p = 0; p < num_pieces; ++p) {
      for (auto& x : piece) x = static_cast<std::uint8_t>(rng());
      b.piece_hashes.push_back(sha1(std::as_bytes(std::span(piece))));
    }
    ti = std::make_shared<const torrent_info>(std::move(b).build());
    auto st = make_file_storage(ti, dir);
    rng.seed(1);
    for (int p = 0; p < num_pieces; ++p) {
      for (auto& x : piece) x = static_cast<std::uint8_t>(rng());
      if (keep_pieces)
        pieces.push_back(piece);
      else if (!st->write(p * piece_len, piece))
        throw std::runtime_error("bench: write failed");
    }
  }
  ~bench_torrent() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

// Hash-and-write of 64 x 1 MiB pieces per iteration through a 2-thread disk_io.
void BM_DiskHashAndWrite(benchmark::State& state) {
  bench_torrent t(64, true);
  auto st = make_file_storage(t.ti, t.dir);
  disk_io io(2);
  boost::asio::io_context ctx;
  for (auto _ : state) {
    int done = 0;
    for (int p = 0; p < t.ti->num_pieces(); ++p)
      io.async_hash_and_write(st, t.ti, piece_index{p}, t.pieces[p], ctx.get_executor(),
                              [&](piece_write_result) { ++done; });
    while (done < t.ti->num_pieces()) {
      ctx.restart();
      ctx.run_one();
    }
  }
  state.SetBytesProcessed(state.iterations() * t.ti->total_size());
}
BENCHMARK(BM_DiskHashAndWrite)->Unit(benchmark::kMillisecond)->UseRealTime();

// async_check of a file of range(0) MiB, page cache warm (it was just written), 2 workers.
void BM_DiskCheckWarm(benchmark::State& state) {
  bench_torrent t(static_cast<int>(state.range(0)), false);
  auto st = make_file_storage(t.ti, t.dir);
  disk_io io(2);
  boost::asio::io_context ctx;
  int have = 0;
  for (auto _ : state) {
    bool finished = false;
    io.async_check(st, t.ti, ctx.get_executor(), {}, [&](check_result r) {
      have = r.have.count();
      finished = true;
    });
    while (!finished) {
      ctx.restart();
      ctx.run_one();
    }
  }
  if (have != t.ti->num_pieces()) state.SkipWithError("check missed pieces");
  state.SetBytesProcessed(state.iterations() * t.ti->total_size());
}
#ifndef TESSERA_DISK_BENCH_CHECK_MIB  // e.g. -DTESSERA_DISK_BENCH_CHECK_MIB=1024 for 1 GiB
#define TESSERA_DISK_BENCH_CHECK_MIB 256
#endif
BENCHMARK(BM_DiskCheckWarm)
    ->Arg(TESSERA_DISK_BENCH_CHECK_MIB)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
