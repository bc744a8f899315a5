// Which file system a store lives on, where that matters: SQLite's write-ahead log relies on POSIX
// locks and a shared-memory file that network file systems do not provide reliably
// (sqlite.org/wal.html: "WAL does not work over a network filesystem"), so a store on NFS can be
// corrupted. attnsweep warns; it does not refuse (a user may know their file system is safe).
#pragma once

#include <cstdint>
#include <string>

namespace attnsweep {

// The name of the network file system with this statfs(2) f_type ("nfs", "cifs", "lustre", ...),
// or "" for one that is not known to be networked.
std::string NetworkFileSystemName(int64_t magic);

// The network file system `path` (or, for a file not created yet, its folder) is on, or "".
std::string NetworkFileSystemOf(const std::string& path);

}  // namespace attnsweep
