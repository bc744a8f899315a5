#include "workers/sweep.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <fstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "experiments/base/exit_codes.h"
#include "experiments/device/cuda_runtime.h"
#include "workers/inprocess_transport.h"
#include "workers/interrupts.h"
#include "workers/placement.h"
#include "workers/process_liveness.h"
#include "workers/worker.h"

namespace attnsweep {

SweepRanks::SweepRanks(MpiRuntime& mpi, JobLauncher* launcher)
    : mpi_(mpi), launcher_(launcher), placement_(mpi.Placement()) {
  if (mpi_.size() > 1) transport_ = mpi_.MakeTransport();
}

SweepRanks::~SweepRanks() {
  // Most likely a store error escaping as an exception; the workers exit as rank 0 will.
  if (is_coordinator() && !settled_) Dismiss(kExitStoreError);
}

int SweepRanks::ThreadsPerJob(const SweepSettings& settings) const {
  return ThreadsPerWorker(settings.threads_per_rank, placement_.workers_on_node);
}

DeviceChoice SweepRanks::WorkerDevice(const SweepSettings& settings) const {
  // The coordinator is its node's lowest rank (MPI_COMM_TYPE_SHARED keeps world order); with one
  // rank it is also the only worker.
  const int worker_index =
      std::max(0, placement_.local_rank - (placement_.coordinator_here && mpi_.size() > 1 ? 1 : 0));
  return ChooseDevice(settings.device, BuiltWithCuda(), VisibleGpus(), worker_index);
}

namespace {
WorkerOptions MakeWorkerOptions(int threads, int workers_on_node, const DeviceChoice& device,
                                JobLauncher* launcher) {
  WorkerOptions options;
  options.launcher = launcher;
  options.host = HostName();
  options.threads = threads;
  options.node_threads = threads * workers_on_node;
  options.device = device.device;
  options.device_error = device.error;
  options.interrupt_requested = [] { return InterruptRequested(); };
  return options;
}
}  // namespace

int SweepRanks::ServeAsWorker(const SweepSettings& settings) {
  const int threads = ThreadsPerJob(settings);
  const DeviceChoice device = WorkerDevice(settings);
  spdlog::debug("worker on {} (local rank {}, {} workers on this node): {}, {} threads per job",
                HostName(), placement_.local_rank, placement_.workers_on_node,
                device.device.empty() ? device.error : device.device, threads);
  return RunWorker(*transport_,
                   MakeWorkerOptions(threads, placement_.workers_on_node, device, launcher_));
}

SweepReport SweepRanks::Coordinate(ResultStore& store, int64_t batch_id,
                                   const SweepSettings& settings) {
  settled_ = true;
  CoordinatorOptions options;
  options.lease_owner = LeaseOwner();
  options.max_attempts = settings.max_attempts;
  options.worker_timeout_s = settings.worker_timeout_s;
  options.isolation = settings.isolation;
  options.job_timeout_s = settings.job_timeout_s;
  options.job_memory_bytes = settings.job_memory_bytes;
  options.log_root = settings.log_root;
  options.checkpoint_root = settings.checkpoint_root;
  options.interrupt_requested = [] { return InterruptRequested(); };
  options.drain_requested = [] { return DrainRequested(); };
  if (transport_) {
    Coordinator coordinator(*transport_, store, batch_id, options);
    return coordinator.Run();
  }
  // One rank: the worker is a thread of this process.
  options.worker_in_process = true;
  auto endpoints = MakeInProcessTransports(2);
  const WorkerOptions worker_options =
      MakeWorkerOptions(ThreadsPerJob(settings), 1, WorkerDevice(settings), launcher_);
  std::thread worker([&] { RunWorker(*endpoints[1], worker_options); });
  // A store error (a full disk, say) leaves the coordinator by an exception: the worker thread
  // is told to leave and joined before it propagates, or its std::thread would end the process
  // with std::terminate and no word of the cause.
  struct JoinWorker {
    std::thread& thread;
    Transport& coordinator_end;
    ~JoinWorker() {
      if (std::uncaught_exceptions() > 0) {
        Message shutdown;
        shutdown.type = MessageType::kShutdown;
        shutdown.exit_code = kExitStoreError;
        SendMessage(coordinator_end, 1, shutdown);
      }
      thread.join();
    }
  } join_worker{worker, *endpoints[0]};
  Coordinator coordinator(*endpoints[0], store, batch_id, options);
  return coordinator.Run();
}

void SweepRanks::Dismiss(int exit_code) {
  settled_ = true;
  if (!transport_) return;
  Message shutdown;
  shutdown.type = MessageType::kShutdown;
  shutdown.exit_code = exit_code;
  for (int rank = 1; rank < mpi_.size(); ++rank) SendMessage(*transport_, rank, shutdown);
  transport_->Flush(2.0);
}

std::string LeaseOwner() { return HostName() + ":" + std::to_string(getpid()); }

bool LeaseHolderIsDead(const std::string& holder) {
  const size_t colon = holder.rfind(':');
  if (colon == std::string::npos) return false;
  return ProcessIsGone(holder.substr(0, colon),
                       static_cast<int>(std::strtol(holder.c_str() + colon + 1, nullptr, 10)));
}

}  // namespace attnsweep
