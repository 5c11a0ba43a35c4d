#!/usr/bin/env bash
# Configures (once) and builds tessera in build/ with Ninja and ccache. Extra arguments go to
# `cmake --build` (e.g. `--target test_core`). BUILD_DIR overrides the build directory.
# First installs the web interface's npm packages when web/package-lock.json is newer than them
# (scripts/web-deps.sh): the build embeds the web interface in the binary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
"$root/scripts/web-deps.sh"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo ${CMAKE_ARGS:-} >/dev/null
fi
cmake --build "$build" "$@"
