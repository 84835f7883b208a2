//===- Hadamard.h - Hadamard matrices and orthogonal rotations ---*- C++ -*-===//
//
// The one definition of qopt's Hadamard matrices, shared by the qopt.hadamard
// verifier and lowering, the rotation pass (which folds H^T into weights) and
// the choice of online transforms (which undoes them). Order
// n = m * 2^k with m in {1, 12, 20, 28}: H_n = H_m (x) H_{2^k}, Sylvester's
// construction for 2^k and Paley's for m (I for 12 = 11 + 1 and 20 = 19 + 1,
// II for 28 = 2 (13 + 1)).
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_QUANT_HADAMARD_H
#define QOPT_QUANT_HADAMARD_H

#include <cstdint>
#include <string>
#include <vector>

namespace qopt::quant {

/// n = m * 2^k for a supported m (the smallest such m is returned by
/// hadamardBaseOrder); false for n <= 0.
bool hadamardOrderSupported(int64_t n);
/// The m of n = m * 2^k (1, 12, 20 or 28), or 0 when unsupported.
int64_t hadamardBaseOrder(int64_t n);

/// The m x m +-1 Hadamard matrix of a supported base order, row-major.
const std::vector<int8_t> &baseHadamard(int64_t m);

/// The n x n orthonormal Hadamard matrix H_n / sqrt(n), row-major (the
/// matrix qopt.hadamard multiplies rows by: Y = X . H).
std::vector<double> hadamardMatrix(int64_t n);

/// In-place orthonormal Hadamard transform of `rows` rows of length n
/// (Y = X . H / sqrt(n)): the fast Walsh-Hadamard butterflies, then H_m.
/// hadamardMatrix is built with it (the transform of the identity).
void hadamardTransform(double *data, int64_t rows, int64_t n);

/// A random orthogonal rotation for QuaRot-style folding: the orthonormal
/// Hadamard matrix with its rows negated by a seeded random sign vector,
/// R = diag(s) . H / sqrt(n). Deterministic in `seed` across platforms.
std::vector<double> randomizedHadamard(int64_t n, uint64_t seed);

/// C = op(A) . op(B) for row-major double matrices, op(A) m x k and op(B)
/// k x n; `transA` / `transB`: A is stored k x m / B is stored n x k. The
/// one product the rotation folds (X R, R^T W, beta W) and the choice of
/// online transforms (undoing X H and H^T W) use.
std::vector<double> denseProduct(const std::vector<double> &a, bool transA,
                                 const std::vector<double> &b, bool transB, int64_t m,
                                 int64_t k, int64_t n);

/// max |R R^T - I| of an n x n row-major matrix.
double orthogonalityError(const std::vector<double> &r, int64_t n);

} // namespace qopt::quant

#endif
