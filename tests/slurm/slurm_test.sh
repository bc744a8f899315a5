#!/usr/bin/env bash
# attnsweep under Slurm, as a user runs it, on a one-node Slurm cluster this script starts and stops
# (Debian's Slurm 22.05 and munge, ../shared/slurm.md's recipe; root, no systemd):
#   1. sbatch examples/slurm/attnsweep.sbatch: a sweep with mpirun inside the allocation;
#   2. srun --mpi=pmix straight from the shell;
#   3. Slurm's USR1 before the time limit drains the sweep (exit 130, nothing lost), and the job
#      requeued (scontrol requeue) resumes the same batch to its end;
#   4. the job script copies the store back every few seconds while the sweep runs, whole.
# Usage: slurm_test.sh BUILD_DIR. Prints "ok: ..." or "FAIL: ..." per check; exit 0 when all hold.
set -uo pipefail
build=$(cd "${1:?usage: slurm_test.sh BUILD_DIR}" && pwd)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin="$build/attnsweep"
for tool in slurmctld slurmd sbatch munged sqlite3; do
  command -v "$tool" >/dev/null || { echo "SKIPPED: $tool missing (make test-slurm installs it)"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "SKIPPED: the test cluster runs as root"; exit 77; }

dir=$(mktemp -d /tmp/attnsweep-slurm.XXXXXX)
node=$(hostname -s)
source "$repo/tests/shell_checks.sh"
query() { "$bin" query --db "$1" --format csv "$2" | tail -n +2; }

pids=()
cluster_down() {
  scancel --full --quiet "--user=root" 2>/dev/null || true
  for _ in $(seq 1 100); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.1; done
  # slurmd, then slurmctld, then munged: killing slurmctld first leaves an orphaned slurmstepd.
  local pid
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"
}
trap cluster_down EXIT

export SLURM_CONF="$dir/slurm.conf"
mkdir -p "$dir/state" "$dir/spool" "$dir/work"
cat >"$SLURM_CONF" <<CONF
ClusterName=attnsweeptest
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
CredType=cred/munge
AuthInfo=cred_expire=10
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
SwitchType=switch/none
ReturnToService=2
SchedulerParameters=sched_interval=1
KillWait=5
InactiveLimit=0
MailProg=/bin/true
SlurmdParameters=config_overrides
NodeName=$node NodeAddr=127.0.0.1 CPUs=4 Boards=1 SocketsPerBoard=1 CoresPerSocket=4 ThreadsPerCore=1 RealMemory=20000 State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
if [ ! -f /etc/munge/munge.key ]; then
  mungekey -c -f -k /etc/munge/munge.key
  chown munge:munge /etc/munge/munge.key
fi
mkdir -p /run/munge && chown munge:munge /run/munge
setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged --foreground \
  >"$dir/munged.log" 2>&1 &
