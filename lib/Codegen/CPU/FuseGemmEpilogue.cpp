//===- FuseGemmEpilogue.cpp - qopt-fuse-gemm-epilogue -----------------------===//
//
// A convolution or matmul lowers to an accumulator initialized with the bias
// (linalg.fill or a broadcast generic), a linalg.matmul into it, and an
// elementwise linalg.generic that reads the accumulator once: activation,
// requantization, residual add... Run separately, the accumulator (i32 or
// f32, [F, N]) is written three times and read twice through memory, which
// dominates layers with few input channels. This pass computes them tile by
// tile in one scf.forall over the columns N: each tile initializes its own
// [F, c] accumulator, runs the matmul on the matching columns of B, and
// applies the epilogue to it while it is still in cache; only the epilogue's
// output is written to memory.
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/TilingInterface.h"

#include <numeric>

namespace qopt {
#define GEN_PASS_DEF_QOPTFUSEGEMMEPILOGUE
#include "qopt/Codegen/CPU/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

/// Bytes of a tile's accumulator columns plus their B columns that should
/// stay in a core's L2 cache.
constexpr int64_t kTileBytes = 256 << 10;
/// Column panel width of the GEMM kernels' widest tile (avx512vnni, f32
/// AVX-512); the others' divide it.
constexpr int64_t kPanelColumns = 32;

/// How a static shape holds a [F, N] matrix in row-major order: dims
/// [0, fEnd] multiply to F, the rest to N; `row` is the first of the rest
/// with extent > 1, `inner` the product of the dims after it. A tile of
/// whole `row`s is a contiguous column range of the matrix.
struct Layout {
  int64_t fEnd, row, inner;
};

std::optional<Layout> layoutOf(ArrayRef<int64_t> shape, int64_t f, int64_t n) {
  if (ShapedType::isDynamicShape(shape) || shape.empty())
    return std::nullopt;
  int64_t rank = shape.size(), prod = 1, fEnd = -1;
  for (int64_t d = 0; d < rank; ++d) {
    prod *= shape[d];
    if (prod == f) {
      fEnd = d;
      break;
    }
    if (prod > f)
      return std::nullopt;
  }
  if (fEnd < 0)
    return std::nullopt;
  int64_t row = fEnd + 1;
  while (row < rank && shape[row] == 1)
    ++row;
  if (row >= rank)
    return std::nullopt;
  int64_t inner = 1;
  for (int64_t d = row + 1; d < rank; ++d)
    inner *= shape[d];
  if (shape[row] * inner != n)
    return std::nullopt;
  return Layout{fEnd, row, inner};
}

/// Offsets and sizes of columns [n0, n0 + c) of the matrix in `shape`.
void tileOf(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, const Layout &l, Value n0,
            int64_t c, SmallVectorImpl<OpFoldResult> &offsets,
            SmallVectorImpl<OpFoldResult> &sizes) {
  for (auto [d, extent] : llvm::enumerate(shape)) {
    if (int64_t(d) == l.row) {
      Value inner = arith::ConstantIndexOp::create(b, loc, l.inner);
      offsets.push_back(arith::DivUIOp::create(b, loc, n0, inner).getResult());
      sizes.push_back(b.getIndexAttr(c / l.inner));
    } else {
      offsets.push_back(b.getIndexAttr(0));
      sizes.push_back(b.getIndexAttr(extent));
    }
  }
}

/// The reassociation grouping a shape's dims into its [F, N] matrix.
SmallVector<ReassociationIndices> matrixGroups(int64_t rank, const Layout &l) {
  ReassociationIndices fGroup, nGroup;
  for (int64_t d = 0; d < rank; ++d)
    (d <= l.fEnd ? fGroup : nGroup).push_back(d);
  return {fGroup, nGroup};
}

/// `v` seen through single-use tensor reshapes; the reshapes, outermost first.
Value throughReshapes(Value v, SmallVectorImpl<Operation *> &reshapes) {
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def) || !v.hasOneUse())
      break;
    reshapes.push_back(def);
    v = def->getOperand(0);
  }
  return v;
}

bool isConstant(Value v) {
  SmallVector<Operation *> ignored;
  v = throughReshapes(v, ignored);
  return isa_and_nonnull<arith::ConstantOp>(v.getDefiningOp());
}

bool allParallel(linalg::LinalgOp op) {
  return llvm::all_of(op.getIteratorTypesArray(), [](utils::IteratorType t) {
    return t == utils::IteratorType::parallel;
  });
}

/// One matmul and its epilogue, as found.
struct Candidate {
  linalg::GenericOp epilogue;
  unsigned operand;          // the epilogue's input that is the accumulator
  linalg::MatmulOp matmul;
  TilingInterface init;      // what fills the accumulator
  SmallVector<Operation *> outReshapes, initReshapes;
  Layout outLayout, initLayout;
  int64_t columns;           // per tile
};

