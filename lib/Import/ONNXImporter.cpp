//===- ONNXImporter.cpp - ONNX model to qopt IR ---------------------------===//
//
// Reads the model (binary protobuf or ONNX's textual syntax), applies
// --input-shape overrides, runs ONNX's shape inference where it knows the
// opset, reports every unsupported op at once, and builds `func.func @main`
// from initializers, inputs and nodes.
//
//===----------------------------------------------------------------------===//
#include "ImporterInternal.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include <map>

#include <onnx/defs/parser.h>
#include <onnx/shape_inference/implementation.h>
#include <onnx/version_converter/convert.h>

using namespace mlir;

namespace qopt {

void registerImportDialects(MLIRContext &context) {
  context.loadDialect<QOptDialect, func::FuncDialect, quant::QuantDialect,
                      arith::ArithDialect, tensor::TensorDialect, scf::SCFDialect>();
}

std::optional<std::pair<std::string, std::vector<int64_t>>>
parseInputShape(StringRef spec, std::string &error) {
  auto [name, dimsStr] = spec.split('=');
  if (name.empty() || !spec.contains('=')) {
    error = "expected name=d0,d1,... in '" + spec.str() + "'";
    return std::nullopt;
  }
  std::vector<int64_t> dims;
  if (!dimsStr.empty()) {
    SmallVector<StringRef> parts;
    dimsStr.split(parts, ',');
    for (StringRef p : parts) {
      p = p.trim();
      int64_t d;
      if (p == "?" || p == "-1") {
        dims.push_back(ShapedType::kDynamic);
      } else if (!p.getAsInteger(10, d) && d >= 0) {
        dims.push_back(d);
      } else {
        error = "invalid dimension '" + p.str() + "' in '" + spec.str() + "'";
        return std::nullopt;
      }
    }
  }
  return std::make_pair(name.str(), dims);
}

Location import::nodeLocation(MLIRContext &ctx, const onnx::NodeProto &node) {
  return FusedLoc::get(&ctx, {NameLoc::get(StringAttr::get(&ctx, node.name()))},
                       StringAttr::get(&ctx, "onnx." + node.op_type()));
}

namespace {
using namespace import;

/// Names unnamed nodes (<op_type>_<index>, inside a subgraph prefixed with
/// "<owning node>/<attribute>/") so every diagnostic can point at one.
void nameNodes(onnx::GraphProto &graph, const std::string &prefix = "") {
  for (int i = 0; i < graph.node_size(); ++i) {
    onnx::NodeProto &node = *graph.mutable_node(i);
    if (node.name().empty())
      node.set_name(prefix + node.op_type() + "_" + std::to_string(i));
    for (auto &a : *node.mutable_attribute()) {
      if (a.has_g())
        nameNodes(*a.mutable_g(), node.name() + "/" + a.name() + "/");
      for (auto &g : *a.mutable_graphs())
        nameNodes(g, node.name() + "/" + a.name() + "/");
    }
  }
}

/// PRelu before opset 7 takes a 1-D slope of C values per channel (axis 1,
/// as Caffe's); from opset 7 the slope broadcasts from the last axis, and
/// ONNX's version converter leaves the slope as it is. A constant 1-D slope
/// of the input's C channels becomes [C, 1, ...] before the conversion, so
/// that it means the same after it. Returns the PRelu nodes with a 1-D slope
/// of several values whose input's rank is not declared (their meaning
/// after the conversion cannot be kept).
std::vector<std::string> channelSlopesOfOldPRelu(onnx::GraphProto &graph) {
  std::vector<std::string> unknown;
  auto rankAndChannels = [&](const std::string &name) -> std::pair<int, int64_t> {
    for (const auto *list : {&graph.input(), &graph.value_info()})
      for (const onnx::ValueInfoProto &v : *list)
        if (v.name() == name && v.type().has_tensor_type() &&
            v.type().tensor_type().has_shape()) {
          const auto &shape = v.type().tensor_type().shape();
          int64_t c = shape.dim_size() > 1 && shape.dim(1).has_dim_value()
                          ? shape.dim(1).dim_value()
                          : -1;
          return {shape.dim_size(), c};
        }
    return {-1, -1};
  };
  for (const onnx::NodeProto &node : graph.node()) {
    if (node.op_type() != "PRelu" || node.input_size() != 2)
      continue;
    auto [rank, channels] = rankAndChannels(node.input(0));
    if (rank < 0) {
      for (const onnx::TensorProto &t : graph.initializer())
        if (t.name() == node.input(1) && t.dims_size() == 1 && t.dims(0) > 1)
          unknown.push_back(node.name());
      continue;
    }
    if (rank < 3)
      continue; // [N, C] broadcasts the same either way
    for (onnx::TensorProto &t : *graph.mutable_initializer())
      if (t.name() == node.input(1) && t.dims_size() == 1 && t.dims(0) > 1 &&
          t.dims(0) == channels) {
        for (int i = 2; i < rank; ++i)
          t.add_dims(1);
        // (Before IR 4 an initializer is a graph input too: its declared
        // shape follows.)
        for (onnx::ValueInfoProto &v : *graph.mutable_input())
          if (v.name() == t.name() && v.type().has_tensor_type() &&
              v.type().tensor_type().has_shape() &&
              v.type().tensor_type().shape().dim_size() == 1)
            for (int i = 2; i < rank; ++i)
              v.mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(1);
      }
  }
  return unknown;
}

struct ModelImporter {
  MLIRContext &ctx;
  const ImportOptions &options;
  std::string displayName;
  Location modelLoc;

