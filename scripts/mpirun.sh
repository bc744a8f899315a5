#!/usr/bin/env bash
# mpirun with what attnsweep needs on a workstation or CI box:
# - root is allowed (Open MPI refuses it unless told);
# - more ranks than cores is allowed (a coordinator rank needs no core of its own);
# - no binding: by default Open MPI binds each rank to one core when np <= 2, which starves a
#   multi-threaded LibTorch rank; attnsweep divides the node's cores among its worker ranks itself.
# Usage: scripts/mpirun.sh -np 3 build/attnsweep run grid.yaml
set -euo pipefail
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
exec mpirun --quiet --oversubscribe --bind-to none "$@"
