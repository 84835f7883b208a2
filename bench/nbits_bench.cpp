//===- nbits_bench.cpp - n-bit weight GEMV against DRAM read bandwidth -----===//
//
// Batch-1 decoding reads every weight once per token, so a W4 GEMV is
// bound by memory bandwidth. This measures the machine's DRAM read
// bandwidth (a STREAM-like sum over a buffer far larger than the caches),
// then qopt_matmul_nbits_f32's rows kernels on K = N = 4096 (and the
// shapes given) at batch 1, cycling through enough weight matrices that
// each call reads its weight from DRAM as a decoder's layers would. Reports
// the weight bytes (codes, scales and zero points) read per second and
// their fraction of the read bandwidth timed right before, the median over
// trials, and the f32 GEMV (the same product with f32 weights through the
// f32 GEMM kernel) for comparison.
//
//   qopt-nbits-bench [--threads T] [--bits 2..8] [--block B] [--trials N]
//                    [--activations f32|s8] [--kernel NAME] [--prefill M,...]
//                    [--shape KxN]...
//
// --prefill M[,M...] times instead the product with M rows of A (a prompt
// of M tokens) through each path of the f32 kernel: the rows kernel
// (--kernel), the dequantized panels and the f32 GEMM of the same shape,
// the fastest of the trials in ms (the weights are not cycled: a prefill
// is bound by arithmetic, not by reading them).
//
// --activations s8 times qopt_matmul_nbits_s8 (W4A8: int8 activations,
// kernels avx512vnni|avxvnni|avx2|generic) instead of the f32 kernel
// (avx512-lut (4 bits)|avx512 (8 bits)|avx2|generic).
//
// The thread count is fixed for the process (QOPT_NUM_THREADS is set from
// --threads before the first kernel call).
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <immintrin.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../runtime/Kernels.h"
#include "qopt/Quant/NBitsPacking.h"

