//===- FoldIm2col.cpp - qopt-fold-im2col ----------------------------------===//
//
// A convolution reaches the CPU runtime as an im2col copy into a new buffer
// and a packed-weight GEMM call reading it; the GEMM then packs that matrix
// again into its tiles' panels, so every element of the im2col matrix is
// written twice and read twice (the detector's 3x3 convolutions over 96
// channels write 88 MB per call at 160x160 in f32). This pass drops the copy
// and calls qopt_conv2d_f32_pa, or for int8 qopt_conv2d_s8s8_i32_<isa>_pa,
// which pack the panels from the convolution's input directly
// (runtime/Kernels.cpp packIm2colPanels, runtime/Int8Kernels.cpp
// packIm2colPanels8).
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/CPU/Passes.h"

#include "KernelCalls.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/AffineExpr.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include "llvm/ADT/SetVector.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTFOLDIM2COL
#include "qopt/Codegen/CPU/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt::kernel_calls;

namespace {

/// An im2col copy: `op` writes col[C, KH, KW, N, OH, OW] from x[N, C, H,
/// W]; N, OH and OW may be dynamic.
struct Im2colCopy {
  linalg::GenericOp op;
  Value x;
  int64_t kh, kw, sh, sw, dh, dw;
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

/// `writer` as an im2col copy into `col` (ConvToIm2colGemm's form, one
/// image), or nullopt.
std::optional<Im2colCopy> asIm2colCopy(Operation *op, Value col) {
  auto type = dyn_cast<MemRefType>(col.getType());
  auto writer = dyn_cast<linalg::GenericOp>(op);
  if (!type || type.getRank() != 6 || !type.getLayout().isIdentity() ||
      !(type.getElementType().isF32() || type.getElementType().isInteger(8)) ||
      type.isDynamicDim(0) || type.isDynamicDim(1) ||
      type.isDynamicDim(2) || !writer ||
      writer.getNumDpsInits() != 1 || writer.getDpsInits()[0] != col ||
      writer.getNumDpsInputs() != 1 || writer.getNumReductionLoops() != 0 ||
      !writer.hasPureBufferSemantics())
    return std::nullopt;
  Block *body = writer.getBody();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  if (body->getOperations().size() != 1 || yield.getNumOperands() != 1 ||
      yield.getOperand(0) != body->getArgument(0))
    return std::nullopt;
  // x: the channels the copy's rows count (the runtime takes K from x's
  // channels), read with a static unit inner stride (as the runtime needs).
  Value x = writer.getDpsInputs()[0];
  auto xType = dyn_cast<MemRefType>(x.getType());
  SmallVector<int64_t> xStrides;
  int64_t xOffset;
  if (!xType || xType.getRank() != 4 || xType.getElementType() != type.getElementType() ||
      xType.getDimSize(1) != type.getDimSize(0) ||
      failed(xType.getStridesAndOffset(xStrides, xOffset)) || xStrides[3] != 1)
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
  return Im2colCopy{writer, x, type.getDimSize(1), type.getDimSize(2), *sh, *sw, *dh, *dw};
}

struct FoldIm2colPass : qopt::impl::QOptFoldIm2colBase<FoldIm2colPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    folded.clear();
    SmallVector<func::CallOp> calls;
    module.walk([&](func::CallOp call) {
      // Int8: the AVX-512 VNNI and the AVX2 tiles. The AVX-VNNI tiles
      // (16 columns, no split of B) ran the PP-OCR detector about 5% slower
      // at one thread folded than from the im2col copy (2026-12-07); their
      // runtime entry exists and is tested, for when that is fixed.
      StringRef callee = call.getCallee();
      if (callee == "qopt_matmul_f32_pa" || callee == "qopt_matmul_f32_pa_overwrite" ||
          callee == "qopt_matmul_f32_pa_bias" || callee == "qopt_matmul_s8s8_i32_avx512vnni_pa" ||
          callee == "qopt_matmul_s8s8_i32_avx2_pa")
        calls.push_back(call);
    });
    llvm::SetVector<Operation *> buffers;
    for (func::CallOp call : calls)
      if (memref::AllocOp alloc = fold(module, call))
        buffers.insert(alloc);
    for (Operation *alloc : buffers)
      eraseIfUnread(cast<memref::AllocOp>(alloc));
    for (const Folded &f : folded)
      unband(f);
  }

