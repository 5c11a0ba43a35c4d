#!/usr/bin/env bash
# Installs the web interface's build tools (esbuild) and its library (Preact) into web/node_modules
# from web/package-lock.json with `npm ci`, when web/node_modules is missing or older than the
# lockfile (a stamp file records the last install). The CMake build needs them: it bundles web/
# and embeds the result in the tessera binary (cmake/web_ui.cmake). scripts/build.sh and the fuzz
# scripts call this before CMake; Node.js and npm come from scripts/setup.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
web=$root/web
stamp=$web/node_modules/.tessera-npm-ci
if [ -f "$stamp" ] && [ ! "$web/package-lock.json" -nt "$stamp" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "web-deps: npm is missing: run scripts/setup.sh (installs Node.js and npm)" >&2
  exit 1
fi
install() {
  # Checked again under the lock: another build may have installed meanwhile.
  if [ -f "$stamp" ] && [ ! "$web/package-lock.json" -nt "$stamp" ]; then return 0; fi
  echo "web-deps: npm ci in web/"
  (cd "$web" && npm ci --no-audit --no-fund --include=dev --loglevel=error)
  touch "$stamp"
}
if command -v flock >/dev/null 2>&1; then
  # Two builds started together (build/ and build-asan/) share web/node_modules.
  exec 9<"$web/package-lock.json"
  flock 9
fi
install
