//===- Gptq.cpp - weight rounding that minimises layer output error -------===//
#include "qopt/Quant/Gptq.h"
#include "qopt/Quant/QuantMath.h"

#include <algorithm>
#include <cblas.h>
#include <cmath>

// LAPACK (OpenBLAS's), column-major.
extern "C" {
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dtrtri_(const char *uplo, const char *diag, const int *n, double *a, const int *lda,
             int *info);
}

namespace qopt::quant {

LayerHessian LayerHessian::conv(int64_t channels, int64_t group, std::array<int64_t, 2> kernel,
                                std::array<int64_t, 2> strides, std::array<int64_t, 4> pads,
                                std::array<int64_t, 2> dilations) {
  LayerHessian l;
  l.isConv = true;
  l.channels = channels;
  l.numGroups = group;
  l.kernel = kernel;
  l.strides = strides;
  l.pads = pads;
  l.dilations = dilations;
  l.k = channels / group * kernel[0] * kernel[1];
  l.h.assign(size_t(group * l.k * l.k), 0.0);
  return l;
}

LayerHessian LayerHessian::matmul(int64_t k) {
  LayerHessian l;
  l.k = k;
  l.h.assign(size_t(k * k), 0.0);
  return l;
}

void LayerHessian::accumulate(int64_t g, const std::vector<float> &colsT, int64_t positions) {
  // H += X Xᵀ for the k×positions matrix X (rows contiguous), lower triangle
  // (row-major), in double: dsyrk over chunks of positions converted to
  // double (a chunk bounds the copy for large convolution inputs).
  double *hg = h.data() + g * k * k;
  constexpr int64_t kChunk = 1024;
  std::vector<double> xd(size_t(k * std::min(positions, kChunk)));
  for (int64_t p0 = 0; p0 < positions; p0 += kChunk) {
    int64_t pc = std::min(kChunk, positions - p0);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t p = 0; p < pc; ++p)
        xd[i * pc + p] = colsT[i * positions + p0 + p];
    cblas_dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, int(k), int(pc), 1.0, xd.data(),
                int(pc), 1.0, hg, int(k));
  }
}

bool LayerHessian::add(const float *x, const std::vector<int64_t> &shape) {
  std::vector<float> colsT;
  if (!isConv) {
    if (shape.empty() || shape.back() != k)
      return false;
    int64_t rows = 1;
    for (size_t d = 0; d + 1 < shape.size(); ++d)
      rows *= shape[d];
    // H += Xᵀ X for the rows×k matrix X, in chunks of rows converted to
    // double.
    const int64_t kChunk = std::max<int64_t>(256, (int64_t(1) << 24) / k);
    std::vector<double> xd(size_t(k * std::min(rows, kChunk)));
    for (int64_t r0 = 0; r0 < rows; r0 += kChunk) {
      int64_t rc = std::min(kChunk, rows - r0);
      std::copy(x + r0 * k, x + (r0 + rc) * k, xd.begin());
      cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, int(k), int(rc), 1.0, xd.data(),
                  int(k), 1.0, h.data(), int(k));
    }
    count += uint64_t(rows);
    return true;
  }
  if (shape.size() != 4 || shape[1] != channels)
    return false;
  int64_t n = shape[0], hIn = shape[2], wIn = shape[3];
  int64_t hOut = (hIn + pads[0] + pads[2] - dilations[0] * (kernel[0] - 1) - 1) / strides[0] + 1;
  int64_t wOut = (wIn + pads[1] + pads[3] - dilations[1] * (kernel[1] - 1) - 1) / strides[1] + 1;
  if (hOut <= 0 || wOut <= 0)
    return false;
  int64_t positions = hOut * wOut, perGroup = channels / numGroups;
  colsT.resize(size_t(k * positions));
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t g = 0; g < numGroups; ++g) {
      // Row (c, i, j) of the patch matrix: channel c of the group at kernel
      // offset (i, j), over all output positions (zero in the padding).
      int64_t row = 0;
      for (int64_t c = 0; c < perGroup; ++c) {
        const float *plane = x + ((b * channels) + g * perGroup + c) * hIn * wIn;
        for (int64_t i = 0; i < kernel[0]; ++i)
          for (int64_t j = 0; j < kernel[1]; ++j, ++row) {
            float *dst = colsT.data() + row * positions;
            for (int64_t oy = 0; oy < hOut; ++oy) {
              int64_t iy = oy * strides[0] - pads[0] + i * dilations[0];
              for (int64_t ox = 0; ox < wOut; ++ox) {
                int64_t ix = ox * strides[1] - pads[1] + j * dilations[1];
                dst[oy * wOut + ox] = iy >= 0 && iy < hIn && ix >= 0 && ix < wIn
                                          ? plane[iy * wIn + ix]
                                          : 0.0f;
              }
            }
          }
      }
      accumulate(g, colsT, positions);
    }
    count += uint64_t(positions);
  }
  return true;
}

