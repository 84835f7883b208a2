//===- Rotate.cpp - QuaRot-style rotation of the residual stream ----------===//
//
// Two exact rewrites of the float model that spread channel outliers over
// all channels before quantization:
//
// 1. Residual rotation. A residual stream is a set of tensors joined by Adds
//    whose writers are a Gather from a constant table (token embedding), a
//    linear layer with a constant weight, or a constant last-axis bias, and
//    whose readers are RMS normalizations over the last axis feeding only
//    linear layers. RMSNorm(x R) = RMSNorm(x) R for orthogonal R once gamma
//    is folded into the readers, so: gamma goes into the readers' weight
//    rows, the table, writer weights and biases are multiplied by R on the
//    right, and every reader weight by R^T on the left. Anything else
//    touching the stream (a graph input or output, a LayerNorm, whose mean
//    does not commute with R, another op) leaves that stream unrotated.
// 2. Online Hadamard. The gamma (and beta) of every other normalization
//    whose users are all MatMuls with constant weights is folded into them
//    first (beta W becomes an output bias). Then every other linear layer's
//    activation input (the
//    attention output before the output projection, the MLP's product
//    before the down projection, LayerNorm outputs) gets a qopt.hadamard
//    (x H) and H^T folded into the weight, when K is a supported Hadamard
//    order (qopt/Quant/Hadamard.h). One transform per activation, shared by
//    its consumers.
//
// R is the randomized Hadamard matrix of `seed` (qopt/Quant/Hadamard.h) or
// the n x n orthogonal matrix in `matrix` (.npy, f32 or f64). Weights are
// folded in double and stored in f32.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"
#include "qopt/Quant/Hadamard.h"
#include "qopt/Support/TensorIO.h"
#include "qopt/Transforms/Quant/LinearLayers.h"
#include "qopt/Transforms/Quant/Passes.h"
#include "qopt/Transforms/Quant/QuantUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstring>

namespace qopt {
#define GEN_PASS_DEF_ROTATE
#include "qopt/Transforms/Quant/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;
using namespace qopt::quantutil;

namespace {

struct Stream {
  int64_t n = 0;
  SmallVector<GatherOp> tables;
  SmallVector<LinearLayer> writers;
  SmallVector<std::pair<Operation *, unsigned>> biases; // Add and its constant operand
  llvm::SetVector<Operation *> norms;
  SmallVector<std::pair<RMSNormalizationOp, LinearLayer>> readers;
  /// Why the stream cannot be rotated (empty when it can).
  std::string blocker;
  Operation *blockerOp = nullptr;
};

/// Collects the residual stream reaching `start` (an RMS norm's input).
void collectStream(Value start, int64_t n, Stream &s) {
  llvm::SetVector<Value> seen;
  SmallVector<Value> work = {start};
  auto fail = [&](Operation *op, StringRef why) {
    if (s.blocker.empty()) {
      s.blocker = why.str();
      s.blockerOp = op;
    }
  };
  while (!work.empty() && s.blocker.empty()) {
    Value v = work.pop_back_val();
    if (!seen.insert(v))
      continue;
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type || type.getRank() < 1 || type.getDimSize(type.getRank() - 1) != n) {
      fail(v.getDefiningOp(), "a tensor of another width joins the stream");
      break;
    }
    Operation *def = v.getDefiningOp();
    if (!def) {
      fail(nullptr, "a graph input joins the stream");
      break;
    }
    if (auto add = dyn_cast<AddOp>(def)) {
      for (unsigned i = 0; i < 2; ++i) {
        if (lastAxisVector(add->getOperand(i), n))
          s.biases.push_back({add, i});
        else
          work.push_back(add->getOperand(i));
      }
    } else if (auto gather = dyn_cast<GatherOp>(def)) {
      auto t = dyn_cast<RankedTensorType>(gather.getData().getType());
      if (!isConstant(gather.getData()) || gather.getAxis() != 0 || !t || t.getRank() != 2 ||
          !t.hasStaticShape() || t.getDimSize(1) != n || !t.getElementType().isF32())
        fail(def, "a Gather that is not a lookup in a constant [V, n] table writes the stream");
      else
        s.tables.push_back(gather);
    } else if (auto l = isa<MatMulOp>(def) ? linearLayerOf(def->getOpOperand(0))
                                           : std::optional<LinearLayer>()) {
      if (l->n != n)
        fail(def, "a linear layer of another width writes the stream");
      else
        s.writers.push_back(*l);
    } else {
      fail(def, "an op that does not commute with a rotation writes the stream");
    }
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (auto add = dyn_cast<AddOp>(user)) {
        // The other operand joins the stream unless it is a bias (handled
        // when the Add's result is visited).
        work.push_back(add.getResult());
        Value other = add->getOperand(1 - use.getOperandNumber());
        if (!lastAxisVector(other, n))
          work.push_back(other);
      } else if (auto rn = dyn_cast<RMSNormalizationOp>(user);
                 rn && static_cast<int64_t>(rn.getAxis()) == -1 && use.getOperandNumber() == 0) {
        s.norms.insert(rn);
      } else {
        fail(user, isa<func::ReturnOp>(user) ? "the stream is a graph output"
                                             : "an op that does not commute with a rotation "
                                               "reads the stream");
      }
    }
  }
  for (Operation *op : s.norms) {
    auto rn = cast<RMSNormalizationOp>(op);
    if (!lastAxisVector(rn.getScale(), n))
      fail(rn, "an RMS norm with a non-constant scale reads the stream");
    for (OpOperand &use : rn.getResult().getUses()) {
      std::optional<LinearLayer> l = linearLayerOf(use);
      if (!l)
        fail(use.getOwner(), "an RMS norm of the stream feeds an op that is not a linear layer");
      else
        s.readers.push_back({rn, *l});
    }
  }
}

