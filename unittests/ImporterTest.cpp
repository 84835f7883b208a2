//===- ImporterTest.cpp - importer helpers --------------------------------===//
#include "qopt/Import/ONNXImporter.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include <gtest/gtest.h>

using namespace mlir;

TEST(ONNXDataType, MapsEveryNumericType) {
  MLIRContext ctx;
  EXPECT_TRUE(qopt::onnxDataTypeToMlir(1, ctx).isF32());
  EXPECT_TRUE(qopt::onnxDataTypeToMlir(2, ctx).isUnsignedInteger(8));
  EXPECT_TRUE(qopt::onnxDataTypeToMlir(3, ctx).isSignlessInteger(8));
  EXPECT_TRUE(qopt::onnxDataTypeToMlir(4, ctx).isUnsignedInteger(16));
  EXPECT_TRUE(qopt::onnxDataTypeToMlir(5, ctx).isSignlessInteger(16));
  EXPECT_TRUE(qopt::onnxDataTypeToMlir(6, ctx).isSignlessInteger(32));
  EXPECT_TRUE(qopt::onnxDataTypeToMlir(7, ctx).isSignlessInteger(64));
  EXPECT_TRUE(qopt::onnxDataTypeToMlir(9, ctx).isInteger(1));
  EXPECT_TRUE(qopt::onnxDataTypeToMlir(10, ctx).isF16());
  EXPECT_TRUE(qopt::onnxDataTypeToMlir(11, ctx).isF64());
  EXPECT_TRUE(qopt::onnxDataTypeToMlir(12, ctx).isUnsignedInteger(32));
  EXPECT_TRUE(qopt::onnxDataTypeToMlir(13, ctx).isUnsignedInteger(64));
  EXPECT_TRUE(qopt::onnxDataTypeToMlir(16, ctx).isBF16());
  EXPECT_TRUE(isa<Float8E4M3FNType>(qopt::onnxDataTypeToMlir(17, ctx)));
  EXPECT_TRUE(isa<Float8E5M2Type>(qopt::onnxDataTypeToMlir(19, ctx)));
}

TEST(ONNXDataType, RejectsUnsupported) {
  MLIRContext ctx;
  for (int dt : {0, 8, 14, 15, 21, 22, 99, -1})
    EXPECT_FALSE(qopt::onnxDataTypeToMlir(dt, ctx)) << dt;
  EXPECT_EQ(qopt::onnxDataTypeName(8), "STRING");
  EXPECT_EQ(qopt::onnxDataTypeName(99), "data type 99");
}

TEST(InputShape, Parses) {
  std::string err;
  auto s = qopt::parseInputShape("x=1,3,48,320", err);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->first, "x");
  EXPECT_EQ(s->second, (std::vector<int64_t>{1, 3, 48, 320}));
  auto d = qopt::parseInputShape("input.1=?,3,-1", err);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->first, "input.1");
  EXPECT_EQ(d->second, (std::vector<int64_t>{ShapedType::kDynamic, 3, ShapedType::kDynamic}));
  auto scalar = qopt::parseInputShape("s=", err);
  ASSERT_TRUE(scalar);
  EXPECT_TRUE(scalar->second.empty());
}

TEST(InputShape, RejectsMalformed) {
  std::string err;
  EXPECT_FALSE(qopt::parseInputShape("x", err));
  EXPECT_NE(err.find("name=d0,d1"), std::string::npos);
  EXPECT_FALSE(qopt::parseInputShape("=1,2", err));
  EXPECT_FALSE(qopt::parseInputShape("x=1,a", err));
  EXPECT_NE(err.find("invalid dimension 'a'"), std::string::npos);
  EXPECT_FALSE(qopt::parseInputShape("x=-2", err));
  EXPECT_FALSE(qopt::parseInputShape("x=1,,2", err));
}

TEST(ImportBuffer, DiagnosesGarbage) {
  MLIRContext ctx;
  std::string message;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    message = d.str();
    return success();
  });
  qopt::ImportOptions options;
  auto m = qopt::importOnnxBuffer("\xff\xff\xff not a model", /*isText=*/false, ".",
                                  "garbage.onnx", ctx, options);
  EXPECT_FALSE(m);
  EXPECT_NE(message.find("cannot parse the ONNX protobuf"), std::string::npos) << message;
}

TEST(ImportBuffer, ImportsText) {
  MLIRContext ctx;
  qopt::ImportOptions options;
  const char *text = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 4] x) => (float[N, 4] y) { y = Relu(x) })";
  auto m = qopt::importOnnxBuffer(text, /*isText=*/true, ".", "relu.onnxtxt", ctx,
                                  options);
  ASSERT_TRUE(m);
  std::string ir;
  llvm::raw_string_ostream os(ir);
  m->print(os);
  EXPECT_NE(ir.find("qopt.relu"), std::string::npos) << ir;
  EXPECT_NE(ir.find("tensor<?x4xf32>"), std::string::npos) << ir;
}
