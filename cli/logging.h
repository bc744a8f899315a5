// spdlog set up for the command line: messages to stderr (stdout carries data), prefixed with the
// rank.
#pragma once

namespace attnsweep {

// verbosity: -1 quiet (warnings and errors), 0 normal, 1 verbose (debug).
void SetupLogging(int verbosity, int rank);

}  // namespace attnsweep
