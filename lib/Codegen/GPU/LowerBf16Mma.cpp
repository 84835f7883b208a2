//===- LowerBf16Mma.cpp - qopt-gpu-lower-bf16-mma ---------------------------===//
//
// bf16 nvgpu.mma.sync m16n8k16 as nvvm.mma.sync: upstream's
// convert-nvgpu-to-nvvm does not deduce PTX types for bf16 (Passes.td).
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/GPU/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTGPULOWERBF16MMA
#include "qopt/Codegen/GPU/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

/// Whether `op` is m16n8k16 bf16 x bf16 -> f32 in the PTX fragment shapes.
bool isBf16Mma(nvgpu::MmaSyncOp op) {
  auto a = cast<VectorType>(op.getMatrixA().getType());
  auto b = cast<VectorType>(op.getMatrixB().getType());
  auto c = cast<VectorType>(op.getMatrixC().getType());
  std::array<int64_t, 3> mnk = op.getMmaShapeAsArray();
  return a.getElementType().isBF16() && b.getElementType().isBF16() &&
         c.getElementType().isF32() && mnk == std::array<int64_t, 3>{16, 8, 16} &&
         a.getShape() == ArrayRef<int64_t>{4, 2} && b.getShape() == ArrayRef<int64_t>{2, 2} &&
         c.getShape() == ArrayRef<int64_t>{2, 2};
}

void lower(nvgpu::MmaSyncOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Type i32 = b.getI32Type(), f32 = b.getF32Type();
  // Each row of a fragment (two bf16) is one 32-bit register, element 0 in
  // the low half, as the PTX ISA packs them.
  auto registers = [&](Value fragment) {
    auto t = cast<VectorType>(fragment.getType());
    SmallVector<Value> regs;
    for (int64_t r = 0; r < t.getDimSize(0); ++r) {
      Value row = vector::ExtractOp::create(b, loc, fragment, ArrayRef<int64_t>{r});
      Value word = vector::BitCastOp::create(b, loc, VectorType::get({1}, i32), row);
      regs.push_back(vector::ExtractOp::create(b, loc, word, ArrayRef<int64_t>{0}));
    }
    return regs;
  };
  SmallVector<Value> a = registers(op.getMatrixA()), bRegs = registers(op.getMatrixB());
  SmallVector<Value> c;
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t col = 0; col < 2; ++col)
      c.push_back(vector::ExtractOp::create(b, loc, op.getMatrixC(), ArrayRef<int64_t>{r, col}));
  auto result = LLVM::LLVMStructType::getLiteral(b.getContext(), {f32, f32, f32, f32});
  Value d = NVVM::MmaOp::create(
      b, loc, result, a, bRegs, c, ArrayRef<int64_t>{16, 8, 16}, std::nullopt, std::nullopt,
      std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::bf16, NVVM::MMATypes::bf16},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row, NVVM::MMALayout::col});
  SmallVector<Value> elems;
  for (int64_t i = 0; i < 4; ++i)
    elems.push_back(LLVM::ExtractValueOp::create(b, loc, d, ArrayRef<int64_t>{i}));
  Value v = vector::FromElementsOp::create(b, loc, op.getMatrixC().getType(), elems);
  op.getResult().replaceAllUsesWith(v);
  op.erase();
}

struct LowerBf16MmaPass : qopt::impl::QOptGPULowerBf16MmaBase<LowerBf16MmaPass> {
  void runOnOperation() override {
    SmallVector<nvgpu::MmaSyncOp> work;
    getOperation()->walk([&](nvgpu::MmaSyncOp op) {
      if (isBf16Mma(op))
        work.push_back(op);
    });
    for (nvgpu::MmaSyncOp op : work)
      lower(op);
  }
};

} // namespace
