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
# Usage: scripts/mpirun.sh -np 3 build/attnsweep run grid.yaml
set -euo pipefail
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMPI_MCA_oob_tcp_keepalive_time=${OMPI_MCA_oob_tcp_keepalive_time:-2}
export OMPI_MCA_oob_tcp_keepalive_intvl=${OMPI_MCA_oob_tcp_keepalive_intvl:-1}
export OMPI_MCA_oob_tcp_keepalive_probes=${OMPI_MCA_oob_tcp_keepalive_probes:-3}
exec mpirun --quiet --oversubscribe --bind-to none "$@"
