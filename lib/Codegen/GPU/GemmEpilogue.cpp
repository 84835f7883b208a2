//===- GemmEpilogue.cpp - a device GEMM's accumulator init and consumer ---===//
//
// On buffers a convolution or matmul is three kernels: the accumulator's
// initialization (the bias broadcast, or a fill), the GEMM into it, and the
// elementwise op that reads the accumulator once (requantization,
// activation, residual add, a transpose to NCHW). GemmEpilogue finds the
// first and the last next to a linalg.matmul so that the GEMM kernels
// (qopt-gpu-mma-matmul, qopt-gpu-map-kernels) compute them on each
// accumulator element in registers: the accumulator buffer then is never
// written or read. The contract is in Passes.td (qopt-gpu-mma-matmul).
//
//===----------------------------------------------------------------------===//
#include "GemmEpilogue.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

namespace qopt::gpu_codegen {

SmallVector<Value> applyIndexingMap(OpBuilder &b, Location loc, AffineMap map, ValueRange ivs) {
  SmallVector<Value> out;
  for (AffineExpr e : map.getResults()) {
    if (auto d = dyn_cast<AffineDimExpr>(e)) {
      out.push_back(ivs[d.getPosition()]);
      continue;
    }
    out.push_back(affine::AffineApplyOp::create(
        b, loc, AffineMap::get(map.getNumDims(), 0, e), ivs));
  }
  return out;
}

SmallVector<Value> emitGenericBody(OpBuilder &b, Location loc, linalg::GenericOp op,
                                   ArrayRef<Value> ivs, IRMapping &map) {
  Block &block = op.getRegion().front();
  for (OpOperand &operand : op->getOpOperands()) {
    BlockArgument arg = block.getArgument(operand.getOperandNumber());
    if (map.contains(arg) || (op.isDpsInit(&operand) && arg.use_empty()))
      continue;
    Value v = operand.get();
    if (isa<MemRefType>(v.getType()))
      v = memref::LoadOp::create(b, loc, v,
                                 applyIndexingMap(b, loc, op.getMatchingIndexingMap(&operand), ivs));
    map.map(arg, v);
  }
  for (Operation &inner : block.without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      map.map(index.getResult(), ivs[index.getDim()]);
      continue;
    }
    b.clone(inner, map);
  }
  SmallVector<Value> yielded;
  for (Value v : block.getTerminator()->getOperands())
    yielded.push_back(map.lookupOrDefault(v));
  return yielded;
}

/// Whether `op` (or an op nested in it) may write or free a buffer rooted at
/// `root`. Reads do not count; an op whose effects are unknown counts when
/// any of its (or its nested ops') operands is rooted at `root`.
static bool mayWriteOrFree(Operation *op, Value root) {
  std::optional<SmallVector<MemoryEffects::EffectInstance>> effects =
      getEffectsRecursively(op);
  if (!effects)
    return touchesBuffer(op, root);
  for (const MemoryEffects::EffectInstance &e : *effects) {
    if (!isa<MemoryEffects::Write, MemoryEffects::Free>(e.getEffect()))
      continue;
    Value v = e.getValue();
    if (!v || (isa<MemRefType>(v.getType()) && bufferRoot(v) == root))
      return true;
  }
  return false;
}

bool clobberedBetween(Operation *from, Operation *to, ArrayRef<Value> roots) {
  for (Operation *op = from->getNextNode(); op && op != to; op = op->getNextNode())
    for (Value root : roots)
      if (mayWriteOrFree(op, root))
        return true;
  return false;
}

SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value l, ArrayRef<Value> sizes) {
  SmallVector<Value> coords(sizes.size());
  for (size_t k = sizes.size(); k-- > 0;) {
    if (k == 0) {
      coords[0] = l;
      break;
    }
    coords[k] = arith::RemUIOp::create(b, loc, l, sizes[k]);
    l = arith::DivUIOp::create(b, loc, l, sizes[k]);
  }
  return coords;
}