void LayerHessian::finish() {
  // Tiles keep the transposition in cache.
  constexpr int64_t kTile = 64;
  for (int64_t g = 0; g < numGroups; ++g) {
    double *hg = h.data() + g * k * k;
    for (int64_t i0 = 0; i0 < k; i0 += kTile)
      for (int64_t j0 = 0; j0 <= i0; j0 += kTile)
        for (int64_t i = i0; i < std::min(k, i0 + kTile); ++i)
          for (int64_t j = j0; j < std::min(i, j0 + kTile); ++j)
            hg[j * k + i] = hg[i * k + j];
  }
}

namespace {

/// The upper-triangular U with H⁻¹ = Uᵀ U, for symmetric positive definite H
/// (n×n). With J the reversal permutation, J H J = L Lᵀ (Cholesky) gives
/// H⁻¹ = (J L⁻¹ J)ᵀ (J L⁻¹ J), and J L⁻¹ J is upper triangular (LAPACK's
/// dpotrf and dtrtri in f64, in `scratch`). Writes U's upper triangle to `u`
/// (f32, row-major; the lower triangle is not written) and its diagonal to
/// `diag` (f64). Returns false if H is not positive definite.
bool inverseCholeskyUpper(const std::vector<double> &hMat, int64_t n,
                          std::vector<double> &scratch, std::vector<float> &u,
                          std::vector<double> &diag) {
  // J H J is symmetric: its row-major storage is also its column-major one.
  scratch.resize(size_t(n * n));
  double *m = scratch.data();
  for (int64_t i = 0; i < n; ++i) {
    const double *src = hMat.data() + (n - 1 - i) * n;
    double *dst = m + i * n;
    for (int64_t j = 0; j < n; ++j)
      dst[j] = src[n - 1 - j];
  }
  int nn = int(n), info = 0;
  dpotrf_("L", &nn, m, &nn, &info);
  if (info != 0)
    return false;
  dtrtri_("L", "N", &nn, m, &nn, &info);
  if (info != 0)
    return false;
  // M = L⁻¹ is column-major lower: M(a, b) = m[b * n + a] for a >= b, and
  // U(i, j) = M(n-1-i, n-1-j). Tiles keep the transposition in cache.
  u.resize(size_t(n * n));
  diag.resize(size_t(n));
  constexpr int64_t kTile = 64;
  for (int64_t i0 = 0; i0 < n; i0 += kTile)
    for (int64_t j0 = i0; j0 < n; j0 += kTile)
      for (int64_t i = i0; i < std::min(n, i0 + kTile); ++i)
        for (int64_t j = std::max(i, j0); j < std::min(n, j0 + kTile); ++j) {
          double v = m[(n - 1 - j) * n + (n - 1 - i)];
          if (!std::isfinite(v))
            return false;
          u[i * n + j] = float(v);
        }
  for (int64_t i = 0; i < n; ++i)
    diag[i] = m[(n - 1 - i) * n + (n - 1 - i)];
  return true;
}

double rowScale(const std::vector<double> &w, int64_t begin, int64_t end) {
  double amax = 0;
  for (int64_t i = begin; i < end; ++i)
    amax = std::max(amax, std::fabs(w[i]));
  return weightScale(amax);
}

int8_t roundCode(double v, double scale) {
  double q = roundHalfEven(v / scale);
  return int8_t(std::isnan(q) ? 0 : std::clamp<double>(q, -kWeightMax, kWeightMax));
}

} // namespace

