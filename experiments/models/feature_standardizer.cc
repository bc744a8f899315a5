#include "experiments/models/feature_standardizer.h"

#include <torch/nn/functional/batchnorm.h>

namespace attnsweep {

FeatureStandardizerImpl::FeatureStandardizerImpl(int64_t features) {
  norm = register_module(
      "norm", torch::nn::BatchNorm1d(torch::nn::BatchNorm1dOptions(features).affine(false)));
}

torch::Tensor FeatureStandardizerImpl::forward(const torch::Tensor& features) {
  if (is_training() && features.size(0) < 2) {
    namespace F = torch::nn::functional;
    return F::batch_norm(features, norm->running_mean, norm->running_var,
                         F::BatchNormFuncOptions().training(false).eps(norm->options.eps()));
  }
  return norm->forward(features);
}

}  // namespace attnsweep