/// Whether `op` writes every element of the buffer rooted at `root` without
/// reading it (nor anything else of that buffer): all-parallel, one operand on
/// the buffer, its only output, through a permutation map.
bool overwrites(Operation *op, Value root) {
  auto l = dyn_cast<linalg::LinalgOp>(op);
  if (!l || !l.hasPureBufferSemantics() || l.getNumLoops() != l.getNumParallelLoops() ||
      l.getNumDpsInits() != 1)
    return false;
  OpOperand *out = l.getDpsInitOperand(0);
  if (bufferRoot(out->get()) != root || !l.getMatchingIndexingMap(out).isPermutation() ||
      l.payloadUsesValueFromOperand(out))
    return false;
  for (OpOperand *in : l.getDpsInputOperands())
    if (isa<MemRefType>(in->get().getType()) && bufferRoot(in->get()) == root)
      return false;
  return true;
}

} // namespace qopt::gpu_codegen

using namespace qopt::gpu_codegen;

namespace {

bool isDealloc(Operation *op) { return isa<gpu::DeallocOp, memref::DeallocOp>(op); }
bool isReshape(Operation *op) { return isa<memref::CollapseShapeOp, memref::ExpandShapeOp>(op); }

/// The roots of the memrefs `op` reads (its inputs and the memrefs its body
/// captures; not its outputs), except `skip`.
SmallVector<Value> readRoots(linalg::LinalgOp op, Value skip) {
  SmallVector<Value> roots;
  auto add = [&](Value v) {
    if (!isa<MemRefType>(v.getType()))
      return;
    Value root = bufferRoot(v);
    if (root != skip && !llvm::is_contained(roots, root))
      roots.push_back(root);
  };
  for (OpOperand *in : op.getDpsInputOperands())
    add(in->get());
  forEachCapturedMemRef(op, add);
  return roots;
}

/// `op` as a linalg op the epilogue can take: a linalg.generic, or a named
/// op that generalizes to one (checked on the interface, generalized only
/// once taken).
linalg::LinalgOp fusable(Operation *op) {
  if (!isa<linalg::GenericOp, linalg::FillOp, linalg::TransposeOp, linalg::CopyOp,
           linalg::BroadcastOp, linalg::ElementwiseOp, linalg::MapOp>(op))
    return nullptr;
  return cast<linalg::LinalgOp>(op);
}

/// `op` as a linalg.generic; `operand` (of `op`) becomes the generic's.
linalg::GenericOp generalize(RewriterBase &rewriter, linalg::LinalgOp op, OpOperand *&operand) {
  if (auto g = dyn_cast<linalg::GenericOp>(op.getOperation()))
    return g;
  unsigned number = operand->getOperandNumber();
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::GenericOp> g = linalg::generalizeNamedOp(rewriter, op);
  if (failed(g))
    return nullptr;
  operand = &(*g)->getOpOperand(number);
  return *g;
}

bool allParallel(linalg::LinalgOp op) {
  return op.getNumLoops() == op.getNumParallelLoops() && op.getNumLoops() > 0;
}

/// The operand of `op` whose buffer is rooted at `root`, if exactly one is.
OpOperand *onlyOperandOn(linalg::LinalgOp op, Value root) {
  OpOperand *found = nullptr;
  for (OpOperand &o : op->getOpOperands()) {
    if (!isa<MemRefType>(o.get().getType()) || bufferRoot(o.get()) != root)
      continue;
    if (found)
      return nullptr;
    found = &o;
  }
  return found;
}

} // namespace

