//===- QuantUtils.cpp - helpers shared by the quantization passes ---------===//
#include "qopt/Transforms/Quant/QuantUtils.h"
#include "qopt/Quant/NBitsPacking.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Support/Diagnostics.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "llvm/Support/MD5.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace qopt::quantutil {

SmallVector<OnnxNode> onnxNodes(Location loc) {
  SmallVector<OnnxNode> nodes;
  loc->walk([&](Location l) {
    if (auto node = onnxNodeOf(l))
      nodes.push_back({node->first.str(), node->second.str()});
    return WalkResult::advance();
  });
  return nodes;
}

OnnxNode onnxNode(Location loc) {
  SmallVector<OnnxNode> nodes = onnxNodes(loc);
  return nodes.empty() ? OnnxNode() : nodes.front();
}

std::optional<LayerFormat> parseLayerFormat(llvm::StringRef name) {
  LayerFormat f;
  if (name == "float")
    return f;
  if (name == "int8") {
    f.kind = LayerFormat::Int8;
    f.bits = 8;
    return f;
  }
  // w<bits>g<group>
  if (!name.consume_front("w"))
    return std::nullopt;
  auto [b, g] = name.split('g');
  if (b.getAsInteger(10, f.bits) || g.getAsInteger(10, f.groupSize) ||
      !qopt::nbits::supportedBits(f.bits) || f.groupSize < 16 ||
      (f.groupSize & (f.groupSize - 1)))
    return std::nullopt;
  f.kind = LayerFormat::Groups;
  return f;
}

std::optional<LayerFormat> layerFormatOf(Operation *op) {
  auto attr = op->getAttrOfType<StringAttr>(kFormatAttr);
  return attr ? parseLayerFormat(attr.getValue()) : std::nullopt;
}

/// A constant, or a constant's quantized values dequantized (a weight that
/// qopt-quantize-weights or a QDQ model quantized): not an activation.
static bool isConstantWeight(Value v) {
  if (isConstant(v))
    return true;
  auto dq = v.getDefiningOp<DequantizeOp>();
  if (!dq)
    return false;
  if (isConstant(dq.getInput()))
    return true;
  auto q = dq.getInput().getDefiningOp<QuantizeOp>();
  return q && isConstant(q.getInput());
}

bool isKeptFloat(Operation *op, llvm::ArrayRef<std::string> keepFloat) {
  if (std::optional<LayerFormat> f = layerFormatOf(op); f && f->kind == LayerFormat::Float)
    return true;
  if (keepFloat.empty())
    return false;
  SmallVector<OnnxNode> nodes = onnxNodes(op->getLoc());
  StringRef full = op->getName().getStringRef();
  StringRef shortName = full.starts_with("qopt.") ? full.drop_front(5) : full;
  for (const std::string &k : keepFloat) {
    if (k == full || k == shortName)
      return true;
    if (k == kActivationMatMuls && isa<MatMulOp>(op) && !isConstantWeight(op->getOperand(0)) &&
        !isConstantWeight(op->getOperand(1)))
      return true;
    for (const OnnxNode &node : nodes)
      if (k == node.name || k == node.opType)
        return true;
  }
  return false;
}

bool hasIntegerForm(Operation *op) { return isa<ConvOp, MatMulOp, GemmOp>(op); }

bool isDepthwiseConv(Operation *op) {
  auto conv = dyn_cast<ConvOp>(op);
  if (!conv)
    return false;
  auto x = dyn_cast<RankedTensorType>(conv.getX().getType());
  auto w = dyn_cast<RankedTensorType>(conv.getW().getType());
  if (!x || !w || x.getRank() < 3 || w.getRank() != x.getRank() || x.isDynamicDim(1) ||
      w.isDynamicDim(0) || w.isDynamicDim(1))
    return false;
  int64_t c = x.getDimSize(1);
  return c > 1 && int64_t(conv.getGroup()) == c && w.getDimSize(0) == c && w.getDimSize(1) == 1;
}

bool isPassThrough(Operation *op) {
  return isa<ReshapeOp, FlattenOp, TransposeOp, SqueezeOp, UnsqueezeOp, SliceOp, MaxPoolOp,
             ReluOp, ConcatOp>(op);
}

