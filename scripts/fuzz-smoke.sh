#!/usr/bin/env bash
# Fuzz smoke run: builds the libFuzzer targets (tests/fuzz, tessera_core only: no Asio) with
# clang++ and ASan+UBSan, then runs each for FUZZ_SECONDS (default 20) from a small generated seed
# corpus. Exits non-zero if a target fails to build or any run finds a crash, leak, timeout or
# sanitizer report; crash inputs are kept in $FUZZ_BUILD_DIR/fuzz/artifacts/.
# Environment: FUZZ_BUILD_DIR (default <repo>/build-fuzz), FUZZ_SECONDS, JOBS (default 2),
# FUZZ_TARGETS (default "fuzz_bencode fuzz_metainfo fuzz_wire").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${FUZZ_SECONDS:-20}
jobs=${JOBS:-2}
targets=${FUZZ_TARGETS:-"fuzz_bencode fuzz_metainfo fuzz_wire"}
start=$(date +%s)

if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ -DTESSERA_FUZZ=ON -DTESSERA_TESTS=OFF -DTESSERA_BENCH=OFF >/dev/null
fi
# shellcheck disable=SC2086
cmake --build "$build" -j "$jobs" --target $targets

# Seed corpora: a few tiny valid inputs per target, written fresh each run.
seeds=$build/fuzz/seeds
rm -rf "$seeds"
mkdir -p "$seeds/fuzz_bencode" "$seeds/fuzz_metainfo" "$seeds/fuzz_wire"
p20=aaaaaaaaaaaaaaaaaaaa
printf 'i42e' >"$seeds/fuzz_bencode/int"
printf '4:spam' >"$seeds/fuzz_bencode/string"
printf 'l4:spami-3ee' >"$seeds/fuzz_bencode/list"
printf 'd3:cow3:moo4:spaml1:a1:bee' >"$seeds/fuzz_bencode/dict"
printf 'd4:infod6:lengthi5e4:name1:aee' >"$seeds/fuzz_bencode/info"
printf 'd8:announce30:http://127.0.0.1:6969/announce4:infod6:lengthi5e4:name5:a.txt12:piece lengthi16384e6:pieces20:%see' \
  "$p20" >"$seeds/fuzz_metainfo/single"
printf 'd13:announce-listll3:u:1el3:u:2ee4:infod5:filesld6:lengthi3e4:pathl1:a1:beed4:attr1:p6:lengthi1e4:pathl4:.pad1:1eed6:lengthi0e10:path.utf-8l2:\xc3\xa9eee4:name3:dir12:piece lengthi2e6:pieces40:%s%s7:privatei1ee8:url-list3:u:3e' \
  "$p20" "$p20" >"$seeds/fuzz_metainfo/multi"
cp "$seeds/fuzz_bencode/info" "$seeds/fuzz_metainfo/bare"
# Handshake: pstr, 8 reserved bytes (extensions, fast, dht), info-hash, peer id.
printf '\x13BitTorrent protocol\x00\x00\x00\x00\x00\x10\x00\x05%s-TS0001-abcdefghijkl' "$p20" \
  >"$seeds/fuzz_wire/handshake"
# Messages after one limit-selector byte: keep-alive, choke, unchoke, interested, have, bitfield,
# request, piece, cancel, port, extended, and an unknown id.
printf '\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x01\x01\x00\x00\x00\x01\x02\x00\x00\x00\x05\x04\x00\x00\x00\x07\x00\x00\x00\x02\x05\xff\x00\x00\x00\x0d\x06\x00\x00\x00\x01\x00\x00\x40\x00\x00\x00\x40\x00\x00\x00\x00\x0c\x07\x00\x00\x00\x01\x00\x00\x00\x00abc\x00\x00\x00\x0d\x08\x00\x00\x00\x01\x00\x00\x40\x00\x00\x00\x40\x00\x00\x00\x00\x03\x09\x1a\xe1\x00\x00\x00\x04\x14\x00de\x00\x00\x00\x02\x0d\x00' \
  >"$seeds/fuzz_wire/messages"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
mkdir -p "$build/fuzz/artifacts"
failed=()
for t in $targets; do
  corpus=$build/fuzz/corpus/$t  # grows across runs; new inputs land here, seeds stay untouched
  mkdir -p "$corpus"
  echo "== $t: ${seconds}s"
  if ! "$build/fuzz/$t" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$build/fuzz/artifacts/$t-" \
       "$corpus" "$seeds/$t" >"$build/fuzz/$t.log" 2>&1; then
    failed+=("$t")
    tail -n 60 "$build/fuzz/$t.log"
  else
    grep -E '^stat::number_of_executed_units|^Done' "$build/fuzz/$t.log" || true
  fi
done

echo "fuzz smoke: $(( $(date +%s) - start ))s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz smoke FAILED: ${failed[*]} (inputs in $build/fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz smoke passed: $targets"
