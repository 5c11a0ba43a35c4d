// MSE's costs. RC4 (OpenSSL legacy provider) on the hot path: in-place encryption of 16 KiB
// blocks, the size of a piece message's payload, as the transport will run every byte of an
// encrypted connection through it, reported as bytes per second (MB/s in the output). And the
// Diffie-Hellman work each handshake side does once: its public key and the shared secret.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/mse_crypto.hpp"
#include "tessera/hasher.hpp"

namespace {

void BM_Rc4InPlace16KiB(benchmark::State& state) {
  auto cipher = tessera::detail::rc4::mse(tessera::sha1("keyA"));
  if (!cipher) {
    state.SkipWithError(cipher.error().message().c_str());
    return;
  }
  std::vector<std::uint8_t> block(16 * 1024, 0x5a);
  for (auto _ : state) {
    cipher->apply(block);
    benchmark::DoNotOptimize(block.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(block.size()));
}
BENCHMARK(BM_Rc4InPlace16KiB);

void BM_MseDiffieHellmanOneSide(benchmark::State& state) {
  tessera::detail::dh_private_key xa{}, xb{};
  for (std::size_t i = 0; i < xa.size(); ++i) {
    xa[i] = static_cast<std::uint8_t>(0x91 + 7 * i);
    xb[i] = static_cast<std::uint8_t>(0x2c + 13 * i);
  }
  const auto yb = tessera::detail::dh_public(xb);
  for (auto _ : state) {
    auto ya = tessera::detail::dh_public(xa);
    auto s = tessera::detail::dh_shared_secret(xa, yb);
    benchmark::DoNotOptimize(ya);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_MseDiffieHellmanOneSide)->Unit(benchmark::kMicrosecond);

}  // namespace