bool isFoldableActivation(Operation *op) {
  if (isa<ReluOp>(op))
    return true;
  if (auto clip = dyn_cast<ClipOp>(op))
    return llvm::all_of(ValueRange{clip.getMin(), clip.getMax()}, [](Value b) {
      return isa<NoneType>(b.getType()) || isConstant(b);
    });
  return false;
}

std::string modelFingerprint(ModuleOp module) {
  llvm::MD5 hash;
  module.walk([&](Operation *op) {
    if (auto o = dyn_cast<ObserverOp>(op)) {
      std::string text;
      llvm::raw_string_ostream os(text);
      os << "observer " << o.getId() << " " << o.getType() << "\n";
      hash.update(text);
    } else if (auto c = dyn_cast<ConstantOp>(op)) {
      std::string text;
      llvm::raw_string_ostream os(text);
      os << "constant " << c.getType() << "\n";
      hash.update(text);
      ElementsAttr value = c.getValue();
      if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
        hash.update(llvm::ArrayRef<uint8_t>(
            reinterpret_cast<const uint8_t *>(dense.getRawData().data()),
            dense.getRawData().size()));
      } else if (auto res = dyn_cast<DenseResourceElementsAttr>(value)) {
        if (AsmResourceBlob *blob = res.getRawHandle().getBlob())
          hash.update(llvm::ArrayRef<uint8_t>(
              reinterpret_cast<const uint8_t *>(blob->getData().data()),
              blob->getData().size()));
      }
    }
  });
  llvm::MD5::MD5Result r;
  hash.final(r);
  return r.digest().str().str();
}

std::shared_ptr<const quant::CalibrationStats>
statsForPass(ModuleOp module, StringRef passName,
             std::shared_ptr<const quant::CalibrationStats> given, StringRef givenName,
             StringRef file, std::string &name) {
  if (given) {
    name = givenName.str();
    return given;
  }
  if (file.empty()) {
    module.emitError(passName + " needs stats=<file>");
    return nullptr;
  }
  auto loaded = std::make_shared<quant::CalibrationStats>();
  std::string error;
  if (!quant::readStatsFile(file.str(), *loaded, error)) {
    module.emitError(error);
    return nullptr;
  }
  name = file.str();
  return loaded;
}

bool isConstant(Value v) { return v.getDefiningOp<ConstantOp>() != nullptr; }

