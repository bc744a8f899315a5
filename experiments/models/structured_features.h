// Structured random orthogonal matrices for Performer's features: cheaper to draw than the Q of a
// QR decomposition (O(d^2 log d) against O(d^3)), as seed 001 and the ORF/SORF papers propose.
#pragma once

#include <torch/torch.h>

namespace attnsweep {

// H D1 H D2 H D3: three products of a random sign diagonal and the normalised Hadamard matrix of
// size p, the smallest power of two >= d, applied by the fast Walsh-Hadamard transform. (d, d):
// its first d rows, restricted to the first d coordinates (an input padded with zeros to p sees
// exactly these). Rows are orthonormal when d is a power of two; otherwise each is rescaled to
// unit length, and they are orthogonal only approximately.
at::Tensor DrawHadamardBlock(int64_t d, at::Generator generator);

// A product of random Givens rotations (Kac's walk), after a random sign diagonal: 8 d ceil(log2 d)
// rotations of a uniformly chosen pair of coordinates by a uniform angle. (d, d), orthogonal. With
// a quarter as many, the coordinates' fourth moment was 3.8 % above a uniform direction's (within
// 1 % with these) and the kernel estimate's error above iid features' (tests/performer_test.cc).
at::Tensor DrawGivensBlock(int64_t d, at::Generator generator);

// How many Givens rotations DrawGivensBlock applies for d.
int64_t GivensRotationCount(int64_t d);

}  // namespace attnsweep
