//===- BorrowedWeightsTest.cpp - libraries that borrow their weights ------===//
//
// A calibration library reads the weights from the compiling process's
// blobs through its table (externalizeWeights' borrowed mode): it must see
// exactly those bytes, and refuse to run when nobody filled the table.
//
//===----------------------------------------------------------------------===//
#include "qopt/Compiler/Compiler.h"
#include "qopt/Support/ModelLibrary.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

using namespace mlir;

namespace {
constexpr int K = 128, N = 160; // 80 KiB of f32: above the 64 KiB threshold

float weight(int k, int n) { return float((k * 131 + n * 7) % 17 - 8) / 8.0f; }

/// y = x @ W with W a dense resource (the importer's form of large weights).
std::string modelText() {
  std::string hex;
  llvm::raw_string_ostream os(hex);
  uint32_t align = 64; // a resource blob starts with its alignment
  for (int i = 0; i < 4; ++i)
    os << llvm::format_hex_no_prefix((align >> (8 * i)) & 0xff, 2, true);
  for (int k = 0; k < K; ++k)
    for (int n = 0; n < N; ++n) {
      float w = weight(k, n);
      uint32_t bits;
      std::memcpy(&bits, &w, 4);
      for (int i = 0; i < 4; ++i)
        os << llvm::format_hex_no_prefix((bits >> (8 * i)) & 0xff, 2, true);
    }
  std::string s = "func.func @main(%x: tensor<2x" + std::to_string(K) +
                  "xf32> {qopt.name = \"x\"}) -> (tensor<2x" + std::to_string(N) +
                  "xf32> {qopt.name = \"y\"}) {\n"
                  "  %w = qopt.constant dense_resource<w> : tensor<" +
                  std::to_string(K) + "x" + std::to_string(N) +
                  "xf32>\n"
                  "  %y = qopt.matmul %x, %w : (tensor<2x" + std::to_string(K) + "xf32>, tensor<" +
                  std::to_string(K) + "x" + std::to_string(N) + "xf32>) -> tensor<2x" +
                  std::to_string(N) +
                  "xf32>\n"
                  "  return %y : tensor<2x" + std::to_string(N) +
                  "xf32>\n}\n"
                  "{-#\n  dialect_resources: {\n    builtin: {\n      w: \"0x" +
                  hex + "\"\n    }\n  }\n#-}\n";
  return s;
}
} // namespace

TEST(BorrowedWeights, LibraryReadsTheCompilersBytes) {
  DialectRegistry registry;
  qopt::registerCompilerDialects(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  qopt::registerCompilerPasses();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(modelText(), &ctx);
  ASSERT_TRUE(module);

  SmallString<128> so, own;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("borrowed", "so", so));
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("own", "so", own));
  llvm::scope_exit cleanup([&] {
    llvm::sys::fs::remove(so);
    llvm::sys::fs::remove(own);
  });
  std::string error;
  std::vector<const void *> borrowed;
  qopt::CompileOptions options;
  options.threads = 1;
  OwningOpRef<ModuleOp> copy = module->clone();
  ASSERT_TRUE(succeeded(qopt::compileToSharedLibrary(*copy, options, own, error))) << error;
  ASSERT_TRUE(succeeded(
      qopt::compileToSharedLibrary(*module, options, so, error, &borrowed)))
      << error;
  ASSERT_EQ(borrowed.size(), 1u);
  // The table points at the blob's bytes, not at a copy.
  const float *w = static_cast<const float *>(borrowed[0]);
  for (int k = 0; k < K; ++k)
    for (int n = 0; n < N; ++n)
      ASSERT_EQ(w[k * N + n], weight(k, n));
  uint64_t size = 0, ownSize = 0;
  ASSERT_FALSE(llvm::sys::fs::file_size(so, size));
  ASSERT_FALSE(llvm::sys::fs::file_size(own, ownSize));
  // (the table and its symbols take a few bytes: 16 when measured)
  EXPECT_GE(ownSize + 1024, size + uint64_t(K) * N * 4) << "the weights were written into the library";

  // Nobody filled the table: the instance is refused.
  EXPECT_FALSE(qopt::io::ModelLibrary::load(std::string(so), error));
  EXPECT_NE(error.find("borrows its weights"), std::string::npos) << error;

  // Filled: it computes x @ W.
  auto lib = qopt::io::ModelLibrary::load(std::string(so), error, borrowed);
  ASSERT_TRUE(lib) << error;
  std::vector<float> x(2 * K), y(2 * N, -1.0f);
  for (int i = 0; i < 2 * K; ++i)
    x[i] = float(i % 5) - 2.0f;
  qopt_tensor in{x.data(), 0, QOPT_DTYPE_F32, 2, {2, K}};
  qopt_tensor out{y.data(), y.size() * sizeof(float), QOPT_DTYPE_F32, 2, {2, N}};
  ASSERT_EQ(lib->api().run(lib->model(), &in, 1, &out, 1), 0) << lib->api().lastError();
  for (int m = 0; m < 2; ++m)
    for (int n = 0; n < N; ++n) {
      double ref = 0;
      for (int k = 0; k < K; ++k)
        ref += double(x[m * K + k]) * weight(k, n);
      EXPECT_NEAR(y[m * N + n], ref, 1e-4) << m << "," << n;
    }
}
