//===- MmaEmulation.h - Host emulation of warp-level mma.sync ---*- C++ -*-===//
//
// The contract between qopt-gpu-emulate-on-host{teams} and the CPU
// runtime's emulation of nvgpu.mma.sync (runtime/GpuEmulation.cpp): a
// block of a tensor-core kernel runs as a team of OpenMP threads, one per
// GPU thread; at each mma.sync every thread stores its fragments in
// exchange buffers, the team meets at a barrier, each thread calls the
// runtime's function for its own lane (which reads the fragments of its
// warp and writes its result fragment), and the team meets again before
// the buffers are reused. Header-only, for both sides.
//
// Exchange buffers are 1-D memrefs, slot `thread * perLane` holding the
// lane's fragment registers in order, each register's elements in order
// (register p of a vector<R x E> fragment at p * E).
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_CODEGEN_GPU_MMAEMULATION_H
#define QOPT_CODEGEN_GPU_MMAEMULATION_H

#include <cstdint>

namespace qopt::gpu_emulation {

/// The operands' element type of an mma.sync; the accumulator is s32 for
/// S8, f32 otherwise.
enum class MmaElement { S8, F16, BF16 };

/// One mma.sync shape the emulation supports.
struct MmaShape {
  const char *function; // the runtime's entry point
  int64_t m, n, k;
  MmaElement element;
  int64_t aRegisters, bRegisters, perRegister; // fragment vector shapes
  bool isFloat() const { return element != MmaElement::S8; }
  int64_t aPerLane() const { return aRegisters * perRegister; }
  int64_t bPerLane() const { return bRegisters * perRegister; }
  static constexpr int64_t cPerLane() { return 4; } // vector<2x2>
};

/// m16n8k32 s8 (four i8 per register) and m16n8k16 f16 and bf16 (two per
/// register).
constexpr MmaShape kMmaS8{"qopt_emu_mma_m16n8k32_s8", 16, 8, 32, MmaElement::S8, 4, 2, 4};
constexpr MmaShape kMmaF16{"qopt_emu_mma_m16n8k16_f16", 16, 8, 16, MmaElement::F16, 4, 2, 2};
constexpr MmaShape kMmaBF16{"qopt_emu_mma_m16n8k16_bf16", 16, 8, 16, MmaElement::BF16, 4, 2, 2};

/// After a team ran, its thread count against the block size the kernel
/// was launched with: void(i64 got, i64 want); a difference fails the run.
constexpr const char *kCheckTeam = "qopt_emu_check_team";

constexpr int64_t kWarpSize = 32;

} // namespace qopt::gpu_emulation

#endif
