//===- MatmulMicrokernel.cpp - qopt-matmul-microkernel ----------------------===//
#include "qopt/Codegen/CPU/Passes.h"

#include "KernelCalls.h"
#include "qopt/Conversion/QOptToLinalg/MatMulNBits.h"
#include "qopt/Quant/NBitsPacking.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTMATMULMICROKERNEL
#include "qopt/Codegen/CPU/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt::kernel_calls;

namespace {

constexpr StringLiteral kKernel = "qopt_matmul_f32";
constexpr StringLiteral kKernelOverwrite = "qopt_matmul_f32_overwrite";
constexpr StringLiteral kDepthwise = "qopt_dwconv2d_f32";
constexpr StringLiteral kDepthwiseS8 = "qopt_dwconv2d_s8_i32";
constexpr StringLiteral kDepthwiseS16 = "qopt_dwconv2d_s16_i32";

/// Element types of `op`'s memref operands, or nothing if one is not a memref
/// of rank `ranks[i]`.
std::optional<SmallVector<Type>> memrefElems(Operation *op, ArrayRef<int64_t> ranks) {
  SmallVector<Type> elems;
  for (auto [v, r] : llvm::zip(op->getOperands(), ranks)) {
    auto t = dyn_cast<MemRefType>(v.getType());
    if (!t || t.getRank() != r)
      return std::nullopt;
    elems.push_back(t.getElementType());
  }
  return elems;
}

/// f32 x f32 -> f32, or i8 x i8 -> i32 (sign-extended operands); depthwise
/// convolutions also take i16 x i16 -> i32.
bool supportedElems(ArrayRef<Type> e, bool allowI16 = false) {
  return (e[0].isF32() && e[1].isF32() && e[2].isF32()) ||
         (e[0].isInteger(8) && e[1].isInteger(8) && e[2].isInteger(32)) ||
         (allowI16 && e[0].isInteger(16) && e[1].isInteger(16) && e[2].isInteger(32));
}

/// linalg.depthwise_conv_2d_nchw_chw on buffers → qopt_dwconv2d_{f32,s8_i32}.
void rewriteDepthwise(ModuleOp module) {
  SmallVector<linalg::DepthwiseConv2DNchwChwOp> work;
  module.walk([&](linalg::DepthwiseConv2DNchwChwOp op) {
    std::optional<SmallVector<Type>> e = memrefElems(op, {4, 3, 4});
    if (op.hasPureBufferSemantics() && e && supportedElems(*e, /*allowI16=*/true))
      work.push_back(op);
  });
  for (auto op : work) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto attr = [&](DenseIntElementsAttr a, int i) -> Value {
      int64_t v = a ? a.getValues<int64_t>()[i] : 1;
      return arith::ConstantIntOp::create(b, loc, v, 64);
    };
    SmallVector<Value> args;
    // A named array: an initializer list inside the range-for's expression
    // dies before the loop body reads it (ASan: stack-use-after-scope).
    static constexpr int64_t kRanks[] = {4, 3, 4};
    for (auto [v, r] : llvm::zip(op->getOperands(), kRanks))
      args.push_back(
          castTo(b, loc, v, anyStrided(cast<MemRefType>(v.getType()).getElementType(), r)));
    args.append({attr(op.getStrides(), 0), attr(op.getStrides(), 1),
                 attr(op.getDilations(), 0), attr(op.getDilations(), 1)});
    Type in = cast<MemRefType>(args[0].getType()).getElementType();
    StringRef name = in.isF32() ? kDepthwise : in.isInteger(8) ? kDepthwiseS8 : kDepthwiseS16;
    declare(module, name, args);
    func::CallOp::create(b, loc, name, TypeRange{}, args);
    op.erase();
  }
}