namespace qopt::gpu_codegen {

namespace {

/// The ops that access a buffer (through views), in block order; accesses
/// through views other than reshapes (subviews, dynamic reshapes) are
/// opaque: they may touch any part of it.
struct Accesses {
  SmallVector<Operation *> ops;
  llvm::SmallPtrSet<Operation *, 4> opaque;
};

/// The accesses of the allocation `root`; nullopt when one is outside `block`.
std::optional<Accesses> accessesOf(Value root, Block *block) {
  Accesses acc;
  SmallVector<std::pair<Value, bool>> worklist{{root, false}};
  while (!worklist.empty()) {
    auto [v, viaOther] = worklist.pop_back_val();
    for (Operation *user : v.getUsers()) {
      if (isa<ViewLikeOpInterface>(user)) {
        worklist.push_back({user->getResult(0), viaOther || !isReshape(user)});
        continue;
      }
      if (isDealloc(user))
        continue;
      if (user->getBlock() != block)
        return std::nullopt;
      acc.ops.push_back(user);
      if (viaOther)
        acc.opaque.insert(user);
    }
  }
  llvm::sort(acc.ops, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  acc.ops.erase(std::unique(acc.ops.begin(), acc.ops.end()), acc.ops.end());
  return acc;
}

/// A device allocation with the identity layout that `v` views through
/// reshapes only; null otherwise.
Value plainAllocation(Value v) {
  SmallVector<Operation *> chain;
  Value root = bufferRoot(v, &chain);
  if (!root.getDefiningOp<gpu::AllocOp>() ||
      !cast<MemRefType>(root.getType()).getLayout().isIdentity() ||
      !llvm::all_of(chain, isReshape))
    return nullptr;
  return root;
}

/// The input of `g` on `root`, if `g` reads `root` through exactly one
/// input, with a permutation map, and only writes it in place (same map,
/// without reading the old value).
OpOperand *inputOn(linalg::LinalgOp g, Value root) {
  OpOperand *in = nullptr;
  for (OpOperand *o : g.getDpsInputOperands()) {
    if (!isa<MemRefType>(o->get().getType()) || bufferRoot(o->get()) != root)
      continue;
    if (in)
      return nullptr;
    in = o;
  }
  if (!in || !g.getMatchingIndexingMap(in).isPermutation())
    return nullptr;
  for (OpOperand &out : g.getDpsInitsMutable())
    if (bufferRoot(out.get()) == root &&
        (g.getMatchingIndexingMap(&out) != g.getMatchingIndexingMap(in) ||
         g.payloadUsesValueFromOperand(&out)))
      return nullptr;
  return in;
}

/// Whether `op` writes the buffer rooted at `root`.
bool writesTo(Operation *op, Value root) {
  auto l = dyn_cast<linalg::LinalgOp>(op);
  return l && llvm::any_of(l.getDpsInits(), [&](Value v) { return bufferRoot(v) == root; });
}

} // namespace

GemmEpilogue GemmEpilogue::match(linalg::MatmulOp mm, RewriterBase &rewriter, bool fuse,
                                 const llvm::SmallPtrSetImpl<Operation *> &claimed) {
  GemmEpilogue e;
  e.C = mm.getOutputs()[0];
  e.anchorOp = mm;
  if (!fuse)
    return e;
  Value root = plainAllocation(e.C);
  Block *block = mm->getBlock();
  std::optional<Accesses> acc = root ? accessesOf(root, block) : std::nullopt;
  if (!acc)
    return e;
  e.root = root;
  // The buffer may hold other values before and after (bufferization reuses
  // dead buffers): what matters is the op that writes it last before the
  // matmul, and the op that reads the matmul's value, which must be its
  // only reader.
  auto at = [](const Accesses &a, Operation *op) {
    return size_t(llvm::find(a.ops, op) - a.ops.begin());
  };
  auto plainOverwrite = [](const Accesses &a, size_t k, Value r) {
    return k < a.ops.size() && !a.opaque.contains(a.ops[k]) && overwrites(a.ops[k], r);
  };
  // The next access after `op` on `r`, when it alone reads the value `op`
  // leaves there.
  auto onlyReader = [&](const Accesses &a, Operation *op, Value r) -> Operation * {
    size_t k = at(a, op) + 1;
    if (k >= a.ops.size() || a.opaque.contains(a.ops[k]))
      return nullptr;
    Operation *next = a.ops[k];
    if (k + 1 == a.ops.size() || plainOverwrite(a, k + 1, r) || writesTo(next, r))
      return next;
    return nullptr;
  };

  // Consumers: a chain of all-parallel ops, each the only reader of the
  // previous one's value (the accumulator, then the single output of the
  // previous link), reading it through a permutation. The GEMM moves down
  // to the last one, so nothing in between may change what the kernel
  // reads; other blocks still read while a block writes the last link's
  // outputs, so those may not share a buffer with anything it reads.
  SmallVector<Value> reads{bufferRoot(mm.getInputs()[0]), bufferRoot(mm.getInputs()[1])};
  // Roots of the last link's outputs.
  SmallVector<Value> lastWrites;
  Value cur = root;
  Accesses curAcc = *acc;
  Operation *prev = mm;
  while (Operation *next = onlyReader(curAcc, prev, cur)) {
    if (claimed.contains(next) || next->hasAttr("qopt.host"))
      break;
    linalg::LinalgOp l = fusable(next);
    OpOperand *in = l ? inputOn(l, cur) : nullptr;
    if (!in || !allParallel(l) || !l.hasPureBufferSemantics())
      break;
    SmallVector<Value> linkReads = reads;
    for (Value r : readRoots(l, cur))
      if (!llvm::is_contained(linkReads, r))
        linkReads.push_back(r);
    bool ok = !clobberedBetween(mm, l, linkReads);
    SmallVector<Value> writes;
    for (OpOperand &out : l.getDpsInitsMutable()) {
      Value w = bufferRoot(out.get());
      ok = ok && l.getMatchingIndexingMap(&out).isPermutation() &&
           !llvm::is_contained(linkReads, w);
      writes.push_back(w);
    }
    linalg::GenericOp g = ok ? generalize(rewriter, l, in) : nullptr;
    if (!g)
      break;
    e.consumers.push_back({g, in});
    e.anchorOp = g;
    lastWrites = writes;
    reads = std::move(linkReads);
    // Go on through a single output in a buffer of its own.
    Value out = g.getNumDpsInits() == 1 ? plainAllocation(g.getDpsInits()[0]) : Value();
    std::optional<Accesses> outAcc = out && out != cur ? accessesOf(out, block) : std::nullopt;
    if (!outAcc)
      break;
    e.intermediates.push_back(out);
    cur = out;
    curAcc = std::move(*outAcc);
    prev = g;
  }
  // A link that ended the chain is no intermediate.
  if (!e.consumers.empty() && e.intermediates.size() == e.consumers.size())
    e.intermediates.pop_back();

  // The initialization: all-parallel, writes every accumulator element
  // without reading it; evaluated where the GEMM kernel runs.
  size_t k = at(*acc, mm);
  if (k > 0 && plainOverwrite(*acc, k - 1, root) && !claimed.contains(acc->ops[k - 1]) &&
      !acc->ops[k - 1]->hasAttr("qopt.host")) {
    linalg::LinalgOp g = fusable(acc->ops[k - 1]);
    OpOperand *out = g ? onlyOperandOn(g, root) : nullptr;
    bool ok = out && allParallel(g) && g.isDpsInit(out) && g.getNumDpsInits() == 1;
    if (ok) {
      SmallVector<Value> initReads = readRoots(g, root);
      ok = !clobberedBetween(g, e.anchorOp, initReads) &&
           llvm::none_of(initReads, [&](Value r) { return llvm::is_contained(lastWrites, r); });
    }
    linalg::GenericOp generic = ok ? generalize(rewriter, g, out) : nullptr;
    if (generic) {
      e.init = generic;
      e.initOut = out;
    }
  }
  // Without a fused initialization the kernel loads C's initial value where
  // it runs: no link may write C (other blocks would still load it), and
  // nothing between the matmul and there may change it.
  if (!e.init && !e.consumers.empty() &&
      (llvm::is_contained(lastWrites, root) ||
       llvm::any_of(e.intermediates, [&](Value v) { return v == root; }) ||
       clobberedBetween(mm, e.anchorOp, {root}))) {
    e.consumers.clear();
    e.intermediates.clear();
    e.anchorOp = mm;
  }
  return e;
}

/// Sizes of `view`, a reshape chain from the allocation `root`, from the
/// allocation's sizes (so that none of them reads the accumulator).
SmallVector<Value> sizesOf(OpBuilder &b, Location loc, Value view, Value root) {
  SmallVector<Operation *> chain;
  bufferRoot(view, &chain);
  auto alloc = root.getDefiningOp<gpu::AllocOp>();
  auto type = cast<MemRefType>(root.getType());
  SmallVector<Value> sizes;
  unsigned dyn = 0;
  for (int64_t d : type.getShape())
    sizes.push_back(ShapedType::isDynamic(d) ? alloc.getDynamicSizes()[dyn++]
                                             : arith::ConstantIndexOp::create(b, loc, d));
  for (Operation *op : chain) {
    SmallVector<Value> next;
    if (auto collapse = dyn_cast<memref::CollapseShapeOp>(op)) {
      for (ReassociationIndices group : collapse.getReassociationIndices()) {
        Value p = arith::ConstantIndexOp::create(b, loc, 1);
        for (int64_t d : group)
          p = arith::MulIOp::create(b, loc, p, sizes[d]);
        next.push_back(p);
      }
    } else {
      for (OpFoldResult s : cast<memref::ExpandShapeOp>(op).getMixedOutputShape())
        next.push_back(getValueOrCreateConstantIndexOp(b, loc, s));
    }
    sizes = std::move(next);
  }
  return sizes;
}

void GemmEpilogue::prepare(OpBuilder &b, Location loc) {
  if (!init && consumers.empty())
    return;
  cSizes = sizesOf(b, loc, C, root);
  if (init)
    initSizes = sizesOf(b, loc, initOut->get(), root);
  if (consumers.empty())
    return;
  consumerSizes = sizesOf(b, loc, consumers[0].in->get(), root);
  // Link k reads link k-1's output buffer, maybe through another reshape.
  linkSizes.clear();
  for (size_t k = 1; k < consumers.size(); ++k) {
    Value prevOut = consumers[k - 1].op.getDpsInits()[0], in = consumers[k].in->get();
    Value buffer = intermediates[k - 1];
    if (prevOut == in)
      linkSizes.push_back({});
    else
      linkSizes.push_back({sizesOf(b, loc, prevOut, buffer), sizesOf(b, loc, in, buffer)});
  }
}

/// The iteration point of `op` whose `operand` (a permutation map over a
/// view of `sizes`) reaches element (i, j) of the [M, N] accumulator.
static SmallVector<Value> pointOf(OpBuilder &b, Location loc, linalg::GenericOp op,
                                  OpOperand *operand, ArrayRef<Value> sizes, Value C,
                                  ArrayRef<Value> cSizes, Value i, Value j) {
  // Read through C's own view: (i, j) as they are.
  SmallVector<Value> coords{i, j};
  if (operand->get() != C) {
    Value l = arith::AddIOp::create(b, loc, arith::MulIOp::create(b, loc, i, cSizes[1]), j);
    coords = delinearize(b, loc, l, sizes);
  }
  AffineMap map = op.getMatchingIndexingMap(operand);
  SmallVector<Value> ivs(op.getNumLoops());
  for (unsigned k = 0; k < map.getNumResults(); ++k)
    ivs[map.getDimPosition(k)] = coords[k];
  return ivs;
}

Value GemmEpilogue::loadInit(OpBuilder &b, Location loc, Value i, Value j) const {
  if (!init)
    return memref::LoadOp::create(b, loc, C, ValueRange{i, j});
  SmallVector<Value> ivs = pointOf(b, loc, init, initOut, initSizes, C, cSizes, i, j);
  IRMapping map;
  return emitGenericBody(b, loc, init, ivs, map)[0];
}

void GemmEpilogue::store(OpBuilder &b, Location loc, Value i, Value j, Value acc) const {
  if (consumers.empty()) {
    memref::StoreOp::create(b, loc, acc, C, ValueRange{i, j});
    return;
  }
  Value v = acc;
  SmallVector<Value> ivs;
  for (auto [k, link] : llvm::enumerate(consumers)) {
    linalg::GenericOp op = link.op;
    if (k == 0) {
      ivs = pointOf(b, loc, op, link.in, consumerSizes, C, cSizes, i, j);
    } else {
      // The previous link's output coordinates, read through this link's
      // permutation.
      linalg::GenericOp prev = consumers[k - 1].op;
      SmallVector<Value> coords = applyIndexingMap(
          b, loc, prev.getMatchingIndexingMap(prev.getDpsInitOperand(0)), ivs);
      // Through another reshape of the buffer: linearize in the view the
      // previous link wrote, delinearize in the one this link reads.
      const std::pair<SmallVector<Value>, SmallVector<Value>> &views = linkSizes[k - 1];
      if (!views.first.empty()) {
        Value l = arith::ConstantIndexOp::create(b, loc, 0);
        for (auto [c, size] : llvm::zip(coords, views.first))
          l = arith::AddIOp::create(b, loc, arith::MulIOp::create(b, loc, l, size), c);
        coords = delinearize(b, loc, l, views.second);
      }
      AffineMap map = op.getMatchingIndexingMap(link.in);
      ivs.assign(op.getNumLoops(), Value());
      for (unsigned r = 0; r < map.getNumResults(); ++r)
        ivs[map.getDimPosition(r)] = coords[r];
    }
    IRMapping map;
    map.map(op.getMatchingBlockArgument(link.in), v);
    SmallVector<Value> results = emitGenericBody(b, loc, op, ivs, map);
    if (k + 1 < consumers.size()) {
      v = results[0];
      continue;
    }
    for (auto [r, out] : llvm::enumerate(op.getDpsInitsMutable()))
      memref::StoreOp::create(b, loc, results[r], out.get(),
                              applyIndexingMap(b, loc, op.getMatchingIndexingMap(&out), ivs));
  }
}

/// Erases the allocation `root` when only reshapes, unused dims and
/// deallocations are left on it.
static void eraseIfDead(Value root) {
  SmallVector<Operation *> views, rest;
  SmallVector<Value> worklist{root};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    for (Operation *user : v.getUsers()) {
      if (isReshape(user)) {
        views.push_back(user);
        worklist.push_back(user->getResult(0));
      } else if (isDealloc(user) || (isa<memref::DimOp>(user) && user->use_empty())) {
        rest.push_back(user);
      } else {
        return;
      }
    }
  }
  for (Operation *op : rest)
    op->erase();
  for (Operation *op : llvm::reverse(views))
    op->erase();
  root.getDefiningOp()->erase();
}

void GemmEpilogue::finish() {
  for (Link &link : llvm::reverse(consumers))
    link.op.erase();
  if (init)
    init.erase();
  consumers.clear();
  init = nullptr;
  // A buffer may hold several links' values (or C's): each goes once.
  SmallVector<Value> buffers;
  for (Value v : intermediates)
    if (v != root && !llvm::is_contained(buffers, v))
      buffers.push_back(v);
  for (Value v : buffers)
    eraseIfDead(v);
  if (root)
    eraseIfDead(root);
  intermediates.clear();
  root = nullptr;
}

} // namespace qopt::gpu_codegen