  /// A call made by fold(), with its row stride and output width (or
  /// ShapedType::kDynamic).
  struct Folded {
    func::CallOp call;
    int64_t sh, ow;
  };
  SmallVector<Folded> folded;

  /// `v` as `iv` times a constant (1 for `iv` itself), or nullopt.
  static std::optional<int64_t> multipleOf(Value v, Value iv) {
    if (v == iv)
      return 1;
    if (auto mul = v.getDefiningOp<arith::MulIOp>())
      for (int i = 0; i < 2; ++i)
        if (mul->getOperand(i) == iv)
          return getConstantIntValue(mul->getOperand(1 - i));
    return std::nullopt;
  }

  /// The subview under `v`'s casts, with unit strides, or null.
  static memref::SubViewOp unitSubview(Value v) {
    auto sv = throughCasts(v).getDefiningOp<memref::SubViewOp>();
    if (!sv || !llvm::all_of(sv.getStaticStrides(), [](int64_t s) { return s == 1; }))
      return {};
    return sv;
  }

  /// Replaces the band loop around a folded call (ConvToIm2colGemm's scf.for
  /// over bands of output rows, which bounded the copy's buffer: with the
  /// copy gone it only splits the GEMM into small calls, each a parallel
  /// region) by one call over the whole input and output.
  void unband(const Folded &f) {
    func::CallOp call = f.call;
    auto loop = dyn_cast<scf::ForOp>(call->getParentOp());
    if (!loop || loop.getNumResults() != 0)
      return;
    std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound()),
                           ub = getConstantIntValue(loop.getUpperBound()),
                           step = getConstantIntValue(loop.getStep());
    if (!lb || !ub || !step || *lb != 0 || *step < 1 || *ub % *step ||
        ShapedType::isDynamic(f.ow))
      return;
    for (Operation &op : loop.getBody()->without_terminator())
      if (&op != call && !isMemoryEffectFree(&op))
        return;
    Value iv = loop.getInductionVar();
    auto outside = [&](Value v) { return !loop->isAncestor(v.getParentRegion()->getParentOp()); };
    // x: rows [iv * sh, ...) of all of an input [1, C, H, W].
    memref::SubViewOp xs = unitSubview(call.getOperand(2));
    if (!xs || !outside(xs.getSource()))
      return;
    auto xType = cast<MemRefType>(xs.getSource().getType());
    SmallVector<OpFoldResult> xo = xs.getMixedOffsets(), xz = xs.getMixedSizes();
    if (xType.getRank() != 4 || xType.getDimSize(0) != 1 || !isConstantIntValue(xo[0], 0) ||
        !isConstantIntValue(xo[1], 0) ||
        !isConstantIntValue(xo[3], 0) || !isa<Value>(xo[2]) ||
        multipleOf(cast<Value>(xo[2]), iv) != f.sh || xType.isDynamicDim(1) ||
        xType.isDynamicDim(3) || !isConstantIntValue(xz[1], xType.getDimSize(1)) ||
        !isConstantIntValue(xz[3], xType.getDimSize(3)))
      return;
    // C: columns [iv * OW, (iv + step) * OW) of all of an output [F, ub * OW].
    memref::SubViewOp cs = unitSubview(call.getOperand(3));
    if (!cs || !outside(cs.getSource()))
      return;
    auto cType = cast<MemRefType>(cs.getSource().getType());
    SmallVector<OpFoldResult> co = cs.getMixedOffsets(), cz = cs.getMixedSizes();
    if (cType.getRank() != 2 || !cType.hasStaticShape() || !isConstantIntValue(co[0], 0) ||
        !isa<Value>(co[1]) || multipleOf(cast<Value>(co[1]), iv) != f.ow ||
        cType.getDimSize(1) != *ub * f.ow || !isConstantIntValue(cz[0], cType.getDimSize(0)) ||
        !isConstantIntValue(cz[1], *step * f.ow))
      return;
    // The other operands (packed weights, geometry) do not depend on the
    // band: recreated before the loop.
    std::function<bool(Value)> invariant = [&](Value v) {
      if (outside(v))
        return true;
      Operation *op = v.getDefiningOp();
      return op && isMemoryEffectFree(op) && !op->getNumRegions() &&
             llvm::all_of(op->getOperands(), invariant);
    };
    for (auto [i, v] : llvm::enumerate(call.getOperands()))
      if (i != 2 && i != 3 && !invariant(v))
        return;
    OpBuilder b(loop);
    IRMapping map;
    std::function<Value(Value)> hoist = [&](Value v) -> Value {
      if (outside(v))
        return v;
      if (Value m = map.lookupOrNull(v))
        return m;
      Operation *op = v.getDefiningOp();
      for (Value in : op->getOperands())
        hoist(in);
      return b.clone(*op, map)->getResult(cast<OpResult>(v).getResultNumber());
    };
    SmallVector<Value> args;
    const size_t ohAt = call.getNumOperands() - 2;
    for (auto [i, v] : llvm::enumerate(call.getOperands()))
      args.push_back(i == 2    ? castTo(b, loop.getLoc(), xs.getSource(), v.getType())
                     : i == 3  ? castTo(b, loop.getLoc(), cs.getSource(), v.getType())
                     : i == ohAt ? arith::ConstantIntOp::create(b, loop.getLoc(), *ub, 64)
                                       .getResult() // OH: all the bands' rows
                               : hoist(v));
    // A fill of the whole C right before the loop (+0.0 or a bias per row)
    // becomes the call's start, as qopt-prepack-weights does for a GEMM.
    std::string name = call.getCallee().str();
    Value bias;
    if (name == "qopt_conv2d_f32_pa")
      name += takeAccumulatorInit(b, loop.getLoc(), loop, cs.getSource(), bias);
    if (bias)
      args.insert(args.begin() + 4, bias);
    declare(loop->getParentOfType<ModuleOp>(), name, args);
    func::CallOp::create(b, loop.getLoc(), name, TypeRange{}, args);
    loop.erase();
  }

  /// Rewrites `call` when its B is an im2col copy's buffer that nothing else
  /// reads before it is written again (a buffer can hold several
  /// convolutions' copies one after the other: identical tensor.empty ops
  /// merge before bufferization); returns the buffer, or null.
  memref::AllocOp fold(ModuleOp module, func::CallOp call) {
    const bool bias = call.getCallee() == "qopt_matmul_f32_pa_bias";
    if (call.getNumOperands() != (bias ? 5u : 4u))
      return {};
    // B: casts of a collapse_shape [[0, 1, 2], [3, 4, 5]] of the buffer
    // (the collapse may serve several calls, the casts only this one).
    SmallVector<Operation *> casts;
    Value b = call.getOperand(2);
    while (auto cast = b.getDefiningOp<memref::CastOp>()) {
      if (!cast->getResult(0).hasOneUse())
        return {};
      casts.push_back(cast);
      b = cast.getSource();
    }
    auto collapse = b.getDefiningOp<memref::CollapseShapeOp>();
    if (!collapse || collapse.getReassociationIndices() !=
                         SmallVector<ReassociationIndices>{{0, 1, 2}, {3, 4, 5}})
      return {};
    Value col = collapse.getSrc();
    auto alloc = col.getDefiningOp<memref::AllocOp>();
    if (!alloc)
      return {};
    // The ops of the call's block that use the buffer, through views or in
    // their regions, other than the call: the last one before the call must
    // be the copy, the first one after it another full write or a dealloc.
    Block *block = call->getBlock();
    Operation *writer = nullptr, *next = nullptr;
    SmallVector<Value> values = {col};
    while (!values.empty()) {
      Value v = values.pop_back_val();
      for (Operation *user : v.getUsers()) {
        if (isa<ViewLikeOpInterface, memref::CastOp, memref::CollapseShapeOp,
                memref::ExpandShapeOp>(user)) {
          values.push_back(user->getResult(0));
          continue;
        }
        if (user == call)
          continue;
        Operation *at = block->findAncestorOpInBlock(*user);
        if (!at || at == call)
          return {};
        if (at->isBeforeInBlock(call)) {
          if (!writer || writer->isBeforeInBlock(at))
            writer = at;
        } else if (!next || at->isBeforeInBlock(next)) {
          next = at;
        }
      }
    }
    if (!writer)
      return {};
    std::optional<Im2colCopy> copy = asIm2colCopy(writer, col);
    if (!copy)
      return {};
    if (next && !isa<memref::DeallocOp>(next) && !asIm2colCopy(next, col))
      return {};
    // The copy reads x where the call will: nothing in between may write
    // memory.
    for (Operation *op = writer->getNextNode(); op != call; op = op->getNextNode())
      if (!isPureOrAllocation(op))
        return {};

    OpBuilder builder(call);
    Location loc = call.getLoc();
    llvm::SmallDenseMap<int64_t, Value> constants;
    auto i64 = [&](int64_t v) {
      Value &c = constants[v];
      if (!c)
        c = arith::ConstantIntOp::create(builder, loc, v, 64).getResult();
      return c;
    };
    // OH and OW: the buffer's sizes (run-time values where dynamic).
    auto colType = cast<MemRefType>(col.getType());
    auto size = [&](unsigned dim) {
      if (!colType.isDynamicDim(dim))
        return i64(colType.getDimSize(dim));
      // The dynamic sizes come in the order of the dynamic dims.
      unsigned at = 0;
      for (unsigned d = 0; d < dim; ++d)
        at += colType.isDynamicDim(d);
      return arith::IndexCastOp::create(builder, loc, builder.getI64Type(),
                                        alloc.getDynamicSizes()[at])
          .getResult();
    };
    std::string name = "qopt_conv2d" + call.getCallee().drop_front(strlen("qopt_matmul")).str();
    Type element = cast<MemRefType>(copy->x.getType()).getElementType();
    SmallVector<Value> args = {call.getOperand(0), call.getOperand(1),
                               castTo(builder, loc, copy->x, anyStrided(element, 4)),
                               call.getOperand(3)};
    if (bias)
      args.push_back(call.getOperand(4));
    args.append({
        i64(copy->kh),
        i64(copy->kw),
        i64(copy->sh),
        i64(copy->sw),
        i64(copy->dh),
        i64(copy->dw),
        size(4),
        size(5)});
    Value c = call.getOperand(3);
    Operation *after = call->getNextNode();
    call.erase();
    for (Operation *cast : casts) // outermost first
      cast->erase();
    if (collapse->use_empty())
      collapse->erase();
    writer->erase();
    // With the copy gone, a zero fill or bias broadcast of C before it (the
    // accumulator's init, which qopt-prepack-weights did not reach past the
    // copy) becomes the call's start.
    c = throughCasts(c);
    OpBuilder at(after);
    Value biasArg;
    if (name == "qopt_conv2d_f32_pa")
      name += takeAccumulatorInit(at, loc, after, c, biasArg);
    if (biasArg)
      args.insert(args.begin() + 4, biasArg);
    func::CallOp conv = func::CallOp::create(at, loc, name, TypeRange{}, args);
    declare(module, name, args);
    folded.push_back({conv, copy->sh, colType.getDimSize(5)});
    return alloc;
  }

  /// Erases `alloc` when only deallocs are left using it.
  static void eraseIfUnread(memref::AllocOp alloc) {
    if (!llvm::all_of(alloc->getUsers(), [](Operation *u) { return isa<memref::DeallocOp>(u); }))
      return;
    for (Operation *u : llvm::make_early_inc_range(alloc->getUsers()))
      u->erase();
    alloc.erase();
  }
};

} // namespace
