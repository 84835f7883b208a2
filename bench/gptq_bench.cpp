//===- gptq_bench.cpp - GPTQ calibration time on one large layer ----------===//
//
//   qopt-gptq-bench [--table] [K [N [ROWS]]]
//
// Times what --gptq costs per MatMul layer: accumulating the input Hessian
// H = sum x xᵀ over ROWS input rows of K elements (LayerHessian::add) and
// rounding a K x N weight (gptqRound, per output channel), on random data,
// and prints the two times and the output error against nearest rounding.
// Defaults: K = N = 4096, ROWS = 512 (4 samples of 128 tokens).
// --table: the layer-output SQNR (10 log10 of tr(W H Wᵀ) over the output
// error) of round-to-nearest and GPTQ, each with and without the clip
// search, for int8 and int4 formats per channel and per group, and GPTQ's
// time for each (defaults K = N = 1024).
//
//===----------------------------------------------------------------------===//
#include "qopt/Quant/Gptq.h"

#include <chrono>
#include <cmath>
#include <string>
#include <cstdio>
#include <cstdlib>
#include <random>

using namespace qopt::quant;

int main(int argc, char **argv) {
  bool table = argc > 1 && std::string(argv[1]) == "--table";
  if (table) {
    --argc;
    ++argv;
  }
  int64_t k = argc > 1 ? std::atoll(argv[1]) : table ? 1024 : 4096;
  int64_t n = argc > 2 ? std::atoll(argv[2]) : table ? 1024 : 4096;
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
  if (table) {
    LayerHessian h = LayerHessian::matmul(k);
    if (!h.add(x.data(), {rows, k}))
      return 1;
    h.finish();
    GroupWeights zero;
    zero.rows = n;
    zero.cols = k;
    zero.spec.groupSize = 0;
    zero.scales.assign(size_t(n), 1.0);
    zero.zeros.assign(size_t(n), 0);
    zero.codes.assign(size_t(n * k), 0);
    double signal = outputError(w, zero, h);
    auto sqnr = [&](const GroupWeights &r) {
      return 10 * std::log10(signal / outputError(w, r, h));
    };
    std::printf("K=%lld N=%lld rows=%lld, layer-output SQNR (dB):\n"
                "| format | RTN | RTN+clip | GPTQ | GPTQ+clip | GPTQ s |\n"
                "| --- | --- | --- | --- | --- | --- |\n",
                (long long)k, (long long)n, (long long)rows);
    struct Format {
      const char *name;
      int64_t bits, group;
      bool symmetric;
    } formats[] = {{"W8 per channel", 8, 0, true}, {"W4 per channel", 4, 0, true},
                   {"W4 g128 sym", 4, 128, true},  {"W4 g128 asym", 4, 128, false},
                   {"W4 g32 sym", 4, 32, true},    {"W4 g32 asym", 4, 32, false}};
    for (const Format &f : formats) {
      GroupSpec spec;
      spec.bits = f.bits;
      spec.groupSize = f.group;
      spec.symmetric = f.symmetric;
      double rtn = sqnr(roundToNearestGroupwise(w, n, k, spec));
      auto t = clock::now();
      double gptq = sqnr(gptqGroupwise(w, n, k, h, spec));
      double secs = std::chrono::duration<double>(clock::now() - t).count();
      spec.clipSearch = true;
      double rtnClip = sqnr(roundToNearestGroupwise(w, n, k, spec));
      double gptqClip = sqnr(gptqGroupwise(w, n, k, h, spec));
      std::printf("| %s | %.2f | %.2f | %.2f | %.2f | %.2f |\n", f.name, rtn, rtnClip, gptq,
                  gptqClip, secs);
    }
    return 0;
  }
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
