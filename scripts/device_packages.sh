#!/usr/bin/env bash
# Fetches, here, the Debian packages scripts/device_check.sh needs on a machine with an NVIDIA GPU
# and no network or package manager: attnsweep's dependencies but LibTorch (that machine's PyTorch
# has its own), as .deb files in .device/debs (git ignores .device/). device_check.sh unpacks them
# there with `dpkg -x` into a prefix. Only libraries and headers: the compiler, CMake and the C
# library are that machine's own.
# Usage: scripts/device_packages.sh   (then carry .device to the device machine)
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(
  # build: headers, CMake packages, static test libraries
  libyaml-cpp-dev libyaml-cpp0.7 libspdlog-dev libspdlog1.10 libfmt-dev libfmt9
  libsqlite3-dev libsqlite3-0 nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev
  # Open MPI and what its libraries and launcher load
  openmpi-bin openmpi-common libopenmpi3 libopenmpi-dev libpmix2 libevent-2.1-7
  libevent-core-2.1-7 libevent-pthreads-2.1-7 libhwloc15 libfabric1 libucx0 libibverbs1
  librdmacm1 libnl-3-200 libnl-route-3-200 libpsm2-2 libpsm-infinipath1 libmunge2 libltdl7
  libnuma1 libpciaccess0 libxnvctrl0 libxml2 libicu72 libjansson4
)
mkdir -p .device/debs
(
  cd .device/debs
  rm -f ./*.deb
  apt-get download "${packages[@]}"
)
# The report's plotting bundles (compiled into the binary), from `npm ci`'s node_modules: that
# machine has no npm registry.
for package in vega vega-lite vega-embed; do
  mkdir -p ".device/node_modules/$package/build"
  cp "node_modules/$package/package.json" ".device/node_modules/$package/"
  cp "node_modules/$package/build/$package.min.js" ".device/node_modules/$package/build/"
done
echo "$(ls .device/debs/*.deb | wc -l) packages and the report's bundles, $(du -sh .device | cut -f1), in .device"
