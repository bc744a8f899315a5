// The fused GRU sequence against LibTorch's own torch::nn::GRU on the same weights: the outputs
// and the gradients of the input and all four weights.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/autograd.h>
#include <torch/nn/modules/rnn.h>
#include <torch/utils.h>

#include "experiments/models/gru_sequence.h"
#include "tests/tensor_gap.h"

namespace attnsweep {
namespace {

struct GruCase {
  int64_t batch, length, width, hidden;
};

class GruSequenceMatches : public ::testing::TestWithParam<GruCase> {};

TEST_P(GruSequenceMatches, LibTorchsGruAndItsGradients) {
  const GruCase c = GetParam();
  torch::manual_seed(5);
  torch::nn::GRU reference(torch::nn::GRUOptions(c.width, c.hidden).batch_first(true));
  const auto x = at::randn({c.batch, c.length, c.width}).requires_grad_();
  const auto upstream = at::randn({c.batch, c.length, c.hidden});
  const auto weights = reference->all_weights();  // w_ih, w_hh, b_ih, b_hh
  std::vector<at::Tensor> inputs{x};
  inputs.insert(inputs.end(), weights.begin(), weights.end());
  auto gradients = [&](const at::Tensor& out) {
    return torch::autograd::grad({(out * upstream).sum()}, inputs);
  };
  const auto expected = std::get<0>(reference->forward(x));
  const auto expected_grads = gradients(expected);
  const auto fused = GruSequence(x, weights[0], weights[1], weights[2], weights[3]);
  ASSERT_EQ(fused.sizes(), expected.sizes());
  EXPECT_LT(LargestGap(fused, expected), 1e-5);
  const auto fused_grads = gradients(fused);
  const char* names[] = {"x", "w_ih", "w_hh", "b_ih", "b_hh"};
  for (size_t i = 0; i < inputs.size(); ++i) {
    // Sums over every step and row: compared against the gradient's own scale.
    const double scale = std::max(1.0, expected_grads[i].abs().max().item<double>());
    EXPECT_LT(LargestGap(fused_grads[i], expected_grads[i]), 2e-5 * scale) << names[i];
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, GruSequenceMatches,
                         ::testing::Values(GruCase{32, 50, 64, 64}, GruCase{3, 1, 5, 7},
                                           GruCase{1, 17, 8, 4}, GruCase{9, 40, 16, 24}));

TEST(GruSequence, ItsGradientIsThatOfFiniteDifferences) {
  // Independent of LibTorch's GRU: central differences in double precision would need a double
  // kernel; in float, a small GRU and a coarse step still tell a wrong gate formula apart.
  torch::manual_seed(6);
  const int64_t batch = 2, length = 4, width = 3, hidden = 3;
  auto x = at::randn({batch, length, width}).requires_grad_();
  auto w_ih = (at::randn({3 * hidden, width}) * 0.5).requires_grad_();
  auto w_hh = (at::randn({3 * hidden, hidden}) * 0.5).requires_grad_();
  auto b_ih = at::randn({3 * hidden}).requires_grad_(),
       b_hh = at::randn({3 * hidden}).requires_grad_();
  const auto upstream = at::randn({batch, length, hidden});
  auto loss = [&] { return (GruSequence(x, w_ih, w_hh, b_ih, b_hh) * upstream).sum(); };
  const auto grads = torch::autograd::grad({loss()}, {x, w_hh});
  torch::NoGradGuard no_grad;
  const float step = 1e-2f;
  for (int which = 0; which < 2; ++which) {
    auto& tensor = which == 0 ? x : w_hh;
    auto flat = tensor.view({-1});
    for (int64_t i = 0; i < flat.numel(); i += 2) {
      const float kept = flat[i].item<float>();
      flat[i].fill_(kept + step);
      const double up = loss().item<double>();
      flat[i].fill_(kept - step);
      const double down = loss().item<double>();
      flat[i].fill_(kept);
      const double numeric = (up - down) / (2 * step);
      EXPECT_NEAR(grads[which].reshape({-1})[i].item<double>(), numeric,
                  2e-3 * (1 + std::abs(numeric)))
          << (which == 0 ? "x" : "w_hh") << " element " << i;
    }
  }
}

}  // namespace
}  // namespace attnsweep
