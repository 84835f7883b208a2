//===- FormatGroupsTest.cpp - layers that take one format together --------===//
//
// Mixed precision chooses one format per group of layers tied by a shared
// activation (q/k/v) or a Concat's shared scale (quantutil::formatGroups).
//
//===----------------------------------------------------------------------===//
#include "qopt/Transforms/Quant/QuantizableLayers.h"

#include "qopt/Compiler/Compiler.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include <gtest/gtest.h>

using namespace mlir;

namespace {

// q, k and v read one observed activation; a, b feed a Concat (a through a
// Relu and a Reshape, b through a nested Concat with c); d reads the
// Concat's output (a chain, not a tie); e reads a model input of its own
// (one that a reads too, observed or not, would tie them).
const char *kModel = R"mlir(
func.func @main(%x: tensor<4x8xf32>, %y: tensor<1x2x4x4xf32>, %z: tensor<1x2x4x4xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<1x2x4x4xf32>,
        tensor<1x2x4x4xf32>) {
  %o = qopt.observer %x {id = "input:x"} : tensor<4x8xf32>
  %wq = qopt.constant dense<0.5> : tensor<8x8xf32>
  %q = qopt.matmul %o, %wq : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> loc(fused<"onnx.MatMul">["q"])
  %k = qopt.matmul %o, %wq : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> loc(fused<"onnx.MatMul">["k"])
  %v = qopt.matmul %o, %wq : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> loc(fused<"onnx.MatMul">["v"])
  %w = qopt.constant dense<0.5> : tensor<2x2x1x1xf32>
  %n = qopt.none
  %oy = qopt.observer %y {id = "input:y"} : tensor<1x2x4x4xf32>
  %a = qopt.conv %oy, %w, %n : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32> loc(fused<"onnx.Conv">["a"])
  %ar = qopt.relu %a : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %s = qopt.constant dense<[1, 2, 4, 4]> : tensor<4xi64>
  %as = qopt.reshape %ar, %s : (tensor<1x2x4x4xf32>, tensor<4xi64>) -> tensor<1x2x4x4xf32>
  %oa = qopt.observer %as {id = "as"} : tensor<1x2x4x4xf32>
  %ob = qopt.observer %q {id = "qo"} : tensor<4x8xf32>
  %b = qopt.conv %oa, %w, %n : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32> loc(fused<"onnx.Conv">["b"])
  %c = qopt.conv %oa, %w, %n : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32> loc(fused<"onnx.Conv">["c"])
  %bc = qopt.concat %b, %c {axis = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x4x4x4xf32>
  %cat = qopt.concat %as, %bc {axis = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x6x4x4xf32>
  %ocat = qopt.observer %cat {id = "cat"} : tensor<1x6x4x4xf32>
  %wd = qopt.constant dense<0.5> : tensor<2x6x1x1xf32>
  %d = qopt.conv %ocat, %wd, %n : (tensor<1x6x4x4xf32>, tensor<2x6x1x1xf32>, none) -> tensor<1x2x4x4xf32> loc(fused<"onnx.Conv">["d"])
  %e = qopt.conv %z, %w, %n : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32> loc(fused<"onnx.Conv">["e"])
  return %q, %k, %v, %d, %e : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
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
  /// The groups as ids: "q k v|a b c|d|e".
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
  // b and c also share an input; a reaches the Concat through its Relu,
  // a Reshape and an observer, b and c through the nested Concat.
  EXPECT_EQ(groups({}), "q k v|a b c|d|e");
}

TEST_F(FormatGroupsTest, EachRuleAlone) {
  EXPECT_EQ(groups({/*sharedInput=*/true, /*concat=*/false}), "q k v|a|b c|d|e");
  EXPECT_EQ(groups({/*sharedInput=*/false, /*concat=*/true}), "q|k|v|a b c|d|e");
  EXPECT_EQ(groups({false, false}), "q|k|v|a|b|c|d|e");
}

TEST_F(FormatGroupsTest, KeptFloatLayersAreNotMembers) {
  // b kept float is no candidate; a and c still meet in the Concat.
  EXPECT_EQ(groups({}, {"b", "k"}), "q v|a c|d|e");
}
