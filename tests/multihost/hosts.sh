# Simulated hosts for Open MPI on one machine (../shared/multinode.md's recipe): each host a network
# namespace with its own hostname, reached by mpirun through a launcher script given as its rsh
# agent; no sshd. Sourced by the multi-host tests. Needs root (or CAP_SYS_ADMIN and CAP_NET_ADMIN),
# iproute2 and util-linux's unshare.
#
#   hosts_up N SLOTS      N hosts node1..nodeN with SLOTS slots each, under a prefix of its own
#   hosts_mpirun ARGS...  scripts/mpirun.sh across them (from the hub namespace), bounded by
#                         HOSTS_TIMEOUT seconds (default 120)
#   hosts_exec HOST CMD   a shell command on HOST (its namespace and hostname)
#   hosts_kill HOST       kill -9 every process on HOST
#   hosts_freeze HOST     SIGSTOP every process on HOST and cut its link
#   hosts_down            everything removed; hosts_up sets it as an EXIT trap
#
# HOSTS_DIR holds the launcher, the hostfile and Open MPI's session and shared-memory folders.

HOSTS_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Whether this machine lets us make namespaces (root, iproute2, unshare).
hosts_possible() {
  command -v ip >/dev/null && command -v unshare >/dev/null || return 1
  local probe="asprobe$$"
  ip netns add "$probe" 2>/dev/null || return 1
  ip netns del "$probe"
}

hosts_up() {
  local count=$1 slots=$2 i
  # Unique per run: a crashed earlier run or a parallel one cannot collide with this one.
  HOSTS_PREFIX="as$$x$RANDOM"
  HOSTS_DIR=$(mktemp -d /tmp/attnsweep-hosts.XXXXXX)
  HOSTS_NAMES=()
  trap hosts_down EXIT
  mkdir -p "$HOSTS_DIR/tmp" "$HOSTS_DIR/shm"
  ip netns add "$HOSTS_PREFIX-hub"
  ip -n "$HOSTS_PREFIX-hub" link set lo up
  ip -n "$HOSTS_PREFIX-hub" link add br0 type bridge
  ip -n "$HOSTS_PREFIX-hub" addr add 10.77.0.1/24 dev br0
  ip -n "$HOSTS_PREFIX-hub" link set br0 up
  : >"$HOSTS_DIR/hostfile"
  for i in $(seq 1 "$count"); do
    local ns="$HOSTS_PREFIX-node$i"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip -n "$HOSTS_PREFIX-hub" link add "v-node$i" type veth peer name eth0 netns "$ns"
    ip -n "$HOSTS_PREFIX-hub" link set "v-node$i" master br0 up
    ip -n "$ns" addr add "10.77.0.$((10 + i))/24" dev eth0
    ip -n "$ns" link set eth0 up
    echo "node$i slots=$slots" >>"$HOSTS_DIR/hostfile"
    HOSTS_NAMES+=("node$i")
  done
  # Open MPI calls the agent as it would call ssh: options, the host, then the command's words.
  cat >"$HOSTS_DIR/agent" <<AGENT
#!/bin/sh
while [ \$# -gt 0 ]; do
  case "\$1" in -*) shift ;; *) break ;; esac
done
host=\$1
shift
exec ip netns exec "$HOSTS_PREFIX-\$host" unshare --uts -- sh -c 'hostname "\$0"; exec sh -c "\$*"' "\$host" "\$*"
AGENT
  chmod +x "$HOSTS_DIR/agent"
}

hosts_mpirun() {
  ip netns exec "$HOSTS_PREFIX-hub" timeout -k 5 "${HOSTS_TIMEOUT:-120}" \
    "$HOSTS_REPO/scripts/mpirun.sh" --hostfile "$HOSTS_DIR/hostfile" \
    --mca plm_rsh_agent "$HOSTS_DIR/agent" --mca plm_rsh_no_tree_spawn 1 \
    --mca oob_tcp_if_include 10.77.0.0/24 --mca btl_tcp_if_include 10.77.0.0/24 \
    --mca btl self,vader,tcp --mca orte_tmpdir_base "$HOSTS_DIR/tmp" \
    --mca btl_vader_backing_directory "$HOSTS_DIR/shm" "$@"
}

hosts_exec() {
  local host=$1
  shift
  ip netns exec "$HOSTS_PREFIX-$host" unshare --uts -- sh -c 'hostname "$0"; exec sh -c "$1"' \
    "$host" "$*"
}

hosts_pids() { ip netns pids "$HOSTS_PREFIX-$1" 2>/dev/null || true; }

hosts_kill() {
  local pid
  for pid in $(hosts_pids "$1"); do kill -9 "$pid" 2>/dev/null || true; done
}

hosts_freeze() {
  local pid
  for pid in $(hosts_pids "$1"); do kill -STOP "$pid" 2>/dev/null || true; done
  ip -n "$HOSTS_PREFIX-hub" link set "v-$1" down
}

hosts_down() {
  [ -n "${HOSTS_PREFIX:-}" ] || return 0
  local ns pid
  for ns in $(ip netns list | awk '{ print $1 }' | grep "^$HOSTS_PREFIX-" || true); do
    # orted daemonizes (its parent becomes PID 1): find a host's processes by namespace.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$HOSTS_DIR"
  HOSTS_PREFIX=""
}