std::optional<Candidate> match(linalg::GenericOp g) {
  if (!g.hasPureTensorSemantics() || g.getNumDpsInits() != 1 || !allParallel(g) ||
      g.getNumResults() != 1)
    return std::nullopt;
  for (OpOperand *in : g.getDpsInputOperands()) {
    Candidate c;
    c.epilogue = g;
    c.operand = in->getOperandNumber();
    if (!g.getMatchingIndexingMap(in).isIdentity() || !in->get().hasOneUse())
      continue;
    Value acc = throughReshapes(in->get(), c.outReshapes);
    c.matmul = acc.getDefiningOp<linalg::MatmulOp>();
    if (!c.matmul || !acc.hasOneUse() || c.matmul.hasUserDefinedMaps() ||
        !c.matmul.hasPureTensorSemantics())
      continue;
    Value a = c.matmul.getInputs()[0], b = c.matmul.getInputs()[1];
    Value out = c.matmul.getOutputs()[0];
    auto aType = cast<RankedTensorType>(a.getType());
    auto bType = cast<RankedTensorType>(b.getType());
    auto outType = cast<RankedTensorType>(out.getType());
    // A is repacked on every call of the GEMM unless it is a constant int8
    // matrix (weights packed at compile time by qopt-prepack-weights; the
    // f32 kernel packs A per call): tiles must not multiply that work.
    if (!aType.hasStaticShape() || !bType.hasStaticShape() || !outType.hasStaticShape() ||
        !aType.getElementType().isInteger(8) || !isConstant(a))
      continue;
    int64_t f = aType.getDimSize(0), k = aType.getDimSize(1), n = bType.getDimSize(1);
    Value initRoot = throughReshapes(out, c.initReshapes);
    c.init = initRoot.getDefiningOp<TilingInterface>();
    auto initOp = dyn_cast_or_null<linalg::LinalgOp>(c.init.getOperation());
    // A linalg op tiles any result whose map is a projected permutation.
    if (!initOp || !out.hasOneUse() || !initRoot.hasOneUse() || initOp->getNumResults() != 1 ||
        !initOp.hasPureTensorSemantics() ||
        !initOp.getIndexingMapMatchingResult(cast<OpResult>(initRoot)).isProjectedPermutation())
      continue;
    auto gType = cast<RankedTensorType>(in->get().getType());
    auto initType = cast<RankedTensorType>(initRoot.getType());
    std::optional<Layout> lo = layoutOf(gType.getShape(), f, n);
    std::optional<Layout> li = layoutOf(initType.getShape(), f, n);
    if (!lo || !li)
      continue;
    c.outLayout = *lo;
    c.initLayout = *li;
    // Columns per tile: whole rows of both layouts, dividing N, as many as
    // fit kTileBytes.
    int64_t unit = std::lcm(lo->inner, li->inner);
    if (n % unit)
      continue;
    int64_t accBytes = outType.getElementTypeBitWidth() / 8;
    int64_t colBytes = f * accBytes + k * (bType.getElementTypeBitWidth() / 8);
    if (f * n * accBytes <= kTileBytes)
      continue; // the whole accumulator already stays in cache
    // The GEMM computes whole panels of kPanelColumns columns: among the
    // widths that fit, take the one with the fewest padded columns in all,
    // then the widest.
    int64_t units = n / unit, best = 1, bestPadded = -1;
    for (int64_t r = 1; r <= units; ++r) {
      int64_t cols = r * unit;
      if (units % r || (r > 1 && cols * colBytes > kTileBytes))
        continue;
      int64_t padded = (n / cols) * llvm::alignTo(cols, kPanelColumns);
      if (bestPadded < 0 || padded <= bestPadded) {
        best = r;
        bestPadded = padded;
      }
    }
    c.columns = best * unit;
    if (c.columns == n)
      continue;
    return c;
  }
  return std::nullopt;
}

