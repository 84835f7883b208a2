//===- MmaMatmul.cpp - qopt-gpu-mma-matmul ----------------------------------===//
//
// int8 GEMMs as tensor-core kernels (nvgpu.mma.sync m16n8k32). The tile
// shape, the shared-memory staging and the fragment layouts are described
// in Passes.td; the fragment coordinates are the PTX ISA's.
//
//===----------------------------------------------------------------------===//
#include "GemmEpilogue.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <array>

namespace qopt {
#define GEN_PASS_DEF_QOPTGPUMMAMATMUL
#include "qopt/Codegen/GPU/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

constexpr int64_t kTileM = 64, kTileN = 64, kTileK = 32, kThreads = 128;
/// Bytes each staged row is padded with: rows of 48 (int8) or 80 (f16)
/// bytes keep every ldmatrix row address 16-byte aligned, and the 8 rows one
/// ldmatrix phase reads start in 8 different groups of 4 banks.
constexpr int64_t kPadBytes = 16;
constexpr int64_t kWarpM = 32, kWarpN = 32, kMmaM = 16, kMmaN = 8;

/// The tensor-core GEMMs: s8 x s8 -> s32 (m16n8k32, four i8 per 32-bit
/// fragment register) and, from f32 operands rounded to f16 or bf16 in
/// shared memory, f16/bf16 x f16/bf16 -> f32 (m16n8k16, two per register).
/// A k-tile of 32 elements is one int8 step or two 16-bit steps.
struct Kind {
  enum Elem { S8, F16, BF16 } e;
  bool isFloat() const { return e != S8; }
  int64_t mmaK() const { return isFloat() ? 16 : 32; }
  int64_t perRegister() const { return isFloat() ? 2 : 4; }
  Type element(OpBuilder &b) const {
    return e == F16 ? Type(b.getF16Type()) : e == BF16 ? Type(b.getBF16Type()) : Type(b.getI8Type());
  }
  Type accumulator(OpBuilder &b) const {
    return isFloat() ? Type(b.getF32Type()) : Type(b.getI32Type());
  }
  /// Elements of a staged row: the k-tile and the padding.
  int64_t rowElements() const { return kTileK + kPadBytes / (isFloat() ? 2 : 1); }
};

/// If `v` (an i32 buffer) is only written by an elementwise linalg op that
/// sign-extends an i8 buffer of the same shape, and otherwise only read by
/// `reader`, that op; linalg.matmul extends i8 operands itself, so the matmul
/// can read the i8 buffer (MatMulInteger and QLinearMatMul lower to such
/// extensions). The i8 buffer must be untouched between the two ops (no
/// write, no deallocation, no other use at all: conservative).
linalg::GenericOp signExtensionOf(Value v, Operation *reader) {
  using qopt::gpu_codegen::bufferRoot;
  Value root = bufferRoot(v);
  if (root != v || !isa_and_nonnull<gpu::AllocOp, memref::AllocOp>(root.getDefiningOp()))
    return nullptr;
  linalg::GenericOp writer;
  for (Operation *user : root.getUsers()) {
    if (user == reader || isa<gpu::DeallocOp, memref::DeallocOp>(user))
      continue;
    auto g = dyn_cast<linalg::GenericOp>(user);
    if (!g || writer || g.getNumDpsInputs() != 1 || g.getNumDpsInits() != 1 ||
        g.getDpsInits()[0] != root || g->hasAttr("qopt.host"))
      return nullptr;
    writer = g;
  }
  if (!writer || !llvm::all_of(writer.getIndexingMapsArray(),
                               [](AffineMap m) { return m.isIdentity(); }))
    return nullptr;
  Value src = writer.getDpsInputs()[0];
  auto in = dyn_cast<MemRefType>(src.getType());
  if (!in || !in.getElementType().isInteger(8) ||
      in.getShape() != cast<MemRefType>(root.getType()).getShape())
    return nullptr;
  Block &body = writer.getRegion().front();
  if (body.getOperations().size() != 2)
    return nullptr;
  auto ext = dyn_cast<arith::ExtSIOp>(body.front());
  if (!ext || ext.getIn() != body.getArgument(0) ||
      body.getTerminator()->getOperand(0) != ext.getResult())
    return nullptr;
  if (writer->getBlock() != reader->getBlock() || !writer->isBeforeInBlock(reader))
    return nullptr;
  Value srcRoot = bufferRoot(src);
  for (Operation *op = writer->getNextNode(); op != reader; op = op->getNextNode())
    if (qopt::gpu_codegen::touchesBuffer(op, srcRoot))
      return nullptr;
  return writer;
}

/// Reads the i8 sources of sign-extended i32 operands directly, and drops
/// the extensions and their i32 buffers.
void foldSignExtensions(linalg::MatmulOp op) {
  if (op->hasAttr("qopt.host") || !op.hasPureBufferSemantics() || op.hasUserDefinedMaps() ||
      op.getCast() != linalg::TypeFn::cast_signed ||
      !getElementTypeOrSelf(op.getOutputs()[0].getType()).isInteger(32))
    return;
  // Both operands first: A and B may be the same buffer.
  linalg::GenericOp exts[2] = {signExtensionOf(op.getInputs()[0], op),
                               signExtensionOf(op.getInputs()[1], op)};
  // Only when both end up i8: the matmul's region keeps its i32 arguments,
  // valid for the tensor-core rewrite that replaces it, not for a matmul
  // left with one i8 and one i32 operand (a MatMulInteger whose constant
  // weights' extension was folded at compile time).
  auto isI8 = [](Value v) { return getElementTypeOrSelf(v.getType()).isInteger(8); };
  for (int i = 0; i < 2; ++i)
    if (!exts[i] && !isI8(op.getInputs()[i]))
      return;
  Value wide[2] = {op.getInputs()[0], op.getInputs()[1]};
  for (int i = 0; i < 2; ++i)
    if (exts[i])
      op->setOperand(i, exts[i].getDpsInputs()[0]);
  for (int i = 0; i < 2; ++i) {
    if (!exts[i] || (i == 1 && exts[1] == exts[0]))
      continue;
    exts[i].erase();
    Operation *alloc = wide[i].getDefiningOp();
    for (Operation *user : llvm::make_early_inc_range(wide[i].getUsers()))
      user->erase(); // only deallocations are left
    alloc->erase();
  }
}

/// Whether `op` reads B transposed: the maps (m, k), (n, k), (m, n) that a
/// Gemm with transB (PyTorch's Linear) lowers to; B is then [N, K].
bool readsBTransposed(linalg::MatmulOp op) {
  if (!op.hasUserDefinedMaps())
    return false;
  MLIRContext *ctx = op.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineMap> want = {AffineMap::get(3, 0, {d(0), d(2)}, ctx),
                                 AffineMap::get(3, 0, {d(1), d(2)}, ctx),
                                 AffineMap::get(3, 0, {d(0), d(1)}, ctx)};
  return op.getIndexingMapsArray() == want;
}

/// The default maps, or B transposed.
bool supportedMaps(linalg::MatmulOp op) {
  return !op.hasUserDefinedMaps() || readsBTransposed(op);
}

/// Whether `op` is an f32 GEMM for the f16 tensor cores (--gpu-float=fp16).
bool isFloatGemm(linalg::MatmulOp op) {
  if (op->hasAttr("qopt.host") || !op.hasPureBufferSemantics() || !supportedMaps(op))
    return false;
  auto a = dyn_cast<MemRefType>(op.getInputs()[0].getType());
  auto b = dyn_cast<MemRefType>(op.getInputs()[1].getType());
  auto c = dyn_cast<MemRefType>(op.getOutputs()[0].getType());
  return a && b && c && a.getRank() == 2 && b.getRank() == 2 && c.getRank() == 2 &&
         a.getElementType().isF32() && b.getElementType().isF32() && c.getElementType().isF32();
}

bool isInt8Gemm(linalg::MatmulOp op) {
  if (op->hasAttr("qopt.host") || !op.hasPureBufferSemantics() || !supportedMaps(op))
    return false;
  auto a = dyn_cast<MemRefType>(op.getInputs()[0].getType());
  auto b = dyn_cast<MemRefType>(op.getInputs()[1].getType());
  auto c = dyn_cast<MemRefType>(op.getOutputs()[0].getType());
  return op.getCast() == linalg::TypeFn::cast_signed && a && b && c && a.getRank() == 2 &&
         b.getRank() == 2 && c.getRank() == 2 &&
         a.getElementType().isInteger(8) && b.getElementType().isInteger(8) &&
         c.getElementType().isInteger(32);
}

/// B of a convolution's GEMM read in place (implicit GEMM): B is a rank-2
/// collapse of a device allocation that one copy writes, col[i] =
/// x[map(i)] over the allocation's dimensions (qopt-conv-to-im2col-gemm's
/// im2col: col[c, kh, kw, n, oh, ow] = x[n, c, oh*s + kh*d, ow*s + kw*d]),
/// that nothing but the matmul reads and that is freed only after it. The
/// kernel then loads B(r, c) from x at map(r delinearized in the first
/// group's sizes, c in the second's): the copy, its buffer and its launch go.
/// Implicit padding: x (the padded input the im2col copy reads) is a
/// device allocation that `fill` sets to `value` whole, whose interior (the
/// unit-stride subview at `offsets`, `sizes`) ops then write whole, and that
/// nothing else reads or writes. The kernel then loads x only inside the
/// interior and uses `value` elsewhere, and the fill goes (paddingOf).
struct Padding {
  Operation *fill;
  Value value;
  SmallVector<OpFoldResult> offsets, sizes;
};

struct Im2col {
  linalg::GenericOp copy;
  memref::CollapseShapeOp view;
  Value x;
  AffineMap map;
  std::optional<Padding> pad;