/// The linalg.generic of a qopt.matmul_nbits on buffers (its library_call,
/// which carries the compiled K, and exactly matMulNBitsMaps for some bits,
/// block size and zero-point presence) → qopt_matmul_nbits_f32(A, B, scales, zero points, C, bits,
/// block size, K), or qopt_matmul_nbits_s8 for an i8 A; absent zero points
/// are passed as an empty memref, and the second reads of B and the zero
/// points (codes that straddle bytes: NBitsOperands) are dropped.
void rewriteMatMulNBits(ModuleOp module) {
  struct Match {
    linalg::GenericOp op;
    int64_t bits, blockSize, k;
    bool zeroPoints;
  };
  SmallVector<Match> work;
  module.walk([&](linalg::GenericOp op) {
    std::optional<int64_t> k = qopt::nbits::libraryCallK(op.getLibraryCallName());
    if (!k || !op.hasPureBufferSemantics() || op.getNumDpsInputs() < 3)
      return;
    // The block size is the divisor of the scales' block index (the map
    // with two results after A's and B's).
    std::optional<int64_t> blockSize;
    SmallVector<AffineMap> opMaps = op.getIndexingMapsArray();
    for (AffineMap map : ArrayRef<AffineMap>(opMaps).drop_front(2)) {
      if (map.getNumResults() != 2)
        continue;
      auto block = dyn_cast<AffineBinaryOpExpr>(map.getResult(1));
      if (auto divisor = block ? dyn_cast<AffineConstantExpr>(block.getRHS())
                               : AffineConstantExpr())
        blockSize = divisor.getValue();
      break;
    }
    if (!blockSize || !qopt::nbits::supportedBlockSize(*blockSize))
      return;
    for (int64_t bits = 2; bits <= 8; ++bits)
      for (bool zeroPoints : {false, true}) {
        qopt::NBitsOperands at(bits, zeroPoints);
        if (at.count() != op->getNumOperands() ||
            op.getIndexingMapsArray() !=
                qopt::matMulNBitsMaps(op.getContext(), bits, *blockSize, zeroPoints))
          continue;
        SmallVector<int64_t> ranks(at.count(), 2);
        ranks[at.b] = 3;
        if (at.bLast >= 0)
          ranks[at.bLast] = 3;
        std::optional<SmallVector<Type>> e = memrefElems(op, ranks);
        if (!e || e->size() != op->getNumOperands() ||
            !(e->front().isF32() || e->front().isInteger(8)) || !(*e)[at.b].isInteger(8) ||
            !(*e)[at.scales].isF32() || (zeroPoints && !(*e)[at.zp].isInteger(8)) ||
            !e->back().isF32())
          return;
        // The s8 kernel has no straddling widths: those stay loops.
        if (e->front().isInteger(8) && !qopt::nbits::supportedBitsS8(bits))
          return;
        work.push_back({op, bits, *blockSize, *k, zeroPoints});
        return;
      }
  });
  for (Match &m : work) {
    OpBuilder b(m.op);
    Location loc = m.op.getLoc();
    qopt::NBitsOperands at(m.bits, m.zeroPoints);
    SmallVector<Value> operands = {m.op->getOperand(0), m.op->getOperand(at.b),
                                   m.op->getOperand(at.scales)};
    operands.push_back(m.zeroPoints ? m.op->getOperand(at.zp)
                                    : Value(memref::AllocaOp::create(
                                          b, loc, MemRefType::get({0, 0}, b.getI8Type()))));
    operands.push_back(m.op->getOperand(at.c));
    SmallVector<Value> args;
    static constexpr int64_t kRanks[] = {2, 3, 2, 2, 2}; // named: see above
    for (auto [v, r] : llvm::zip(operands, kRanks))
      args.push_back(
          castTo(b, loc, v, anyStrided(cast<MemRefType>(v.getType()).getElementType(), r)));
    args.push_back(arith::ConstantIntOp::create(b, loc, m.bits, 64));
    args.push_back(arith::ConstantIntOp::create(b, loc, m.blockSize, 64));
    args.push_back(arith::ConstantIntOp::create(b, loc, m.k, 64));
    StringRef name = cast<MemRefType>(operands[0].getType()).getElementType().isInteger(8)
                         ? qopt::nbits::kKernelNameS8
                         : qopt::nbits::kKernelName;
    declare(module, name, args);
    func::CallOp::create(b, loc, name, TypeRange{}, args);
    m.op.erase();
  }
}

struct MatmulMicrokernelPass
    : qopt::impl::QOptMatmulMicrokernelBase<MatmulMicrokernelPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!llvm::is_contained(qopt::int8KernelIsas(), isa)) {
      module.emitError("qopt-matmul-microkernel: unknown isa '")
          << isa << "' (expected " << qopt::int8KernelIsaList() << ")";
      return signalPassFailure();
    }
    normalizeTransposedB(module);
    rewriteDepthwise(module);
    rewriteMatMulNBits(module);
    std::string s8Kernel = "qopt_matmul_s8s8_i32_" + isa;
    SmallVector<linalg::MatmulOp> work;
    module.walk([&](linalg::MatmulOp op) {
      std::optional<SmallVector<Type>> e = memrefElems(op, {2, 2, 2});
      if (op.hasPureBufferSemantics() && !op.hasUserDefinedMaps() && e &&
          supportedElems(*e) && op.getCast() == linalg::TypeFn::cast_signed)
        work.push_back(op);
    });
    for (linalg::MatmulOp op : work) {
      bool f32 = cast<MemRefType>(op->getOperand(0).getType()).getElementType().isF32();
      StringRef name = f32 ? StringRef(kKernel) : StringRef(s8Kernel);
      // A zero fill of C right before an f32 GEMM: the kernel writes C
      // without reading it (0 + A*B, the same bits), and the fill goes.
      if (f32 && eraseZeroFillBefore(op))
        name = kKernelOverwrite;
      OpBuilder b(op);
      SmallVector<Value> args;
      for (Value v : op->getOperands())
        args.push_back(castTo(b, op.getLoc(), v,
                              anyStrided(cast<MemRefType>(v.getType()).getElementType(), 2)));
      declare(module, name, args);
      func::CallOp::create(b, op.getLoc(), name, TypeRange{}, args);
      op.erase();
    }
  }
};

} // namespace

llvm::ArrayRef<llvm::StringRef> qopt::int8KernelIsas() {
  static const llvm::StringRef names[] = {"avx512vnni", "avxvnni", "avx2", "generic"};
  return names;
}

std::string qopt::int8KernelIsaList() {
  ArrayRef<StringRef> names = int8KernelIsas();
  return llvm::join(names.drop_back(), ", ") + " or " + names.back().str();
}
