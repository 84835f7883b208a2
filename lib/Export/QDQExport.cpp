//===- QDQExport.cpp - write qopt's quantization as a QDQ ONNX model ------===//
#include "qopt/Export/QDQExport.h"
#include "qopt/Import/ONNXImporter.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <fstream>
#include <map>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>
#include <onnx/version_converter/convert.h>
#include <set>

namespace qopt {

namespace {

bool isPassThroughType(const std::string &t) {
  static const std::set<std::string> types = {"Conv",      "MatMul",  "Gemm",    "Reshape",
                                              "Flatten",   "Transpose", "Squeeze", "Unsqueeze",
                                              "Slice",     "MaxPool", "Relu",    "Concat"};
  return types.count(t) != 0;
}

struct Exporter {
  onnx::ModelProto model;
  onnx::GraphProto *graph = nullptr;
  std::set<std::string> names;
  /// MatMulNBits nodes whose input qopt quantizes (W4A8).
  std::set<std::string> quantizedNBits;
  std::string error;

  std::string fresh(const std::string &base) {
    std::string n = base;
    for (int k = 1; names.count(n); ++k)
      n = base + "_" + std::to_string(k);
    names.insert(n);
    return n;
  }

  void collectNames() {
    for (const auto &i : graph->input())
      names.insert(i.name());
    for (const auto &i : graph->initializer())
      names.insert(i.name());
    for (const auto &n : graph->node()) {
      names.insert(n.name());
      for (const auto &o : n.output())
        names.insert(o);
    }
  }

  onnx::NodeProto *findNode(const std::string &name) {
    for (auto &n : *graph->mutable_node())
      if (n.name() == name)
        return &n;
    return nullptr;
  }

  /// A scalar initializer, or a 1-D one when `values` has several.
  std::string scaleInit(const std::string &base, const std::vector<double> &values) {
    auto *t = graph->add_initializer();
    t->set_name(fresh(base));
    t->set_data_type(onnx::TensorProto::FLOAT);
    if (values.size() > 1)
      t->add_dims(int64_t(values.size()));
    for (double v : values)
      t->add_float_data(float(v));
    return t->name();
  }

  std::string zeroPointInit(const std::string &base, const std::vector<int64_t> &values,
                            bool isSigned) {
    auto *t = graph->add_initializer();
    t->set_name(fresh(base));
    t->set_data_type(isSigned ? onnx::TensorProto::INT8 : onnx::TensorProto::UINT8);
    if (values.size() > 1)
      t->add_dims(int64_t(values.size()));
    for (int64_t v : values)
      t->add_int32_data(int32_t(v));
    return t->name();
  }

  /// int8/int32 initializer + DequantizeLinear; returns the float output.
  template <typename T>
  std::string dequantizedConstant(const std::string &base, const std::vector<int64_t> &shape,
                                  const std::vector<T> &values, const std::vector<float> &scales,
                                  int64_t axis, int32_t dataType) {
    auto *q = graph->add_initializer();
    q->set_name(fresh(base + "_quantized"));
    q->set_data_type(dataType);
    for (int64_t d : shape)
      q->add_dims(d);
    q->set_raw_data(std::string(reinterpret_cast<const char *>(values.data()),
                                values.size() * sizeof(T)));
    auto *s = graph->add_initializer();
    s->set_name(fresh(base + "_scale"));
    s->set_data_type(onnx::TensorProto::FLOAT);
    if (scales.size() > 1)
      s->add_dims(int64_t(scales.size()));
    for (float v : scales)
      s->add_float_data(v);
    auto *z = graph->add_initializer();
    z->set_name(fresh(base + "_zero_point"));
    z->set_data_type(dataType);
    if (scales.size() > 1)
      z->add_dims(int64_t(scales.size()));
    for (size_t i = 0; i < scales.size(); ++i)
      z->add_int32_data(0);
    auto *dq = graph->add_node();
    dq->set_op_type("DequantizeLinear");
    dq->set_name(fresh(base + "_DequantizeLinear"));
    dq->add_input(q->name());
    dq->add_input(s->name());
    dq->add_input(z->name());
    std::string out = fresh(base + "_dequantized");
    dq->add_output(out);
    if (scales.size() > 1) {
      auto *a = dq->add_attribute();
      a->set_name("axis");
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(axis);
    }
    return out;
  }

