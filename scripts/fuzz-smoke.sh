#!/usr/bin/env bash
# Fuzz smoke run: builds the libFuzzer targets (tests/fuzz: the parsers need tessera_core only,
# the stateful fuzz_peer_connection links tessera_swarm and so Asio) with clang++ and ASan+UBSan,
# then runs each for FUZZ_SECONDS (default 20) from a small seed corpus (generated below, or
# committed under tests/fuzz/corpus/<target>/). Exits non-zero if a target fails to build or any
# run finds a crash, leak, timeout or sanitizer report; crash inputs are kept in
# $FUZZ_BUILD_DIR/fuzz/artifacts/.
# Environment: FUZZ_BUILD_DIR (default <repo>/build-fuzz), FUZZ_SECONDS, JOBS (default 2),
# FUZZ_TARGETS (default: all seven targets, see below).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${FUZZ_SECONDS:-20}
jobs=${JOBS:-2}
targets=${FUZZ_TARGETS:-"fuzz_bencode fuzz_metainfo fuzz_wire fuzz_magnet fuzz_extension fuzz_krpc fuzz_peer_connection"}
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
mkdir -p "$seeds/fuzz_bencode" "$seeds/fuzz_metainfo" "$seeds/fuzz_wire" "$seeds/fuzz_magnet" \
  "$seeds/fuzz_extension" "$seeds/fuzz_krpc"
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

# Magnet links (BEP 9): hex and base32 info-hashes, names, trackers, web seeds, IPv4/IPv6 peers.
printf 'magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=a+b%%20c&tr=http%%3A%%2F%%2F127.0.0.1%%3A6969%%2Fannounce&tr=udp://127.0.0.1:6969' \
  >"$seeds/fuzz_magnet/hex"
printf 'magnet:?xt=urn:btih:YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK&x.pe=127.0.0.1:6881&x.pe=[::1]:6882&ws=http://127.0.0.1/w' \
  >"$seeds/fuzz_magnet/base32"
# Extension payloads: an extended handshake (BEP 10), ut_metadata request and data (BEP 9), ut_pex
# (BEP 11). The one target runs every parser on each input.
printf 'd1:md11:ut_metadatai3e6:ut_pexi1ee13:metadata_sizei100e1:pi6881e4:reqqi500e1:v7:tessera6:yourip4:\x7f\x00\x00\x01e' \
  >"$seeds/fuzz_extension/handshake"
printf 'd8:msg_typei0e5:piecei0ee' >"$seeds/fuzz_extension/request"
printf 'd8:msg_typei1e5:piecei0e10:total_sizei8eeinfodata' >"$seeds/fuzz_extension/data"
printf 'd5:added6:\x7f\x00\x00\x01\x1a\xe17:added.f1:\x026:added618:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1a\xe27:dropped6:\x7f\x00\x00\x02\x00\x01e' \
  >"$seeds/fuzz_extension/pex"
# KRPC (BEP 5): a query of each kind, a get_peers response with nodes and values, an error.
printf 'd1:ad2:id20:%se1:q4:ping1:t2:aa1:y1:qe' "$p20" >"$seeds/fuzz_krpc/ping"
printf 'd1:ad2:id20:%s6:target20:%se1:q9:find_node1:t2:aa1:y1:qe' "$p20" "$p20" >"$seeds/fuzz_krpc/find_node"
printf 'd1:ad2:id20:%s12:implied_porti1e9:info_hash20:%s4:porti6881e5:token2:tke1:q13:announce_peer1:t2:aa1:y1:qe' \
  "$p20" "$p20" >"$seeds/fuzz_krpc/announce_peer"
printf 'd1:rd2:id20:%s5:nodes26:%s\x7f\x00\x00\x01\x1a\xe15:token2:tk6:valuesl6:\x7f\x00\x00\x01\x1a\xe1ee1:t2:aa1:y1:re' \
  "$p20" "$p20" >"$seeds/fuzz_krpc/response"
printf 'd1:eli201e5:Errore1:t2:aa1:y1:ee' >"$seeds/fuzz_krpc/error"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
mkdir -p "$build/fuzz/artifacts"
failed=()
for t in $targets; do
  corpus=$build/fuzz/corpus/$t  # grows across runs; new inputs land here, seeds stay untouched
  mkdir -p "$corpus"
  seed_dirs=()
  [ -d "$seeds/$t" ] && seed_dirs+=("$seeds/$t")
  [ -d "$root/tests/fuzz/corpus/$t" ] && seed_dirs+=("$root/tests/fuzz/corpus/$t")
  echo "== $t: ${seconds}s"
  if ! "$build/fuzz/$t" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$build/fuzz/artifacts/$t-" \
       "$corpus" "${seed_dirs[@]}" >"$build/fuzz/$t.log" 2>&1; then
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