RoundedWeights nearestRound(const std::vector<double> &w, int64_t rows, int64_t cols,
                            bool perTensor) {
  RoundedWeights r;
  r.rows = rows;
  r.cols = cols;
  r.perTensor = perTensor;
  if (perTensor)
    r.scales.push_back(rowScale(w, 0, rows * cols));
  else
    for (int64_t i = 0; i < rows; ++i)
      r.scales.push_back(rowScale(w, i * cols, (i + 1) * cols));
  r.codes.resize(size_t(rows * cols));
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      r.codes[i * cols + j] = roundCode(w[i * cols + j], r.scaleOf(i));
  return r;
}

namespace {

/// U (f32, row-major upper) and its diagonal (f64) for group `g` of `h`:
/// dampened by damp · mean(diag H), 10x more up to 1000x until H is
/// positive definite; inputs never seen (zero diagonal) get a unit diagonal
/// (no coupling: their weights are simply rounded). False if it never is.
bool factorGroup(const LayerHessian &h, int64_t g, double damp, std::vector<double> &hg,
                 std::vector<double> &scratch, std::vector<float> &uf,
                 std::vector<double> &udiag) {
  int64_t n = h.size();
  hg.assign(h.matrix(g), h.matrix(g) + n * n);
  double mean = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (!(hg[i * n + i] > 0)) {
      for (int64_t j = 0; j < n; ++j)
        hg[i * n + j] = hg[j * n + i] = 0;
      hg[i * n + i] = 1;
    }
    mean += hg[i * n + i];
  }
  mean /= double(n);
  std::vector<double> diag(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    diag[i] = hg[i * n + i];
  for (double factor = 1; factor <= 1000; factor *= 10) {
    for (int64_t i = 0; i < n; ++i)
      hg[i * n + i] = diag[i] + damp * factor * mean;
    if (inverseCholeskyUpper(hg, n, scratch, uf, udiag))
      return true;
  }
  return false;
}

/// GPTQ's column sweep over `rows` rows of `work` (f32, row stride n): each
/// element becomes round(i, j, value) (the dequantized value it is rounded
/// to) and its error goes to the later columns through U. Lazy batches (the
/// GPTQ paper's), on two levels: inside a block of `inner` columns each
/// row's error goes to the block's later columns at once; the rest of a
/// block of `outer` columns, then the columns after it, get a block's errors
/// in one GEMM. Same updates as one column at a time, in another summation
/// order. `atColumn(j)` runs before column j when j is a multiple of `every`
/// (0: never), when columns [j, j + every) have received every update from
/// the columns before j (every divides outer and inner divides every).
template <typename Round, typename AtColumn>
void sweep(std::vector<float> &work, int64_t rows, int64_t n, const std::vector<float> &uf,
           const std::vector<double> &udiag, int64_t outer, int64_t inner, int64_t every,
           Round round, AtColumn atColumn) {
  std::vector<float> err;
  for (int64_t j0 = 0; j0 < n; j0 += outer) {
    int64_t j1 = std::min(n, j0 + outer), bw = j1 - j0;
    err.assign(size_t(rows * bw), 0.0f);
    for (int64_t k0 = j0; k0 < j1; k0 += inner) {
      int64_t k1 = std::min(j1, k0 + inner);
      for (int64_t j = k0; every > 0 && j < k1; ++j)
        if (j % every == 0)
          atColumn(j);
      for (int64_t i = 0; i < rows; ++i) {
        float *wr = work.data() + i * n, *er = err.data() + i * bw - j0;
        for (int64_t j = k0; j < k1; ++j) {
          double v = wr[j];
          float e = float((v - round(i, j, v)) / udiag[j]);
          er[j] = e;
          const float *uj = uf.data() + j * n;
          for (int64_t t = j + 1; t < k1; ++t)
            wr[t] -= e * uj[t];
        }
      }
      if (k1 < j1)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(rows), int(j1 - k1),
                    int(k1 - k0), -1.0f, err.data() + (k0 - j0), int(bw),
                    uf.data() + k0 * n + k1, int(n), 1.0f, work.data() + k1, int(n));
    }
    if (j1 < n)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(rows), int(n - j1), int(bw),
                  -1.0f, err.data(), int(bw), uf.data() + j0 * n + j1, int(n), 1.0f,
                  work.data() + j1, int(n));
  }
}

