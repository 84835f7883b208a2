//===- Gptq.cpp - weight rounding that minimises layer output error -------===//
#include "qopt/Quant/Gptq.h"
#include "qopt/Quant/QuantMath.h"

#include <algorithm>
#include <cmath>

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
  // H += X Xᵀ for the k×positions matrix X (rows contiguous), lower triangle.
  double *hg = h.data() + g * k * k;
  for (int64_t i = 0; i < k; ++i) {
    const float *xi = colsT.data() + i * positions;
    for (int64_t j = 0; j <= i; ++j) {
      const float *xj = colsT.data() + j * positions;
      double s = 0;
      for (int64_t p = 0; p < positions; ++p)
        s += double(xi[p]) * double(xj[p]);
      hg[i * k + j] += s;
    }
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
    colsT.resize(size_t(k * rows));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < k; ++i)
        colsT[i * rows + r] = x[r * k + i];
    accumulate(0, colsT, rows);
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
  for (int64_t g = 0; g < numGroups; ++g) {
    double *hg = h.data() + g * k * k;
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < i; ++j)
        hg[j * k + i] = hg[i * k + j];
  }
}

namespace {

/// The upper-triangular U with H⁻¹ = Uᵀ U, for symmetric positive definite H
/// (n×n). With J the reversal permutation, J H J = L Lᵀ (Cholesky) gives
/// H⁻¹ = (J L⁻¹ J)ᵀ (J L⁻¹ J), and J L⁻¹ J is upper triangular. Returns
/// false if H is not positive definite.
bool inverseCholeskyUpper(const std::vector<double> &hMat, int64_t n, std::vector<double> &u) {
  std::vector<double> l(size_t(n * n), 0.0);
  auto hr = [&](int64_t i, int64_t j) { return hMat[(n - 1 - i) * n + (n - 1 - j)]; };
  for (int64_t j = 0; j < n; ++j) {
    double d = hr(j, j);
    for (int64_t t = 0; t < j; ++t)
      d -= l[j * n + t] * l[j * n + t];
    if (!(d > 0) || !std::isfinite(d))
      return false;
    double ljj = std::sqrt(d);
    l[j * n + j] = ljj;
    for (int64_t i = j + 1; i < n; ++i) {
      double s = hr(i, j);
      const double *li = l.data() + i * n, *lj = l.data() + j * n;
      for (int64_t t = 0; t < j; ++t)
        s -= li[t] * lj[t];
      l[i * n + j] = s / ljj;
    }
  }
  // M = L⁻¹ (lower), row by row: row i = (e_i - sum_t<i l[i][t] row t) / l[i][i].
  std::vector<double> m(size_t(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i) {
    double *mi = m.data() + i * n;
    for (int64_t t = 0; t < i; ++t) {
      double f = l[i * n + t];
      const double *mt = m.data() + t * n;
      for (int64_t c = 0; c <= t; ++c)
        mi[c] -= f * mt[c];
    }
    mi[i] = 1.0;
    double inv = 1.0 / l[i * n + i];
    for (int64_t c = 0; c <= i; ++c)
      mi[c] *= inv;
  }
  u.assign(size_t(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i; j < n; ++j)
      u[i * n + j] = m[(n - 1 - i) * n + (n - 1 - j)];
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

RoundedWeights gptqRound(const std::vector<double> &w, int64_t rows, int64_t cols,
                         const LayerHessian &h, bool perTensor, double damp) {
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
  int64_t perGroup = rows / groups, n = cols;
  std::vector<double> hg(size_t(n * n)), u, work;
  for (int64_t g = 0; g < groups; ++g) {
    std::copy(h.matrix(g), h.matrix(g) + n * n, hg.begin());
    // Inputs never seen (zero diagonal) get a unit diagonal: no coupling, so
    // their weights are simply rounded.
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
    bool ok = false;
    for (double factor = 1; factor <= 1000 && !ok; factor *= 10) {
      std::vector<double> damped = hg;
      for (int64_t i = 0; i < n; ++i)
        damped[i * n + i] += damp * factor * mean;
      ok = inverseCholeskyUpper(damped, n, u);
    }
    if (!ok)
      continue;
    int64_t r0 = g * perGroup;
    work.assign(w.begin() + r0 * cols, w.begin() + (r0 + perGroup) * cols);
    for (int64_t j = 0; j < n; ++j) {
      double ujj = u[j * n + j];
      for (int64_t i = 0; i < perGroup; ++i) {
        int64_t row = r0 + i;
        double s = r.scaleOf(row), v = work[i * cols + j];
        int8_t q = pinned[row] == j ? int8_t(w[row * cols + j] < 0 ? -kWeightMax : kWeightMax)
                                    : roundCode(v, s);
        r.codes[row * cols + j] = q;
        double e = (v - double(q) * s) / ujj;
        double *wr = work.data() + i * cols;
        const double *uj = u.data() + j * n;
        for (int64_t t = j + 1; t < n; ++t)
          wr[t] -= e * uj[t];
      }
    }
  }
  return r;
}

double outputError(const std::vector<double> &w, const RoundedWeights &r,
                   const LayerHessian &h) {
  int64_t n = r.cols, perGroup = r.rows / std::max<int64_t>(1, h.groups());
  double total = 0;
  std::vector<double> d(static_cast<size_t>(n), 0.0);
  for (int64_t row = 0; row < r.rows; ++row) {
    const double *hg = h.matrix(row / perGroup);
    for (int64_t j = 0; j < n; ++j)
      d[j] = w[row * n + j] - double(r.codes[row * n + j]) * r.scaleOf(row);
    for (int64_t i = 0; i < n; ++i) {
      double s = 0;
      for (int64_t j = 0; j < n; ++j)
        s += hg[i * n + j] * d[j];
      total += d[i] * s;
    }
  }
  return total;
}

} // namespace qopt::quant