  bool applyOp(const QDQWeightedOp &op) {
    onnx::NodeProto *node = findNode(op.nodes.front());
    if (!node) {
      error = "node '" + op.nodes.front() + "' not found in the model";
      return false;
    }
    // Folded followers (BatchNormalization): the op now produces their output.
    for (size_t i = 1; i < op.nodes.size(); ++i) {
      onnx::NodeProto *f = findNode(op.nodes[i]);
      if (!f || f->output_size() < 1) {
        error = "folded node '" + op.nodes[i] + "' not found in the model";
        return false;
      }
      node->set_output(0, f->output(0));
      f->set_op_type("__qopt_removed");
    }
    std::string w = dequantizedConstant(op.nodes.front() + "_W", op.weightShape, op.weights,
                                        op.weightScales, op.weightAxis,
                                        onnx::TensorProto::INT8);
    if (node->input_size() < 2) {
      error = "node '" + op.nodes.front() + "' has no weight input";
      return false;
    }
    node->set_input(1, w);
    if (op.hasBias) {
      std::string b = dequantizedConstant(op.nodes.front() + "_B",
                                          {int64_t(op.bias.size())}, op.bias, op.biasScales,
                                          0, onnx::TensorProto::INT32);
      if (node->input_size() < 3)
        node->add_input(b);
      else
        node->set_input(2, b);
    }
    return true;
  }

  /// The MatMul/Gemm `op.node` as com.microsoft MatMulNBits.
  bool applyNBits(const QDQNBitsOp &op) {
    onnx::NodeProto *node = findNode(op.node);
    if (!node || (node->op_type() != "MatMul" && node->op_type() != "Gemm")) {
      error = "node '" + op.node + "' is not a MatMul or Gemm of the model";
      return false;
    }
    auto bytes = [&](const std::string &base, const std::vector<int64_t> &dims,
                     const std::vector<uint8_t> &data) {
      auto *t = graph->add_initializer();
      t->set_name(fresh(base));
      t->set_data_type(onnx::TensorProto::UINT8);
      for (int64_t d : dims)
        t->add_dims(d);
      t->set_raw_data(std::string(reinterpret_cast<const char *>(data.data()), data.size()));
      return t->name();
    };
    int64_t blocks = (op.k + op.blockSize - 1) / op.blockSize;
    std::string b = bytes(op.node + "_B_nbits", {op.n, blocks, op.blockSize * op.bits / 8},
                          op.weights);
    auto *sc = graph->add_initializer();
    sc->set_name(fresh(op.node + "_scales"));
    sc->set_data_type(onnx::TensorProto::FLOAT);
    sc->add_dims(int64_t(op.scales.size()));
    sc->set_raw_data(std::string(reinterpret_cast<const char *>(op.scales.data()),
                                 op.scales.size() * sizeof(float)));
    std::string a = node->input(0);
    std::string bias = node->op_type() == "Gemm" && node->input_size() > 2 ? node->input(2) : "";
    node->clear_input();
    node->clear_attribute();
    node->add_input(a);
    node->add_input(b);
    node->add_input(sc->name());
    node->add_input(op.zeroPoints.empty()
                        ? ""
                        : bytes(op.node + "_zero_points", {int64_t(op.zeroPoints.size())},
                                op.zeroPoints));
    if (!bias.empty()) {
      node->add_input(""); // g_idx
      node->add_input(bias);
    }
    while (node->input_size() > 3 && node->input(node->input_size() - 1).empty())
      node->mutable_input()->RemoveLast();
    node->set_op_type("MatMulNBits");
    node->set_domain("com.microsoft");
    if (op.quantizedInput)
      quantizedNBits.insert(node->name());
    for (auto [name, value] : {std::pair<const char *, int64_t>{"K", op.k},
                               {"N", op.n},
                               {"bits", op.bits},
                               {"block_size", op.blockSize}}) {
      auto *attr = node->add_attribute();
      attr->set_name(name);
      attr->set_type(onnx::AttributeProto::INT);
      attr->set_i(value);
    }
    bool imported = false;
    for (const auto &o : model.opset_import())
      imported |= o.domain() == "com.microsoft";
    if (!imported) {
      auto *o = model.add_opset_import();
      o->set_domain("com.microsoft");
      o->set_version(1);
    }
    return true;
  }

