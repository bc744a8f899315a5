#!/usr/bin/env bash
# A Debian 13 ("trixie") root beside this Debian 12 machine, for PyTorch and LibTorch 2.6 from
# Debian's own package servers (../shared/debian13.md): the peers users have today, and a second
# LibTorch to build against. Made once with debootstrap (about 4 minutes, 1.5 GB) and kept in
# $ATTNSWEEP_DEBIAN13_ROOT (default /var/tmp/attnsweep-debian13) for every later run.
#
#   scripts/debian13_root.sh ensure [PACKAGE...]  makes the root if needed, installs the packages
#                                                 in it if missing, mounts /proc, /dev and /sys
#                                                 there, and prints its path
#   scripts/debian13_root.sh run COMMAND...       runs COMMAND inside (ensure first)
#   scripts/debian13_root.sh unmount              before deleting the root: rm -rf would walk into
#                                                 the host's /dev and /sys through the mounts
# Exit 77 where it cannot be made here (not root, no debootstrap to be had, no network), saying why.
set -euo pipefail
root=${ATTNSWEEP_DEBIAN13_ROOT:-/var/tmp/attnsweep-debian13}
mirror=${ATTNSWEEP_DEBIAN_MIRROR:-http://deb.debian.org/debian}
ready=$root/.attnsweep-ready

cannot() {
  echo "debian13_root: $*" >&2
  exit 77
}

# Every command inside prints Open MPI's harmless "UCX ERROR failed to get boot id": dropped.
quiet_ucx() { grep -v 'UCX  ERROR failed to get boot id\|UCX ERROR failed to get boot id' || true; }

mount_all() {
  # Without /proc, PyTorch's cpuinfo cannot read the processor and takes slow paths.
  mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
  mountpoint -q "$root/dev" || mount --bind /dev "$root/dev"
  mountpoint -q "$root/sys" || mount --bind /sys "$root/sys"
}

unmount_all() {
  for dir in sys dev proc; do
    if mountpoint -q "$root/$dir"; then umount "$root/$dir"; fi
  done
}

make_root() {
  [ "$(id -u)" -eq 0 ] || cannot "making a Debian 13 root needs root (debootstrap, chroot, mount)"
  if ! command -v debootstrap >/dev/null; then
    bash "$(dirname "$0")/install_test_tools.sh" debootstrap >/dev/null 2>&1 ||
      cannot "debootstrap is not installed and could not be installed"
  fi
  local partial=$root.partial
  if [ -e "$partial" ]; then
    ATTNSWEEP_DEBIAN13_ROOT=$partial "$0" unmount
    rm -rf "$partial"
  fi
  # OpenBLAS named: Debian's torch links libblas.so.3, which without it is the reference BLAS
  # (SDPA 16 times slower).
  echo "debian13_root: making $root with debootstrap from $mirror (about 4 minutes, 1.5 GB)" >&2
  debootstrap --variant=minbase --include=python3,python3-torch,python3-numpy,libopenblas0-openmp trixie "$partial" \
    "$mirror" >"$partial.log" 2>&1 || {
    tail -5 "$partial.log" >&2
    cannot "debootstrap failed (log: $partial.log): is $mirror reachable?"
  }
  rm -f "$partial.log"
  mv "$partial" "$root"
  touch "$ready"
}

ensure() {
  if [ ! -e "$ready" ]; then
    # A root made by hand as ../shared/debian13.md says is taken as it is.
    if [ -x "$root/usr/bin/python3" ] && [ -d "$root/usr/lib/python3/dist-packages/torch" ]; then
      touch "$ready"
    else
      make_root
    fi
  fi
  [ "$(id -u)" -eq 0 ] || cannot "running in the Debian 13 root needs root (chroot, mount)"
  mount_all
  local missing=()
  for package in "$@"; do
    chroot "$root" dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
      grep -q "install ok installed" || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "debian13_root: installing ${missing[*]} in $root" >&2
    chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get update -qq 2>&1 | quiet_ucx >&2
    chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends "${missing[@]}" 2>&1 | quiet_ucx >&2
  fi
  echo "$root"
}

case ${1:-} in
  ensure)
    shift
    ensure "$@"
    ;;
  run)
    shift
    ensure >/dev/null
    # The command's own status, not the filter's.
    set +e
    chroot "$root" "$@" 2> >(quiet_ucx >&2)
    status=$?
    exit $status
    ;;
  unmount) unmount_all ;;
  *)
    sed -n '2,14p' "$0" >&2
    exit 2
    ;;
esac