Value observeLike(OpBuilder &b, Value v, DictionaryAttr attrs) {
  auto obs = ObserverOp::create(b, v.getLoc(), v.getType(), v, b.getStringAttr(""), nullptr,
                                nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  obs->setAttrs(attrs);
  return obs.getResult();
}

bool concatSharesScale(Operation *concat) {
  return isa<ConcatOp>(concat) && llvm::all_of(concat->getOperands(), [](Value in) {
           return in.getDefiningOp<ObserverOp>() != nullptr;
         });
}

DenseMap<Value, DictionaryAttr> removeObservers(Operation *root) {
  SmallVector<ObserverOp> observers;
  root->walk([&](ObserverOp o) { observers.push_back(o); });
  DenseMap<Value, DictionaryAttr> attrs;
  for (ObserverOp o : observers) {
    attrs[o.getInput()] = o->getAttrDictionary();
    o.getResult().replaceAllUsesWith(o.getInput());
    o.erase();
  }
  return attrs;
}

ElementsAttr largeAsResource(DenseElementsAttr dense, llvm::StringRef blobName) {
  if (dense.getRawData().size() <= 256)
    return dense;
  return DenseResourceElementsAttr::get(
      dense.getType(), blobName,
      HeapAsmResourceBlob::allocateAndCopyWithAlign(dense.getRawData(), /*align=*/64));
}

ElementsAttr constantFromBytes(RankedTensorType type, llvm::StringRef blobName,
                               llvm::function_ref<void(llvm::MutableArrayRef<char>)> fill) {
  size_t bytes = size_t(type.getNumElements()) * (type.getElementTypeBitWidth() / 8);
  if (bytes <= 256) {
    std::vector<char> raw(bytes);
    fill(raw);
    return DenseElementsAttr::getFromRawBuffer(type, raw);
  }
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(bytes, /*align=*/64);
  fill(blob.getMutableData());
  return DenseResourceElementsAttr::get(type, blobName, std::move(blob));
}

mlir::quant::UniformQuantizedType perTensorType(Type t) {
  if (auto st = dyn_cast<ShapedType>(t))
    t = st.getElementType();
  return dyn_cast<mlir::quant::UniformQuantizedType>(t);
}

std::optional<QuantTypeParams> quantParamsOf(Type t) {
  if (auto st = dyn_cast<ShapedType>(t))
    t = st.getElementType();
  QuantTypeParams r;
  if (auto u = dyn_cast<mlir::quant::UniformQuantizedType>(t)) {
    r.params.push_back({u.getScale(), u.getZeroPoint(), u.getStorageTypeMin(),
                        u.getStorageTypeMax()});
    return r;
  }
  if (auto a = dyn_cast<mlir::quant::UniformQuantizedPerAxisType>(t)) {
    r.axis = a.getQuantizedDimension();
    for (size_t c = 0; c < a.getScales().size(); ++c)
      r.params.push_back({a.getScales()[c], a.getZeroPoints()[c], a.getStorageTypeMin(),
                          a.getStorageTypeMax()});
    return r;
  }
  return std::nullopt;
}

std::vector<int64_t> shapeVector(ShapedType type) {
  return std::vector<int64_t>(type.getShape().begin(), type.getShape().end());
}

Value Emitter::constant(Type elem, ArrayRef<double> values, int64_t rank, int64_t axis) {
  SmallVector<int64_t> shape;
  if (values.size() > 1) {
    shape.assign(rank, 1);
    shape[axis] = values.size();
  }
  auto type = RankedTensorType::get(shape, elem);
  DenseElementsAttr attr;
  if (auto ft = dyn_cast<FloatType>(elem)) {
    SmallVector<APFloat> v;
    for (double d : values) {
      APFloat f(d);
      bool lost;
      f.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      v.push_back(f);
    }
    attr = DenseElementsAttr::get(type, v);
  } else {
    unsigned w = elem.getIntOrFloatBitWidth();
    SmallVector<APInt> v;
    for (double d : values)
      v.push_back(APInt(w, int64_t(d), /*isSigned=*/true, /*implicitTrunc=*/true));
    attr = DenseElementsAttr::get(type, v);
  }
  return ConstantOp::create(b, loc, attr);
}

Value Emitter::castTo(Value v, Type elem) {
  if (cast<ShapedType>(v.getType()).getElementType() == elem)
    return v;
  return CastOp::create(b, loc, like(v, elem), v, TypeAttr::get(elem), b.getI64IntegerAttr(1));
}

Value Emitter::shiftedConstant(RankedTensorType type, ArrayRef<int64_t> values,
                               ArrayRef<int64_t> zeroPoints, int64_t axis, Type elem) {
  qopt::quant::AxisIndex channelOf(shapeVector(type), zeroPoints.size() == 1 ? -1 : axis);
  if (!elem)
    elem = b.getI32Type();
  unsigned width = elem.getIntOrFloatBitWidth();
  SmallVector<APInt> out;
  for (size_t i = 0; i < values.size(); ++i)
    out.push_back(APInt(width, values[i] - zeroPoints[channelOf(i)], /*isSigned=*/true));
  return ConstantOp::create(
      b, loc, largeAsResource(DenseElementsAttr::get(type.clone(elem), out),
                              "quantized_i" + std::to_string(width)));
}

Value Emitter::alongAxis(Value p, int64_t rank, int64_t axis) {
  auto type = cast<RankedTensorType>(p.getType());
  if (type.getRank() != 1 || type.getDimSize(0) == 1 || axis < 0 || axis >= rank)
    return p;
  SmallVector<int64_t> shape = {type.getDimSize(0)};
  shape.append(size_t(rank - axis - 1), 1);
  SmallVector<int64_t> literal(shape);
  if (ShapedType::isDynamic(literal[0]))
    literal[0] = -1;
  auto shapeType = RankedTensorType::get({int64_t(shape.size())}, b.getI64Type());
  Value s = ConstantOp::create(b, loc, DenseIntElementsAttr::get(shapeType, ArrayRef(literal)));
  return ReshapeOp::create(b, loc, RankedTensorType::get(shape, type.getElementType()), p, s,
                           int64_t(0));
}

} // namespace qopt::quantutil
