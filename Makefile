# The two commands a user needs: `make demo` and `make test`. Both install missing Debian packages first.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: setup configure build demo test test-torch2 test-torch2-cuda faults test-multihost test-slurm test-report bench bench-data quality seed-study signal-study device-packages format clean

setup:
	@bash scripts/setup.sh

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) $(CMAKE_ARGS)

configure: setup $(BUILD_DIR)/CMakeCache.txt

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD_DIR)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -LE 'browser|multihost|slurm|faults'

# The kill -9 campaign at length: N trials (default 40), SEED to repeat one (default: the time).
N ?= 40
SEED ?=
faults: build
	bash tests/faults/fault_campaign.sh $(BUILD_DIR) $(N) $(SEED)
	FAULT_CAMPAIGN_GRID=asha bash tests/faults/fault_campaign.sh $(BUILD_DIR) $(N) $(SEED)

# Several hosts simulated on this machine (network namespaces, root): the short suite of `make
# test` and the lost-host suite (a host's ranks killed, a whole host killed, a host frozen and cut
# off; each ends the MPI job, and resume finishes the batch exactly once). About a minute.
test-multihost: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L 'hosts|multihost'

# A one-node Slurm cluster started and stopped by the test (installs Debian's Slurm and munge
# once): sbatch of examples/slurm/attnsweep.sbatch, srun --mpi=pmix, the drain on USR1 and a
# requeued job resuming the batch (docs/slurm.md). About 30 s.
test-slurm: build
	@bash scripts/install_test_tools.sh slurmctld slurmd slurm-client munge
	cd $(BUILD_DIR) && ctest --output-on-failure -L slurm

# The HTML report checked in a real browser: installs Debian's chromium (once), then runs the
# browser tests (a minute).
# The same suites built against LibTorch 2.6 (GCC 14, Open MPI 5) in a Debian 13 root made once with
# debootstrap (scripts/debian13_root.sh, ../shared/debian13.md); skipped (exit 77) without root.
test-torch2:
	@bash scripts/test_torch2.sh

test-torch2-cuda:
	@bash scripts/test_torch2_cuda.sh

test-report: build
	@bash scripts/install_test_tools.sh chromium
	cmake --build $(BUILD_DIR) -j $(JOBS) --target browser_tests
	cd $(BUILD_DIR) && ctest --output-on-failure -L browser

# Speed and memory against their peers, ratios measured in the same run (BENCHMARKS.md). Installs
# the peers Debian has (python3-mpi4py, python3-torch) first.
bench: build
	@bash scripts/install_test_tools.sh python3-mpi4py python3-torch
	@bash scripts/bench.sh $(BUILD_DIR)

bench-data: build
	@bash scripts/bench_data.sh $(BUILD_DIR)

# The quality tables of docs/train.md (about 75 minutes on 2 cores: three grids, one after another).
quality: build
	@bash scripts/quality.sh $(BUILD_DIR)

# The seeds' studies (docs/results.md): speed and memory against length, quality with 3 seeds,
# Performer's features. PROFILE=quick (default, about 9 minutes on 2 cores) or PROFILE=full (about
# 31 minutes).
seed-study: build
	@bash scripts/seed_study.sh $(BUILD_DIR)

# Signals with known answers: every variant and both baselines on each planted label family
# (docs/results.md); PROFILE=quick (default, within 15 minutes on 2 cores) or full.
signal-study: build
	@bash scripts/signal_study.sh $(BUILD_DIR)

# What scripts/device_check.sh needs carried to a machine with an NVIDIA GPU and no network:
# Debian's packages of our dependencies and the report's bundles, in .device/ (docs/gpu.md).
device-packages: setup
	@bash scripts/device_packages.sh

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD_DIR)
