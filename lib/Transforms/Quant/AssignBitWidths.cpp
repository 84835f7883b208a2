//===- AssignBitWidths.cpp - per-layer formats under a budget -------------===//
//
// Mixed precision: a table of candidate formats per layer (sensitivity and
// costs, JSON) and a budget in, the exact multiple-choice knapsack solution
// (qopt/Quant/BitWidths.h) out as a `qopt.format` attribute per layer.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Quant/BitWidths.h"
#include "qopt/Transforms/Quant/Passes.h"
#include "qopt/Transforms/Quant/QuantUtils.h"
#include "qopt/Transforms/Quant/QuantizableLayers.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>
#include <numeric>
#include <map>
#include <set>

namespace qopt {
#define GEN_PASS_DEF_ASSIGNBITWIDTHS
#include "qopt/Transforms/Quant/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

using qopt::quant::Budget;

struct Candidate {
  std::string format;
  double sensitivity = 0, bytes = -1, latency = -1;
};
struct TableLayer {
  std::string id;
  /// The layers taking the row's format: its "members", or the layer alone.
  std::vector<std::string> members;
  int64_t params = 0;
  std::vector<Candidate> formats;
};

struct AssignBitWidthsPass : qopt::impl::AssignBitWidthsBase<AssignBitWidthsPass> {
  using Base::Base;

  /// The table's latency outside the layers' choices and the reference of
  /// relative latency budgets (negative: absent).
  double baseLatency = 0, referenceLatency = -1;

