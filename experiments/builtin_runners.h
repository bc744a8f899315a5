// How the built-in tasks run and their variants are built: what a program that runs jobs adds to
// the builtins' descriptions (builtins.h). Needs LibTorch; the commands that only read a store do
// without it.
#pragma once

namespace attnsweep {

// RegisterBuiltins(), then each builtin's run, make or make_transaction_model attached. Idempotent.
void RegisterBuiltinRunners();

}  // namespace attnsweep
