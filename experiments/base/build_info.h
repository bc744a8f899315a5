// Facts about this build, recorded with every batch so a result can be traced to the code behind
// it.
#pragma once

namespace attnsweep {

// Short git revision of the source tree at build time, "-dirty" when it had local changes, or
// "unknown" outside a git checkout. Regenerated on every build (cmake/build_info.cmake).
const char* GitRevision();
const char* AttnsweepVersion();

}  // namespace attnsweep