/// Runs `sweep` on the rows of each group of `h` (rows split evenly over
/// them), from a f32 copy of the rows; `round(row, j, v)` and
/// `atColumn(r0, rows, work, j)` get the matrix row and the group's first
/// row, row count and working copy. A group whose H is never positive
/// definite is skipped; returns the first row of each skipped group.
template <typename Round, typename AtColumn>
std::vector<int64_t> sweepGroups(const std::vector<double> &w, int64_t rows, int64_t cols, const LayerHessian &h,
                 double damp, int64_t outer, int64_t inner, int64_t every, Round round,
                 AtColumn atColumn) {
  int64_t perGroup = rows / h.groups();
  std::vector<double> hg, scratch, udiag;
  std::vector<float> uf, work;
  std::vector<int64_t> skipped;
  for (int64_t g = 0; g < h.groups(); ++g) {
    if (!factorGroup(h, g, damp, hg, scratch, uf, udiag)) {
      skipped.push_back(g * perGroup);
      continue;
    }
    int64_t r0 = g * perGroup;
    // The updates in f32 (the factorization is where f64 matters).
    work.assign(w.begin() + r0 * cols, w.begin() + (r0 + perGroup) * cols);
    sweep(
        work, perGroup, cols, uf, udiag, outer, inner, every,
        [&](int64_t i, int64_t j, double v) { return round(r0 + i, j, v); },
        [&](int64_t j) { atColumn(r0, perGroup, work, j); });
  }
  return skipped;
}

} // namespace

RoundedWeights gptqRound(const std::vector<double> &w, int64_t rows, int64_t cols,
                         const LayerHessian &h, bool perTensor, double damp,
                         int64_t blockSize) {
  blockSize = std::max<int64_t>(1, blockSize);
  RoundedWeights r = nearestRound(w, rows, cols, perTensor);
  int64_t groups = h.groups();
  if (h.size() != cols || groups <= 0 || rows % groups != 0)
    return r;
  // The element that sets each scale keeps its extreme code.
  std::vector<int64_t> pinned(size_t(rows), -1);
  if (perTensor) {
    int64_t best = 0;
    for (int64_t i = 1; i < rows * cols; ++i)
      if (std::fabs(w[i]) > std::fabs(w[best]))
        best = i;
    pinned[best / cols] = best % cols;
  } else {
    for (int64_t i = 0; i < rows; ++i) {
      int64_t best = 0;
      for (int64_t j = 1; j < cols; ++j)
        if (std::fabs(w[i * cols + j]) > std::fabs(w[i * cols + best]))
          best = j;
      pinned[i] = best;
    }
  }
  sweepGroups(
      w, rows, cols, h, damp, blockSize, std::min<int64_t>(blockSize, 32), 0,
      [&](int64_t row, int64_t j, double v) {
        double s = r.scaleOf(row);
        int8_t q = pinned[row] == j ? int8_t(w[row * cols + j] < 0 ? -kWeightMax : kWeightMax)
                                    : roundCode(v, s);
        r.codes[row * cols + j] = q;
        return double(q) * s;
      },
      [](int64_t, int64_t, const std::vector<float> &, int64_t) {});
  return r;
}

