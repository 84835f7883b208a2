//===- gemm_bench.cpp - int8 GEMM kernel vs this CPU's dot-product peak ----===//
//
// Measures the int8 multiply-accumulate peak of one core by issuing the
// dot-product instruction back to back (vpdpbusd on zmm for AVX-512 VNNI, on
// ymm for AVX-VNNI; vpmaddwd on ymm for AVX2 without VNNI, whose kernels
// multiply exactly in int16; independent accumulators), then times qopt's int8
// GEMM kernel of the same instruction set on 1024x1024x1024 and on the
// PP-OCR recognizer's real layer shapes, single-threaded. Prints GMAC/s and
// the fraction of peak: the median, over 9 trials, of the kernel's rate over
// the peak timed right before it (same-moment ratios; this machine's speed
// drifts by up to a third over seconds). With AVX-512 VNNI it then times
// the W4A8 kernel (qopt_matmul_nbits_s8, int4 weights with group scales
// times int8 activations) at M = 128 the same way.
//
//   qopt-gemm-bench [--isa avx512vnni|avxvnni|avx2] [--seconds S]
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <immintrin.h>

#include "../runtime/Kernels.h"
#include "qopt/Quant/Int8Packing.h"
#include "qopt/Quant/NBitsPacking.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

constexpr int kTrials = 9;

/// The median of `values`.
double median(std::vector<double> values) {
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  return values[values.size() / 2];
}

/// MACs per second of back-to-back vpdpbusd zmm (64 MACs each).
__attribute__((target("avx512f,avx512bw,avx512vnni"))) double peakAvx512(double budget) {
  __m512i acc[16];
  for (int j = 0; j < 16; ++j)
    acc[j] = _mm512_set1_epi32(j);
  __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
  int64_t iters = 0;
  auto t0 = Clock::now();
  double t = 0;
  do {
    for (int r = 0; r < 4096; ++r)
      for (int j = 0; j < 16; ++j) {
        acc[j] = _mm512_dpbusd_epi32(acc[j], a, b);
        __asm__ volatile("" : "+v"(acc[j]));
      }
    iters += 4096;
    t = seconds(t0);
  } while (t < budget);
  int32_t sink[16];
  __m512i s = acc[0];
  for (int j = 1; j < 16; ++j)
    s = _mm512_add_epi32(s, acc[j]);
  _mm512_storeu_si512(sink, s);
  if (sink[0] == 42)
    std::puts("");
  return double(iters) * 16 * 64 / t;
}

/// MACs per second of back-to-back vpdpbusd ymm (32 MACs each).
__attribute__((target("avx2,avxvnni"))) double peakAvxVnni(double budget) {
  __m256i acc[12];
  for (int j = 0; j < 12; ++j)
    acc[j] = _mm256_set1_epi32(j);
  __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-2);
  int64_t iters = 0;
  auto t0 = Clock::now();
  double t = 0;
  do {
    for (int r = 0; r < 4096; ++r)
      for (int j = 0; j < 12; ++j) {
        acc[j] = _mm256_dpbusd_avx_epi32(acc[j], a, b);
        __asm__ volatile("" : "+x"(acc[j]));
      }
    iters += 4096;
    t = seconds(t0);
  } while (t < budget);
  int32_t sink[8];
  __m256i s = acc[0];
  for (int j = 1; j < 12; ++j)
    s = _mm256_add_epi32(s, acc[j]);
  _mm256_storeu_si256((__m256i *)sink, s);
  if (sink[0] == 42)
    std::puts("");
  return double(iters) * 12 * 32 / t;
}

