//===- LowerMath.cpp - qopt-gpu-lower-math ----------------------------------===//
//
// libdevice calls that have an exact PTX instruction become the LLVM
// intrinsic NVPTX lowers to it, so that kernels need libdevice only for
// what has no such instruction (Passes.td).
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/GPU/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#include "llvm/ADT/StringSwitch.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTGPULOWERMATH
#include "qopt/Codegen/GPU/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

enum class Fn { None, Fma, Sqrt, Rsqrt, Abs, Floor, Ceil, Round, Rint, Trunc, CopySign, Fmod,
                Max, Min };

/// libdevice's f32 ("...f") and f64 names of the functions above.
Fn classify(StringRef name) {
  if (!name.consume_front("__nv_"))
    return Fn::None;
  name.consume_back("f");
  return llvm::StringSwitch<Fn>(name)
      .Case("fma", Fn::Fma)
      .Case("sqrt", Fn::Sqrt)
      .Case("rsqrt", Fn::Rsqrt)
      .Case("fabs", Fn::Abs)
      .Case("floor", Fn::Floor)
      .Case("ceil", Fn::Ceil)
      .Case("round", Fn::Round)
      .Case("rint", Fn::Rint)
      .Case("trunc", Fn::Trunc)
      .Case("copysign", Fn::CopySign)
      .Case("fmod", Fn::Fmod)
      .Case("fmax", Fn::Max)
      .Case("fmin", Fn::Min)
      .Default(Fn::None);
}

struct LowerMathPass : qopt::impl::QOptGPULowerMathBase<LowerMathPass> {
  void runOnOperation() override {
    gpu::GPUModuleOp module = getOperation();
    SmallVector<LLVM::CallOp> calls;
    module.walk([&](LLVM::CallOp c) {
      if (c.getCallee() && classify(*c.getCallee()) != Fn::None && c.getNumResults() == 1 &&
          isa<Float32Type, Float64Type>(c.getResult().getType()))
        calls.push_back(c);
    });
    for (LLVM::CallOp c : calls) {
      OpBuilder b(c);
      Location loc = c.getLoc();
      Type t = c.getResult().getType();
      ValueRange a = c.getArgOperands();
      Value r;
      switch (classify(*c.getCallee())) {
      case Fn::Fma: r = LLVM::FMAOp::create(b, loc, t, a[0], a[1], a[2]); break;
      case Fn::Sqrt: r = LLVM::SqrtOp::create(b, loc, t, a[0]); break;
      case Fn::Rsqrt: {
        Value one = LLVM::ConstantOp::create(b, loc, t, b.getFloatAttr(t, 1.0));
        r = LLVM::FDivOp::create(b, loc, one, LLVM::SqrtOp::create(b, loc, t, a[0]));
        break;
      }
      case Fn::Abs: r = LLVM::FAbsOp::create(b, loc, t, a[0]); break;
      case Fn::Floor: r = LLVM::FFloorOp::create(b, loc, t, a[0]); break;
      case Fn::Ceil: r = LLVM::FCeilOp::create(b, loc, t, a[0]); break;
      case Fn::Round: r = LLVM::RoundOp::create(b, loc, t, a[0]); break;
      case Fn::Rint: r = LLVM::RoundEvenOp::create(b, loc, t, a[0]); break;
      case Fn::Trunc: r = LLVM::FTruncOp::create(b, loc, t, a[0]); break;
      case Fn::CopySign: r = LLVM::CopySignOp::create(b, loc, t, a[0], a[1]); break;
      case Fn::Fmod: r = LLVM::FRemOp::create(b, loc, a[0], a[1]); break;
      case Fn::Max: r = LLVM::MaxNumOp::create(b, loc, t, a[0], a[1]); break;
      case Fn::Min: r = LLVM::MinNumOp::create(b, loc, t, a[0], a[1]); break;
      case Fn::None: continue;
      }
      c.getResult().replaceAllUsesWith(r);
      c.erase();
    }
    // Declarations nothing calls any more.
    SmallVector<LLVM::LLVMFuncOp> unused;
    module.walk([&](LLVM::LLVMFuncOp f) {
      if (f.isExternal() && classify(f.getName()) != Fn::None &&
          SymbolTable::symbolKnownUseEmpty(f, module))
        unused.push_back(f);
    });
    for (LLVM::LLVMFuncOp f : unused)
      f.erase();
  }
};

} // namespace
