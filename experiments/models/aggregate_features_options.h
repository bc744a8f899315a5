// AggregateClassifierOptions: what the registry's description (builtin_variants.cc, its defaults)
// and the model both read; free of LibTorch's tensors (TORCH_ARG is a macro of its own header).
#pragma once

#include <cstdint>

#include <torch/arg.h>

namespace attnsweep {

struct AggregateClassifierOptions {
  AggregateClassifierOptions(int64_t mcc_vocabulary, int64_t type_vocabulary)
      : mcc_vocabulary_(mcc_vocabulary), type_vocabulary_(type_vocabulary) {}
  // Category and type indices run below these (0 is padding).
  TORCH_ARG(int64_t, mcc_vocabulary);
  TORCH_ARG(int64_t, type_vocabulary);
  // Width of the MLP's hidden layer; 0 for logistic regression on the features.
  TORCH_ARG(int64_t, hidden) = 64;
  TORCH_ARG(double, dropout) = 0.1;
};

}  // namespace attnsweep
