// Whether an attnsweep process, named by its host and pid, is known to be gone.
#pragma once

#include <string>

namespace attnsweep {

// True only when `host` is this host and process `pid` has exited: no such process, a zombie not
// yet reaped, or a pid the kernel has since given to another program. False for another host (this
// process cannot tell) and for a live attnsweep.
bool ProcessIsGone(const std::string& host, int pid);

// True when process `pid` of this host has exited: no such process, or a zombie not yet reaped.
// For a process that is not this one's child (waitpid cannot tell).
bool ProcessHasEnded(int pid);

}  // namespace attnsweep