  ModelImporter(MLIRContext &ctx, const ImportOptions &options, StringRef name)
      : ctx(ctx), options(options), displayName(name.str()),
        modelLoc(NameLoc::get(StringAttr::get(&ctx, name))) {}

  InFlightDiagnostic error() { return emitError(modelLoc); }

  OwningOpRef<ModuleOp> run(onnx::ModelProto &model, StringRef baseDir);
};

OwningOpRef<ModuleOp> ModelImporter::run(onnx::ModelProto &model, StringRef baseDir) {
  if (!model.has_graph()) {
    error() << "the model has no graph (not an ONNX model?)";
    return nullptr;
  }
  int64_t opset = -1;
  for (const auto &o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      opset = o.version();
  if (opset < 0 && model.opset_import_size() == 0)
    opset = 1; // IR version 1-2 models without opset_import
  if (opset < 0) {
    error() << "the model imports no default-domain (ai.onnx) opset";
    return nullptr;
  }
  if (opset > kMaxOpset) {
    error() << "opset " << opset << " is newer than the newest supported (" << kMaxOpset
            << ")";
    return nullptr;
  }
  // Nothing reads the graph before it is checked: ONNX's version converter
  // and shape inference crash on some malformed graphs.
  nameOnnxNodes(*model.mutable_graph());
  if (failed(validateGraph(model.graph(), opset, ctx, modelLoc)))
    return nullptr;
  const int64_t originalOpset = opset;
  if (opset < kMinOpset) {
    if (opset < 7)
      for (const std::string &node : channelSlopesOfOldPRelu(*model.mutable_graph())) {
        error() << "node '" << node << "' (PRelu, opset " << opset
                << "): a per-channel slope on an input whose rank the model does not "
                   "declare is unsupported (its meaning changes at opset 7)";
        return nullptr;
      }
    // Upgrade old models with ONNX's version converter.
    try {
      model = onnx::version_conversion::ConvertVersion(model, int(kMinOpset));
    } catch (const std::exception &e) {
      error() << "opset " << opset << " is older than the oldest supported ("
              << kMinOpset << ") and ONNX's version converter failed: " << e.what();
      return nullptr;
    }
    emitRemark(modelLoc) << "upgraded the model from opset " << opset << " to "
                         << kMinOpset << " with ONNX's version converter";
    opset = kMinOpset;
  }
  onnx::GraphProto &graph = *model.mutable_graph();
  if (opset != originalOpset) {
    // What the converter's adapters made must hold at the new opset too.
    nameOnnxNodes(graph);
    if (failed(validateGraph(graph, opset, ctx, modelLoc)))
      return nullptr;
  }

  // Every unsupported op in one report.
  llvm::MapVector<std::string, std::vector<std::string>,
                  std::map<std::string, unsigned>>
      unsupported;
  forEachNode(graph, [&](const onnx::NodeProto &node) {
    if (!isSupportedOp(node.domain(), node.op_type()))
      unsupported[(node.domain().empty() ? "" : node.domain() + "::") + node.op_type()]
          .push_back(node.name());
  });
  if (!unsupported.empty()) {
    auto diag = error();
    diag << unsupported.size() << " unsupported ONNX op type"
         << (unsupported.size() > 1 ? "s" : "") << " (opset " << opset << "):";
    for (auto &[op, names] : unsupported) {
      diag << "\n  " << op << " x" << names.size() << ": ";
      for (size_t i = 0; i < names.size() && i < 5; ++i)
        diag << (i ? ", " : "") << "'" << names[i] << "'";
      if (names.size() > 5)
        diag << ", ...";
    }
    return nullptr;
  }

  // --input-shape overrides.
  llvm::StringSet<> initNames;
  for (const auto &init : graph.initializer())
    initNames.insert(init.name());
  for (const auto &[name, dims] : options.inputShapes) {
    onnx::ValueInfoProto *vi = nullptr;
    for (auto &in : *graph.mutable_input())
      if (in.name() == name && !initNames.contains(name))
        vi = &in;
    if (!vi) {
      auto diag = error() << "--input-shape names '" << name
                          << "', which is not a graph input; inputs are:";
      for (const auto &in : graph.input())
        if (!initNames.contains(in.name()))
          diag << " '" << in.name() << "'";
      return nullptr;
    }
    auto *shape = vi->mutable_type()->mutable_tensor_type()->mutable_shape();
    shape->clear_dim();
    for (int64_t d : dims) {
      auto *dim = shape->add_dim();
      if (!ShapedType::isDynamic(d))
        dim->set_dim_value(d);
    }
  }

  // ONNX's shape inference (with data propagation) where it knows the opset.
  if (options.onnxShapeInference && opset <= kMaxOnnxInferenceOpset) {
    try {
      onnx::ShapeInferenceOptions siOptions(/*check_type=*/false, /*error_mode=*/0,
                                            /*enable_data_propagation=*/true);
      onnx::shape_inference::InferShapes(model, &guardedSchemaRegistry(), siOptions);
    } catch (const std::exception &e) {
      emitWarning(modelLoc) << "ONNX shape inference failed, using qopt's own: "
                            << e.what();
    }
  } else if (opset > kMaxOnnxInferenceOpset) {
    emitRemark(modelLoc) << "opset " << opset << ": ONNX 1.12 shape inference knows opsets up to "
                         << kMaxOnnxInferenceOpset << "; result types come from qopt's inference";
  }

  GraphImporter gi(ctx, options);
  gi.baseDir = baseDir.str();
  gi.opset = opset;
  forEachNode(graph, [&](const onnx::NodeProto &node) {
    for (const auto &in : node.input())
      gi.usedNames.insert(in);
    for (const onnx::GraphProto *g : subgraphsOf(node))
      for (const auto &out : g->output())
        gi.usedNames.insert(out.name());
  });
  for (const auto &out : graph.output())
    gi.usedNames.insert(out.name());
  std::string why;
  auto recordType = [&](const onnx::ValueInfoProto &vi) {
    if (!vi.has_type())
      return;
    std::string ignored;
    if (Type t = convertValueType(vi.type(), ctx, ignored))
      gi.onnxTypes[vi.name()] = t;
  };
  for (const auto &vi : graph.value_info())
    recordType(vi);
  for (const auto &vi : graph.output())
    recordType(vi);
  forEachNode(graph, [&](const onnx::NodeProto &node) {
    for (const onnx::GraphProto *g : subgraphsOf(node)) {
      for (const auto &vi : g->value_info())
        recordType(vi);
      for (const auto &vi : g->output())
        recordType(vi);
    }
  });

  OwningOpRef<ModuleOp> module = ModuleOp::create(modelLoc);
  OpBuilder &b = gi.builder;
  module->getOperation()->setAttr("qopt.onnx_opset", b.getI64IntegerAttr(opset));
  if (!model.producer_name().empty())
    module->getOperation()->setAttr("qopt.onnx_producer",
                                    b.getStringAttr(model.producer_name() + " " +
                                                    model.producer_version()));

  // Graph inputs (initializers listed as inputs are constants, not arguments).
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  for (const auto &in : graph.input()) {
    if (initNames.contains(in.name()))
      continue;
    Type t = convertValueType(in.type(), ctx, why);
    if (!t) {
      error() << "graph input '" << in.name() << "': " << why;
      return nullptr;
    }
    argTypes.push_back(t);
    argNames.push_back(in.name());
  }
  auto func = func::FuncOp::create(modelLoc, "main", b.getFunctionType(argTypes, {}));
  module->push_back(func);
  Block *entry = func.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(argNames)) {
    func.setArgAttr(i, "qopt.name", b.getStringAttr(name));
    gi.values[name] = entry->getArgument(i);
  }
  b.setInsertionPointToEnd(entry);

  for (const auto &init : graph.initializer()) {
    Location loc = NameLoc::get(b.getStringAttr(init.name()));
    auto value = convertTensor(init, baseDir, options.resourceThresholdBytes, loc);
    if (failed(value))
      return nullptr;
    gi.values[init.name()] = ConstantOp::create(b, loc, *value);
  }

  for (const auto &node : graph.node())
    if (failed(gi.importNode(node, nodeLocation(ctx, node))))
      return nullptr;

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const auto &out : graph.output()) {
    auto it = gi.values.find(out.name());
    if (it == gi.values.end()) {
      error() << "graph output '" << out.name() << "' is not produced by any node";
      return nullptr;
    }
    results.push_back(it->second);
    resultTypes.push_back(it->second.getType());
  }
  func::ReturnOp::create(b, modelLoc, results);
  func.setType(b.getFunctionType(argTypes, resultTypes));
  for (auto [i, out] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "qopt.name", b.getStringAttr(out.name()));

