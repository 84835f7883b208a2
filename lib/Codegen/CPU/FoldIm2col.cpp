//===- FoldIm2col.cpp - qopt-fold-im2col ----------------------------------===//
//
// A float convolution reaches the CPU runtime as an im2col copy into a new
// buffer and a packed-weight GEMM call reading it; the GEMM then packs that
// matrix again into its tiles' panels, so every element of the im2col matrix
// is written twice and read twice (the detector's 3x3 convolutions over 96
// channels write 88 MB per call at 160x160). This pass drops the copy and
// calls qopt_conv2d_f32_pa, which packs the panels from the convolution's
// input directly (runtime/Kernels.cpp, packIm2colPanels).
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/CPU/Passes.h"

#include "KernelCalls.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/AffineExpr.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTFOLDIM2COL
#include "qopt/Codegen/CPU/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt::kernel_calls;

namespace {

/// An im2col copy: `op` writes col[C, KH, KW, 1, OH, OW] from x[1, C, H, W].
struct Im2colCopy {
  linalg::GenericOp op;
  Value x;
  int64_t kh, kw, ow, sh, sw, dh, dw;
};

/// The coefficient of dim `d` in the pure affine `e` over `dims` dims, or
/// nullopt when `e` is not linear in it.
std::optional<int64_t> coefficient(AffineExpr e, unsigned dims, unsigned d) {
  MLIRContext *ctx = e.getContext();
  SmallVector<AffineExpr> at(dims, getAffineConstantExpr(0, ctx));
  AffineExpr zero = simplifyAffineExpr(e.replaceDims(at), dims, 0);
  at[d] = getAffineConstantExpr(1, ctx);
  AffineExpr one = simplifyAffineExpr(e.replaceDims(at), dims, 0);
  auto c0 = dyn_cast<AffineConstantExpr>(zero), c1 = dyn_cast<AffineConstantExpr>(one);
  if (!c0 || !c1)
    return std::nullopt;
  return c1.getValue() - c0.getValue();
}

/// The im2col copy writing `col` (ConvToIm2colGemm's form, one image), or
/// nullopt.
std::optional<Im2colCopy> im2colWriter(Value col) {
  auto type = dyn_cast<MemRefType>(col.getType());
  if (!type || type.getRank() != 6 || !type.hasStaticShape() || !type.getLayout().isIdentity() ||
      !type.getElementType().isF32() || type.getDimSize(3) != 1)
    return std::nullopt;
  linalg::GenericOp writer;
  for (Operation *user : col.getUsers()) {
    auto g = dyn_cast<linalg::GenericOp>(user);
    if (!g || g.getNumDpsInits() != 1 || g.getDpsInits()[0] != col)
      continue;
    if (writer)
      return std::nullopt;
    writer = g;
  }
  if (!writer || writer.getNumDpsInputs() != 1 || writer.getNumReductionLoops() != 0 ||
      !writer.hasPureBufferSemantics())
    return std::nullopt;
  Block *body = writer.getBody();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  if (body->getOperations().size() != 1 || yield.getNumOperands() != 1 ||
      yield.getOperand(0) != body->getArgument(0))
    return std::nullopt;
  Value x = writer.getDpsInputs()[0];
  auto xType = dyn_cast<MemRefType>(x.getType());
  if (!xType || xType.getRank() != 4 || !xType.getElementType().isF32() ||
      xType.getDimSize(0) != 1 ||
      (!xType.isDynamicDim(1) && xType.getDimSize(1) != type.getDimSize(0)))
    return std::nullopt;
  SmallVector<AffineMap> maps = writer.getIndexingMapsArray();
  if (!maps[1].isIdentity() || maps[0].getNumDims() != 6 || maps[0].getNumSymbols() != 0 ||
      maps[0].getNumResults() != 4)
    return std::nullopt;
  // col[c, kh, kw, n, oh, ow] = x[n, c, oh*sh + kh*dh, ow*sw + kw*dw]: the
  // strides and dilations read off the map, which must then be exactly that.
  ArrayRef<AffineExpr> r = maps[0].getResults();
  std::optional<int64_t> sh = coefficient(r[2], 6, 4), dh = coefficient(r[2], 6, 1),
                         sw = coefficient(r[3], 6, 5), dw = coefficient(r[3], 6, 2);
  if (!sh || !dh || !sw || !dw || *sh < 1 || *dh < 1 || *sw < 1 || *dw < 1)
    return std::nullopt;
  MLIRContext *ctx = col.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  AffineMap want =
      AffineMap::get(6, 0, {d(3), d(0), d(4) * *sh + d(1) * *dh, d(5) * *sw + d(2) * *dw}, ctx);
  if (simplifyAffineMap(want) != simplifyAffineMap(maps[0]))
    return std::nullopt;
  return Im2colCopy{writer, x, type.getDimSize(1), type.getDimSize(2), type.getDimSize(5),
                    *sh,    *sw, *dh,              *dw};
}

/// Whether `op` may write memory (an allocation does not).
bool mayWrite(Operation *op) {
  if (isa<memref::AllocOp, memref::AllocaOp>(op))
    return false;
  return !isMemoryEffectFree(op);
}

struct FoldIm2colPass : qopt::impl::QOptFoldIm2colBase<FoldIm2colPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::CallOp> calls;
    module.walk([&](func::CallOp call) {
      if (call.getCallee() == "qopt_matmul_f32_pa" ||
          call.getCallee() == "qopt_matmul_f32_pa_overwrite")
        calls.push_back(call);
    });
    for (func::CallOp call : calls)
      fold(module, call);
  }

  /// Rewrites `call` when its B is only an im2col copy's buffer.
  void fold(ModuleOp module, func::CallOp call) {
    if (call.getNumOperands() != 4)
      return;
    // B: casts of a collapse_shape [[0, 1, 2], [3, 4, 5]] of the buffer.
    SmallVector<Operation *> views;
    Value b = call.getOperand(2);
    while (auto cast = b.getDefiningOp<memref::CastOp>()) {
      views.push_back(cast);
      b = cast.getSource();
    }
    auto collapse = b.getDefiningOp<memref::CollapseShapeOp>();
    if (!collapse || collapse.getReassociationIndices() !=
                         SmallVector<ReassociationIndices>{{0, 1, 2}, {3, 4, 5}})
      return;
    views.push_back(collapse);
    Value col = collapse.getSrc();
    auto alloc = col.getDefiningOp<memref::AllocOp>();
    if (!alloc)
      return;
    std::optional<Im2colCopy> copy = im2colWriter(col);
    if (!copy)
      return;
    // Nothing else reads the buffer or its views.
    SmallVector<Operation *> deallocs;
    for (Operation *user : col.getUsers()) {
      if (user == copy->op || user == collapse)
        continue;
      if (!isa<memref::DeallocOp>(user))
        return;
      deallocs.push_back(user);
    }
    for (Operation *view : views)
      if (!view->getResult(0).hasOneUse())
        return;
    // The copy reads x where the call will: same block, nothing in between
    // that may write memory.
    Operation *writer = copy->op;
    if (writer->getBlock() != call->getBlock() || !writer->isBeforeInBlock(call))
      return;
    for (Operation *op = writer->getNextNode(); op != call; op = op->getNextNode())
      if (mayWrite(op))
        return;

    OpBuilder builder(call);
    Location loc = call.getLoc();
    llvm::SmallDenseMap<int64_t, Value> constants;
    auto i64 = [&](int64_t v) {
      Value &c = constants[v];
      if (!c)
        c = arith::ConstantIntOp::create(builder, loc, v, 64).getResult();
      return c;
    };
    std::string name = call.getCallee() == "qopt_matmul_f32_pa" ? "qopt_conv2d_f32_pa"
                                                                 : "qopt_conv2d_f32_pa_overwrite";
    SmallVector<Value> args = {
        call.getOperand(0),
        call.getOperand(1),
        castTo(builder, loc, copy->x, anyStrided(builder.getF32Type(), 4)),
        call.getOperand(3),
        i64(copy->kh),
        i64(copy->kw),
        i64(copy->sh),
        i64(copy->sw),
        i64(copy->dh),
        i64(copy->dw),
        i64(copy->ow)};
    declare(module, name, args);
    func::CallOp::create(builder, loc, name, TypeRange{}, args);
    call.erase();
    for (Operation *view : views) // outermost cast first
      view->erase();
    writer->erase();
    for (Operation *dealloc : deallocs)
      dealloc->erase();
    alloc.erase();
  }
};

} // namespace
