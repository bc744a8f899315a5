// Whether model A's test ROC AUC beats a baseline B's on the same customers: a paired comparison
// with DeLong's variance, combined over several runs (seeds). Plain C++. Why paired: both models
// score the same examples, so most of the sampling noise of the two AUCs is shared and cancels in
// their difference; comparing two independent intervals would throw that away and miss real gains.
#pragma once

#include <cstdint>
#include <vector>

namespace attnsweep {

struct ScoredExample {
  int64_t id = 0;  // the example (customer) id: what pairs two models' scores
  int label = 0;   // 0 or 1
  double score = 0;
};

// One run (a seed): model A's and the baseline B's scores. Only ids present in both count; an
// id's label must agree between them (else std::invalid_argument).
struct PairedRun {
  std::vector<ScoredExample> a, b;
};

struct AucComparison {
  int runs = 0;
  int64_t positives = 0, negatives = 0;  // distinct ids of each class over all runs
  double auc_a = 0, auc_b = 0;           // means over runs, on the shared ids
  double difference = 0;                 // mean over runs of AUC_a - AUC_b
  std::vector<double> run_differences;   // each run's AUC_a - AUC_b
  double customer_std_error = 0;         // from the sampling of customers (DeLong, below)
  // customer_std_error and the runs' spread together (below): the interval's and p-value's.
  double std_error = 0;
  double lo = 0, hi = 0;  // difference +- z * std_error
  // Two-sided, H0: difference = 0 (normal). When std_error is 0: 1 if the difference is 0 too (the
  // models rank alike), else 0 (e.g. a perfect model against a constant one).
  double p_value = 1;
};

// The method: DeLong, DeLong & Clarke-Pearson (1988), "Comparing the areas under two or more
// correlated receiver operating characteristic curves", Biometrics 44:837-845.
//
// One run, m positives with scores x_i and n negatives with scores y_j, psi(x, y) = 1 if x > y,
// 1/2 if x == y, 0 otherwise. Each model's placement values are, for a positive,
// V10(i) = (1/n) sum_j psi(x_i, y_j), and for a negative, V01(j) = (1/m) sum_i psi(x_i, y_j);
// AUC = mean V10 = mean V01. They come from midranks in O((m + n) log(m + n)). The difference
// d = AUC_a - AUC_b has DeLong's variance S10 / m + S01 / n, S10 the sample variance (denominator
// m - 1) of phi(i) = V10_a(i) - V10_b(i) over positives and S01 that of V01_a(j) - V01_b(j) over
// negatives.
//
// Several runs, R of them, whose test sets may be the same, overlap or be disjoint: the estimate is
// theta = (1/R) sum_r d_r, and its variance is written through each id's influence,
// IF(i) = (1/R) sum over the runs r holding i of (phi_r(i) - d_r) / m_r for a positive id (with the
// negatives' components and n_r for a negative id), as
// Var(theta) = M / (M - 1) sum_positive IF(i)^2 + N / (N - 1) sum_negative IF(j)^2,
// M and N the distinct positive and negative ids over all runs. With one run this is DeLong's
// variance exactly; with runs on the same ids it is DeLong's variance of the run-averaged
// components; with disjoint ids it is close to the sum of the runs' variances over R^2. That is
// customer_std_error^2.
//
// A claim that A beats B must hold for another training seed too, not only for these: with R >= 2
// runs, the sample variance of the runs' differences over R is added (std_error^2 =
// customer_std_error^2 + s_d^2 / R). Runs on the same customers differ by training randomness only,
// so nothing is counted twice; on different customers this counts their sampling twice, which errs
// on the side of caution.
//
// The interval is theta +- z std_error with z the (1 + confidence) / 2 normal quantile, and the
// p-value 2 (1 - Phi(|theta| / std_error)). Throws std::invalid_argument for no runs, a run whose
// shared ids lack a class, a label other than 0 or 1, labels that disagree (between A and B, or for
// one id across runs), an id twice in one list, a NaN score, or confidence outside (0, 1).
AucComparison CompareAucsPaired(const std::vector<PairedRun>& runs, double confidence = 0.95);

// The inverse standard normal CDF for p in (0, 1), |error| < 1e-9: safeguarded Newton steps on
// log(1 - Phi), which stays accurate far in the tails. Throws std::invalid_argument outside (0, 1).
double NormalQuantile(double p);

// 2 (1 - Phi(|z|)), through std::erfc so that tiny p-values do not round to 0 by cancellation.
double TwoSidedNormalP(double z);

}  // namespace attnsweep