  if (failed(mlir::verify(*module)))
    return nullptr;
  return module;
}
} // namespace

void nameOnnxNodes(onnx::GraphProto &graph) { nameNodes(graph); }

OwningOpRef<ModuleOp> importOnnxBuffer(StringRef data, bool isText, StringRef baseDir,
                                       StringRef displayName, MLIRContext &context,
                                       const ImportOptions &options) {
  registerImportDialects(context);
  ModelImporter importer(context, options, displayName);
  onnx::ModelProto model;
  if (isText) {
    std::string text = data.str();
    // ONNX's parser also throws (std::stoll on a number too long for int64,
    // found by qopt-fuzz-onnx-text) where it should return a status.
    try {
      auto status = onnx::OnnxParser::Parse(model, text.c_str());
      if (!status.IsOK()) {
        importer.error() << "cannot parse ONNX text: " << status.ErrorMessage();
        return nullptr;
      }
    } catch (const std::exception &e) {
      importer.error() << "cannot parse ONNX text: " << e.what();
      return nullptr;
    }
  } else if (data.size() > size_t(INT_MAX) ||
             !model.ParseFromArray(data.data(), int(data.size()))) {
    importer.error() << "cannot parse the ONNX protobuf (truncated, corrupt or not an "
                        "ONNX model)";
    return nullptr;
  }
  try {
    return importer.run(model, baseDir);
  } catch (const std::exception &e) {
    importer.error() << "ONNX library error: " << e.what();
    return nullptr;
  }
}

OwningOpRef<ModuleOp> importOnnxFile(StringRef path, MLIRContext &context,
                                     const ImportOptions &options) {
  auto buf = llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/false,
                                                /*RequiresNullTerminator=*/false);
  if (!buf) {
    emitError(NameLoc::get(StringAttr::get(&context, path)))
        << "cannot read '" << path << "': " << buf.getError().message();
    return nullptr;
  }
  StringRef data = (*buf)->getBuffer();
  // ONNX's textual syntax starts with '<' (model header) after whitespace.
  bool isText = path.ends_with(".onnxtxt") || data.ltrim().starts_with("<");
  SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  return importOnnxBuffer(data, isText, dir, path, context, options);
}

} // namespace qopt
