// The main of the test binaries that use the registry: the built-in tasks and variants are
// registered as the attnsweep binaries register them (cli/main.cc, cli/engine_main.cc), before any
// test runs. The binaries that run jobs (ATTNSWEEP_TESTS_RUN_JOBS, linked with LibTorch) attach
// the builtins' runners; unit_tests has their descriptions only, as the reading commands do.
#include <gtest/gtest.h>

#if ATTNSWEEP_TESTS_RUN_JOBS
#include "experiments/builtin_runners.h"
#else
#include "experiments/builtins.h"
#endif

int main(int argc, char** argv) {
#if ATTNSWEEP_TESTS_RUN_JOBS
  attnsweep::RegisterBuiltinRunners();
#else
  attnsweep::RegisterBuiltins();
#endif
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