munge_pid=$!
for _ in $(seq 1 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
slurmctld -D -c -f "$SLURM_CONF" >/dev/null 2>&1 &
ctld_pid=$!
slurmd -D -f "$SLURM_CONF" >/dev/null 2>&1 &
slurmd_pid=$!
pids=("$slurmd_pid" "$ctld_pid" "$munge_pid")
for _ in $(seq 1 150); do [ "$(sinfo -h -n "$node" -o %T 2>/dev/null)" = idle ] && break; sleep 0.1; done
check "the one-node cluster is up" equals "$(sinfo -h -n "$node" -o %T)" idle

grid() { sleep_grid "$1" slurm "$2" "$3"; }  # grid FILE JOBS SECONDS
job_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
wait_state() {  # wait_state JOB STATE... : until the job is in one of them (60 s at most)
  local job=$1 state
  shift
  for _ in $(seq 1 600); do
    state=$(job_state "$job")
    for wanted in "$@"; do [ "$state" = "$wanted" ] && return 0; done
    sleep 0.1
  done
  echo "  job $job still $state"
  return 1
}
exit_code() { scontrol show job "$1" | sed -n 's/.* ExitCode=\([0-9]*\):.*/\1/p'; }

cd "$repo"
# 1. sbatch: the job script users copy, mpirun inside the allocation.
grid "$dir/work/a.yaml" 30 0.05
job=$(sbatch --parsable -n 3 -o "$dir/work/a.out" --export=ALL,ATTNSWEEP="$bin" \
  examples/slurm/attnsweep.sbatch "$dir/work/a.yaml" "$dir/work/a.db")
check "sbatch: the job ends" wait_state "$job" COMPLETED FAILED CANCELLED
check "sbatch: it completes with exit 0" equals "$(job_state "$job"):$(exit_code "$job")" COMPLETED:0
check "sbatch: every job done once, the store copied back" \
  equals "$(query "$dir/work/a.db" "SELECT count(*), sum(attempts) FROM jobs WHERE status = 'done'")" "30,30"

# 2. srun --mpi=pmix, no mpirun.
grid "$dir/work/b.yaml" 30 0.05
timeout 120 srun -n 3 --mpi=pmix "$bin" run "$dir/work/b.yaml" --db "$dir/work/b.db" -q
check "srun --mpi=pmix: exit 0" equals "$?" 0
check "srun --mpi=pmix: every job done once on the two worker ranks" \
  equals "$(query "$dir/work/b.db" "SELECT count(*), count(DISTINCT rank) FROM jobs WHERE status = 'done'")" "30,2"

# 3. USR1 (what --signal=B:USR1@... sends before the limit) drains; the requeued job resumes.
grid "$dir/work/c.yaml" 40 0.5
job=$(sbatch --parsable -n 3 -o "$dir/work/c.out" --export=ALL,ATTNSWEEP="$bin" \
  examples/slurm/attnsweep.sbatch "$dir/work/c.yaml" "$dir/work/c.db")
wait_state "$job" RUNNING
for _ in $(seq 1 300); do grep -q "\[8/40\]\|\[9/40\]\|\[1[0-9]/40\]" "$dir/work/c.out" 2>/dev/null && break; sleep 0.1; done
scancel -b -s USR1 "$job"
check "USR1: the job ends" wait_state "$job" COMPLETED FAILED
check "USR1: the sweep drains and exits 130" equals "$(exit_code "$job")" 130
done_after_drain=$(query "$dir/work/c.db" "SELECT count(*) FROM jobs WHERE status = 'done'")
check "USR1: the batch is stored as stopped, its done jobs kept ($done_after_drain of 40)" \
  equals "$(query "$dir/work/c.db" "SELECT status FROM batches")" stopped
check "USR1: no job left running or lost" \
  equals "$(query "$dir/work/c.db" "SELECT count(*) FROM jobs WHERE status NOT IN ('done', 'pending')")" 0
scontrol requeue "$job"
scontrol update JobId="$job" StartTime=now 2>/dev/null || true
wait_state "$job" RUNNING PENDING >/dev/null
check "requeue: the same job runs again and ends" wait_state "$job" COMPLETED FAILED
check "requeue: it resumes the batch (exit 0)" equals "$(job_state "$job"):$(exit_code "$job")" COMPLETED:0
check "requeue: one batch, every job done exactly once" \
  equals "$(query "$dir/work/c.db" "SELECT count(DISTINCT batch_id), count(*), sum(attempts = 1) FROM jobs WHERE status = 'done'")" "1,40,40"
grep -q "restart 1" "$dir/work/c.out"
check "requeue: the job script saw SLURM_RESTART_COUNT=1 and resumed" equals "$?" 0

# 4. The store goes back to STORE while the sweep runs (ATTNSWEEP_COPY_EVERY seconds), whole: losing
#    the first node then loses at most that much, not the whole sweep.
grid "$dir/work/d.yaml" 40 0.5
job=$(sbatch --parsable -n 3 -o "$dir/work/d.out" \
  --export=ALL,ATTNSWEEP="$bin",ATTNSWEEP_COPY_EVERY=1 \
  examples/slurm/attnsweep.sbatch "$dir/work/d.yaml" "$dir/work/d.db")
wait_state "$job" RUNNING
copied_mid_sweep=
for _ in $(seq 1 300); do
  if [ -f "$dir/work/d.db" ] && [ "$(job_state "$job")" = RUNNING ]; then
    done_then=$(query "$dir/work/d.db" "SELECT count(*) FROM jobs WHERE status = 'done'" 2>/dev/null)
    if [ -n "$done_then" ] && [ "$done_then" -gt 0 ] && [ "$done_then" -lt 40 ]; then
      copied_mid_sweep="$done_then of 40 done"
      integrity_then=$(sqlite3 "$dir/work/d.db" "PRAGMA integrity_check")
      break
    fi
  fi
  sleep 0.1
done
check "copy-back: the store is at STORE while the sweep runs (${copied_mid_sweep:-never})" \
  test -n "$copied_mid_sweep"
check "copy-back: that copy is whole (integrity_check)" equals "${integrity_then:-}" ok
check "copy-back: the job ends" wait_state "$job" COMPLETED FAILED
check "copy-back: it completes with exit 0" equals "$(job_state "$job"):$(exit_code "$job")" COMPLETED:0
check "copy-back: the last copy holds every job, and no partial file is left" \
  equals "$(query "$dir/work/d.db" "SELECT count(*) FROM jobs WHERE status = 'done'"):$(ls "$dir/work" | grep -c partial)" "40:0"

checks_verdict slurm
