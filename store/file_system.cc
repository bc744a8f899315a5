#include "store/file_system.h"

#include <sys/vfs.h>

#include <filesystem>

namespace attnsweep {

std::string NetworkFileSystemName(int64_t magic) {
  // The magic numbers of statfs(2)'s list (and Lustre's, GPFS's and BeeGFS's own).
  switch (static_cast<uint32_t>(magic)) {
    case 0x6969:
      return "nfs";
    case 0x517B:
      return "smb";
    case 0xFF534D42:
      return "cifs";
    case 0xFE534D42:
      return "smb2";
    case 0x00C36400:
      return "ceph";
    case 0x0BD00BD0:
      return "lustre";
    case 0x47504653:
      return "gpfs";
    case 0x19830326:
      return "beegfs";
    case 0x01021997:
      return "9p";
    case 0x5346414F:
      return "afs";
    case 0x73757245:
      return "coda";
    case 0x564C:
      return "ncp";
    case 0x65735546:
      return "fuse (sshfs, GlusterFS and others are network file systems)";
    default:
      return "";
  }
}

std::string NetworkFileSystemOf(const std::string& path) {
  std::filesystem::path probe = std::filesystem::absolute(path);
  std::error_code error;
  // The store may not exist yet: its nearest existing folder decides.
  while (!std::filesystem::exists(probe, error) && probe.has_parent_path() &&
         probe != probe.parent_path()) {
    probe = probe.parent_path();
  }
  struct statfs info;
  if (statfs(probe.c_str(), &info) != 0) return "";
  return NetworkFileSystemName(static_cast<int64_t>(info.f_type));
}

}  // namespace attnsweep
