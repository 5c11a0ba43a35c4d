// Piece picker throughput on the hot path: a 4096-piece torrent of 16 blocks per piece (1 GiB in
// 16 KiB blocks) downloaded from 50 peers (10 seeds, 40 with about 3/4 of the pieces). Every
// received block triggers one pick() to refill that peer's pipeline, as the request pipeline does.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "core/piece_picker.hpp"

namespace {

using tessera::detail::bitfield;
using tessera::detail::block_address;
using tessera::detail::peer_key;
using tessera::detail::piece_picker;

constexpr int num_pieces = 4096;
constexpr int blocks_per_piece = 16;
constexpr int num_peers = 50;
constexpr int num_seeds = 10;
constexpr int pipeline_depth = 8;

struct swarm {
  std::unique_ptr<piece_picker> picker;
  std::vector<bitfield> peers;
  std::vector<std::vector<block_address>> inflight;
  std::vector<std::size_t> next;  // per peer: index of the next block to "arrive"

  swarm() {
    picker = std::make_unique<piece_picker>(num_pieces, blocks_per_piece, blocks_per_piece, 42);
    std::uint64_t x = 0x12345678;
    for (int i = 0; i < num_peers; ++i) {
      bitfield b(num_pieces, i < num_seeds);
      if (i >= num_seeds) {
        for (int p = 0; p < num_pieces; ++p) {
          x = x * 6364136223846793005ull + 1442695040888963407ull;
          if ((x >> 33) % 4 != 0) b.set(p);
        }
      }
      picker->add_peer(b);
      peers.push_back(std::move(b));
    }
    inflight.resize(num_peers);
    next.assign(num_peers, 0);
    for (int i = 0; i < num_peers; ++i) {
      picker->pick(peers[i], pipeline_depth, static_cast<peer_key>(i), inflight[i]);
    }
  }

  /// One block arrives from peer `i`, then its pipeline is refilled: one pick() call.
  void step(int i) {
    auto& q = inflight[i];
    if (!q.empty()) {
      const auto b = q.front();
      q.erase(q.begin());  // the pipeline is 8 long: cheap
      if (picker->mark_received(b, static_cast<peer_key>(i)) &&
          picker->all_blocks_received(b.piece)) {
        picker->piece_passed(b.piece);
      }
    }
    picker->pick(peers[i], pipeline_depth - static_cast<int>(q.size()), static_cast<peer_key>(i),
                 q);
  }
};

void BM_PickPerReceivedBlock(benchmark::State& state) {
  auto s = std::make_unique<swarm>();
  int i = 0;
  std::int64_t picks = 0;
  for (auto _ : state) {
    if (s->picker->is_complete()) {
      state.PauseTiming();
      s = std::make_unique<swarm>();
      state.ResumeTiming();
    }
    s->step(i);
    i = (i + 1) % num_peers;
    ++picks;
  }
  state.SetItemsProcessed(picks);
  // One pick per 16 KiB block: bytes/s here is the download rate the picker alone could sustain.
  state.SetBytesProcessed(picks * 16 * 1024);
}
BENCHMARK(BM_PickPerReceivedBlock);

void BM_AddRemoveSeed(benchmark::State& state) {
  swarm s;
  const bitfield seed(num_pieces, true);
  for (auto _ : state) {
    s.picker->add_peer(seed);
    s.picker->remove_peer(seed);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AddRemoveSeed);

void BM_AddRemovePartialPeer(benchmark::State& state) {
  swarm s;
  const bitfield& partial = s.peers[num_seeds];
  for (auto _ : state) {
    s.picker->add_peer(partial);
    s.picker->remove_peer(partial);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AddRemovePartialPeer);

}  // namespace