/// MACs per second of back-to-back vpmaddwd ymm (16 MACs each: 8 lanes of
/// two int16 products), what exact int8 products cost without VNNI (the
/// AVX2 kernels widen or split their operands to int16). An upper bound:
/// the tiles also add each product pair into an accumulator (vpaddd), which
/// runs beside it on other ports.
__attribute__((target("avx2"))) double peakAvx2(double budget) {
  __m256i acc[12];
  for (int j = 0; j < 12; ++j)
    acc[j] = _mm256_set1_epi16(int16_t(j + 1));
  __m256i a = _mm256_set1_epi16(3);
  int64_t iters = 0;
  auto t0 = Clock::now();
  double t = 0;
  do {
    for (int r = 0; r < 4096; ++r)
      for (int j = 0; j < 12; ++j) {
        acc[j] = _mm256_madd_epi16(acc[j], a);
        __asm__ volatile("" : "+x"(acc[j]));
      }
    iters += 4096;
    t = seconds(t0);
  } while (t < budget);
  int32_t sink[8];
  __m256i s = acc[0];
  for (int j = 1; j < 12; ++j)
    s = _mm256_add_epi32(s, acc[j]);
  _mm256_storeu_si256((__m256i *)sink, s);
  if (sink[0] == 42)
    std::puts("");
  return double(iters) * 12 * 16 / t;
}

using Kernel = decltype(&qopt_matmul_s8s8_i32_avx512vnni);
using KernelPA = decltype(&qopt_matmul_s8s8_i32_avx512vnni_pa);
using KernelPB = decltype(&qopt_matmul_s8s8_i32_avx512vnni_pb);
struct Kernels {
  const char *isa;
  Kernel plain;
  KernelPA pa;
  KernelPB pb;
};

/// Which operand holds a layer's weights, which compiled models get packed
/// at compile time (qopt-prepack-weights): A for a Conv, B for a MatMul.
enum class Weights { A, B };

using PeakFn = double (*)(double);

/// A kernel's rate and its fraction of the peak.
struct Rate {
  double macs, fraction;
};

/// Times `call` (`macs` multiply-adds) for `budget` seconds in all, in
/// kTrials trials, each right after timing the peak loop: a virtual
/// machine's neighbours slow this core down by up to a third for seconds at
/// a time, and adjacent timings see the same slowdown. Returns the medians
/// of the trials' rates and of their fractions of the peak.
template <typename Call>
Rate timedRate(Call call, double macs, PeakFn peak, double budget) {
  call(); // warm-up
  std::vector<double> rates, fractions;
  for (int trial = 0; trial < kTrials; ++trial) {
    double p = peak(budget / kTrials / 4);
    int64_t reps = 0;
    auto t0 = Clock::now();
    double t = 0;
    do {
      call();
      ++reps;
      t = seconds(t0);
    } while (t < budget / kTrials);
    rates.push_back(double(reps) * macs / t);
    fractions.push_back(rates.back() / p);
  }
  return {median(rates), median(fractions)};
}

/// Repeats C += A*B for `budget` seconds in all; with `prepacked`, the
/// weights come packed (outside the timing) as in a compiled model.
Rate gemmRate(const Kernels &k, PeakFn peak, int64_t m, int64_t n, int64_t kk, Weights w,
              bool prepacked, double budget) {
  namespace pack = qopt::int8pack;
  std::vector<int8_t> a(m * kk), b(kk * n);
  std::vector<int32_t> c(m * n);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = int8_t((i * 7) % 255 - 127);
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = int8_t((i * 13) % 255 - 127);
  pack::Tile tile = *pack::tileFor(k.isa);
  std::vector<int8_t> packed;
  std::vector<int32_t> sums;
  if (prepacked && w == Weights::A) {
    packed.resize(pack::packedBytes(m, tile.mr, kk));
    sums.resize(pack::blocks(kk) * m);
    pack::packA({a.data(), kk, 1}, m, kk, tile.mr, packed.data(), sums.data());
  } else if (prepacked) {
    packed.resize(pack::packedBytes(n, tile.nr, kk));
    pack::packB({b.data(), n, 1}, n, kk, tile.nr, reinterpret_cast<uint8_t *>(packed.data()));
  }
  int64_t np = packed.size(), ns = sums.size();
  auto call = [&] {
    if (!prepacked)
      k.plain(a.data(), a.data(), 0, m, kk, kk, 1, b.data(), b.data(), 0, kk, n, n, 1, c.data(),
              c.data(), 0, m, n, n, 1);
    else if (w == Weights::A)
      k.pa(packed.data(), packed.data(), 0, np, 1, sums.data(), sums.data(), 0, ns, 1, b.data(),
           b.data(), 0, kk, n, n, 1, c.data(), c.data(), 0, m, n, n, 1);
    else
      k.pb(a.data(), a.data(), 0, m, kk, kk, 1, packed.data(), packed.data(), 0, np, 1, c.data(),
           c.data(), 0, m, n, n, 1);
  };
  return timedRate(call, double(m) * double(n) * double(kk), peak, budget);
}