/// Y = X . R for X rows x n.
std::vector<double> timesR(const std::vector<double> &x, int64_t rows, const std::vector<double> &r,
                           int64_t n) {
  return qopt::quant::denseProduct(x, false, r, false, rows, n, n);
}

/// Y = R^T . W for W n x cols.
std::vector<double> rTransposeTimes(const std::vector<double> &r, int64_t n,
                                    const std::vector<double> &w, int64_t cols) {
  return qopt::quant::denseProduct(r, true, w, false, n, n, cols);
}

/// Adds the constant `bias` (N) to the output of the linear layer `l`: into
/// the constant bias Add that is its only user, or a new Add.
void addToOutput(OpBuilder &b, const LinearLayer &l, const std::vector<double> &bias) {
  Value y = l.op->getResult(0);
  int64_t n = l.n;
  if (y.hasOneUse())
    if (auto add = dyn_cast<AddOp>(*y.getUsers().begin())) {
      unsigned other = add->getOperand(0) == y ? 1 : 0;
      if (std::optional<std::vector<double>> old = lastAxisVector(add->getOperand(other), n)) {
        for (int64_t o = 0; o < n; ++o)
          (*old)[size_t(o)] += bias[size_t(o)];
        b.setInsertionPoint(add);
        auto shape = cast<RankedTensorType>(add->getOperand(other).getType()).getShape();
        add->setOperand(other, f32Constant(b, add.getLoc(), shape, *old, "folded_bias"));
        return;
      }
    }
  b.setInsertionPointAfter(l.op);
  Value c = f32Constant(b, l.op->getLoc(), {n}, bias, "folded_bias");
  auto add = AddOp::create(b, l.op->getLoc(), y.getType(), y, c);
  y.replaceAllUsesExcept(add.getResult(), add);
}

/// Folds a normalization's gamma (and a LayerNorm's beta) into the linear
/// layers that are its only users: W' = diag(gamma) W, and beta W added to
/// their outputs; the norm keeps Scale = 1 and no B. False (nothing
/// changed) when a user is not such a layer or the parameters are not
/// constant last-axis vectors.
bool foldNormAffine(OpBuilder &b, Operation *norm, int64_t n) {
  Value scale = norm->getOperand(1);
  std::optional<std::vector<double>> gamma = lastAxisVector(scale, n);
  std::optional<std::vector<double>> beta;
  auto ln = dyn_cast<LayerNormalizationOp>(norm);
  if (ln && !isa<NoneType>(ln.getB().getType())) {
    beta = lastAxisVector(ln.getB(), n);
    if (!beta)
      return false;
  }
  SmallVector<LinearLayer> users;
  for (OpOperand &use : norm->getResult(0).getUses()) {
    std::optional<LinearLayer> l = linearLayerOf(use);
    if (!l || isa<GemmOp>(l->op))
      return false;
    users.push_back(*l);
  }
  if (!gamma || users.empty())
    return false;
  for (const LinearLayer &l : users) {
    std::vector<double> w = l.read();
    if (beta)
      addToOutput(b, l, qopt::quant::denseProduct(*beta, false, w, false, 1, n, l.n));
    for (int64_t j = 0; j < n; ++j)
      for (int64_t o = 0; o < l.n; ++o)
        w[size_t(j * l.n + o)] *= (*gamma)[size_t(j)];
    l.write(b, w);
  }
  b.setInsertionPoint(norm);
  norm->setOperand(1, f32Constant(b, norm->getLoc(),
                                  cast<RankedTensorType>(scale.getType()).getShape(),
                                  std::vector<double>(static_cast<size_t>(n), 1.0), "norm_scale"));
  if (beta)
    norm->setOperand(2, NoneOp::create(b, norm->getLoc(), b.getNoneType()));
  return true;
}

