// The network file system check (store/file_system.h): statfs(2)'s magic numbers by name, and this
// machine's temporary folder is not networked.
#include <gtest/gtest.h>

#include <filesystem>

#include "store/file_system.h"

namespace attnsweep {
namespace {

TEST(FileSystem, NetworkFileSystemsByTheirStatfsMagic) {
  EXPECT_EQ(NetworkFileSystemName(0x6969), "nfs");
  EXPECT_EQ(NetworkFileSystemName(0xFF534D42), "cifs");
  EXPECT_EQ(NetworkFileSystemName(0x0BD00BD0), "lustre");
  EXPECT_EQ(NetworkFileSystemName(0x47504653), "gpfs");
  EXPECT_EQ(NetworkFileSystemName(0xEF53), "");      // ext2/3/4
  EXPECT_EQ(NetworkFileSystemName(0x01021994), "");  // tmpfs
  EXPECT_EQ(NetworkFileSystemName(0x58465342), "");  // xfs
  EXPECT_EQ(NetworkFileSystemName(0x794C7630), "");  // overlayfs
}

TEST(FileSystem, ALocalFolderAndAStoreNotCreatedYetAreNotNetworked) {
  const auto folder = std::filesystem::temp_directory_path();
  EXPECT_EQ(NetworkFileSystemOf(folder.string()), "");
  EXPECT_EQ(NetworkFileSystemOf((folder / "not-yet" / "deeper" / "s.db").string()), "");
}

}  // namespace
}  // namespace attnsweep
