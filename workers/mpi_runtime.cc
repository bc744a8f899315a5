#include "workers/mpi_runtime.h"

#include <mpi.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <list>
#include <stdexcept>
#include <thread>

namespace attnsweep {
namespace {

constexpr int kTag = 7;

// An MPI_Isend with the buffer it must keep alive until it completes.
class PendingSend {
 public:
  PendingSend(int destination, std::string bytes) : bytes_(std::move(bytes)) {
    MPI_Isend(bytes_.data(), static_cast<int>(bytes_.size()), MPI_CHAR, destination, kTag,
              MPI_COMM_WORLD, &request_);
  }
  PendingSend(const PendingSend&) = delete;
  PendingSend& operator=(const PendingSend&) = delete;
  ~PendingSend() {
    // Not complete at destruction (shutdown with a dead peer): let MPI finish or drop it alone.
    if (request_ != MPI_REQUEST_NULL) MPI_Request_free(&request_);
  }
  bool Done() {
    if (request_ == MPI_REQUEST_NULL) return true;
    int done = 0;
    MPI_Test(&request_, &done, MPI_STATUS_IGNORE);
    return done != 0;
  }

 private:
  std::string bytes_;
  MPI_Request request_ = MPI_REQUEST_NULL;
};

class MpiTransport final : public Transport {
 public:
  MpiTransport(int rank, int size) : rank_(rank), size_(size) {}
  ~MpiTransport() override { Flush(2.0); }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void Send(int destination, std::string bytes) override {
    Reap();
    pending_.emplace_back(destination, std::move(bytes));
  }

  std::optional<Envelope> Poll() override {
    Reap();
    int arrived = 0;
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, kTag, MPI_COMM_WORLD, &arrived, &status);
    if (!arrived) return std::nullopt;
    int count = 0;
    MPI_Get_count(&status, MPI_CHAR, &count);
    Envelope envelope;
    envelope.source = status.MPI_SOURCE;
    envelope.bytes.resize(static_cast<size_t>(count));
    MPI_Recv(envelope.bytes.data(), count, MPI_CHAR, status.MPI_SOURCE, kTag, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    return envelope;
  }

  bool HasMessage() override {
    int arrived = 0;
    MPI_Iprobe(MPI_ANY_SOURCE, kTag, MPI_COMM_WORLD, &arrived, MPI_STATUS_IGNORE);
    return arrived != 0;
  }

  void Flush(double timeout_s) override {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(timeout_s));
    while (!pending_.empty() && std::chrono::steady_clock::now() < deadline) {
      Reap();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

 private:
  void Reap() {
    pending_.remove_if([](PendingSend& send) { return send.Done(); });
  }

  int rank_, size_;
  std::list<PendingSend> pending_;
};

}  // namespace

MpiRuntime::MpiRuntime(int* argc, char*** argv) {
  // Open MPI makes every probe yield the processor when more ranks than cores run (it assumes a
  // rank that found nothing should let others run). attnsweep's ranks wait in their own way
  // (poll_wait.h); yielding inside each probe as well cost a sweep of short jobs two thirds of its
  // speed on 2 cores (530 against 1,560 no-op jobs a second). A user's own setting wins.
  setenv("OMPI_MCA_mpi_yield_when_idle", "0", /*overwrite=*/0);
  int provided = 0;
  if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    throw std::runtime_error("MPI could not start");
  }
  if (provided < MPI_THREAD_FUNNELED) {
    MPI_Finalize();
    throw std::runtime_error("MPI granted thread level " + std::to_string(provided) +
                             ", below MPI_THREAD_FUNNELED, which jobs in threads need");
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiRuntime::~MpiRuntime() {
  if (finalize_) MPI_Finalize();
}

bool MpiRuntime::launched_by_mpirun() const {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr;
}

NodePlacement MpiRuntime::Placement() const {
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node);
  NodePlacement placement;
  int node_size = 1;
  MPI_Comm_rank(node, &placement.local_rank);
  MPI_Comm_size(node, &node_size);
  int lowest_world_rank = rank_;
  MPI_Allreduce(&rank_, &lowest_world_rank, 1, MPI_INT, MPI_MIN, node);
  MPI_Comm_free(&node);
  placement.coordinator_here = lowest_world_rank == 0;
  // With one rank the coordinator's own worker thread runs the jobs.
  placement.workers_on_node =
      size_ == 1 ? 1 : std::max(1, node_size - (placement.coordinator_here ? 1 : 0));
  return placement;
}

std::string MpiRuntime::LibraryVersion() const {
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string text(version, static_cast<size_t>(length));
  const size_t comma = text.find(',');
  return comma == std::string::npos ? text : text.substr(0, comma);
}

std::unique_ptr<Transport> MpiRuntime::MakeTransport() const {
  return std::make_unique<MpiTransport>(rank_, size_);
}

bool MayRunJobs() {
  // Where the variables are missing (another launcher), assume a worker: a launcher it does not
  // use costs nothing but a sleeping process.
  const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
  const char* size = std::getenv("OMPI_COMM_WORLD_SIZE");
  return rank == nullptr || size == nullptr || std::atoi(rank) != 0 || std::atoi(size) <= 1;
}

void DieWithParentUnderMpirun() {
  if (std::getenv("OMPI_COMM_WORLD_SIZE") == nullptr) return;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The parent may have died between our start and the prctl.
  if (getppid() == 1) std::_Exit(137);
}

}  // namespace attnsweep
