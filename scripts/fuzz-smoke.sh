#!/usr/bin/env bash
# Fuzz smoke run (CI): builds every libFuzzer target of tests/fuzz with clang++ and ASan+UBSan,
# then runs each for FUZZ_SECONDS (default 10) from its committed seed corpus
# (tests/fuzz/corpus/<target>), copied to a scratch directory so that a run never changes the
# repository. Options per target come from tests/fuzz/targets.conf, a dictionary from
# tests/fuzz/dict/<target>.dict when there is one. Exits non-zero if a target fails to build or
# any run finds a crash, leak, timeout or sanitizer report; crash inputs are kept in
# $FUZZ_BUILD_DIR/fuzz/artifacts/ (tests/fuzz/README.md: how one becomes a regression test).
# Environment: FUZZ_BUILD_DIR (default <repo>/build-fuzz), FUZZ_SECONDS, JOBS (build jobs,
# default 2), FUZZ_JOBS (targets run at once, default 2), FUZZ_TARGETS (default: every
# tests/fuzz/fuzz_*.cpp).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${FUZZ_SECONDS:-10}
jobs=${JOBS:-2}
fuzz_jobs=${FUZZ_JOBS:-2}
fuzz_dir=$root/tests/fuzz
if [ -z "${FUZZ_TARGETS:-}" ]; then
  FUZZ_TARGETS=$(cd "$fuzz_dir" && ls fuzz_*.cpp | sed 's/\.cpp$//' | tr '\n' ' ')
fi
targets=$FUZZ_TARGETS
start=$(date +%s)

"$root/scripts/web-deps.sh"  # the web interface embedded in tessera_rpc (cmake/web_ui.cmake)
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ -DTESSERA_FUZZ=ON -DTESSERA_TESTS=OFF -DTESSERA_BENCH=OFF >/dev/null
fi
# shellcheck disable=SC2086
cmake --build "$build" -j "$jobs" --target $targets
built=$(date +%s)

# One option of a target from targets.conf, or the default.
option() {  # target name default
  local v
  v=$(awk -v t="$1" -v k="$2" '$1 == t { for (i = 2; i <= NF; ++i) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' \
      "$fuzz_dir/targets.conf")
  echo "${v:-$3}"
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
scratch=$build/fuzz/smoke
rm -rf "$scratch"
mkdir -p "$scratch" "$build/fuzz/artifacts"

# Runs one target; $build/fuzz/<target>.status says whether it found anything.
run_target() {
  local t=$1 corpus=$scratch/$1 status=0
  mkdir -p "$corpus"
  if [ -d "$fuzz_dir/corpus/$t" ]; then cp "$fuzz_dir/corpus/$t"/* "$corpus"/ 2>/dev/null || true; fi
  local dict=()
  if [ -f "$fuzz_dir/dict/$t.dict" ]; then dict=(-dict="$fuzz_dir/dict/$t.dict"); fi
  "$build/fuzz/$t" -max_total_time="$seconds" -max_len="$(option "$t" max_len 4096)" \
    -timeout="$(option "$t" timeout 10)" -rss_limit_mb="$(option "$t" rss_limit_mb 2048)" \
    "${dict[@]}" -print_final_stats=1 -artifact_prefix="$build/fuzz/artifacts/$t-" \
    "$corpus" >"$build/fuzz/$t.log" 2>&1 || status=$?
  echo "$status" >"$build/fuzz/$t.status"
}

# FUZZ_JOBS targets at once, one process each; results printed in target order.
running=0
for t in $targets; do
  rm -f "$build/fuzz/$t.status"
  run_target "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$fuzz_jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait
failed=()
for t in $targets; do
  if [ "$(cat "$build/fuzz/$t.status" 2>/dev/null)" = 0 ]; then
    printf '%-22s %s\n' "$t" "$(grep -E '^stat::number_of_executed_units|^stat::average_exec_per_sec' \
      "$build/fuzz/$t.log" | awk '{ printf "%s %s  ", $1, $2 }')"
  else
    failed+=("$t")
    echo "== $t FAILED:"
    tail -n 60 "$build/fuzz/$t.log"
  fi
done

echo "fuzz smoke: $(( $(date +%s) - start ))s (build $(( built - start ))s)"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz smoke FAILED: ${failed[*]} (inputs in $build/fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz smoke passed: $targets"
