//===- GpuEmulation.cpp - host emulation of the tensor-core mma.sync ------===//
//
// What CPU libraries compiled with `qoptc --target=cuda --gpu-emulate-on-host
// --gpu-emulate-tensor-cores` call for each nvgpu.mma.sync (the exchange
// protocol is in qopt/Codegen/GPU/MmaEmulation.h). The fragment layouts are
// the PTX ISA's ("Matrix fragments for mma.m16n8k32" with .s8 and
// "mma.m16n8k16" with .f16/.bf16), written here from the ISA independently of
// the kernel generator (lib/Codegen/GPU/MmaMatmul.cpp), so that running
// the one against the other checks the generator's fragment coordinates.
//
//===----------------------------------------------------------------------===//
#include "Threads.h"
#include "qopt/Codegen/GPU/MmaEmulation.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

namespace {

using qopt::gpu_emulation::kWarpSize;
using qopt::gpu_emulation::MmaShape;

struct Coord {
  int row, col;
};

/// Lane `lane`'s element `i` of A (m x k, row major), of B (k x n) and of
/// C/D (m x n), per the PTX ISA: groupID = lane / 4, threadID_in_group =
/// lane % 4; `perRegister` elements in each 32-bit register.
Coord aCoord(const MmaShape &s, int lane, int i) {
  int g = lane >> 2, t = lane & 3, per = int(s.perRegister);
  int reg = i / per, e = i % per;
  // Registers 0 and 2 hold rows g, 1 and 3 rows g + 8; 2 and 3 are half a
  // step further along k.
  int row = g + ((reg & 1) ? 8 : 0);
  int col = t * per + e + ((reg >= 2) ? int(s.k / 2) : 0);
  return {row, col};
}

Coord bCoord(const MmaShape &s, int lane, int i) {
  int g = lane >> 2, t = lane & 3, per = int(s.perRegister);
  int reg = i / per, e = i % per;
  return {t * per + e + (reg ? int(s.k / 2) : 0), g};
}

Coord cCoord(int lane, int i) {
  int g = lane >> 2, t = lane & 3;
  return {g + (i >= 2 ? 8 : 0), t * 2 + (i & 1)};
}

float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h >> 15) << 31, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  uint32_t bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (mant << 13);
  } else if (exp == 0) {
    // Zero or subnormal: mant * 2^-24.
    float v = std::ldexp(float(mant), -24);
    return sign ? -v : v;
  } else {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

float bf16ToFloat(uint16_t h) {
  uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

/// The warp's A and B in full, from the fragments its 32 lanes stored.
template <typename E, typename Get>
void gather(const MmaShape &s, const E *a, const E *b, int64_t warpBase, Get get, float *aFull,
            float *bFull) {
  for (int lane = 0; lane < kWarpSize; ++lane) {
    const E *la = a + (warpBase + lane) * s.aPerLane();
    for (int i = 0; i < s.aPerLane(); ++i) {
      Coord c = aCoord(s, lane, i);
      aFull[c.row * s.k + c.col] = get(la[i]);
    }
    const E *lb = b + (warpBase + lane) * s.bPerLane();
    for (int i = 0; i < s.bPerLane(); ++i) {
      Coord c = bCoord(s, lane, i);
      bFull[c.row * s.n + c.col] = get(lb[i]);
    }
  }
}

} // namespace

/// D = C + A * B for the lane of team thread `thread` (exchange buffers as
/// func-to-llvm passes a memref<?xT>: allocated, aligned, offset, size,
/// stride). s8 x s8 accumulated in s32 with saturation (nvgpu's lowering
/// always asks for .satfinite).
extern "C" void qopt_emu_mma_m16n8k32_s8(int8_t *, int8_t *a, int64_t aOff, int64_t, int64_t,
                                         int8_t *, int8_t *b, int64_t bOff, int64_t, int64_t,
                                         int32_t *, int32_t *c, int64_t cOff, int64_t, int64_t,
                                         int32_t *, int32_t *d, int64_t dOff, int64_t, int64_t,
                                         int64_t thread) {
  const MmaShape &s = qopt::gpu_emulation::kMmaS8;
  int64_t lane = thread % kWarpSize, warpBase = thread - lane;
  float aFull[16 * 32], bFull[32 * 8]; // small integers: exact in f32
  gather(s, a + aOff, b + bOff, warpBase, [](int8_t v) { return float(v); }, aFull, bFull);
  for (int i = 0; i < s.cPerLane(); ++i) {
    Coord o = cCoord(int(lane), i);
    int64_t sum = c[cOff + thread * s.cPerLane() + i];
    for (int k = 0; k < s.k; ++k)
      sum += int64_t(aFull[o.row * s.k + k]) * int64_t(bFull[k * s.n + o.col]);
    sum = std::min<int64_t>(std::max<int64_t>(sum, std::numeric_limits<int32_t>::min()),
                            std::numeric_limits<int32_t>::max());
    d[dOff + thread * s.cPerLane() + i] = int32_t(sum);
  }
}

/// m16n8k16 with 16-bit float operands (`toFloat` of their bits) -> f32:
/// products exact in f32 (11 or 8 significant bits each), added in k order.
template <typename ToFloat>
void mmaM16n8k16(const MmaShape &s, const uint16_t *a, const uint16_t *b, const float *c,
                 float *d, int64_t thread, ToFloat toFloat) {
  int64_t lane = thread % kWarpSize, warpBase = thread - lane;
  float aFull[16 * 16], bFull[16 * 8];
  gather(s, a, b, warpBase, toFloat, aFull, bFull);
  for (int i = 0; i < s.cPerLane(); ++i) {
    Coord o = cCoord(int(lane), i);
    float sum = c[thread * s.cPerLane() + i];
    for (int k = 0; k < s.k; ++k)
      sum += aFull[o.row * s.k + k] * bFull[k * s.n + o.col];
    d[thread * s.cPerLane() + i] = sum;
  }
}

/// The entry points for f16 and bf16 x f16/bf16 -> f32 (exchange buffers as
/// for the s8 one).
#define QOPT_EMU_MMA_16BIT(NAME, SHAPE, TO_FLOAT)                                          \
  extern "C" void NAME(uint16_t *, uint16_t *a, int64_t aOff, int64_t, int64_t, uint16_t *,  \
                       uint16_t *b, int64_t bOff, int64_t, int64_t, float *, float *c,       \
                       int64_t cOff, int64_t, int64_t, float *, float *d, int64_t dOff,      \
                       int64_t, int64_t, int64_t thread) {                                   \
    mmaM16n8k16(SHAPE, a + aOff, b + bOff, c + cOff, d + dOff, thread, TO_FLOAT);            \
  }
QOPT_EMU_MMA_16BIT(qopt_emu_mma_m16n8k16_f16, qopt::gpu_emulation::kMmaF16, halfToFloat)
QOPT_EMU_MMA_16BIT(qopt_emu_mma_m16n8k16_bf16, qopt::gpu_emulation::kMmaBF16, bf16ToFloat)
#undef QOPT_EMU_MMA_16BIT

/// A team smaller or larger than the block (libomp refused the thread
/// count): its results are not computed (the pass skips the body), and the
/// run fails.
extern "C" void qopt_emu_check_team(int64_t got, int64_t want) {
  if (got == want)
    return;
  std::string m = "GPU emulation: a tensor-core block needs a team of " + std::to_string(want) +
                  " OpenMP threads, libomp gave " + std::to_string(got) +
                  " (OMP_THREAD_LIMIT or KMP_DEVICE_THREAD_LIMIT too low?)";
  qopt::rt::kernelError(m.c_str());
}

#if defined(__x86_64__)
/// f32 to bf16, round to nearest even (NaN stays a quiet NaN), as PTX's
/// cvt.rn.bf16.f32: LLVM calls it for an fptrunc to bfloat on x86 without
/// AVX512-BF16 (the bf16 tensor-core kernels' staging, when emulated), and
/// Debian 12's libgcc does not have it.
extern "C" __bf16 __truncsfbf2(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  uint16_t h = (u & 0x7fffffffu) > 0x7f800000u
                   ? uint16_t((u >> 16) | 0x40)
                   : uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
  __bf16 r;
  std::memcpy(&r, &h, sizeof r);
  return r;
}
#endif
