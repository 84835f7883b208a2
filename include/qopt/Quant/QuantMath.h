//===- QuantMath.h - qopt's quantization arithmetic -------------*- C++ -*-===//
//
// The one definition of qopt's quantization arithmetic, shared by the passes
// that fold constants at compile time (weights, biases), the lowering of
// quantize/dequantize/requantize, and the unit tests' reference:
//
//   quantize(x)   = saturate(roundHalfEven(x / scale) + zeroPoint), x / scale in f32
//   dequantize(q) = (q - zeroPoint) * scale
//   requantize    = float: y = saturate(roundHalfEven(acc * M) + zy),
//                   M = sx * sw / sy computed in double, applied in f32.
//
// Ranges are turned into parameters here too: asymmetric ranges are widened
// to contain 0 so that zero (padding, ReLU) is exact.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_QUANT_QUANTMATH_H
#define QOPT_QUANT_QUANTMATH_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace qopt::quant {

struct QuantParams {
  double scale = 1.0;
  int64_t zeroPoint = 0;
  int64_t qmin = 0, qmax = 255;
};

/// Which per-axis parameter element `i` of a row-major tensor of `shape`
/// uses when quantized along `axis` (always 0 when axis < 0: per tensor).
class AxisIndex {
public:
  AxisIndex(const std::vector<int64_t> &shape, int64_t axis);
  std::size_t operator()(std::size_t i) const {
    return perTensor ? 0 : std::size_t((int64_t(i) / inner) % channels);
  }

private:
  bool perTensor = true;
  int64_t inner = 1, channels = 1;
};

/// Round half to even (banker's rounding), as ONNX QuantizeLinear does.
double roundHalfEven(double x);

/// saturate(roundHalfEven(x / scale) + zeroPoint).
int64_t quantizeValue(double x, const QuantParams &p);
double dequantizeValue(int64_t q, const QuantParams &p);

/// Parameters of an asymmetric quantizer over [lo, hi] (widened to contain 0)
/// on [qmin, qmax]. A zero-width range gets scale 1 (any positive scale
/// represents a constant-zero tensor exactly).
QuantParams asymmetricParams(double lo, double hi, int64_t qmin, int64_t qmax);

/// Parameters of a symmetric quantizer (zero point 0) covering [-amax, amax]
/// with scale amax / qmax.
QuantParams symmetricParams(double amax, int64_t qmin, int64_t qmax);

/// Storage range of weights: symmetric i8 without -128 ([-kWeightMax, kWeightMax]).
constexpr int64_t kWeightMax = 127;

/// Scale of a symmetric weight quantizer for weights of largest magnitude
/// `amax`: the one rule both qopt-quantize-ops and GPTQ rounding use, so
/// GPTQ's codes quantize back to themselves.
inline double weightScale(double amax) {
  return symmetricParams(amax, -kWeightMax, kWeightMax).scale;
}

/// The largest |w| of each slice along `axis` of the row-major tensor `w` of
/// `shape` (one value for the whole tensor when axis < 0).
std::vector<double> absMaxAlong(const std::vector<double> &w, const std::vector<int64_t> &shape,
                                int64_t axis);

/// The weight-scale policy: the scales of symmetric weights with per-slice
/// largest magnitudes `amax` (weightScale of each), floored for dead
/// channels. A channel whose weights are all ~0 (often with a live bias
/// after BatchNormalization folding) would get a denormal scale: its
/// multiplier underflows in f32 and its i32 bias overflows, so the bias is
/// lost. Each scale is therefore at least 1e-6 of the largest (and 1e-30)
/// and, given the input scales `sx` (one, or one per channel) and the
/// float `bias`, large enough that the i32 bias |b| / (sx * s) keeps 2x
/// headroom (2^30). With a single scale (per tensor) the smallest input
/// scale and the largest |bias| decide.
std::vector<double> weightScales(const std::vector<double> &amax,
                                 const std::vector<double> &sx = {},
                                 const std::vector<double> *bias = nullptr);

/// i32 bias of a float bias value for an accumulator of scale sx * sw
/// (saturated to the i32 range).
int64_t quantizeBias(double bias, double accScale);

/// Requantization of an i32 accumulator with multiplier `m` (f32) onto `out`.
int64_t requantizeValue(int64_t acc, float m, const QuantParams &out);

} // namespace qopt::quant

#endif
