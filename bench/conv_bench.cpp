//===- conv_bench.cpp - float 3x3 convolutions: im2col GEMM vs Winograd ---===//
//
// Times a float 3x3 convolution (unit strides and dilations, padded input)
// through the two runtime paths qoptc chooses between: the f32 tiles over the
// im2col matrix read from the input (qopt_conv2d_f32_pa, qopt-fold-im2col)
// and Winograd F(2x2, 3x3) (qopt_conv2d_f32_wino, qopt-winograd-conv), with
// the same tile kernel and thread count, alternating the two per trial.
// Prints each path's median over the trials, their ratio (Winograd over
// GEMM) and the largest difference relative to the largest output. The
// default shapes are PP-OCR det's five 96 -> 24 channel convolutions and a
// few ResNet- and VGG-like ones; --shape adds C,F,OH,OW (channels, filters,
// output height and width).
//
//   qopt-conv-bench [--threads T] [--kernel avx512|avx2|generic] [--trials N]
//                   [--shape C,F,OH,OW]...
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "../runtime/Kernels.h"
#include "../runtime/Threads.h"
#include "qopt/Quant/F32Packing.h"
#include "qopt/Quant/F32Winograd.h"

namespace {

struct Shape {
  int64_t ch, m, oh, ow;
};

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

int usage() {
  std::fprintf(stderr, "usage: qopt-conv-bench [--threads T] [--kernel avx512|avx2|generic] "
                       "[--trials N] [--shape C,F,OH,OW]...\n");
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  int threads = 1, trials = 15;
  std::string kernel = qopt::rt::f32KernelsAvailable().front();
  std::vector<Shape> shapes;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc)
      return usage();
    const char *v = argv[++i];
    if (arg == "--threads")
      threads = std::atoi(v);
    else if (arg == "--trials")
      trials = std::atoi(v);
    else if (arg == "--kernel")
      kernel = v;
    else if (arg == "--shape") {
      Shape s{};
      if (std::sscanf(v, "%ld,%ld,%ld,%ld", &s.ch, &s.m, &s.oh, &s.ow) != 4 || s.ch < 1 ||
          s.m < 1 || s.oh < 1 || s.ow < 1)
        return usage();
      shapes.push_back(s);
    } else {
      return usage();
    }
  }
  if (threads < 1 || trials < 1)
    return usage();
  std::optional<qopt::f32pack::Tile> tile = qopt::f32pack::tileFor(kernel);
  std::vector<std::string> have = qopt::rt::f32KernelsAvailable();
  if (!tile || std::find(have.begin(), have.end(), kernel) == have.end()) {
    std::fprintf(stderr, "qopt-conv-bench: this CPU has no f32 kernel '%s'\n", kernel.c_str());
    return 1;
  }
  if (shapes.empty())
    shapes = {{96, 24, 160, 160}, {96, 24, 80, 80}, {96, 24, 40, 40}, {96, 24, 20, 20},
              {64, 64, 56, 56},   {128, 128, 28, 28}, {256, 256, 14, 14}, {512, 512, 7, 7},
              {16, 16, 160, 160}, {8, 8, 160, 160}};
  qopt::rt::RunThreads run(threads);
  std::printf("f32 3x3 convolutions, kernel %s, %d thread(s), medians of %d trials\n",
              kernel.c_str(), threads, trials);
  std::printf("%-22s %10s %12s %8s %12s\n", "C -> F, OHxOW", "GEMM ms", "Winograd ms",
              "W/GEMM", "max diff");
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  for (const Shape &s : shapes) {
    const int64_t h = s.oh + 2, w = s.ow + 2, k = s.ch * 9, n = s.oh * s.ow;
    std::vector<float> x(size_t(s.ch * h * w)), g(size_t(s.m * k));
    for (float &v : x)
      v = normal(rng);
    for (float &v : g)
      v = normal(rng) / std::sqrt(float(k));
    std::vector<float> packed(qopt::f32pack::packedSize(s.m, k, tile->mr));
    qopt::f32pack::packA(g.data(), k, 1, s.m, k, tile->mr, packed.data());
    std::vector<float> u(qopt::f32wino::packedSize(s.m, s.ch, tile->mr));
    qopt::f32wino::packFilters(
        [&](int64_t o, int64_t c, int64_t t) { return g[size_t((o * s.ch + c) * 9 + t)]; }, s.m,
        s.ch, tile->mr, u.data());
    std::vector<float> c1(size_t(s.m * n)), c2(c1.size());
    std::vector<double> t1, t2;
    for (int t = 0; t < trials + 1; ++t) { // the first pair warms up
      auto t0 = std::chrono::steady_clock::now();
      qopt::rt::conv2dF32PackedAWith(kernel, packed.data(), s.m, x.data(), 1, s.ch, h, w, 3, 3,
                                     1, 1, 1, 1, s.oh, s.ow, c1.data(), n, true);
      auto t1p = std::chrono::steady_clock::now();
      qopt::rt::conv2dF32WinogradWith(kernel, u.data(), s.m, x.data(), 1, s.ch, h, w, s.oh,
                                      s.ow, c2.data(), n, true);
      auto t2p = std::chrono::steady_clock::now();
      if (t == 0)
        continue;
      t1.push_back(std::chrono::duration<double, std::milli>(t1p - t0).count());
      t2.push_back(std::chrono::duration<double, std::milli>(t2p - t1p).count());
    }
    double largest = 0, diff = 0;
    for (size_t i = 0; i < c1.size(); ++i) {
      largest = std::max(largest, double(std::fabs(c1[i])));
      diff = std::max(diff, double(std::fabs(c1[i] - c2[i])));
    }
    const double a = median(t1), b = median(t2);
    char name[64];
    std::snprintf(name, sizeof(name), "%ld -> %ld, %ldx%ld", long(s.ch), long(s.m), long(s.oh),
                  long(s.ow));
    std::printf("%-22s %10.3f %12.3f %8.2f %12.1e\n", name, a, b, b / a, diff / largest);
  }
  return 0;
}
