//===- ONNXValidate.cpp - structural checks before anything reads a graph --===//
//
// ONNX's own C++ libraries are not hardened against malformed protos: the
// version converter dereferences a null value for a graph output that no node
// produces (graphProtoToGraph) and its adapters index node inputs that are not
// there (an opset-6 Add with one input segfaults in BroadcastForwardCompatibility),
// and the importer's builders assume the inputs an op requires. So every
// graph is checked first, and a malformed one becomes a diagnostic naming the
// node and op instead of a crash:
//
//  - each node of a default-domain (ai.onnx) op against ONNX's schema at the
//    model's opset (OpSchema::Verify: input and output counts, required
//    inputs not empty, required attributes, attribute types, unknown or
//    repeated attributes). ONNX 1.12 knows opsets up to 17; above that only
//    the input and output counts and the required inputs of its newest
//    schema of the op are checked (what opsets 18-21 changed, mostly
//    attributes that became optional inputs, the importer checks itself);
//  - every input name defined before use (a graph input, an initializer or
//    an earlier node's output; "" is an absent optional input);
//  - no value produced twice (by two nodes, or by a node and a graph input
//    or initializer);
//  - every graph output produced;
//  - the same, recursively, for subgraphs (If branches, Loop and Scan
//    bodies), where the outer scope's values defined before the owning node
//    are visible and the subgraph's inputs may shadow them.
//
// ONNX's shape inference then runs through guardedSchemaRegistry(): each
// op's inference function only on inputs it can handle (its shape functions
// read required input types unchecked and index spatial dims of any rank).
//
//===----------------------------------------------------------------------===//
#include "ImporterInternal.h"

#include <onnx/defs/schema.h>

#include <map>
#include <mutex>

using namespace mlir;