  /// The copy's buffer's sizes.
  SmallVector<Value> sizes(OpBuilder &b, Location loc) {
    return qopt::gpu_codegen::sizesOf(b, loc, view.getSrc(), view.getSrc());
  }
  /// The number of columns of B.
  Value columns(OpBuilder &b, Location loc) {
    return qopt::gpu_codegen::sizesOf(b, loc, view.getResult(), view.getSrc())[1];
  }
  /// Erases the copy, the view and the buffer (once the matmul is gone),
  /// and the padding's fill.
  void erase() {
    Value root = view.getSrc();
    view.erase();
    copy.erase();
    Operation *alloc = root.getDefiningOp();
    for (Operation *user : llvm::make_early_inc_range(root.getUsers()))
      user->erase(); // only deallocations are left
    alloc->erase();
    if (pad)
      pad->fill->erase();
  }
};

/// The value a fill of all of `buffer` writes: linalg.fill (of a value of
/// the buffer's element type: linalg.fill may cast), or a linalg.map with
/// no inputs yielding a value from outside its body.
std::optional<std::pair<Operation *, Value>> fillOf(Operation *op, Value buffer) {
  if (auto fill = dyn_cast<linalg::FillOp>(op))
    if (fill.getOutputs().size() == 1 && fill.getOutputs()[0] == buffer &&
        fill.getInputs()[0].getType() == getElementTypeOrSelf(buffer.getType()))
      return std::make_pair(op, fill.getInputs()[0]);
  if (auto map = dyn_cast<linalg::MapOp>(op)) {
    if (!map.getInputs().empty() || map.getInit() != buffer)
      return std::nullopt;
    Block &body = map.getMapper().front();
    Value v = body.getTerminator()->getOperand(0);
    if (body.getOperations().size() == 1 && v.getParentRegion() != &map.getMapper())
      return std::make_pair(op, v);
  }
  return std::nullopt;
}

/// The padding of x that the im2col copy `copy` reads (see Padding), or
/// none. Runs before any GEMM becomes a kernel: the interior's writers are
/// still linalg ops (a fused epilogue that becomes part of a kernel writes
/// what its op wrote).
std::optional<Padding> paddingOf(Value x, Operation *copy) {
  auto alloc = x.getDefiningOp<gpu::AllocOp>();
  if (!alloc || !alloc.getType().getLayout().isIdentity() || alloc.getAsyncToken())
    return std::nullopt;
  std::optional<std::pair<Operation *, Value>> fill;
  memref::SubViewOp interior;
  for (Operation *user : x.getUsers()) {
    if (user == copy || isa<gpu::DeallocOp>(user))
      continue;
    if (auto f = fillOf(user, x); f && !fill) {
      fill = f;
      continue;
    }
    auto sv = dyn_cast<memref::SubViewOp>(user);
    if (!sv || interior || !sv.hasUnitStride() ||
        sv.getSourceType().getRank() != sv.getType().getRank())
      return std::nullopt;
    interior = sv;
  }
  if (!fill || !interior)
    return std::nullopt;
  Operation *fillOp = fill->first;
  Block *block = copy->getBlock();
  if (fillOp->getBlock() != block || !fillOp->isBeforeInBlock(copy) ||
      interior->getBlock() != block)
    return std::nullopt;
  bool written = false;
  for (Operation *user : interior->getUsers()) {
    // Each user of the interior writes all of its output, a view of x
    // (so the interior: the only view of x besides the copy's input), and
    // reads nothing of x.
    if (!qopt::gpu_codegen::overwrites(user, x) || user->getBlock() != block ||
        !fillOp->isBeforeInBlock(user) || !user->isBeforeInBlock(copy))
      return std::nullopt;
    written = true;
  }
  if (!written)
    return std::nullopt;
  return Padding{fillOp, fill->second, interior.getMixedOffsets(), interior.getMixedSizes()};
}

/// `op`'s B as an im2col copy it can read in place (see Im2col), or none.
/// `anchor`: the op the kernel will replace (a fused consumer after the
/// matmul, or the matmul); nothing from the copy to it, itself included,
/// may write or free x.
std::optional<Im2col> im2colOf(linalg::MatmulOp op, Operation *anchor) {
  using qopt::gpu_codegen::bufferRoot;
  auto view = op.getInputs()[1].getDefiningOp<memref::CollapseShapeOp>();
  if (!view || !view->hasOneUse() || view.getReassociationIndices().size() != 2)
    return std::nullopt;
  Value root = view.getSrc();
  auto alloc = root.getDefiningOp<gpu::AllocOp>();
  if (!alloc || !alloc.getType().getLayout().isIdentity() || alloc.getAsyncToken())
    return std::nullopt;
  linalg::GenericOp copy;
  for (Operation *user : root.getUsers()) {
    if (user == view)
      continue;
    if (isa<gpu::DeallocOp>(user))
      continue;
    auto g = dyn_cast<linalg::GenericOp>(user);
    if (!g || copy || g.getNumDpsInputs() != 1 || g.getNumDpsInits() != 1 ||
        g.getDpsInits()[0] != root || g->hasAttr("qopt.host") || g.getNumReductionLoops() != 0 ||
        !g.getIndexingMapsArray()[1].isIdentity() ||
        !isa<MemRefType>(g.getDpsInputs()[0].getType()))
      return std::nullopt;
    copy = g;
  }
  if (!copy || copy->getBlock() != op->getBlock() || !copy->isBeforeInBlock(op))
    return std::nullopt;
  Block &body = copy.getRegion().front();
  if (body.getOperations().size() != 1 ||
      body.getTerminator()->getOperand(0) != body.getArgument(0))
    return std::nullopt;
  Value x = copy.getDpsInputs()[0];
  if (getElementTypeOrSelf(x.getType()) != alloc.getType().getElementType() ||
      qopt::gpu_codegen::clobberedBetween(copy, anchor->getNextNode(), {bufferRoot(x)}))
    return std::nullopt;
  return Im2col{copy, view, x, copy.getIndexingMapsArray()[0]};
}

struct Builder {
  OpBuilder &b;
  Location loc;
  Value c(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivUIOp::create(b, loc, x, y); }
  Value rem(Value x, Value y) { return arith::RemUIOp::create(b, loc, x, y); }
  Value lt(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
  }
  Value andI(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
};

void rewrite(linalg::MatmulOp op, Kind kind, qopt::gpu_codegen::GemmEpilogue &epi,
             std::optional<Im2col> im2) {
  OpBuilder b(epi.anchor());
  Location loc = op.getLoc();
  epi.prepare(b, loc);
  Builder h{b, loc};
  Value A = op.getInputs()[0], B = op.getInputs()[1];
  Value M = memref::DimOp::create(b, loc, A, 0), K = memref::DimOp::create(b, loc, A, 1);
  const bool bT = readsBTransposed(op);
  Value N = im2 ? im2->columns(b, loc) : Value(memref::DimOp::create(b, loc, B, bT ? 0 : 1));
  Value one = h.c(1);
  auto ceilDiv = [&](Value x, int64_t d) {
    return arith::MaxUIOp::create(b, loc, arith::CeilDivUIOp::create(b, loc, x, h.c(d)), one);
  };
  Value gridX = ceilDiv(N, kTileN), gridY = ceilDiv(M, kTileM);
  auto launch = gpu::LaunchOp::create(b, loc, gridX, gridY, one, h.c(kThreads), one, one);
  auto smemSpace = gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  Type elem = kind.element(b), accElem = kind.accumulator(b);
  auto tileType = MemRefType::get({kTileM, kind.rowElements()}, elem, AffineMap(), smemSpace);
  // Both tiles are read by ldmatrix (16-byte rows): qopt-gpu-align-shared-memory
  // aligns them once they are a gpu.func's attributions.
  Value As = launch.addWorkgroupAttribution(tileType, loc);
  Value Bs = launch.addWorkgroupAttribution(
      MemRefType::get({kTileN, kind.rowElements()}, elem, AffineMap(), smemSpace), loc);

  OpBuilder lb = OpBuilder::atBlockBegin(&launch.getBody().front());
  Builder k{lb, loc};
  Value tx = launch.getThreadIds().x;
  Value rowBase = k.mul(launch.getBlockIds().y, k.c(kTileM));
  Value colBase = k.mul(launch.getBlockIds().x, k.c(kTileN));
  Value warp = k.div(tx, k.c(32)), lane = k.rem(tx, k.c(32));
  Value group = k.div(lane, k.c(4)), tig = k.rem(lane, k.c(4));
  Value warpRow = k.mul(k.div(warp, k.c(2)), k.c(kWarpM));
  Value warpCol = k.mul(k.rem(warp, k.c(2)), k.c(kWarpN));
  Value zeroElem = arith::ConstantOp::create(lb, loc, lb.getZeroAttr(elem));
  // Whether 16 elements from any row of `m` at a column that is a multiple
  // of 16 start 16-byte aligned: unit inner stride, the first element and
  // the row stride in bytes multiples of 16 (checked in the kernel, on the
  // buffer it is given; rows of K = 27 int8 are not).
  auto alignedRows = [&](Value m) -> Value {
    auto t = cast<MemRefType>(m.getType());
    int64_t bytes = t.getElementTypeBitWidth() / 8, offset;
    SmallVector<int64_t> strides;
    if (failed(t.getStridesAndOffset(strides, offset)) || strides.size() != 2 ||
        strides[1] != 1)
      return arith::ConstantIntOp::create(lb, loc, lb.getI1Type(), 0);
    auto md = memref::ExtractStridedMetadataOp::create(lb, loc, m);
    Value ptr = memref::ExtractAlignedPointerAsIndexOp::create(lb, loc, m);
    Value first = k.add(ptr, k.mul(md.getOffset(), k.c(bytes)));
    Value rowBytes = k.mul(md.getStrides()[0], k.c(bytes));
    auto zeroMod16 = [&](Value v) -> Value {
      return arith::CmpIOp::create(lb, loc, arith::CmpIPredicate::eq, k.rem(v, k.c(16)),
                                   k.c(0));
    };
    return k.andI(zeroMod16(first), zeroMod16(rowBytes));
  };
  Value aAligned = alignedRows(A);
  Value bAligned = im2 ? Value() : alignedRows(B);
  // Implicit GEMM: the im2col buffer's sizes in the kernel, each at least 1
  // (divisors of the coordinates computed before the bounds test).
  SmallVector<Value> colSizes;
  if (im2)
    for (Value v : im2->sizes(lb, loc))
      colSizes.push_back(arith::MaxUIOp::create(lb, loc, v, k.c(1)));
  // Implicit padding: the interior's offsets and sizes, and the fill's
  // value (a constant is rebuilt in the kernel, anything else captured).
  SmallVector<Value> padOffsets, padSizes;
  Value padValue;
  if (im2 && im2->pad) {
    auto materialize = [&](OpFoldResult v) {
      if (auto a = dyn_cast<Attribute>(v))
        return k.c(cast<IntegerAttr>(a).getInt());
      return cast<Value>(v);
    };
    for (auto [o, sz] : llvm::zip(im2->pad->offsets, im2->pad->sizes)) {
      padOffsets.push_back(materialize(o));
      padSizes.push_back(materialize(sz));
    }
    padValue = im2->pad->value;
    if (auto cst = padValue.getDefiningOp<arith::ConstantOp>())
      padValue = arith::ConstantOp::create(lb, loc, cst.getValue());
  }

  auto accType = VectorType::get({2, 2}, accElem);
  constexpr int64_t tilesM = kWarpM / kMmaM, tilesN = kWarpN / kMmaN;
  SmallVector<Value> init;
  Value zeroAcc = arith::ConstantOp::create(lb, loc, accType, lb.getZeroAttr(accType));
  for (int64_t i = 0; i < tilesM * tilesN; ++i)
    init.push_back(zeroAcc);
  Value kSteps = arith::CeilDivUIOp::create(lb, loc, K, k.c(kTileK));
  auto loop = scf::ForOp::create(lb, loc, k.c(0), kSteps, k.c(1), init);
  {
    OpBuilder fb = OpBuilder::atBlockBegin(loop.getBody());
    Builder f{fb, loc};
    Value k0 = f.mul(loop.getInductionVar(), f.c(kTileK));
    // Where element (r, c) of operand `src` is: the buffer and its indices
    // (B read in place from the convolution's input: see Im2col), and with
    // implicit padding whether they are inside the written interior.
    struct Where {
      Value buffer;
      SmallVector<Value> indices;
      Value inside;
    };
    auto where = [&](Value src, Value r, Value c) -> Where {
      if (!im2 || src != B)
        return {src, {r, c}, Value()};
      SmallVector<ReassociationIndices> groups = im2->view.getReassociationIndices();
      auto groupSizes = [&](int64_t g) {
        SmallVector<Value> out;
        for (int64_t d : groups[g])
          out.push_back(colSizes[d]);
        return out;
      };
      SmallVector<Value> ivs = qopt::gpu_codegen::delinearize(fb, loc, r, groupSizes(0));
      llvm::append_range(ivs, qopt::gpu_codegen::delinearize(fb, loc, c, groupSizes(1)));
      SmallVector<Value> at = qopt::gpu_codegen::applyIndexingMap(fb, loc, im2->map, ivs);
      Value inside;
      if (im2->pad)
        for (auto [i, off, size] : llvm::zip(at, padOffsets, padSizes)) {
          // i - off < size, unsigned: also false for i < off.
          Value in = f.lt(arith::SubIOp::create(fb, loc, i, off), size);
          inside = inside ? f.andI(inside, in) : in;
        }
      return {im2->x, at, inside};
    };
    // 16 consecutive elements per thread of a tile of `src`: element j at
    // (row(j), col(j)) of src, stored at (srow(j), scol(j)) of `tile`; zero
    // outside [0, rows) x [0, cols).
    auto stage = [&](Value tile, Value src, Value rows, Value cols,
                     function_ref<std::array<Value, 4>(Value)> at) {
      for (int64_t j = 0; j < 16; ++j) {
        auto [r, c, sr, sc] = at(f.c(j));
        Value ok = f.andI(f.lt(r, rows), f.lt(c, cols));
        Where w = where(src, r, c);
        auto sel = scf::IfOp::create(fb, loc, elem, ok, /*withElse=*/true);
        OpBuilder tb = sel.getThenBodyBuilder();
        Value v = memref::LoadOp::create(tb, loc, w.buffer, w.indices);
        // Implicit padding: the fill's value outside the interior (the
        // border is allocated, so the load above is in bounds; its value,
        // never written, is not used).
        if (w.inside)
          v = arith::SelectOp::create(tb, loc, w.inside, v, padValue);
        if (kind.isFloat())
          v = arith::TruncFOp::create(tb, loc, elem, v);
        scf::YieldOp::create(tb, loc, ValueRange{v});
        OpBuilder eb = sel.getElseBodyBuilder();
        scf::YieldOp::create(eb, loc, ValueRange{zeroElem});
        memref::StoreOp::create(fb, loc, sel.getResult(0), tile, ValueRange{sr, sc});
      }
    };
    // The 16 elements from (r, c) of `src` as one vector load when they
    // are all in bounds and `aligned` holds, then `store` (f16: rounded);
    // else element by element (`stage`).
    auto stageRow = [&](Value src, Value aligned, Value r, Value c, Value rows, Value cols,
                        function_ref<void(Value)> store,
                        function_ref<void()> byElement) {
      Value whole = f.andI(aligned, f.andI(f.lt(r, rows),
                                           arith::CmpIOp::create(fb, loc,
                                                                 arith::CmpIPredicate::ule,
                                                                 f.add(c, f.c(16)), cols)));
      auto branch = scf::IfOp::create(fb, loc, whole, /*withElse=*/true);
      OpBuilder::InsertionGuard guard(fb);
      fb.setInsertionPoint(branch.thenBlock()->getTerminator());
      auto srcType = cast<MemRefType>(src.getType());
      Value v = vector::LoadOp::create(fb, loc, VectorType::get({16}, srcType.getElementType()),
                                       src, ValueRange{r, c}, /*nontemporal=*/false,
                                       fb.getI64IntegerAttr(16));
      if (kind.isFloat())
        v = arith::TruncFOp::create(fb, loc, VectorType::get({16}, elem), v);
      store(v);
      fb.setInsertionPoint(branch.elseBlock()->getTerminator());
      byElement();
    };
    // A, and B when given as [N, K] (transposed maps): 64 rows x 32 k, two
    // threads per row; a row's 16 elements are contiguous in the operand
    // and in the tile (whose rows are 16-byte aligned).
    Value aRow = f.div(tx, f.c(2)), aK = f.mul(f.rem(tx, f.c(2)), f.c(16));
    auto stageKRows = [&](Value tile, Value src, Value aligned, Value base, Value rows) {
      stageRow(src, aligned, f.add(base, aRow), f.add(k0, aK), rows, K,
               [&](Value v) {
                 vector::StoreOp::create(fb, loc, v, tile, ValueRange{aRow, aK},
                                         /*nontemporal=*/false, fb.getI64IntegerAttr(16));
               },
               [&] {
                 stage(tile, src, rows, K, [&](Value j) -> std::array<Value, 4> {
                   Value kj = f.add(aK, j);
                   return {f.add(base, aRow), f.add(k0, kj), aRow, kj};
                 });
               });
    };
    stageKRows(As, A, aAligned, rowBase, M);
    if (bT) {
      stageKRows(Bs, B, bAligned, colBase, N);
    } else {
      // B as [K, N]: Bs[n][k] = B[k0 + k][colBase + n], four threads per
      // k; 16 consecutive n of one row of B, stored one by one down a
      // column.
      Value bK = f.div(tx, f.c(4)), bN = f.mul(f.rem(tx, f.c(4)), f.c(16));
      auto byElement = [&] {
        stage(Bs, B, K, N, [&](Value j) -> std::array<Value, 4> {
          Value nj = f.add(bN, j);
          return {f.add(k0, bK), f.add(colBase, nj), nj, bK};
        });
      };
      if (im2) {
        byElement();
      } else {
        stageRow(B, bAligned, f.add(k0, bK), f.add(colBase, bN), K, N,
                 [&](Value v) {
                   for (int64_t j = 0; j < 16; ++j)
                     memref::StoreOp::create(
                         fb, loc, vector::ExtractOp::create(fb, loc, v, ArrayRef<int64_t>{j}),
                         Bs, ValueRange{f.add(bN, f.c(j)), bK});
                 },
                 byElement);
      }
    }
    gpu::BarrierOp::create(fb, loc);
    // Fragments by ldmatrix.x4: four 8x8 matrices of 32-bit words (8 rows
    // of 16 bytes), lanes 8j..8j+7 giving the row addresses of matrix j,
    // which lands in register j of every lane: lane 4g + t gets word t of
    // row g. That is the PTX ISA's mma fragment when the matrices are
    // chosen as below (A: rows 0-7 and 8-15 at k and k + half; B^T: rows
    // n of one tile at k and k + half, then of the next tile).
    auto aType = VectorType::get({4, kind.perRegister()}, elem);
    auto bType = VectorType::get({2, kind.perRegister()}, elem);
    auto ldmatrix = [&](Value tile, Value row, Value col) -> Value {
      return nvgpu::LdMatrixOp::create(fb, loc, aType, tile, ValueRange{row, col},
                                       /*transpose=*/false, /*numTiles=*/4);
    };
    Value half = f.c(kind.mmaK() / 2);
    Value lane16 = f.rem(lane, f.c(16)), lane8 = f.rem(lane, f.c(8));
    // A: lane L addresses row L % 16 at k + (L / 16) * half.
    Value aKOff = f.mul(f.div(lane, f.c(16)), half);
    // B^T: lane L addresses row 8 * (L / 16) + L % 8 at k + ((L / 8) % 2) * half.
    Value bRowOff = f.add(f.mul(f.div(lane, f.c(16)), f.c(8)), lane8);
    Value bKOff = f.mul(f.rem(f.div(lane, f.c(8)), f.c(2)), half);
    SmallVector<Value> acc(loop.getRegionIterArgs());
    for (int64_t ks = 0; ks < kTileK; ks += kind.mmaK()) {
      SmallVector<Value> aFrags, bFrags;
      for (int64_t mi = 0; mi < tilesM; ++mi)
        aFrags.push_back(ldmatrix(As, f.add(f.add(warpRow, f.c(mi * kMmaM)), lane16),
                                  f.add(f.c(ks), aKOff)));
      for (int64_t ni = 0; ni < tilesN; ni += 2) {
        Value both = ldmatrix(Bs, f.add(f.add(warpCol, f.c(ni * kMmaN)), bRowOff),
                              f.add(f.c(ks), bKOff));
        for (int64_t t = 0; t < 2; ++t) {
          Value bv = arith::ConstantOp::create(fb, loc, bType, fb.getZeroAttr(bType));
          for (int64_t r = 0; r < 2; ++r)
            bv = vector::InsertOp::create(
                fb, loc, vector::ExtractOp::create(fb, loc, both, ArrayRef<int64_t>{2 * t + r}),
                bv, ArrayRef<int64_t>{r});
          bFrags.push_back(bv);
        }
      }
      for (int64_t mi = 0; mi < tilesM; ++mi)
        for (int64_t ni = 0; ni < tilesN; ++ni) {
          Value &c = acc[mi * tilesN + ni];
          c = nvgpu::MmaSyncOp::create(fb, loc, aFrags[mi], bFrags[ni], c,
                                       ArrayRef<int64_t>{kMmaM, kMmaN, kind.mmaK()});
        }
    }
    SmallVector<Value> next = acc;
    // The next step overwrites the tiles: everyone must be done reading.
    gpu::BarrierOp::create(fb, loc);
    scf::YieldOp::create(fb, loc, next);
  }
  // C = init + acc, at the PTX layout's coordinates, guarded at the edges:
  // through the epilogue when fused.
  for (int64_t mi = 0; mi < tilesM; ++mi)
    for (int64_t ni = 0; ni < tilesN; ++ni) {
      Value acc = loop.getResult(mi * tilesN + ni);
      Value r0 = k.add(k.add(rowBase, k.add(warpRow, k.c(mi * kMmaM))), group);
      Value c0 = k.add(k.add(colBase, k.add(warpCol, k.c(ni * kMmaN))), k.mul(tig, k.c(2)));
      for (int64_t half = 0; half < 2; ++half)
        for (int64_t j = 0; j < 2; ++j) {
          Value r = k.add(r0, k.c(8 * half)), col = k.add(c0, k.c(j));
          Value ok = k.andI(k.lt(r, M), k.lt(col, N));
          auto guard = scf::IfOp::create(lb, loc, ok, false);
          OpBuilder gb = guard.getThenBodyBuilder();
          Value v = vector::ExtractOp::create(gb, loc, acc, ArrayRef<int64_t>{half, j});
          Value old = epi.loadInit(gb, loc, r, col);
          Value sum = kind.isFloat() ? Value(arith::AddFOp::create(gb, loc, old, v))
                               : Value(arith::AddIOp::create(gb, loc, old, v));
          epi.store(gb, loc, r, col, sum);
        }
    }
  gpu::TerminatorOp::create(lb, loc);
  qopt::gpu_codegen::sinkGlobalsIntoLaunch(launch);
  op.erase();
  epi.finish();
  if (im2)
    im2->erase();
}

struct MmaMatmulPass : qopt::impl::QOptGPUMmaMatmulBase<MmaMatmulPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<linalg::MatmulOp> matmuls;
    getOperation().walk([&](linalg::MatmulOp op) { matmuls.push_back(op); });
    // Implicit padding is found before any GEMM becomes a kernel (see
    // paddingOf), per im2col copy.
    llvm::DenseMap<Operation *, Padding> paddings;
    if (implicitGemm)
      for (linalg::MatmulOp op : matmuls)
        if (std::optional<Im2col> im2 = im2colOf(op, op))
          if (std::optional<Padding> pad = paddingOf(im2->x, im2->copy))
            paddings[im2->copy] = *pad;
    IRRewriter rewriter(&getContext());
    // Each rewrite erases what it fused before the next match.
    llvm::SmallPtrSet<Operation *, 1> none;
    for (linalg::MatmulOp op : matmuls) {
      foldSignExtensions(op); // erases ops around it: not inside the walk
      bool isFloat = !isInt8Gemm(op);
      if (isFloat && !((float16 || bfloat16) && isFloatGemm(op)))
        continue;
      auto epi = qopt::gpu_codegen::GemmEpilogue::match(op, rewriter, epilogues, none);
      std::optional<Im2col> im2;
      if (implicitGemm && !readsBTransposed(op))
        im2 = im2colOf(op, epi.anchor());
      if (im2)
        if (auto it = paddings.find(im2->copy); it != paddings.end()) {
          im2->pad = it->second;
          paddings.erase(it); // the copy goes with the rewrite
        }
      rewrite(op, Kind{isFloat ? (bfloat16 ? Kind::BF16 : Kind::F16) : Kind::S8}, epi, im2);
    }
  }
};

} // namespace