/// W4A8 / group-wise W8A8 (qopt_matmul_nbits_s8's tiles: s8 activations,
/// packed n-bit weights with a scale and zero point per block) on
/// C[m,n] += A[m,k] * W^T.
Rate nbitsS8Rate(PeakFn peak, int64_t m, int64_t n, int64_t kk, int64_t bits, int64_t block,
                 double budget) {
  qopt::nbits::Layout l{kk, n, bits, block};
  std::vector<int8_t> a(m * kk);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = int8_t((i * 7) % 255 - 127);
  std::vector<uint8_t> b(l.weightBytes()), zp(n * l.zeroPointBytes());
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = uint8_t(i * 13);
  for (size_t i = 0; i < zp.size(); ++i)
    zp[i] = uint8_t(i * 5);
  std::vector<float> scales(n * l.kBlocks(), 0.01f), c(m * n);
  auto call = [&] {
    qopt::rt::matmulNBitsS8With("tiles", l, a.data(), m, kk, b.data(), scales.data(), zp.data(),
                                c.data(), n);
  };
  return timedRate(call, double(m) * double(n) * double(kk), peak, budget);
}

} // namespace

int main(int argc, char **argv) {
  // The kernels read QOPT_NUM_THREADS once; the peak is one core's.
  setenv("QOPT_NUM_THREADS", "1", 1);
  std::string isa;
  double budget = 1.0;
  struct Shape {
    const char *what;
    int64_t m, n, k;
    Weights w;
  };
  std::vector<Shape> only;
  for (int i = 1; i < argc; ++i) {
    long long m = 0, n = 0, kk = 0;
    char side = 'A';
    if (!std::strcmp(argv[i], "--isa") && i + 1 < argc) {
      isa = argv[++i];
    } else if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) {
      budget = std::atof(argv[++i]);
    } else if (!std::strcmp(argv[i], "--shape") && i + 1 < argc &&
               std::sscanf(argv[++i], "%lldx%lldx%lld:%c", &m, &n, &kk, &side) >= 3 && m > 0 &&
               n > 0 && kk > 0 && (side == 'A' || side == 'B')) {
      only.push_back({"--shape", m, n, kk, side == 'A' ? Weights::A : Weights::B});
    } else {
      std::fprintf(stderr, "usage: qopt-gemm-bench [--isa avx512vnni|avxvnni|avx2] [--seconds S] "
                           "[--shape MxNxK[:A|:B]]...\n"
                           "  --shape: time only these shapes; :A or :B names the operand "
                           "holding the weights (default A)\n");
      return 2;
    }
  }
  bool has512 = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
  bool hasVnni = __builtin_cpu_supports("avxvnni");
  bool hasAvx2 = __builtin_cpu_supports("avx2");
  if (isa.empty())
    isa = has512 ? "avx512vnni" : hasVnni ? "avxvnni" : hasAvx2 ? "avx2" : "";
  if ((isa == "avx512vnni" && !has512) || (isa == "avxvnni" && !hasVnni) ||
      (isa == "avx2" && !hasAvx2) || (isa != "avx512vnni" && isa != "avxvnni" && isa != "avx2")) {
    std::printf("int8 GEMM bench: this CPU has no %s; skipped\n",
                isa.empty() ? "AVX2 or VNNI" : isa.c_str());
    return 0;
  }
  PeakFn peakFn = isa == "avx512vnni" ? peakAvx512 : isa == "avxvnni" ? peakAvxVnni : peakAvx2;
  std::vector<double> peaks;
  for (int trial = 0; trial < kTrials; ++trial)
    peaks.push_back(peakFn(budget / kTrials));
  double peak = median(peaks);
  Kernels k = isa == "avx512vnni"
                  ? Kernels{"avx512vnni", qopt_matmul_s8s8_i32_avx512vnni,
                            qopt_matmul_s8s8_i32_avx512vnni_pa, qopt_matmul_s8s8_i32_avx512vnni_pb}
              : isa == "avxvnni"
                  ? Kernels{"avxvnni", qopt_matmul_s8s8_i32_avxvnni, qopt_matmul_s8s8_i32_avxvnni_pa,
                            qopt_matmul_s8s8_i32_avxvnni_pb}
                  : Kernels{"avx2", qopt_matmul_s8s8_i32_avx2, qopt_matmul_s8s8_i32_avx2_pa,
                            qopt_matmul_s8s8_i32_avx2_pb};
  std::printf("int8 peak (%s, back-to-back %s, 1 core): %.1f GMAC/s\n", isa.c_str(),
              isa == "avx2" ? "vpmaddwd" : "vpdpbusd", peak / 1e9);
  std::vector<Shape> shapes = {{"square", 1024, 1024, 1024, Weights::A},
                          {"rec conv 1x1 (240->240, 12x80)", 240, 960, 240, Weights::A},
                          {"rec conv 1x1 (480<-480, 6x40)", 480, 240, 480, Weights::A},
                          {"rec conv 1x1 (64<-64, 24x160)", 64, 3840, 64, Weights::A},
                          {"rec neck conv 3x3 (60<-320)", 60, 40, 2880, Weights::A},
                          {"rec attention qkv (40 tokens)", 40, 360, 120, Weights::B},
                          {"rec head FC (40 x 6625)", 40, 6625, 120, Weights::B}};
  if (!only.empty())
    shapes = only;
  // "per call": both operands packed on every call; "prepacked": the
  // weights (A of a Conv, B of a MatMul) packed at compile time, as
  // compiled models run them.
  std::printf("%-34s %18s %8s %19s %19s\n", "shape", "MxNxK", "weights",
              "per call GMAC/s(%)", "prepacked GMAC/s(%)");
  for (const Shape &s : shapes) {
    Rate plain = gemmRate(k, peakFn, s.m, s.n, s.k, s.w, false, budget / 2);
    Rate pre = gemmRate(k, peakFn, s.m, s.n, s.k, s.w, true, budget / 2);
    char dims[64];
    std::snprintf(dims, sizeof dims, "%lldx%lldx%lld", (long long)s.m, (long long)s.n,
                  (long long)s.k);
    std::printf("%-34s %18s %8s %10.1f (%5.1f%%) %10.1f (%5.1f%%)\n", s.what, dims,
                s.w == Weights::A ? "A" : "B", plain.macs / 1e9, 100 * plain.fraction,
                pre.macs / 1e9, 100 * pre.fraction);
  }
  if (isa == "avx512vnni") {
    // W4A8: 4-bit weights (a scale and zero point per group of K) times int8
    // activations, the nibbles unpacked per call (the weights stay packed).
    std::printf("\n%-34s %18s %8s %19s\n", "W4A8 / W8A8 group-wise (tiles)", "MxNxK", "bits/g",
                "GMAC/s (% of peak)");
    struct NBitsShape {
      int64_t m, n, k, bits, block;
    };
    for (const NBitsShape &s : {NBitsShape{128, 4096, 4096, 4, 128},
                                NBitsShape{128, 4096, 4096, 4, 32},
                                NBitsShape{128, 4096, 4096, 8, 128},
                                NBitsShape{128, 11008, 4096, 4, 128}}) {
      Rate r = nbitsS8Rate(peakFn, s.m, s.n, s.k, s.bits, s.block, budget);
      char dims[64], fmt[32];
      std::snprintf(dims, sizeof dims, "%lldx%lldx%lld", (long long)s.m, (long long)s.n,
                    (long long)s.k);
      std::snprintf(fmt, sizeof fmt, "%lld/%lld", (long long)s.bits, (long long)s.block);
      std::printf("%-34s %18s %8s %10.1f (%5.1f%%)\n", "", dims, fmt, r.macs / 1e9,
                  100 * r.fraction);
    }
  }
  return 0;
}
