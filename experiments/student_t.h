// Student's t distribution, for intervals over a handful of paired seeds: with 3 seeds a normal
// quantile (1.96) instead of t's (4.30) would claim intervals twice too narrow. Plain C++.
#pragma once

namespace attnsweep {

// P(T <= t) for T with `df` degrees of freedom (df > 0, not necessarily whole).
double StudentTCdf(double t, double df);
// The t with StudentTCdf(t, df) = p, p in (0, 1); |error| < 1e-9 relative.
double StudentTQuantile(double p, double df);
// 2 P(T >= |t|).
double TwoSidedStudentTP(double t, double df);

}  // namespace attnsweep
