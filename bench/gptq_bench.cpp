//===- gptq_bench.cpp - GPTQ calibration time on one large layer ----------===//
//
//   qopt-gptq-bench [K [N [ROWS]]]
//
// Times what --gptq costs per MatMul layer: accumulating the input Hessian
// H = sum x xᵀ over ROWS input rows of K elements (LayerHessian::add) and
// rounding a K x N weight (gptqRound, per output channel), on random data,
// and prints the two times and the output error against nearest rounding.
// Defaults: K = N = 4096, ROWS = 512 (4 samples of 128 tokens).
//
//===----------------------------------------------------------------------===//
#include "qopt/Quant/Gptq.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

using namespace qopt::quant;

int main(int argc, char **argv) {
  int64_t k = argc > 1 ? std::atoll(argv[1]) : 4096;
  int64_t n = argc > 2 ? std::atoll(argv[2]) : 4096;
  int64_t rows = argc > 3 ? std::atoll(argv[3]) : 512;
  if (k <= 0 || n <= 0 || rows <= 0) {
    std::fprintf(stderr, "usage: qopt-gptq-bench [K [N [ROWS]]] (positive)\n");
    return 2;
  }
  std::mt19937 rng(7);
  std::normal_distribution<float> d(0.f, 1.f);
  // Inputs with a few strong channels, as activations have.
  std::vector<float> x(size_t(rows * k));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < k; ++i)
      x[r * k + i] = d(rng) * (i % 97 == 0 ? 8.f : 1.f);
  std::vector<double> w(size_t(n * k));
  for (double &v : w)
    v = 0.02 * d(rng);
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  LayerHessian h = LayerHessian::matmul(k);
  if (!h.add(x.data(), {rows, k}))
    return 1;
  h.finish();
  auto t1 = clock::now();
  RoundedWeights r = gptqRound(w, n, k, h, /*perTensor=*/false);
  auto t2 = clock::now();
  double hs = std::chrono::duration<double>(t1 - t0).count();
  double gs = std::chrono::duration<double>(t2 - t1).count();
  double eg = outputError(w, r, h), en = outputError(w, nearestRound(w, n, k, false), h);
  std::printf("K=%lld N=%lld rows=%lld: hessian %.2f s, gptq %.2f s, total %.2f s; "
              "output error gptq/nearest %.3f\n",
              (long long)k, (long long)n, (long long)rows, hs, gs, hs + gs, eg / en);
  return 0;
}
