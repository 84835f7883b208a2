//===- Hadamard.cpp - Hadamard matrices and orthogonal rotations ----------===//
#include "qopt/Quant/Hadamard.h"

#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>

namespace qopt::quant {

namespace {

/// Quadratic character of a mod the prime q: 0, 1 or -1.
int chi(int64_t a, int64_t q) {
  a = ((a % q) + q) % q;
  if (a == 0)
    return 0;
  for (int64_t x = 1; x < q; ++x)
    if (x * x % q == a)
      return 1;
  return -1;
}

/// Paley I (q = 3 mod 4): order q + 1, H = I + [[0, 1^T], [-1, Q]].
std::vector<int8_t> paleyI(int64_t q) {
  int64_t n = q + 1;
  std::vector<int8_t> h(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int s;
      if (i == 0)
        s = j == 0 ? 0 : 1;
      else if (j == 0)
        s = -1;
      else
        s = chi(j - i, q);
      h[size_t(i * n + j)] = int8_t(s + (i == j ? 1 : 0));
    }
  return h;
}

/// Paley II (q = 1 mod 4): order 2 (q + 1), from the symmetric conference
/// matrix C = [[0, 1^T], [1, Q]]: 0 -> [[1, -1], [-1, -1]], +-1 -> +-[[1, 1], [1, -1]].
std::vector<int8_t> paleyII(int64_t q) {
  int64_t c = q + 1, n = 2 * c;
  std::vector<int8_t> h(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < c; ++i)
    for (int64_t j = 0; j < c; ++j) {
      int s = i == 0 ? (j == 0 ? 0 : 1) : (j == 0 ? 1 : chi(j - i, q));
      for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b) {
          int v = s == 0 ? (a == 0 && b == 0 ? 1 : -1) : s * (a == 1 && b == 1 ? -1 : 1);
          h[size_t((2 * i + a) * n + 2 * j + b)] = int8_t(v);
        }
    }
  return h;
}

const int64_t kBaseOrders[] = {28, 20, 12, 1};

} // namespace

int64_t hadamardBaseOrder(int64_t n) {
  if (n <= 0)
    return 0;
  for (int64_t m : kBaseOrders) {
    if (n % m)
      continue;
    int64_t p = n / m;
    if ((p & (p - 1)) == 0)
      return m;
  }
  return 0;
}

bool hadamardOrderSupported(int64_t n) { return hadamardBaseOrder(n) != 0; }

const std::vector<int8_t> &baseHadamard(int64_t m) {
  static std::mutex mu;
  static std::map<int64_t, std::vector<int8_t>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(m);
  if (it != cache.end())
    return it->second;
  std::vector<int8_t> h;
  switch (m) {
  case 1: h = {1}; break;
  case 12: h = paleyI(11); break;
  case 20: h = paleyI(19); break;
  case 28: h = paleyII(13); break;
  default: std::abort();
  }
  return cache.emplace(m, std::move(h)).first->second;
}

void hadamardTransform(double *data, int64_t rows, int64_t n) {
  int64_t m = hadamardBaseOrder(n);
  if (!m)
    std::abort();
  int64_t p = n / m;
  const std::vector<int8_t> &hm = baseHadamard(m);
  double norm = 1.0 / std::sqrt(double(n));
  std::vector<double> tmp(static_cast<size_t>(n));
  for (int64_t r = 0; r < rows; ++r) {
    double *x = data + r * n;
    // Row index i = a * p + b (a < m, b < p): H_p on every block of p.
    for (int64_t a = 0; a < m; ++a)
      for (int64_t h = 1; h < p; h *= 2)
        for (int64_t i = 0; i < p; i += 2 * h)
          for (int64_t j = i; j < i + h; ++j) {
            double u = x[a * p + j], v = x[a * p + j + h];
            x[a * p + j] = u + v;
            x[a * p + j + h] = u - v;
          }
    // Then H_m across the blocks: y[c * p + b] = sum_a x[a * p + b] H_m[a][c].
    if (m > 1) {
      for (int64_t c = 0; c < m; ++c)
        for (int64_t b = 0; b < p; ++b) {
          double s = 0;
          for (int64_t a = 0; a < m; ++a)
            s += x[a * p + b] * hm[size_t(a * m + c)];
          tmp[size_t(c * p + b)] = s;
        }
      std::copy(tmp.begin(), tmp.end(), x);
    }
    for (int64_t i = 0; i < n; ++i)
      x[i] *= norm;
  }
}

std::vector<double> hadamardMatrix(int64_t n) {
  // Row i of H is the transform of the unit vector e_i.
  std::vector<double> h(static_cast<size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i)
    h[size_t(i * n + i)] = 1.0;
  hadamardTransform(h.data(), n, n);
  return h;
}

std::vector<double> randomizedHadamard(int64_t n, uint64_t seed) {
  std::vector<double> r = hadamardMatrix(n);
  // splitmix64: the same signs on every platform.
  uint64_t state = seed;
  for (int64_t i = 0; i < n; ++i) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    if (z & 1)
      for (int64_t j = 0; j < n; ++j)
        r[size_t(i * n + j)] = -r[size_t(i * n + j)];
  }
  return r;
}

std::vector<double> denseProduct(const std::vector<double> &a, bool transA,
                                 const std::vector<double> &b, bool transB, int64_t m,
                                 int64_t k, int64_t n) {
  std::vector<double> c(static_cast<size_t>(m * n), 0.0);
  std::vector<double> brow(static_cast<size_t>(n));
  for (int64_t p = 0; p < k; ++p) {
    // Row p of op(B), contiguous for the inner loop.
    for (int64_t j = 0; j < n; ++j)
      brow[size_t(j)] = transB ? b[size_t(j * k + p)] : b[size_t(p * n + j)];
    for (int64_t i = 0; i < m; ++i) {
      double av = transA ? a[size_t(p * m + i)] : a[size_t(i * k + p)];
      if (av == 0)
        continue;
      double *ci = &c[size_t(i * n)];
      for (int64_t j = 0; j < n; ++j)
        ci[j] += av * brow[size_t(j)];
    }
  }
  return c;
}

double orthogonalityError(const std::vector<double> &r, int64_t n) {
  std::vector<double> rrt = denseProduct(r, false, r, true, n, n, n);
  double worst = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      worst = std::max(worst, std::abs(rrt[size_t(i * n + j)] - (i == j ? 1.0 : 0.0)));
  return worst;
}

} // namespace qopt::quant
