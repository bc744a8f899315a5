#!/usr/bin/env bash
# Installs the Debian packages attnsweep builds and runs with, and the report's plotting libraries
# from the npm registry (exact versions: package-lock.json); does nothing when all are present.
# Run as root (or with sudo available). Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config
  libtorch-dev libopenblas0-openmp
  libopenmpi-dev openmpi-bin
  libyaml-cpp-dev libsqlite3-dev sqlite3
  libspdlog-dev libfmt-dev libgtest-dev libcli11-dev nlohmann-json3-dev
  iproute2  # make test simulates several hosts as network namespaces (tests/multihost/hosts.sh)
  python3   # make test checks the include graph's layering (scripts/include_graph.py)
)

# node and npm only where missing: a machine may have its own (newer) Node.js.
command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The report's plotting libraries (vega, vega-lite, vega-embed; their minified bundles are compiled
# into attnsweep). `npm ci` installs exactly what package-lock.json pins, again only when the lock
# changed since the last install. No install scripts run; vega-lite's engine field asks for Node 22
# for its command-line tools, which attnsweep does not use (its browser bundle runs anywhere).
stamp=node_modules/.attnsweep-lock.sha256
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  echo "setup: npm ci (report plotting libraries, pinned by package-lock.json)" >&2
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
  echo "$lock_sum" > "$stamp"
fi