struct RotatePass : public qopt::impl::RotateBase<RotatePass> {
  using Base::Base;
  /// Rotations by width, built once.
  std::map<int64_t, std::vector<double>> rotations;

  /// The user's matrix (`matrix`), read and checked once, before anything
  /// is rewritten: square, f32 or f64, orthogonal to 1e-5.
  std::vector<double> userMatrix;
  int64_t userWidth = 0;

  LogicalResult loadMatrix(Operation *anchor) {
    auto buf = llvm::MemoryBuffer::getFile(matrix);
    if (!buf)
      return anchor->emitError("qopt-rotate: cannot read ")
             << matrix << ": " << buf.getError().message();
    io::HostTensor t;
    std::string error;
    if (!io::readNpy((*buf)->getBuffer().str(), t, error))
      return anchor->emitError("qopt-rotate: ") << matrix << ": " << error;
    if (t.shape.size() != 2 || t.shape[0] != t.shape[1] || t.shape[0] <= 0 ||
        (t.dtype != QOPT_DTYPE_F32 && t.dtype != QOPT_DTYPE_F64))
      return anchor->emitError("qopt-rotate: ") << matrix << " must be a square f32 or f64 matrix";
    int64_t n = t.shape[0];
    userMatrix.resize(size_t(n * n));
    for (int64_t i = 0; i < n * n; ++i) {
      if (t.dtype == QOPT_DTYPE_F32) {
        float f;
        std::memcpy(&f, t.data.data() + i * 4, 4);
        userMatrix[size_t(i)] = f;
      } else {
        std::memcpy(&userMatrix[size_t(i)], t.data.data() + i * 8, 8);
      }
    }
    double err = qopt::quant::orthogonalityError(userMatrix, n);
    if (err > 1e-5)
      return anchor->emitError("qopt-rotate: ")
             << matrix << " is not orthogonal (max |R R^T - I| = " << err << ")";
    userWidth = n;
    return success();
  }

  FailureOr<const std::vector<double> *> rotation(Operation *anchor, int64_t n) {
    if (!matrix.empty()) {
      if (n != userWidth)
        return anchor->emitError("qopt-rotate: ")
                   << matrix << " is " << userWidth << "x" << userWidth
                   << " but the residual stream this RMS norm reads is " << n << " wide",
               failure();
      return &userMatrix;
    }
    auto it = rotations.find(n);
    if (it == rotations.end())
      it = rotations.emplace(n, qopt::quant::randomizedHadamard(n, seed)).first;
    return &it->second;
  }

