#!/usr/bin/env bash
# Installs the Debian packages attnsweep builds and runs with; does nothing when all are present.
# Run as root (or with sudo available). Safe to run repeatedly.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libtorch-dev libopenblas0-openmp
  libopenmpi-dev openmpi-bin
  libyaml-cpp-dev libsqlite3-dev sqlite3
  libspdlog-dev libfmt-dev libgtest-dev libcli11-dev nlohmann-json3-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