namespace {

using Clock = std::chrono::steady_clock;
using qopt::nbits::Layout;

double seconds(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double median(std::vector<double> values) {
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  return values[values.size() / 2];
}

/// Sum of `n` floats with AVX-512 loads (4 independent accumulators).
__attribute__((target("avx512f"))) float sumAvx512(const float *p, int64_t n) {
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  for (int64_t i = 0; i + 64 <= n; i += 64) {
    a0 = _mm512_add_ps(a0, _mm512_loadu_ps(p + i));
    a1 = _mm512_add_ps(a1, _mm512_loadu_ps(p + i + 16));
    a2 = _mm512_add_ps(a2, _mm512_loadu_ps(p + i + 32));
    a3 = _mm512_add_ps(a3, _mm512_loadu_ps(p + i + 48));
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

/// The same with AVX loads (eight accumulators of 8 floats).
__attribute__((target("avx"))) float sumAvx(const float *p, int64_t n) {
  __m256 acc[8];
  for (__m256 &v : acc)
    v = _mm256_setzero_ps();
  for (int64_t i = 0; i + 64 <= n; i += 64)
    for (int j = 0; j < 8; ++j)
      acc[j] = _mm256_add_ps(acc[j], _mm256_loadu_ps(p + i + 8 * j));
  __m256 s = acc[0];
  for (int j = 1; j < 8; ++j)
    s = _mm256_add_ps(s, acc[j]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, s);
  float total = 0;
  for (float v : lanes)
    total += v;
  return total;
}

/// Bytes per second of reading `buffer` once, split over `threads`.
double readBandwidth(const std::vector<float> &buffer, int threads) {
  const bool avx512 = __builtin_cpu_supports("avx512f");
  int64_t n = int64_t(buffer.size());
  volatile float sink = 0;
  auto t0 = Clock::now();
  float total = 0;
#pragma omp parallel for num_threads(threads) reduction(+ : total) schedule(static)
  for (int t = 0; t < threads; ++t) {
    int64_t chunk = n / threads / 64 * 64;
    total += avx512 ? sumAvx512(buffer.data() + t * chunk, chunk)
                    : sumAvx(buffer.data() + t * chunk, chunk);
  }
  double s = seconds(t0);
  sink = total;
  (void)sink;
  return double(n) * sizeof(float) / s;
}

struct Weights {
  Layout l;
  std::vector<uint8_t> b, zp;
  std::vector<float> scales;
};

Weights randomWeights(const Layout &l, std::mt19937 &rng) {
  Weights w{l, {}, {}, {}};
  w.b.resize(size_t(l.weightBytes()));
  for (uint8_t &v : w.b)
    v = uint8_t(rng());
  w.zp.resize(size_t(l.n * l.zeroPointBytes()));
  for (uint8_t &v : w.zp)
    v = uint8_t(rng());
  w.scales.assign(size_t(l.n * l.kBlocks()), 0.01f);
  return w;
}

/// The layout of a --shape, or null after saying why it is not one.
std::optional<Layout> shapeLayout(int64_t k, int64_t n, int bits, int block) {
  Layout l{k, n, bits, block};
  if (std::optional<std::string> why = l.invalid()) {
    std::fprintf(stderr, "%s\n", why->c_str());
    return std::nullopt;
  }
  return l;
}

int64_t bytesRead(const Layout &l) {
  return l.weightBytes() + l.n * l.kBlocks() * int64_t(sizeof(float)) + l.n * l.zeroPointBytes();
}

} // namespace

int main(int argc, char **argv) {
  int threads = 1, trials = 9, bits = 4, block = 32;
  std::string kernel;
  bool s8 = false;
  std::vector<std::pair<int64_t, int64_t>> shapes;
  std::vector<int64_t> prefill;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char * {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--threads")
      threads = std::atoi(next());
    else if (a == "--trials")
      trials = std::atoi(next());
    else if (a == "--bits")
      bits = std::atoi(next());
    else if (a == "--block")
      block = std::atoi(next());
    else if (a == "--kernel")
      kernel = next();
    else if (a == "--activations") {
      std::string v = next();
      if (v != "f32" && v != "s8") {
        std::fprintf(stderr, "--activations takes f32 or s8\n");
        return 2;
      }
      s8 = v == "s8";
    }
    else if (a == "--prefill") {
      for (const char *p = next(); *p;) {
        char *end = nullptr;
        long long m = std::strtoll(p, &end, 10);
        if (end == p || m <= 0 || (*end && *end != ',')) {
          std::fprintf(stderr, "--prefill takes positive row counts, comma-separated\n");
          return 2;
        }
        prefill.push_back(m);
        p = *end ? end + 1 : end;
      }
    } else if (a == "--shape") {
      long long k = 0, n = 0;
      if (std::sscanf(next(), "%lldx%lld", &k, &n) != 2 || k <= 0 || n <= 0) {
        std::fprintf(stderr, "--shape takes KxN\n");
        return 2;
      }
      shapes.push_back({k, n});
    } else {
      std::fprintf(stderr,
                   "usage: qopt-nbits-bench [--threads T] [--bits 2..8] [--block B] "
                   "[--trials N] [--activations f32|s8] [--kernel NAME] [--prefill M,...] "
                   "[--shape KxN]...\n");
      return 2;
    }
  }
  if (shapes.empty())
    shapes.push_back({4096, 4096});
  if (threads < 1 || trials < 1) {
    std::fprintf(stderr, "--threads and --trials must be positive\n");
    return 2;
  }
  if (!__builtin_cpu_supports("avx")) {
    std::fprintf(stderr, "qopt-nbits-bench: the bandwidth probe needs AVX\n");
    return 1;
  }
  setenv("QOPT_NUM_THREADS", std::to_string(threads).c_str(), 1);
  std::vector<std::string> available = s8 ? qopt::rt::nbitsS8KernelsAvailable(bits, block)
                                          : qopt::rt::nbitsKernelsAvailable(bits, block);
  // The s8 tiles are for M >= 8, not this batch-1 product.
  available.erase(std::remove(available.begin(), available.end(), "tiles"), available.end());
  if (available.empty()) {
    std::fprintf(stderr, "qopt-nbits-bench: no kernel for %d bits%s\n", bits,
                 s8 ? " with int8 activations (4 or 8)" : "");
    return 1;
  }
  if (kernel.empty())
    kernel = available.front();
  if (std::find(available.begin(), available.end(), kernel) == available.end()) {
    std::fprintf(stderr, "kernel '%s' cannot run here for %d bits, blocks of %d\n",
                 kernel.c_str(), bits, block);
    return 1;
  }
  if (!prefill.empty()) {
    if (s8) {
      std::fprintf(stderr, "--prefill times the f32 kernel (not --activations s8)\n");
      return 2;
    }
    std::printf("threads %d, W%d blocks of %d, kernel %s, fastest of %d (ms)\n", threads, bits,
                block, kernel.c_str(), trials);
    std::printf("%-11s %5s %9s %9s %9s\n", "KxN", "M", "rows", "panels", "f32 GEMM");
    std::mt19937 rng(7);
    for (const auto &shape : shapes) {
      const int64_t k = shape.first, n = shape.second; // (captured below)
      std::optional<Layout> shaped = shapeLayout(k, n, bits, block);
      if (!shaped)
        return 1;
      const Layout &l = *shaped;
      Weights w = randomWeights(l, rng);
      std::vector<float> wf(size_t(k * n), 0.01f);
      for (int64_t m : prefill) {
        std::vector<float> a(size_t(m * k), 0.5f), c(size_t(m * n), 0.0f);
        auto fastest = [&](auto run) {
          double best = 1e30;
          for (int t = 0; t < trials; ++t) {
            auto t0 = Clock::now();
            run();
            best = std::min(best, seconds(t0));
          }
          return best * 1e3;
        };
        double rows = fastest([&] {
          qopt::rt::matmulNBitsWith(kernel, l, a.data(), m, k, w.b.data(), w.scales.data(),
                                    w.zp.data(), c.data(), n);
        });
        double panels = fastest([&] {
          qopt::rt::matmulNBitsWith("panels", l, a.data(), m, k, w.b.data(), w.scales.data(),
                                    w.zp.data(), c.data(), n);
        });
        double f32 = fastest([&] {
          qopt::rt::matmulF32Fastest(a.data(), m, k, k, wf.data(), n, n, c.data(), n);
        });
        char name[32];
        std::snprintf(name, sizeof(name), "%lldx%lld", (long long)k, (long long)n);
        std::printf("%-11s %5lld %9.2f %9.2f %9.2f\n", name, (long long)m, rows, panels, f32);
      }
    }
    return 0;
  }
  // 512 MiB: far past any cache.
  std::vector<float> stream(size_t(128) << 20, 1.0f);
  readBandwidth(stream, threads);
  std::printf("threads %d, W%d blocks of %d, %s activations, kernel %s\n", threads, bits,
              block, s8 ? "s8" : "f32", kernel.c_str());
  std::printf("%-11s %9s %9s %9s %9s %7s %9s %9s\n", "KxN", "W us", "W GB/s", "read GB/s",
              "of read", "f32 us", "f32 GB/s", "W / f32");
  std::mt19937 rng(7);
  for (auto [k, n] : shapes) {
    std::optional<Layout> shaped = shapeLayout(k, n, bits, block);
    if (!shaped)
      return 1;
    const Layout &l = *shaped;
    // Enough copies to exceed 256 MiB, so each call reads from DRAM.
    int64_t copies = std::max<int64_t>(2, (int64_t(256) << 20) / bytesRead(l) + 1);
    std::vector<Weights> w;
    for (int64_t c = 0; c < copies; ++c)
      w.push_back(randomWeights(l, rng));
    int64_t f32Copies = std::max<int64_t>(2, (int64_t(256) << 20) / (k * n * 4) + 1);
    std::vector<std::vector<float>> wf(size_t(f32Copies), std::vector<float>(size_t(k * n), 0.01f));
    std::vector<float> a(size_t(k), 0.5f), c(size_t(n), 0.0f);
    std::vector<int8_t> a8(size_t(k), 7);
    std::vector<double> ratio, gbs, us, fus, fgbs, bw;
    for (int t = 0; t < trials; ++t) {
      double read = readBandwidth(stream, threads);
      // One pass over the copies (the first call of a trial warms nothing:
      // its weights were last read a full cycle ago).
      auto t0 = Clock::now();
      for (const Weights &x : w)
        if (s8)
          qopt::rt::matmulNBitsS8With(kernel, l, a8.data(), 1, k, x.b.data(), x.scales.data(),
                                      x.zp.data(), c.data(), n);
        else
          qopt::rt::matmulNBitsWith(kernel, l, a.data(), 1, k, x.b.data(), x.scales.data(),
                                    x.zp.data(), c.data(), n);
      double per = seconds(t0) / double(copies);
      auto t1 = Clock::now();
      for (const std::vector<float> &x : wf)
        qopt::rt::matmulF32Fastest(a.data(), 1, k, k, x.data(), n, n, c.data(), n);
      double fper = seconds(t1) / double(f32Copies);
      bw.push_back(read / 1e9);
      us.push_back(per * 1e6);
      gbs.push_back(double(bytesRead(l)) / per / 1e9);
      ratio.push_back(double(bytesRead(l)) / per / read);
      fus.push_back(fper * 1e6);
      fgbs.push_back(double(k * n * 4) / fper / 1e9);
    }
    char name[32];
    std::snprintf(name, sizeof(name), "%lldx%lld", (long long)k, (long long)n);
    std::printf("%-11s %9.1f %9.2f %9.2f %8.0f%% %7.0f %9.2f %8.2fx\n", name, median(us),
                median(gbs), median(bw), 100 * median(ratio), median(fus), median(fgbs),
                median(fus) / median(us));
  }
  return 0;
}