  bool applyActivation(const QDQActivation &a) {
    std::string tensor;
    onnx::NodeProto *producer = nullptr;
    if (a.id.rfind("input:", 0) == 0) {
      tensor = a.id.substr(6);
    } else {
      std::string name = a.id;
      int index = 0;
      size_t hash = name.rfind('#');
      if (hash != std::string::npos) {
        index = std::atoi(name.c_str() + hash + 1);
        name = name.substr(0, hash);
      }
      producer = findNode(name);
      if (!producer || producer->output_size() <= index) {
        error = "cannot find the tensor of observed '" + a.id + "' in the model";
        return false;
      }
      tensor = producer->output(index);
      // A node folded into its producer (BatchNormalization) is gone: the
      // tensor now comes from the node that took over its output.
      producer = nullptr;
      for (auto &n : *graph->mutable_node())
        if (n.op_type() != "__qopt_removed")
          for (const auto &o : n.output())
            if (o == tensor)
              producer = &n;
      if (!producer) {
        error = "cannot find the producer of tensor '" + tensor + "'";
        return false;
      }
    }
    // Per-channel parameters are 1-D along axis 1, QuantizeLinear's default.
    bool perChannel = !a.channelScales.empty();
    std::string s = scaleInit(tensor + "_scale",
                              perChannel ? a.channelScales : std::vector<double>{a.scale});
    std::string z = zeroPointInit(
        tensor + "_zero_point",
        perChannel ? a.channelZeroPoints : std::vector<int64_t>{a.zeroPoint}, a.isSigned);
    std::string q = fresh(tensor + "_quantized");
    std::string dq;
    if (a.allConsumers && producer) {
      // Every consumer (and a graph output of that name) reads the
      // dequantized value: the producer's output is renamed instead.
      std::string raw = fresh(tensor + "_float");
      for (int k = 0; k < producer->output_size(); ++k)
        if (producer->output(k) == tensor)
          producer->set_output(k, raw);
      dq = tensor;
      tensor = raw;
    } else {
      dq = fresh(tensor + "_dequantized");
      for (auto &n : *graph->mutable_node())
        for (int i = 0; i < n.input_size(); ++i)
          if (n.input(i) == tensor && (a.allConsumers || isPassThroughType(n.op_type()) ||
                                       quantizedNBits.count(n.name())))
            n.set_input(i, dq);
    }
    auto *qn = graph->add_node();
    qn->set_op_type("QuantizeLinear");
    qn->set_name(fresh(tensor + "_QuantizeLinear"));
    qn->add_input(tensor);
    qn->add_input(s);
    qn->add_input(z);
    qn->add_output(q);
    auto *dn = graph->add_node();
    dn->set_op_type("DequantizeLinear");
    dn->set_name(fresh(tensor + "_DequantizeLinear"));
    dn->add_input(q);
    dn->add_input(s);
    dn->add_input(z);
    dn->add_output(dq);
    return true;
  }