GroupWeights gptqGroupwise(const std::vector<double> &w, int64_t rows, int64_t cols,
                           const LayerHessian &h, const GroupSpec &spec, double damp,
                           int64_t blockSize) {
  int64_t groups = h.groups();
  if (!spec.check().empty() || h.size() != cols || groups <= 0 || rows % groups != 0)
    return roundToNearestGroupwise(w, rows, cols, spec);
  // Parameters are set as the sweep reaches each group; only the rows of a
  // Hessian group that is skipped are rounded to nearest (with the clip
  // search, rounding everything first would double its cost).
  GroupWeights r = GroupWeights::shaped(rows, cols, spec);
  blockSize = std::max<int64_t>(1, blockSize);
  int64_t n = cols, g = r.groupSize(), ng = r.groups();
  // A group's parameters come from its weights as updated when the sweep
  // reaches its first column: blocks are whole groups and inner blocks
  // divide them, so by then every earlier column's error has reached it.
  bool perChannel = spec.groupSize == 0;
  int64_t outer = perChannel ? blockSize : std::max(g, blockSize / g * g);
  int64_t inner = std::min<int64_t>(32, perChannel ? blockSize : g);
  std::vector<double> tmp;
  std::vector<int64_t> skipped = sweepGroups(
      w, rows, cols, h, damp, outer, inner, perChannel ? n : g,
      [&](int64_t row, int64_t j, double v) {
        int64_t p = row * ng + j / g;
        int64_t q = groupCode(v, r.scales[p], r.zeros[p], spec);
        r.codes[row * cols + j] = int16_t(q);
        return double(q - r.zeros[p]) * r.scales[p];
      },
      [&](int64_t r0, int64_t count, const std::vector<float> &work, int64_t j) {
        int64_t c1 = std::min(n, j + g);
        tmp.resize(size_t(c1 - j));
        for (int64_t i = 0; i < count; ++i) {
          int64_t p = (r0 + i) * ng + j / g;
          std::copy(work.begin() + i * n + j, work.begin() + i * n + c1, tmp.begin());
          groupParams(tmp.data(), c1 - j, spec, r.scales[p], r.zeros[p]);
        }
      });
  for (int64_t r0 : skipped)
    roundRowsToNearest(w, r0, r0 + rows / groups, r);
  return r;
}

/// Per group of `h`: trace(D H Dᵀ) = sum of (D H) ∘ D for D = W - R of its
/// rows, with R's elements from `value(row, col)`.
template <typename Value>
static double outputErrorOf(const std::vector<double> &w, int64_t rows, int64_t n,
                            const LayerHessian &h, Value value) {
  int64_t perGroup = rows / std::max<int64_t>(1, h.groups());
  double total = 0;
  std::vector<double> d(size_t(perGroup * n)), dh(size_t(perGroup * n));
  for (int64_t g = 0; g * perGroup < rows; ++g) {
    for (int64_t i = 0; i < perGroup; ++i) {
      int64_t row = g * perGroup + i;
      for (int64_t j = 0; j < n; ++j)
        d[i * n + j] = w[row * n + j] - value(row, j);
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(perGroup), int(n), int(n), 1.0,
                d.data(), int(n), h.matrix(g), int(n), 0.0, dh.data(), int(n));
    for (size_t t = 0; t < d.size(); ++t)
      total += d[t] * dh[t];
  }
  return total;
}

double outputError(const std::vector<double> &w, const RoundedWeights &r,
                   const LayerHessian &h) {
  return outputErrorOf(w, r.rows, r.cols, h, [&](int64_t row, int64_t j) {
    return double(r.codes[row * r.cols + j]) * r.scaleOf(row);
  });
}

double outputError(const std::vector<double> &w, const GroupWeights &r,
                   const LayerHessian &h) {
  return outputErrorOf(w, r.rows, r.cols, h,
                       [&](int64_t row, int64_t j) { return r.value(row, j); });
}

double hessianWeightedError(const std::vector<double> &w, const GroupWeights &q,
                            const LayerHessian &h) {
  if (h.groups() != 1 || h.size() != q.cols || h.vectors() == 0 ||
      int64_t(w.size()) != q.rows * q.cols)
    return NAN;
  const double *hm = h.matrix(0);
  double noise = 0, signal = 0;
  for (int64_t j = 0; j < q.cols; ++j) {
    double hjj = hm[j * q.cols + j], dn = 0;
    for (int64_t i = 0; i < q.rows; ++i) {
      double d = w[i * q.cols + j] - q.value(i, j);
      dn += d * d;
    }
    noise += hjj * dn;
    signal += hjj;
  }
  return signal > 0 ? noise / double(h.vectors()) : NAN;
}

} // namespace qopt::quant
