// The main of the test binaries that use the registry: the built-in tasks and variants are
// registered as the attnsweep binary registers them (cli/main.cc), before any test runs.
#include <gtest/gtest.h>

#include "experiments/builtins.h"

int main(int argc, char** argv) {
  attnsweep::RegisterBuiltins();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
