#!/usr/bin/env bash
# mpirun with what attnsweep needs on a workstation or CI box:
# - root is allowed (Open MPI refuses it unless told);
# - more ranks than cores is allowed (a coordinator rank needs no core of its own);
# - no binding: by default Open MPI binds each rank to one core when np <= 2, which starves a
#   multi-threaded LibTorch rank; attnsweep divides the node's cores among its worker ranks itself.
# - TCP keepalive on Open MPI's control connections (2 s idle, then 3 probes 1 s apart): a host
#   that freezes or drops off the network then ends the job in seconds; with the defaults mpirun
#   waited more than 40 s and even SIGTERM did not end it (../shared/multinode.md, measured). Set as
#   environment defaults, so a user's own --mca or OMPI_MCA_ setting wins without a clash (the
#   same --mca twice is fatal).
# - the exit code attnsweep documents: 130 when the sweep was interrupted by Ctrl-C or SIGTERM
#   (mpirun itself returns 1, the code for "some jobs failed"), and a line saying what happened
#   when mpirun ends abnormally (a rank killed or crashed: --quiet hides Open MPI's own notice).
# - Open MPI 4 (Debian 12) and 5 (Debian 13): 5's mpirun is PRRTE's, which refuses --quiet (its
#   notices then stay) and reads its runtime settings as PRTE_MCA_*, so both spellings are set.
# Usage: scripts/mpirun.sh -np 3 build/attnsweep run grid.yaml
set -euo pipefail
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export PRTE_ALLOW_RUN_AS_ROOT=1 PRTE_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
for setting in time:2 intvl:1 probes:3; do
  name=${setting%%:*} value=${setting#*:}
  for prefix in OMPI_MCA PRTE_MCA; do
    var=${prefix}_oob_tcp_keepalive_$name
    export "$var=${!var:-$value}"
  done
done
# "mpirun (Open MPI) 5.0.7": the major version decides the flags.
open_mpi_major=$(mpirun --version 2>/dev/null | sed -n 's/.*Open MPI) \([0-9]*\)\..*/\1/p' | head -1)
# ATTNSWEEP_MPIRUN_QUIET=0 keeps Open MPI's own notices (which rank died, of what), for diagnosis.
quiet=--quiet
[ "${ATTNSWEEP_MPIRUN_QUIET:-1}" = 0 ] && quiet=
[ "${open_mpi_major:-4}" -ge 5 ] && quiet=
# Every attnsweep rank that starts creates this file (cli/main.cc): under Open MPI 4, mpirun's
# status 1 is both "a rank said some jobs failed" and "mpirun refused its arguments" (a bad
# --map-by), whose notice --quiet hides; the file tells them apart.
marker_dir=$(mktemp -d "${TMPDIR:-/tmp}/attnsweep-mpirun.XXXXXX")
trap 'rm -rf "$marker_dir"' EXIT
export ATTNSWEEP_RANK_STARTED=$marker_dir/started
mpirun $quiet --oversubscribe --bind-to none -x ATTNSWEEP_RANK_STARTED "$@" &
mpirun_pid=$!
interrupted=0
# A Ctrl-C in a terminal reaches mpirun too (one process group): passing it on would be a second
# Ctrl-C, which makes mpirun abort without letting the ranks stop. SIGTERM (kill, Slurm) and the
# drain signals reach only this script: they are passed on.
trap 'interrupted=1' INT
trap 'interrupted=1; kill -TERM "$mpirun_pid" 2>/dev/null' TERM
trap 'kill -USR1 "$mpirun_pid" 2>/dev/null' USR1
trap 'kill -USR2 "$mpirun_pid" 2>/dev/null' USR2
while :; do
  status=0
  wait "$mpirun_pid" || status=$?
  kill -0 "$mpirun_pid" 2>/dev/null || break  # wait returned for a signal: wait again
done
if [ "$interrupted" -eq 1 ]; then
  exit 130
fi
# Open MPI 5 (PRRTE) ends with 183 where it cannot launch the program (missing or not executable):
# the code Open MPI 4 gives that case, 132, in both.
if [ "${open_mpi_major:-4}" -ge 5 ] && [ "$status" = 183 ]; then
  status=132
fi
if [ "$status" = 1 ] && [ -n "$quiet" ] && [ ! -e "$ATTNSWEEP_RANK_STARTED" ]; then
  echo "scripts/mpirun.sh: mpirun ended with status 1 before any attnsweep rank started: it" \
    "refused its arguments or settings (an unknown option, a bad --map-by), and --quiet hides its" \
    "message; ATTNSWEEP_MPIRUN_QUIET=0 shows it. Nothing ran." >&2
  exit 2
fi
case "$status" in
  0 | 1 | 2 | 3 | 4 | 70 | 130) ;;
  131 | 132)
    # Open MPI's own codes when it cannot start the program (its notice is one --quiet hides):
    # 132 not found or not executable, 131 execve failed ("Text file busy": a build writing it).
    echo "scripts/mpirun.sh: mpirun ended with status $status: Open MPI could not start the" \
      "program ($([ "$status" = 132 ] && echo "not found or not executable" ||
        echo "execve failed: is a build writing it?")), or a rank died of" \
      "$([ "$status" = 132 ] && echo SIGILL || echo SIGQUIT). ATTNSWEEP_MPIRUN_QUIET=0 shows" \
      "Open MPI's own notice. What finished is stored; \`attnsweep resume --db STORE\` finishes" \
      "the batch." >&2
    ;;
  *)
    if [ "${open_mpi_major:-4}" -ge 5 ] && [ "$status" = 213 ]; then
      # PRRTE's code for arguments or settings it refuses (an unknown option, a bad --map-by): no
      # rank started; its own message is above.
      echo "scripts/mpirun.sh: mpirun (Open MPI 5) refused its arguments or settings (status 213;" \
        "its message is above): nothing ran." >&2
    elif [ "$status" -gt 128 ] && [ "$status" -le 192 ]; then
      echo "scripts/mpirun.sh: mpirun ended with status $status: a rank crashed or was killed" \
        "(signal $((status - 128))). What finished is stored; \`attnsweep resume --db STORE\`" \
        "finishes the batch." >&2
    else
      echo "scripts/mpirun.sh: mpirun ended with status $status (not one of attnsweep's exit" \
        "codes, nor a signal): see Open MPI's message above. What finished is stored;" \
        "\`attnsweep resume --db STORE\` finishes the batch." >&2
    fi
    ;;
esac
exit "$status"
