//===- FormatGroupsTest.cpp - layers that take one format together --------===//
//
// Mixed precision chooses one format per group of layers tied by a shared
// activation (q/k/v) or a Concat's shared scale (quantutil::formatGroups),
// on a calibrated module (observers where qopt-insert-observers puts them).
//
//===----------------------------------------------------------------------===//
#include "qopt/Transforms/Quant/QuantizableLayers.h"

#include "qopt/Compiler/Compiler.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include <gtest/gtest.h>

using namespace mlir;

namespace {

// q, k and v read one observed activation. a (through its Relu) and b
// feed Concat cat1, both inputs observed: one scale, a tie. cat1 and c
// feed cat2, whose input cat1 is unobserved (no scale shared there: c is
// not tied). d reads cat2 (a chain, not a tie). h and i feed cat3 beside a
// float op's unobserved output: no shared scale, no tie. e reads an input
// of its own, observed (q/k/v's input read without its observer would tie
// as well: observers are looked through).
const char *kModel = R"mlir(
func.func @main(%x: tensor<4x8xf32>, %y: tensor<1x2x4x4xf32>, %y2: tensor<1x2x4x4xf32>,
                %z: tensor<1x2x4x4xf32>, %u: tensor<1x2x4x4xf32>, %u2: tensor<1x2x4x4xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<1x2x4x4xf32>,
        tensor<1x2x4x4xf32>, tensor<1x6x4x4xf32>) {
  %o = qopt.observer %x {id = "input:x"} : tensor<4x8xf32>
  %wq = qopt.constant dense<0.5> : tensor<8x8xf32>
  %q = qopt.matmul %o, %wq : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> loc(fused<"onnx.MatMul">["q"])
  %k = qopt.matmul %o, %wq : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> loc(fused<"onnx.MatMul">["k"])
  %v = qopt.matmul %x, %wq : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> loc(fused<"onnx.MatMul">["v"])
  %w = qopt.constant dense<0.5> : tensor<2x2x1x1xf32>
  %n = qopt.none
  %oy = qopt.observer %y {id = "input:y"} : tensor<1x2x4x4xf32>
  %a = qopt.conv %oy, %w, %n : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32> loc(fused<"onnx.Conv">["a"])
  %ar = qopt.relu %a : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %oa = qopt.observer %ar {id = "ar"} : tensor<1x2x4x4xf32>
  %oy2 = qopt.observer %y2 {id = "input:y2"} : tensor<1x2x4x4xf32>
  %b = qopt.conv %oy2, %w, %n : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32> loc(fused<"onnx.Conv">["b"])
  %ob = qopt.observer %b {id = "b"} : tensor<1x2x4x4xf32>
  %cat1 = qopt.concat %oa, %ob {axis = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x4x4x4xf32>
  %c = qopt.conv %oa, %w, %n : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32> loc(fused<"onnx.Conv">["c"])
  %oc = qopt.observer %c {id = "c"} : tensor<1x2x4x4xf32>
  %cat2 = qopt.concat %oc, %cat1 {axis = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x6x4x4xf32>
  %ocat = qopt.observer %cat2 {id = "cat2"} : tensor<1x6x4x4xf32>
  %wd = qopt.constant dense<0.5> : tensor<2x6x1x1xf32>
  %d = qopt.conv %ocat, %wd, %n : (tensor<1x6x4x4xf32>, tensor<2x6x1x1xf32>, none) -> tensor<1x2x4x4xf32> loc(fused<"onnx.Conv">["d"])
  %oz = qopt.observer %z {id = "input:z"} : tensor<1x2x4x4xf32>
  %e = qopt.conv %oz, %w, %n : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32> loc(fused<"onnx.Conv">["e"])
  %ou = qopt.observer %u {id = "input:u"} : tensor<1x2x4x4xf32>
  %h = qopt.conv %ou, %w, %n : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32> loc(fused<"onnx.Conv">["h"])
  %oh = qopt.observer %h {id = "h"} : tensor<1x2x4x4xf32>
  %ou2 = qopt.observer %u2 {id = "input:u2"} : tensor<1x2x4x4xf32>
  %i = qopt.conv %ou2, %w, %n : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32> loc(fused<"onnx.Conv">["i"])
  %oi = qopt.observer %i {id = "i"} : tensor<1x2x4x4xf32>
  %s = qopt.sigmoid %u : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %cat3 = qopt.concat %oh, %oi, %s {axis = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x6x4x4xf32>
  return %q, %k, %v, %d, %e, %cat3 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x6x4x4xf32>
}
)mlir";

struct FormatGroupsTest : ::testing::Test {
  DialectRegistry registry;
  std::unique_ptr<MLIRContext> ctx;
  OwningOpRef<ModuleOp> module;
  void SetUp() override {
    qopt::registerCompilerDialects(registry);
    ctx = std::make_unique<MLIRContext>(registry);
    ctx->loadAllAvailableDialects();
    module = parseSourceString<ModuleOp>(kModel, ctx.get());
    ASSERT_TRUE(module);
  }
  /// The groups as ids: "q k v|a b|c|...".
  std::string groups(qopt::quantutil::GroupRules rules, std::vector<std::string> keep = {}) {
    std::vector<qopt::quantutil::QuantizableLayer> layers =
        qopt::quantutil::quantizableLayers(*module, keep);
    std::string out;
    for (const std::vector<size_t> &g : qopt::quantutil::formatGroups(layers, keep, rules)) {
      if (!out.empty())
        out += "|";
      for (auto [i, k] : llvm::enumerate(g))
        out += (i ? " " : "") + layers[k].id;
    }
    return out;
  }
};

} // namespace

TEST_F(FormatGroupsTest, SharedInputAndConcat) {
  EXPECT_EQ(groups({}), "q k v|a b|c|d|e|h|i");
}

TEST_F(FormatGroupsTest, EachRuleAlone) {
  EXPECT_EQ(groups({/*sharedInput=*/true, /*concat=*/false}), "q k v|a|b|c|d|e|h|i");
  EXPECT_EQ(groups({/*sharedInput=*/false, /*concat=*/true}), "q|k|v|a b|c|d|e|h|i");
  EXPECT_EQ(groups({false, false}), "q|k|v|a|b|c|d|e|h|i");
}

TEST_F(FormatGroupsTest, KeptFloatLayersAreNotMembers) {
  // k kept float leaves q and v; b kept float leaves a alone.
  EXPECT_EQ(groups({}, {"b", "k"}), "q v|a|c|d|e|h|i");
}

TEST_F(FormatGroupsTest, UnobservedLayerOutputsTieInAConcat) {
  // Without observers (a module before calibration), layer outputs meeting
  // in a Concat tie; a float op's output beside them still ties nothing.
  std::string text = kModel;
  text.replace(text.find("%cat1 = qopt.concat %oa, %ob"), 29, "%cat1 = qopt.concat %ar, %b ");
  module = parseSourceString<ModuleOp>(text, ctx.get());
  ASSERT_TRUE(module);
  EXPECT_EQ(groups({false, true}), "q|k|v|a b|c|d|e|h|i");
}