  /// Drops removed nodes and orders the rest topologically.
  bool sortNodes() {
    std::set<std::string> available;
    for (const auto &i : graph->input())
      available.insert(i.name());
    for (const auto &i : graph->initializer())
      available.insert(i.name());
    available.insert("");
    std::vector<onnx::NodeProto> pending;
    for (const auto &n : graph->node())
      if (n.op_type() != "__qopt_removed")
        pending.push_back(n);
    std::vector<onnx::NodeProto> sorted;
    while (!pending.empty()) {
      size_t before = pending.size();
      std::vector<onnx::NodeProto> rest;
      for (auto &n : pending) {
        bool ready = true;
        for (const auto &in : n.input())
          ready &= available.count(in) != 0;
        if (ready) {
          for (const auto &o : n.output())
            available.insert(o);
          sorted.push_back(std::move(n));
        } else {
          rest.push_back(std::move(n));
        }
      }
      pending.swap(rest);
      if (pending.size() == before) {
        error = "the QDQ graph has a cycle or a missing input at node '" +
                pending.front().name() + "'";
        return false;
      }
    }
    graph->clear_node();
    std::set<std::string> used;
    for (auto &n : sorted) {
      for (const auto &in : n.input())
        used.insert(in);
      *graph->add_node() = std::move(n);
    }
    for (const auto &o : graph->output())
      used.insert(o.name());
    // Drop the float weights the quantized ones replaced.
    auto *inits = graph->mutable_initializer();
    for (int i = inits->size() - 1; i >= 0; --i)
      if (!used.count(inits->Get(i).name()))
        inits->DeleteSubrange(i, 1);
    return true;
  }
};

} // namespace

bool exportQDQModel(const std::string &inputPath, const std::string &outputPath,
                    const QDQPlan &plan, std::string &error) {
  Exporter e;
  auto buf = llvm::MemoryBuffer::getFile(inputPath, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf) {
    error = "cannot read " + inputPath + ": " + buf.getError().message();
    return false;
  }
  llvm::StringRef data = (*buf)->getBuffer();
  try {
    if (llvm::StringRef(inputPath).ends_with(".onnxtxt") || data.ltrim().starts_with("<")) {
      std::string text = data.str();
      auto status = onnx::OnnxParser::Parse(e.model, text.c_str());
      if (!status.IsOK()) {
        error = "cannot parse " + inputPath + ": " + status.ErrorMessage();
        return false;
      }
    } else if (!e.model.ParseFromArray(data.data(), int(data.size()))) {
      error = "cannot parse " + inputPath;
      return false;
    }
    // The plan names nodes as the importer does (unnamed ones included).
    nameOnnxNodes(*e.model.mutable_graph());
    for (const auto &t : e.model.graph().initializer())
      if (t.data_location() == onnx::TensorProto::EXTERNAL) {
        error = "models with external data are not supported by --emit-qdq-onnx yet";
        return false;
      }
    int64_t opset = 0;
    for (const auto &o : e.model.opset_import())
      if (o.domain().empty() || o.domain() == "ai.onnx")
        opset = o.version();
    if (opset < 13) {
      // The converter needs ranks (Softmax 12 -> 13): qopt's own shapes for
      // the tensors ONNX's inference leaves unknown.
      onnx::shape_inference::InferShapes(e.model);
      std::set<std::string> known;
      for (const auto &vi : e.model.graph().value_info())
        if (vi.type().tensor_type().has_shape())
          known.insert(vi.name());
      std::map<std::string, const onnx::NodeProto *> byName;
      for (const auto &n : e.model.graph().node())
        byName[n.name()] = &n;
      for (const QDQShapeHint &h : plan.shapes) {
        auto it = byName.find(h.node);
        if (it == byName.end() ||
            (h.isInput ? it->second->input_size() : it->second->output_size()) <= h.index)
          continue;
        const std::string &t =
            h.isInput ? it->second->input(h.index) : it->second->output(h.index);
        if (t.empty() || !known.insert(t).second)
          continue;
        onnx::ValueInfoProto *vi = nullptr;
        for (auto &existing : *e.model.mutable_graph()->mutable_value_info())
          if (existing.name() == t)
            vi = &existing;
        if (!vi)
          vi = e.model.mutable_graph()->add_value_info();
        vi->set_name(t);
        vi->mutable_type()->mutable_tensor_type()->clear_shape();
        auto *tt = vi->mutable_type()->mutable_tensor_type();
        tt->set_elem_type(h.elementType);
        auto *shape = tt->mutable_shape();
        for (int64_t d : h.shape) {
          auto *dim = shape->add_dim();
          if (d >= 0)
            dim->set_dim_value(d);
        }
      }
      e.model = onnx::version_conversion::ConvertVersion(e.model, 13);
    }
  } catch (const std::exception &ex) {
    error = std::string("ONNX library error: ") + ex.what();
    return false;
  }
  e.graph = e.model.mutable_graph();
  e.collectNames();
  for (const QDQWeightedOp &op : plan.ops)
    if (!e.applyOp(op)) {
      error = e.error;
      return false;
    }
  for (const QDQNBitsOp &op : plan.nbits)
    if (!e.applyNBits(op)) {
      error = e.error;
      return false;
    }
  for (const QDQActivation &a : plan.activations)
    if (!e.applyActivation(a)) {
      error = e.error;
      return false;
    }
  if (!e.sortNodes()) {
    error = e.error;
    return false;
  }
  llvm::SmallString<256> tmp;
  if (auto ec = llvm::sys::fs::createUniqueFile(outputPath + ".tmp-%%%%%%", tmp)) {
    error = "cannot write next to " + outputPath + ": " + ec.message();
    return false;
  }
  {
    std::ofstream os(std::string(tmp), std::ios::binary);
    if (!e.model.SerializeToOstream(&os) || !os.good()) {
      llvm::sys::fs::remove(tmp);
      error = "cannot write " + std::string(tmp);
      return false;
    }
  }
  if (auto ec = llvm::sys::fs::rename(tmp, outputPath)) {
    llvm::sys::fs::remove(tmp);
    error = "cannot write " + outputPath + ": " + ec.message();
    return false;
  }
  return true;
}

} // namespace qopt
