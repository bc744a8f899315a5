# shellcheck shell=bash
# What scripts/test_torch2.sh and scripts/test_torch2_cuda.sh share, sourced by both: the
# project's build and test packages inside the Debian 13 root (the same names as Debian 12's), the
# ctest arguments quoted for the shell inside the root, and the copy of the working tree into it.

# shellcheck disable=SC2034  # used by the scripts that source this
debian13_project_packages=(build-essential cmake pkg-config libtorch-dev libopenblas0-openmp
  libopenmpi-dev openmpi-bin libyaml-cpp-dev libsqlite3-dev sqlite3 libspdlog-dev libfmt-dev
  libgtest-dev libcli11-dev nlohmann-json3-dev python3 procps git)

# The arguments, each quoted for `sh -c` inside the root (a -R pattern holds | and spaces), with a
# leading space; nothing for none.
debian13_quoted_args() {
  [ $# -gt 0 ] && printf ' %q' "$@"
  return 0
}

# The working tree (tracked and untracked files git does not ignore, with their times, so that a
# second build rebuilds only what changed) and node_modules of the repository REPO into
# ROOT/src/attnsweep. Usage: debian13_copy_tree REPO ROOT
debian13_copy_tree() {
  local repo=$1 root=$2
  mkdir -p "$root/src/attnsweep"
  (cd "$repo" && git ls-files -z --cached --others --exclude-standard |
    tar --null -T - -cf - node_modules) | tar -xf - -C "$root/src/attnsweep"
}
