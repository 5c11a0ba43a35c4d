#!/usr/bin/env bash
# Configures (once) and builds tessera in build/ with Ninja and ccache. Extra arguments go to
# `cmake --build` (e.g. `--target test_core`). BUILD_DIR overrides the build directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo ${CMAKE_ARGS:-} >/dev/null
fi
cmake --build "$build" "$@"