/// Builds the tiled loop in place of the epilogue; on failure (which
/// match()'s checks rule out) erases what it built and leaves the IR as it was.
LogicalResult fuse(Candidate &c) {
  linalg::GenericOp g = c.epilogue;
  linalg::MatmulOp mm = c.matmul;
  Location loc = mm.getLoc();
  OpBuilder b(g);
  Value a = mm.getInputs()[0], bm = mm.getInputs()[1];
  auto bType = cast<RankedTensorType>(bm.getType());
  auto outType = cast<RankedTensorType>(mm.getOutputs()[0].getType());
  int64_t k = bType.getDimSize(0), n = bType.getDimSize(1), f = outType.getDimSize(0);
  auto gType = cast<RankedTensorType>(g->getOperand(c.operand).getType());
  auto initType = cast<RankedTensorType>(c.init->getResult(0).getType());

  SmallVector<OpFoldResult> ubs = {b.getIndexAttr(n)}, steps = {b.getIndexAttr(c.columns)},
                            lbs = {b.getIndexAttr(0)};
  auto forall = scf::ForallOp::create(b, loc, lbs, ubs, steps, ValueRange{g.getDpsInits()[0]},
                                      std::nullopt);
  Block *body = forall.getBody();
  b.setInsertionPointToStart(body);
  Value n0 = forall.getInductionVars()[0];
  Value dest = forall.getRegionIterArgs()[0];

  // The tile's accumulator: the init op's tile, as [F, c].
  SmallVector<OpFoldResult> io, is;
  tileOf(b, loc, initType.getShape(), c.initLayout, n0, c.columns, io, is);
  FailureOr<TilingResult> initTile = c.init.generateResultTileValue(b, 0, io, is);
  if (failed(initTile)) {
    forall->erase();
    return failure();
  }
  // A tile of an empty tensor is a small empty tensor: the whole
  // accumulator is never allocated.
  for (Operation *op : initTile->tiledOps)
    if (auto dps = dyn_cast<DestinationStyleOpInterface>(op))
      for (OpOperand &init : dps.getDpsInitsMutable())
        if (auto slice = init.get().getDefiningOp<tensor::ExtractSliceOp>())
          if (slice.getSource().getDefiningOp<tensor::EmptyOp>()) {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPoint(slice);
            init.set(tensor::EmptyOp::create(b, loc, slice.getType().getShape(),
                                             slice.getType().getElementType()));
            slice->erase();
          }
  auto tileType = RankedTensorType::get({f, c.columns}, outType.getElementType());
  Value acc = initTile->tiledValues[0];
  if (cast<RankedTensorType>(acc.getType()).getRank() != 2)
    acc = tensor::CollapseShapeOp::create(
        b, loc, tileType, acc, matrixGroups(initType.getRank(), c.initLayout));

  // The matmul on B's columns [n0, n0 + c).
  Value bTile = tensor::ExtractSliceOp::create(
      b, loc, bm, ArrayRef<OpFoldResult>{b.getIndexAttr(0), n0},
      ArrayRef<OpFoldResult>{b.getIndexAttr(k), b.getIndexAttr(c.columns)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
  auto tiledMm = linalg::MatmulOp::create(b, loc, TypeRange{tileType}, ValueRange{a, bTile},
                                          ValueRange{acc});
  tiledMm.setCastAttr(mm.getCastAttr());

  // The epilogue on the same columns, reading the tile.
  SmallVector<OpFoldResult> go, gs;
  tileOf(b, loc, gType.getShape(), c.outLayout, n0, c.columns, go, gs);
  Value accTile = tiledMm.getResult(0);
  if (gType.getRank() != 2) {
    SmallVector<int64_t> shape(gType.getShape());
    shape[c.outLayout.row] = c.columns / c.outLayout.inner;
    accTile = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(shape, gType.getElementType()), accTile,
        matrixGroups(gType.getRank(), c.outLayout));
  }
  FailureOr<TilingResult> tiled =
      cast<TilingInterface>(g.getOperation()).getTiledImplementation(b, go, gs);
  if (failed(tiled)) {
    forall->erase();
    return failure();
  }
  Operation *tg = tiled->tiledOps[0];
  if (auto slice = tg->getOperand(c.operand).getDefiningOp<tensor::ExtractSliceOp>()) {
    tg->setOperand(c.operand, accTile);
    slice->erase();
  } else {
    tg->setOperand(c.operand, accTile);
  }
  // Its output is the slice of the loop's shared output.
  auto dpsTiled = cast<DestinationStyleOpInterface>(tg);
  Value outSlice = dpsTiled.getDpsInits()[0];
  if (auto slice = outSlice.getDefiningOp<tensor::ExtractSliceOp>())
    slice.getSourceMutable().assign(dest);

  b.setInsertionPointToStart(forall.getTerminator().getBody());
  SmallVector<OpFoldResult> ones(gType.getRank(), b.getIndexAttr(1));
  tensor::ParallelInsertSliceOp::create(b, loc, tg->getResult(0), dest, go, gs, ones);

  g->replaceAllUsesWith(forall->getResults());
  g->erase();
  for (Operation *op : c.outReshapes)
    op->erase();
  mm->erase();
  for (Operation *op : c.initReshapes)
    op->erase();
  c.init->erase();
  return success();
}

struct FuseGemmEpiloguePass
    : qopt::impl::QOptFuseGemmEpilogueBase<FuseGemmEpiloguePass> {
  void runOnOperation() override {
    SmallVector<Candidate> work;
    getOperation().walk([&](linalg::GenericOp g) {
      if (std::optional<Candidate> c = match(g))
        work.push_back(*c);
    });
    for (Candidate &c : work)
      (void)fuse(c); // a candidate that cannot be tiled stays unfused
  }
};

} // namespace
