// Quality metrics of a binary classifier's scores: ROC AUC (ties counted half), accuracy at a
// threshold, and log loss. Plain C++: the train task and the data tests' oracle share them.
#pragma once

#include <vector>

namespace attnsweep {

// The probability that a random positive scores above a random negative, ties counting one half;
// 0.5 when either class is absent.
double RocAuc(const std::vector<double>& scores, const std::vector<int>& labels);

// Share of correct decisions, deciding positive when probability >= 0.5.
double Accuracy(const std::vector<double>& probabilities, const std::vector<int>& labels);

// Mean negative log-likelihood of the labels; probabilities clipped to [1e-7, 1 - 1e-7].
double LogLoss(const std::vector<double>& probabilities, const std::vector<int>& labels);

}  // namespace attnsweep