  LogicalResult rotateStream(Stream &s, llvm::DenseSet<Value> &rotatedInputs) {
    int64_t n = s.n;
    FailureOr<const std::vector<double> *> rr = rotation(s.norms.front(), n);
    if (failed(rr))
      return failure();
    const std::vector<double> &r = **rr;
    OpBuilder b(&getContext());
    for (GatherOp g : s.tables) {
      auto t = cast<RankedTensorType>(g.getData().getType());
      std::optional<SmallVector<double>> v = getConstantFloats(g.getData());
      std::vector<double> rot =
          timesR(std::vector<double>(v->begin(), v->end()), t.getDimSize(0), r, n);
      b.setInsertionPoint(g);
      g->setOperand(0, f32Constant(b, g.getLoc(), t.getShape(), rot, "rotated_table"));
    }
    for (const LinearLayer &l : s.writers)
      l.write(b, timesR(l.read(), l.k, r, n));
    for (auto [op, index] : s.biases) {
      Value c = op->getOperand(index);
      std::vector<double> v = *lastAxisVector(c, n);
      b.setInsertionPoint(op);
      op->setOperand(index, f32Constant(b, op->getLoc(),
                                        cast<RankedTensorType>(c.getType()).getShape(),
                                        timesR(v, 1, r, n), "rotated_bias"));
    }
    for (auto &[norm, l] : s.readers) {
      std::vector<double> gamma = *lastAxisVector(norm.getScale(), n);
      std::vector<double> w = l.read();
      for (int64_t j = 0; j < n; ++j)
        for (int64_t o = 0; o < l.n; ++o)
          w[size_t(j * l.n + o)] *= gamma[size_t(j)];
      l.write(b, rTransposeTimes(r, n, w, l.n));
    }
    for (Operation *op : s.norms) {
      auto rn = cast<RMSNormalizationOp>(op);
      b.setInsertionPoint(rn);
      auto shape = cast<RankedTensorType>(rn.getScale().getType()).getShape();
      rn->setOperand(1, f32Constant(b, rn.getLoc(), shape, std::vector<double>(size_t(n), 1.0),
                                    "norm_scale"));
      rotatedInputs.insert(rn.getResult());
    }
    return success();
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!matrix.empty() && failed(loadMatrix(func)))
      return signalPassFailure();
    llvm::DenseSet<Value> rotatedInputs;
    if (residual) {
      llvm::DenseSet<Operation *> done;
      SmallVector<RMSNormalizationOp> norms;
      func.walk([&](RMSNormalizationOp rn) { norms.push_back(rn); });
      for (RMSNormalizationOp rn : norms) {
        if (done.contains(rn) || static_cast<int64_t>(rn.getAxis()) != -1)
          continue;
        auto t = dyn_cast<RankedTensorType>(rn.getX().getType());
        if (!t || t.getRank() < 1 || t.isDynamicDim(t.getRank() - 1))
          continue;
        Stream s;
        s.n = t.getDimSize(t.getRank() - 1);
        collectStream(rn.getX(), s.n, s);
        for (Operation *op : s.norms)
          done.insert(op);
        if (!s.blocker.empty()) {
          InFlightDiagnostic d = mlir::emitRemark(
              rn.getLoc(), "qopt-rotate: not rotating the residual stream this RMS norm reads: " +
                               s.blocker);
          if (s.blockerOp)
            d.attachNote(s.blockerOp->getLoc()) << "here";
          continue;
        }
        if (failed(rotateStream(s, rotatedInputs)))
          return signalPassFailure();
      }
    }
    if (!online)
      return;
    // Norm scales (and LayerNorm biases) of the remaining norms go into
    // their linear users, so that the transforms below see normalized
    // values without gamma's per-channel outliers.
    OpBuilder fb(&getContext());
    func.walk([&](Operation *op) {
      if (!isa<LayerNormalizationOp, RMSNormalizationOp>(op))
        return;
      auto t = dyn_cast<RankedTensorType>(op->getResult(0).getType());
      int64_t axis = isa<LayerNormalizationOp>(op)
                         ? static_cast<int64_t>(cast<LayerNormalizationOp>(op).getAxis())
                         : static_cast<int64_t>(cast<RMSNormalizationOp>(op).getAxis());
      if (t && t.getRank() >= 1 && !t.isDynamicDim(t.getRank() - 1) &&
          (axis == -1 || axis == t.getRank() - 1) && !rotatedInputs.contains(op->getResult(0)))
        foldNormAffine(fb, op, t.getDimSize(t.getRank() - 1));
    });
    // Online Hadamard transforms for the other linear layers.
    llvm::DenseMap<Value, Value> transformed;
    SmallVector<Operation *> linears;
    func.walk([&](Operation *op) {
      if (isa<MatMulOp, GemmOp>(op))
        linears.push_back(op);
    });
    OpBuilder b(&getContext());
    for (Operation *op : linears) {
      std::optional<LinearLayer> l = linearLayerOf(op->getOpOperand(0));
      Value x = op->getOperand(0);
      if (!l || rotatedInputs.contains(x) || isKeptFloat(op, keepFloat) ||
          !qopt::quant::hadamardOrderSupported(l->k))
        continue;
      Value &h = transformed[x];
      if (!h) {
        if (Operation *def = x.getDefiningOp())
          b.setInsertionPointAfter(def);
        else
          b.setInsertionPointToStart(x.getParentBlock());
        // The width is the weight's K (the input's type may not know it).
        auto xType = cast<RankedTensorType>(x.getType());
        SmallVector<int64_t> shape(xType.getShape());
        shape.back() = l->k;
        h = HadamardOp::create(b, op->getLoc(), xType.clone(shape), x);
      }
      std::vector<double> hm = qopt::quant::hadamardMatrix(l->k);
      l->write(b, rTransposeTimes(hm, l->k, l->read(), l->n));
      op->setOperand(0, h);
    }
  }
};

} // namespace
