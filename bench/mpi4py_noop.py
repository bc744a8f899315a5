"""The peer of attnsweep's dispatch benchmark: N no-op tasks through mpi4py.futures.

Run as `mpirun -np 3 python3 -m mpi4py.futures bench/mpi4py_noop.py N`: rank 0 submits, the other
ranks run the tasks, nothing is stored. Prints tasks per second over the submissions and results
alone, the pool already up (as attnsweep's figure is over its coordinator's loop alone).
"""
import sys
import time

from mpi4py.futures import MPIPoolExecutor


def noop(i):
    return i


def main():
    tasks = int(sys.argv[1])
    with MPIPoolExecutor() as pool:
        # Every worker up and answering before the clock starts.
        for future in [pool.submit(noop, i) for i in range(100)]:
            future.result()
        start = time.perf_counter()
        futures = [pool.submit(noop, i) for i in range(tasks)]
        done = sum(1 for future in futures if future.result() is not None)
        elapsed = time.perf_counter() - start
    print(f"mpi4py.futures: {done} tasks in {elapsed:.3f} s = {done / elapsed:.0f} tasks/s")


if __name__ == "__main__":
    main()