  /// The table's layers, or an error (emitted on `module`).
  FailureOr<std::vector<TableLayer>> readTable(ModuleOp module) {
    auto fail = [&](const Twine &why) {
      module.emitError("qopt-assign-bit-widths: ") << table << ": " << why;
      return failure();
    };
    auto buffer = llvm::MemoryBuffer::getFile(table);
    if (!buffer)
      return fail("cannot read it: " + buffer.getError().message());
    llvm::Expected<llvm::json::Value> json = llvm::json::parse((*buffer)->getBuffer());
    if (!json)
      return fail("not JSON: " + llvm::toString(json.takeError()));
    const llvm::json::Object *root = json->getAsObject();
    const llvm::json::Array *layers = root ? root->getArray("layers") : nullptr;
    if (!layers)
      return fail("expected an object with a \"layers\" array");
    baseLatency = root->getNumber("base_latency_ms").value_or(0);
    referenceLatency = root->getNumber("reference_latency_ms").value_or(-1);
    if (!std::isfinite(baseLatency) || baseLatency < 0 || !std::isfinite(referenceLatency))
      return fail("base_latency_ms and reference_latency_ms must be finite and non-negative");
    std::vector<TableLayer> out;
    for (const llvm::json::Value &v : *layers) {
      const llvm::json::Object *l = v.getAsObject();
      std::optional<StringRef> id = l ? l->getString("layer") : std::nullopt;
      const llvm::json::Array *formats = l ? l->getArray("formats") : nullptr;
      if (!id || !formats || formats->empty())
        return fail("each layer needs \"layer\" (its id) and a non-empty \"formats\" array");
      TableLayer t;
      t.id = id->str();
      t.params = l->getInteger("params").value_or(0);
      if (const llvm::json::Value *m = l->get("members")) {
        const llvm::json::Array *members = m->getAsArray();
        if (!members || members->empty())
          return fail("layer '" + t.id + "': \"members\" must be a non-empty array of ids");
        for (const llvm::json::Value &mv : *members) {
          std::optional<StringRef> member = mv.getAsString();
          if (!member)
            return fail("layer '" + t.id + "': \"members\" must be a non-empty array of ids");
          t.members.push_back(member->str());
        }
        if (!llvm::is_contained(t.members, t.id))
          return fail("layer '" + t.id + "': its \"members\" must include it");
      } else {
        t.members.push_back(t.id);
      }
      for (const llvm::json::Value &fv : *formats) {
        const llvm::json::Object *f = fv.getAsObject();
        std::optional<StringRef> name = f ? f->getString("format") : std::nullopt;
        std::optional<double> s = f ? f->getNumber("sensitivity") : std::nullopt;
        if (s && !std::isfinite(*s))
          return fail("layer '" + t.id + "': a sensitivity is not finite");
        if (!name || !s)
          return fail("layer '" + t.id + "': each format needs \"format\" and \"sensitivity\"");
        if (!quantutil::parseLayerFormat(*name))
          return fail("layer '" + t.id + "': unknown format '" + *name +
                      "' (float, int8 or w<4|8>g<group>)");
        Candidate c;
        c.format = name->str();
        c.sensitivity = *s;
        c.bytes = f->getNumber("bytes").value_or(-1);
        c.latency = f->getNumber("latency_ms").value_or(-1);
        t.formats.push_back(c);
      }
      out.push_back(std::move(t));
    }
    return out;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<Budget> b = qopt::quant::parseBudget(budget);
    if (!b) {
      module.emitError("qopt-assign-bit-widths: budget must be bits=B, size=N[KB|MB], "
                       "latency=MS or latency=Fx with a positive value, got '")
          << budget << "'";
      return signalPassFailure();
    }
    FailureOr<std::vector<TableLayer>> layers = readTable(module);
    if (failed(layers))
      return signalPassFailure();
    // The table's layers in the module.
    std::map<std::string, Operation *> byId;
    for (const quantutil::QuantizableLayer &l : quantutil::quantizableLayers(module, {}))
      byId[l.id] = l.op;
    std::vector<std::vector<Operation *>> ops;
    std::set<std::string> seenIds;
    for (const TableLayer &t : *layers) {
      ops.emplace_back();
      for (const std::string &id : t.members) {
        if (!seenIds.insert(id).second) {
          module.emitError("qopt-assign-bit-widths: ")
              << table << ": layer '" << id << "' appears twice";
          return signalPassFailure();
        }
        auto it = byId.find(id);
        if (it == byId.end()) {
          module.emitError("qopt-assign-bit-widths: ")
              << table << ": layer '" << id << "' is not a quantizable layer of this model";
          return signalPassFailure();
        }
        ops.back().push_back(it->second);
        // A group format must divide the layer's K (else qopt-quantize-weights
        // would keep the layer float while the budget counted its bits).
        auto wType = dyn_cast<RankedTensorType>(it->second->getOperand(1).getType());
        int64_t k = -1;
        if (wType && wType.getRank() == 2) {
          auto gemm = dyn_cast<GemmOp>(it->second);
          k = wType.getDimSize(gemm && gemm.getTransB() ? 1 : 0);
        }
        for (const Candidate &c : t.formats) {
          std::optional<quantutil::LayerFormat> f = quantutil::parseLayerFormat(c.format);
          if (f->kind == quantutil::LayerFormat::Groups && (k <= 0 || k % f->groupSize != 0)) {
            module.emitError("qopt-assign-bit-widths: ")
                << table << ": layer '" << id << "' cannot take " << c.format
                << ": its K is not a multiple of the group size";
            return signalPassFailure();
          }
        }
      }
    }
    // Integer costs in the budget's unit.
    std::vector<std::vector<qopt::quant::FormatChoice>> choices;
    int64_t limit = 0;
    if (b->kind == Budget::Latency) {
      std::vector<std::vector<double>> costs;
      for (const TableLayer &t : *layers) {
        std::vector<double> row;
        for (const Candidate &c : t.formats) {
          if (c.latency < 0) {
            module.emitError("qopt-assign-bit-widths: ")
                << table << ": a latency budget needs \"latency_ms\" for every format (layer '"
                << t.id << "', " << c.format << ")";
            return signalPassFailure();
          }
          row.push_back(c.latency);
        }
        costs.push_back(row);
      }
      double total = b->value;
      if (b->relative) {
        if (referenceLatency <= 0) {
          module.emitError("qopt-assign-bit-widths: ")
              << table << ": a relative latency budget (" << budget
              << ") needs \"reference_latency_ms\" in the table";
          return signalPassFailure();
        }
        total = b->value * referenceLatency;
      }
      // What the layers' choices may spend beyond the fixed latency.
      double available = total - baseLatency;
      if (available < 0) {
        module.emitError("qopt-assign-bit-widths: no assignment within budget '")
            << budget << "': the latency outside the layers alone ("
            << llvm::formatv("{0:f3}", baseLatency) << " ms) exceeds it ("
            << llvm::formatv("{0:f3}", total) << " ms)";
        return signalPassFailure();
      }
      const int64_t steps = 10000;
      std::vector<std::vector<int64_t>> grid = qopt::quant::discretizeCosts(costs, available, steps);
      for (size_t l = 0; l < layers->size(); ++l) {
        choices.emplace_back();
        for (size_t i = 0; i < grid[l].size(); ++i)
          choices.back().push_back({grid[l][i], (*layers)[l].formats[i].sensitivity});
      }
      limit = steps;
    } else {
      int64_t params = 0;
      for (const TableLayer &t : *layers) {
        if (b->kind == Budget::Bits && t.params <= 0) {
          module.emitError("qopt-assign-bit-widths: ")
              << table << ": a bits budget needs \"params\" (the layer's weights) for layer '"
              << t.id << "'";
          return signalPassFailure();
        }
        params += t.params;
        choices.emplace_back();
        for (const Candidate &c : t.formats) {
          int64_t cost = 0;
          if (b->kind == Budget::Bits) {
            cost = quantutil::parseLayerFormat(c.format)->weightBits() * t.params;
          } else if (c.bytes < 0) {
            module.emitError("qopt-assign-bit-widths: ")
                << table << ": a size budget needs \"bytes\" for every format (layer '" << t.id
                << "', " << c.format << ")";
            return signalPassFailure();
          } else {
            cost = int64_t(std::ceil(c.bytes));
          }
          choices.back().push_back({cost, c.sensitivity});
        }
      }
      limit = b->kind == Budget::Bits ? int64_t(std::floor(b->value * double(params)))
                                      : int64_t(std::floor(b->value));
    }
    // Costs in units of their greatest common divisor (exact: bits x
    // params share large factors), then, if the budget still spans more
    // than 100000 units, on a grid of 100000 steps rounded up (the choice
    // stays within the real budget).
    int64_t unit = 0;
    for (auto &row : choices)
      for (auto &c : row)
        unit = std::gcd(unit, c.cost);
    if (unit > 1 && b->kind != Budget::Latency) {
      for (auto &row : choices)
        for (auto &c : row)
          c.cost /= unit;
      limit /= unit;
    }
    std::string why;
    std::optional<qopt::quant::Assignment> a = qopt::quant::solveBitWidths(choices, limit, &why);
    // Too many cost units to solve exactly: on a grid of 100000 steps.
    if (!a && why.find("discretize") != std::string::npos) {
      std::vector<std::vector<double>> costs;
      for (auto &row : choices) {
        costs.emplace_back();
        for (auto &c : row)
          costs.back().push_back(double(c.cost));
      }
      std::vector<std::vector<int64_t>> grid =
          qopt::quant::discretizeCosts(costs, double(limit), 100000);
      auto gridChoices = choices;
      for (size_t l = 0; l < grid.size(); ++l)
        for (size_t i = 0; i < grid[l].size(); ++i)
          gridChoices[l][i].cost = grid[l][i];
      a = qopt::quant::solveBitWidths(gridChoices, 100000, &why);
    }
    if (!a) {
      // (The solver's numbers are in its internal cost units.)
      module.emitError("qopt-assign-bit-widths: no assignment within budget '")
          << budget << "': " << StringRef(why).split(" (").first;
      return signalPassFailure();
    }
    MLIRContext *ctx = module.getContext();
    for (size_t l = 0; l < layers->size(); ++l) {
      const Candidate &c = (*layers)[l].formats[a->pick[l]];
      for (auto [id, op] : llvm::zip_equal((*layers)[l].members, ops[l])) {
        op->setAttr(quantutil::kFormatAttr, StringAttr::get(ctx, c.format));
        InFlightDiagnostic remark = emitRemark(op->getLoc(), "qopt-assign-bit-widths: '");
        remark << id << "' -> " << c.format;
        if ((*layers)[l].members.size() > 1)
          remark << " (group '" << (*layers)[l].id << "', sensitivity " << c.sensitivity << ")";
        else
          remark << " (sensitivity " << c.sensitivity << ")";
      }
    }
  }
};

} // namespace
