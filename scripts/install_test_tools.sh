#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (`make test-report`) when it is missing.
set -euo pipefail
if command -v chromium >/dev/null; then exit 0; fi
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install_chromium: need root or sudo to install chromium" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
echo "install_chromium: installing Debian's chromium (headless browser tests)" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
