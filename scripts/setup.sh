#!/usr/bin/env bash
# Installs everything tessera needs to build and test on Debian 12. Idempotent: packages already
# present are skipped, so a second run costs one dpkg query.
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libcli11-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
)
# The web interface embedded in the binary is bundled with esbuild, which needs Node.js 18 or
# newer and npm (Debian 12: Node 18, npm 9). A node already on the PATH (Node 20 and npm 11 from
# elsewhere, say) is used as it is.
command -v node >/dev/null 2>&1 || build_pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || build_pkgs+=(npm)
# Real clients and a real tracker for the interop tests and the swarm benchmark.
test_pkgs=(
  python3 python3-libtorrent aria2 transmission-cli transmission-daemon opentracker time
  # torrent creation compared with (tessera create, issue 12)
  mktorrent
  # the daemon's clients: Transmission's web client (transmission-common) in headless Chromium,
  # and a Python RPC client
  transmission-common python3-transmissionrpc chromium chromium-driver python3-selenium
  # a real web server with range requests for the web seed test (BEP 19), run unprivileged
  nginx-light
)

want=("${build_pkgs[@]}")
if [ "${1:-}" != "--build-only" ]; then
  want+=("${test_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # transmission-daemon starts a system service on install; tests run their own instances.
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if command -v systemctl >/dev/null 2>&1; then
    $SUDO systemctl disable --now transmission-daemon >/dev/null 2>&1 || true
  fi
fi
