// Which device each worker rank takes, on simulated hosts: the driver's GPU listing as folders and
// device files under a temporary root, CUDA_VISIBLE_DEVICES as a string.
#include "workers/device_placement.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

namespace attnsweep {
namespace {

namespace fs = std::filesystem;

class SimulatedHost : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("attnsweep-gpus-" + std::to_string(getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "proc");
    fs::create_directories(root_ / "dev");
  }
  void TearDown() override { fs::remove_all(root_); }
  void ListedByDriver(int gpus) {
    for (int i = 0; i < gpus; ++i) {
      fs::create_directories(root_ / "proc/driver/nvidia/gpus" /
                             ("0000:0" + std::to_string(i) + ":00.0"));
    }
  }
  void DeviceFile(const std::string& name) { std::ofstream(root_ / "dev" / name) << ""; }
  int Count() const { return DriverGpuCount((root_ / "proc").string(), (root_ / "dev").string()); }

  fs::path root_;
};

TEST_F(SimulatedHost, DriverListsItsGpus) {
  EXPECT_EQ(Count(), 0);
  ListedByDriver(3);
  EXPECT_EQ(Count(), 3);
}

TEST_F(SimulatedHost, DeviceFilesCountWhereTheDriverFolderIsMissing) {
  // A container that mounts /dev/nvidiaN without /proc/driver/nvidia: the control and UVM device
  // files are not GPUs.
  for (const char* name : {"nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm", "nvidia-modeset"}) {
    DeviceFile(name);
  }
  EXPECT_EQ(Count(), 2);
}

TEST(VisibleGpuCount, ReadsCudaVisibleDevicesAsCudaDoes) {
  EXPECT_EQ(VisibleGpuCount(std::nullopt, 4), 4);  // unset: all of them
  EXPECT_EQ(VisibleGpuCount("", 4), 0);            // set and empty: none
  EXPECT_EQ(VisibleGpuCount("0,1", 4), 2);
  EXPECT_EQ(VisibleGpuCount("3,1", 4), 2);
  EXPECT_EQ(VisibleGpuCount(" 2 , 3 ", 4), 2);
  // CUDA stops at the first entry that is no GPU: out of range, repeated, -1, not a number.
  EXPECT_EQ(VisibleGpuCount("5", 4), 0);
  EXPECT_EQ(VisibleGpuCount("0,5,1", 4), 1);
  EXPECT_EQ(VisibleGpuCount("1,1,2", 4), 1);
  EXPECT_EQ(VisibleGpuCount("-1", 4), 0);
  EXPECT_EQ(VisibleGpuCount("0,x,1", 4), 1);
  EXPECT_EQ(VisibleGpuCount("0", 0), 0);
  // UUIDs are taken as they come.
  EXPECT_EQ(VisibleGpuCount("GPU-8f1c2d3e,MIG-4a5b6c7d", 1), 2);
}

TEST(ChooseDevice, CpuWhenAskedOrWhenNoGpuFitsAuto) {
  EXPECT_EQ(ChooseDevice("cpu", true, 8, 0).device, "cpu");
  EXPECT_EQ(ChooseDevice("auto", false, 8, 0).device, "cpu");  // a CPU-only build
  EXPECT_EQ(ChooseDevice("auto", true, 0, 0).device, "cpu");   // a host without a GPU
}

TEST(ChooseDevice, WorkersSpreadOverTheVisibleGpus) {
  // Four workers on a node with two visible GPUs: two each, neighbours on different GPUs.
  std::map<std::string, int> workers_per_gpu;
  for (int worker = 0; worker < 4; ++worker) {
    const DeviceChoice choice = ChooseDevice("auto", true, 2, worker);
    EXPECT_TRUE(choice.error.empty());
    EXPECT_EQ(choice.device, "cuda:" + std::to_string(worker % 2));
    ++workers_per_gpu[choice.device];
  }
  EXPECT_EQ(workers_per_gpu, (std::map<std::string, int>{{"cuda:0", 2}, {"cuda:1", 2}}));
  EXPECT_EQ(ChooseDevice("cuda", true, 3, 7).device, "cuda:1");
}

TEST(ChooseDevice, CudaRequestedWithoutCudaOrGpuSaysWhy) {
  const DeviceChoice no_build = ChooseDevice("cuda", false, 2, 0);
  EXPECT_EQ(no_build.device, "");
  EXPECT_NE(no_build.error.find("has no CUDA"), std::string::npos) << no_build.error;
  const DeviceChoice no_gpu = ChooseDevice("cuda", true, 0, 0);
  EXPECT_EQ(no_gpu.device, "");
  EXPECT_NE(no_gpu.error.find("no GPU is visible"), std::string::npos) << no_gpu.error;
  EXPECT_NE(no_gpu.error.find("CUDA_VISIBLE_DEVICES"), std::string::npos) << no_gpu.error;
}

TEST(ExclusiveUnit, NodeOnTheCpuGpuOnAGpu) {
  EXPECT_EQ(ExclusiveUnit("node1", "cpu"), "node1");
  EXPECT_EQ(ExclusiveUnit("node1", "cuda:1"), "node1/cuda:1");
  EXPECT_NE(ExclusiveUnit("node1", "cuda:0"), ExclusiveUnit("node1", "cuda:1"));
}

}  // namespace
}  // namespace attnsweep
