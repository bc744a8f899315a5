// Which device a worker rank runs its jobs on: the CPU, or one GPU of its node, chosen by the
// worker's index among the workers on its node, modulo the GPUs it can see. Decided in the worker
// rank without starting CUDA there: the rank forks job processes, and CUDA started in a parent
// fails in its forked children.
#pragma once

#include <optional>
#include <string>

namespace attnsweep {

// NVIDIA GPUs the driver lists on this host: entries of <proc_root>/driver/nvidia/gpus, else
// <dev_root>/nvidiaN device files; 0 without the driver.
int DriverGpuCount(const std::string& proc_root = "/proc", const std::string& dev_root = "/dev");

// GPUs a CUDA process here sees, as CUDA reads CUDA_VISIBLE_DEVICES (`visible`, nullopt when
// unset): the listed entries up to the first that is not a GPU (an index out of range or repeated,
// -1, anything but a GPU-/MIG- UUID); unset, every GPU the driver lists.
int VisibleGpuCount(const std::optional<std::string>& visible, int driver_gpus);
// The same for this process's environment and driver.
int VisibleGpus();

struct DeviceChoice {
  std::string device;  // "cpu" or "cuda:N"; empty when none fits the request
  std::string error;   // why not, when empty
};

// `requested`: auto (a GPU when the build has CUDA and one is visible, else the CPU), cpu or cuda
// (a GPU or an error). `worker_index`: the worker's rank among the workers on its node.
DeviceChoice ChooseDevice(const std::string& requested, bool cuda_build, int visible_gpus,
                          int worker_index);

// What an exclusive job has to itself on a worker: its node on the CPU, its GPU on a GPU (jobs on
// the node's other GPUs go on beside it).
std::string ExclusiveUnit(const std::string& host, const std::string& device);

}  // namespace attnsweep
