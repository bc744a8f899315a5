// Student's t against published table values (quantiles to the digits printed in standard
// tables, and tail probabilities computed independently by numerical integration of the density).
#include "experiments/student_t.h"

#include <gtest/gtest.h>

#include <cmath>

namespace attnsweep {
namespace {

TEST(StudentT, QuantilesMatchTheTables) {
  EXPECT_NEAR(StudentTQuantile(0.975, 1), 12.706204736, 1e-8);
  EXPECT_NEAR(StudentTQuantile(0.975, 2), 4.302652730, 1e-8);
  EXPECT_NEAR(StudentTQuantile(0.975, 4), 2.776445105, 1e-8);
  EXPECT_NEAR(StudentTQuantile(0.975, 10), 2.228138852, 1e-8);
  EXPECT_NEAR(StudentTQuantile(0.995, 5), 4.032142984, 1e-8);
  EXPECT_NEAR(StudentTQuantile(0.975, 1e7), 1.959963985, 1e-6);  // the normal's, in the limit
  EXPECT_NEAR(StudentTQuantile(0.025, 3), -StudentTQuantile(0.975, 3), 1e-12);
  EXPECT_EQ(StudentTQuantile(0.5, 3), 0);
}

// The density integrated by Simpson's rule from 0 to |t|: an independent route to the tail.
double TailByIntegration(double t, double df) {
  const double c = std::exp(std::lgamma((df + 1) / 2) - std::lgamma(df / 2)) / std::sqrt(df * M_PI);
  auto density = [&](double x) { return c * std::pow(1 + x * x / df, -(df + 1) / 2); };
  const int steps = 20000;
  const double h = std::fabs(t) / steps;
  double sum = density(0) + density(std::fabs(t));
  for (int i = 1; i < steps; ++i) sum += (i % 2 ? 4 : 2) * density(i * h);
  return 1 - 2 * sum * h / 3;  // two-sided
}

TEST(StudentT, TailsMatchTheIntegratedDensity) {
  for (double df : {1.0, 2.0, 2.5, 7.0, 30.0}) {
    for (double t : {0.3, 1.0, 2.0, 4.5}) {
      EXPECT_NEAR(TwoSidedStudentTP(t, df), TailByIntegration(t, df), 1e-9) << t << " " << df;
      EXPECT_NEAR(StudentTCdf(t, df), 1 - TwoSidedStudentTP(t, df) / 2, 1e-12);
      EXPECT_NEAR(StudentTCdf(-t, df), TwoSidedStudentTP(t, df) / 2, 1e-12);
    }
  }
  EXPECT_THROW(StudentTCdf(1, 0), std::invalid_argument);
  EXPECT_THROW(StudentTQuantile(1, 3), std::invalid_argument);
}

}  // namespace
}  // namespace attnsweep