namespace qopt {
namespace import {

/// Checks `graph` with the names of `defined` (an outer scope) visible.
static LogicalResult validateScope(const onnx::GraphProto &graph, int64_t opset,
                                   MLIRContext &ctx, Location graphLoc,
                                   llvm::StringMap<std::string> defined,
                                   const onnx::NodeProto *owner) {
  llvm::StringSet<> local; // names this graph defines itself
  auto define = [&](const std::string &name, const std::string &by) -> std::string {
    if (local.insert(name).second) {
      defined[name] = by; // may shadow an outer-scope name
      return std::string();
    }
    return defined[name];
  };
  std::string where = owner ? " of the subgraph '" + graph.name() + "' of node '" +
                                  owner->name() + "' (" + owner->op_type() + ")"
                            : std::string();
  for (const auto &init : graph.initializer())
    if (std::string prev = define(init.name(), "an initializer"); !prev.empty())
      return emitError(graphLoc) << "initializer '" << init.name() << "'" << where
                                 << " is defined twice";
  for (const auto &in : graph.input()) {
    // An initializer may be listed as an input too (IR version < 4 style).
    std::string prev = define(in.name(), "a graph input");
    if (!prev.empty() && prev != "an initializer")
      return emitError(graphLoc) << "graph input '" << in.name() << "'" << where
                                 << " is listed twice";
  }

  for (const auto &node : graph.node()) {
    Location loc = nodeLocation(ctx, node);
    auto error = [&]() { return nodeError(loc, node, opset); };
    bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
    const bool known = opset <= kMaxOnnxInferenceOpset;
    // An op that ONNX defines only from a later opset has no schema to check
    // the node against here: refuse it (the importer would read inputs the
    // node need not have).
    if (defaultDomain && known &&
        !onnx::OpSchemaRegistry::Schema(node.op_type(), int(opset), ""))
      if (onnx::OpSchemaRegistry::Schema(node.op_type(), int(kMaxOnnxInferenceOpset), "")) {
        int64_t first = opset + 1;
        while (!onnx::OpSchemaRegistry::Schema(node.op_type(), int(first), ""))
          ++first;
        return error() << "malformed node: ONNX defines " << node.op_type() << " from opset "
                       << first << ", the model's opset is " << opset;
      }
    if (const onnx::OpSchema *schema =
            defaultDomain ? onnx::OpSchemaRegistry::Schema(
                                node.op_type(), int(std::min(opset, kMaxOnnxInferenceOpset)), "")
                          : nullptr) {
      if (known) {
        try {
          schema->Verify(node);
        } catch (const std::exception &e) {
          return error() << "malformed node: " << e.what();
        }
      } else {
        if (node.input_size() < schema->min_input() ||
            node.output_size() < schema->min_output())
          return error() << "malformed node: " << node.input_size() << " inputs and "
                             << node.output_size() << " outputs; ONNX's "
                             << node.op_type() << "-" << schema->since_version()
                             << " requires at least " << schema->min_input() << " and "
                             << schema->min_output();
        const auto &params = schema->inputs();
        for (int i = 0; i < node.input_size() && i < int(params.size()); ++i)
          if (node.input(i).empty() &&
              params[i].GetOption() == onnx::OpSchema::FormalParameterOption::Single)
            return error() << "malformed node: input " << i << " ('"
                               << params[i].GetName() << "') is required but empty";
      }
    }
    for (const std::string &in : node.input())
      if (!in.empty() && !defined.count(in))
        return error() << "input '" << in
                           << "' is not a graph input, an initializer or an earlier node's "
                              "output";
    for (const onnx::GraphProto *g : subgraphsOf(node))
      if (failed(validateScope(*g, opset, ctx, loc, defined, &node)))
        return failure();
    for (const std::string &out : node.output()) {
      if (out.empty())
        continue;
      if (std::string prev = define(out, "node '" + node.name() + "'"); !prev.empty())
        return error() << "output '" << out << "' is already produced by " << prev;
    }
  }
  for (const auto &out : graph.output())
    if (!defined.count(out.name()))
      return emitError(graphLoc) << "graph output '" << out.name() << "'" << where
                                 << " is not produced by any node, input or initializer";
  return success();
}

LogicalResult validateGraph(const onnx::GraphProto &graph, int64_t opset, MLIRContext &ctx,
                            Location graphLoc) {
  return validateScope(graph, opset, ctx, graphLoc, {}, nullptr);
}

namespace {

/// Ops whose ONNX 1.12 shape inference indexes spatial dims without checking
/// the input's rank (convTransposeShapeInference segfaulted on a rank-2 X,
/// found by qopt-fuzz-onnx): X must have rank >= 3, and W the rank of X.
bool spatialOp(const std::string &op) {
  static const char *const kOps[] = {"Conv",        "ConvTranspose", "ConvInteger",
                                     "QLinearConv", "MaxPool",       "AveragePool",
                                     "LpPool",      "MaxUnpool",     "GlobalAveragePool",
                                     "GlobalMaxPool", "GlobalLpPool"};
  for (const char *o : kOps)
    if (op == o)
      return true;
  return false;
}

int rankOf(const onnx::TypeProto *t) {
  return t && t->has_tensor_type() && t->tensor_type().has_shape()
             ? t->tensor_type().shape().dim_size()
             : -1;
}

/// Whether ONNX's inference function may run on what `ctx` holds: every
/// required input typed (several functions read input types unchecked) and,
/// for the spatial ops, ranks they can index.
/// Whether `t` holds exactly the elements its dims say, inline (ONNX's
/// inference functions read constant inputs unchecked: a Range whose limit
/// was a Constant without data crashed inside ONNX, qopt-fuzz-onnx-text).
/// qopt's own import diagnoses the others (convertTensor). External data
/// passes: ONNX's parser refuses it with an inference error, not a crash.
bool wellFormedData(const onnx::TensorProto &t) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    return true;
  if (t.has_segment())
    return false;
  int64_t n = 1;
  for (int64_t d : t.dims())
    if (d < 0 || llvm::MulOverflow(n, d, n))
      return false;
  using T = onnx::TensorProto;
  int64_t bytes;
  switch (t.data_type()) {
  case T::BOOL: case T::INT8: case T::UINT8: bytes = 1; break;
  case T::INT16: case T::UINT16: case T::FLOAT16: case T::BFLOAT16: bytes = 2; break;
  case T::FLOAT: case T::INT32: case T::UINT32: bytes = 4; break;
  case T::DOUBLE: case T::INT64: case T::UINT64: bytes = 8; break;
  case T::STRING: return t.string_data_size() == n;
  default: return false;
  }
  int64_t need;
  if (t.has_raw_data())
    return !llvm::MulOverflow(n, bytes, need) && int64_t(t.raw_data().size()) == need;
  switch (t.data_type()) {
  case T::FLOAT: return t.float_data_size() == n;
  case T::DOUBLE: return t.double_data_size() == n;
  case T::INT64: return t.int64_data_size() == n;
  case T::UINT32: case T::UINT64: return t.uint64_data_size() == n;
  default: return t.int32_data_size() == n;
  }
}

bool safeToInfer(const onnx::OpSchema &schema, onnx::InferenceContext &ctx) {
  const auto &params = schema.inputs();
  for (size_t i = 0; i < ctx.getNumInputs() && i < params.size(); ++i)
    if (params[i].GetOption() == onnx::OpSchema::FormalParameterOption::Single &&
        !ctx.getInputType(i))
      return false;
  for (size_t i = 0; i < ctx.getNumInputs(); ++i)
    if (const onnx::TensorProto *data = ctx.getInputData(i))
      if (!wellFormedData(*data))
        return false;
  if (const onnx::AttributeProto *value = ctx.getAttribute("value"))
    if (value->has_t() && !wellFormedData(value->t()))
      return false;
  // Attributes ONNX's inference functions divide by (a MaxPool with a zero
  // stride raised SIGFPE in convPoolShapeInference, qopt-fuzz-onnx) or
  // count windows with: they must be positive.
  for (const char *name : {"strides", "dilations", "kernel_shape"})
    if (const onnx::AttributeProto *a = ctx.getAttribute(name))
      for (int64_t v : a->ints())
        if (v <= 0)
          return false;
  for (const char *name : {"group", "blocksize"})
    if (const onnx::AttributeProto *a = ctx.getAttribute(name))
      if (a->type() == onnx::AttributeProto::INT && a->i() <= 0)
        return false;
  // LayerNormalization's inference sets dim `axis` (default -1, plus the
  // rank when negative) of its Mean/InvStdDev outputs unchecked: a rank-0
  // X crashed it (qopt-fuzz-onnx). X needs a rank and axis in [-rank, rank).
  if (schema.Name() == "LayerNormalization" && ctx.getNumInputs() > 0) {
    int x = rankOf(ctx.getInputType(0));
    const onnx::AttributeProto *a = ctx.getAttribute("axis");
    int64_t axis = a && a->type() == onnx::AttributeProto::INT ? a->i() : -1;
    if (x == 0 || (x > 0 && (axis < -x || axis >= x)))
      return false;
  }
  if (spatialOp(schema.Name()) && ctx.getNumInputs() > 0) {
    int x = rankOf(ctx.getInputType(0));
    if (x >= 0 && x < 3)
      return false;
    // The weight: input 1, or 3 for QLinearConv (x, its scale and zero
    // point first; a rank-3 x with a rank-4 w crashed ONNX's inference).
    size_t wi = schema.Name() == "QLinearConv" ? 3 : 1;
    bool weights = schema.Name() == "Conv" || schema.Name() == "ConvTranspose" ||
                   schema.Name() == "ConvInteger" || schema.Name() == "QLinearConv";
    int w = weights && ctx.getNumInputs() > wi ? rankOf(ctx.getInputType(wi)) : -1;
    if (x >= 0 && w >= 0 && w != x)
      return false;
  }
  return true;
}

/// Whether ONNX's data propagation (the values of shape tensors) may run on
/// what `ctx` holds: every required input typed as a tensor and every output
/// typed (Shape's reads its input's type unchecked: a graph input without a
/// type crashed it, qopt-fuzz-onnx).
bool safeToPropagate(const onnx::OpSchema &schema, onnx::DataPropagationContext &ctx) {
  const auto &params = schema.inputs();
  for (size_t i = 0; i < ctx.getNumInputs() && i < params.size(); ++i) {
    const onnx::TypeProto *t = ctx.getInputType(i);
    if (params[i].GetOption() == onnx::OpSchema::FormalParameterOption::Single &&
        (!t || !t->has_tensor_type()))
      return false;
  }
  for (size_t o = 0; o < ctx.getNumOutputs(); ++o)
    if (!ctx.getOutputType(o))
      return false;
  return true;
}

/// ONNX's schemas with every inference function behind safeToInfer and
/// every data propagation function behind safeToPropagate: a node
/// it refuses keeps no inferred type, and qopt's own inference (which
/// diagnoses) decides.
class GuardedRegistry : public onnx::ISchemaRegistry {
public:
  const onnx::OpSchema *GetSchema(const std::string &key, const int maxInclusiveVersion,
                                  const std::string &domain) const override {
    const onnx::OpSchema *s =
        onnx::OpSchemaRegistry::Schema(key, maxInclusiveVersion, domain);
    if (!s)
      return nullptr;
    std::lock_guard<std::mutex> lock(mutex);
    auto k = std::make_tuple(key, domain, s->SinceVersion());
    auto it = guarded.find(k);
    if (it != guarded.end())
      return &it->second;
    onnx::OpSchema copy = *s;
    onnx::InferenceFunction infer = s->GetTypeAndShapeInferenceFunction();
    if (infer)
      copy.TypeAndShapeInferenceFunction([infer, s](onnx::InferenceContext &ctx) {
        if (safeToInfer(*s, ctx))
          infer(ctx);
      });
    onnx::DataPropagationFunction propagate = s->GetDataPropagationFunction();
    copy.PartialDataPropagationFunction([propagate, s](onnx::DataPropagationContext &ctx) {
      if (safeToPropagate(*s, ctx))
        propagate(ctx);
    });
    return &guarded.emplace(k, std::move(copy)).first->second;
  }

private:
  mutable std::mutex mutex;
  mutable std::map<std::tuple<std::string, std::string, int>, onnx::OpSchema> guarded;
};

} // namespace

const onnx::ISchemaRegistry &guardedSchemaRegistry() {
  static GuardedRegistry registry;
  return registry;
}

} // namespace import
} // namespace qopt
