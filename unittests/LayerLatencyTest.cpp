//===- LayerLatencyTest.cpp - a layer alone, its key and the cache --------===//
//
// Mixed precision times each layer alone (LayerLatency.h): the module it is
// extracted into, the shapes it runs at, the cache key that must not
// depend on names or weight values but on shapes and options, and the
// cache file.
//
//===----------------------------------------------------------------------===//
#include "qopt/Compiler/LayerLatency.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include <gtest/gtest.h>

using namespace mlir;

namespace {

/// A calibrated-model fragment: x (batch `batch`, "?" for dynamic) observed,
/// conv (weights `w`, no bias) + relu observed for a second conv.
std::string model(const std::string &batch, const std::string &id, const std::string &w,
                  int channels = 3) {
  std::string c = std::to_string(channels);
  std::string in = "tensor<" + batch + "x" + c + "x8x8xf32>";
  std::string mid = "tensor<" + batch + "x4x8x8xf32>";
  return "func.func @main(%x: " + in + " {qopt.name = \"x\"}) -> " + mid + " {\n" +
         "  %o = qopt.observer %x {id = \"input:x\", min = -1.0 : f64, max = 1.0 : f64} : " + in +
         "\n  %w = qopt.constant dense<" + w + "> : tensor<4x" + c + "x3x3xf32>\n" +
         "  %w2 = qopt.constant dense<0.25> : tensor<4x4x1x1xf32>\n" +
         "  %n = qopt.none\n" +
         "  %c = qopt.conv %o, %w, %n {pads = array<i64: 1, 1, 1, 1>} : (" + in + ", tensor<4x" +
         c + "x3x3xf32>, none) -> " + mid + " loc(fused<\"onnx.Conv\">[\"" + id + "\"])\n" +
         "  %r = qopt.relu %c : (" + mid + ") -> " + mid + "\n" +
         "  %o2 = qopt.observer %r {id = \"" + id + "_out\", min = 0.0 : f64, max = 2.0 : f64} : " +
         mid + "\n" +
         "  %c2 = qopt.conv %o2, %w2, %n : (" + mid + ", tensor<4x4x1x1xf32>, none) -> " + mid +
         " loc(fused<\"onnx.Conv\">[\"next\"])\n" +
         "  return %c2 : " + mid + "\n}\n";
}

struct LayerLatencyTest : ::testing::Test {
  DialectRegistry registry;
  std::unique_ptr<MLIRContext> ctx;
  void SetUp() override {
    qopt::registerCompilerDialects(registry);
    ctx = std::make_unique<MLIRContext>(registry);
    ctx->loadAllAvailableDialects();
    qopt::registerCompilerPasses();
  }
  OwningOpRef<ModuleOp> parse(const std::string &text) {
    return parseSourceString<ModuleOp>(text, ctx.get());
  }
  /// The first qopt.conv of `m`.
  static Operation *firstConv(ModuleOp m) {
    Operation *found = nullptr;
    m.walk([&](qopt::ConvOp c) {
      if (!found)
        found = c;
    });
    return found;
  }
  static std::string print(ModuleOp m) {
    std::string s;
    llvm::raw_string_ostream os(s);
    m.print(os);
    return s;
  }
};

} // namespace

TEST_F(LayerLatencyTest, ShapesTakeTheSamplesDimsObserversToo) {
  auto m = parse(model("?", "conv", "0.5"));
  ASSERT_TRUE(m);
  std::string error;
  ASSERT_TRUE(succeeded(qopt::specializeShapes(*m, {{2, 3, 8, 8}}, error))) << error;
  std::string text = print(*m);
  EXPECT_EQ(text.find("?x"), std::string::npos) << text;
  // The observers between the convs took their inputs' refined types, and
  // the conv after the second one was refined through it.
  m->walk([&](qopt::ObserverOp o) {
    EXPECT_TRUE(cast<RankedTensorType>(o.getResult().getType()).hasStaticShape()) << text;
  });
  m->walk([&](func::FuncOp f) {
    EXPECT_TRUE(cast<RankedTensorType>(f.getResultTypes()[0]).hasStaticShape()) << text;
  });
  // A sample of another rank or a static dim that disagrees is refused.
  auto m2 = parse(model("?", "conv", "0.5"));
  EXPECT_TRUE(failed(qopt::specializeShapes(*m2, {{2, 3, 8}}, error)));
  auto m3 = parse(model("?", "conv", "0.5"));
  EXPECT_TRUE(failed(qopt::specializeShapes(*m3, {{2, 5, 8, 8}}, error)));
}

TEST_F(LayerLatencyTest, ExtractsTheLayerAloneWithItsObservers) {
  auto m = parse(model("2", "conv", "0.5"));
  ASSERT_TRUE(m);
  Operation *conv = firstConv(*m);
  ASSERT_TRUE(conv);
  std::string why;
  OwningOpRef<ModuleOp> q = qopt::extractLayer(conv, /*int8=*/true, {}, why);
  ASSERT_TRUE(q) << why;
  std::string qt = print(*q);
  // One argument (the activation), the weight and the absent bias cloned,
  // the relu that folds in, the calibrated observers on the input and on
  // the output (the next conv quantizes it); nothing of the next conv.
  func::FuncOp f = *q->getOps<func::FuncOp>().begin();
  EXPECT_EQ(f.getNumArguments(), 1u);
  EXPECT_EQ(f.getArgumentTypes()[0], conv->getOperand(0).getType());
  EXPECT_EQ(f.getResultTypes()[0], conv->getResult(0).getType());
  size_t observers = 0, convs = 0, relus = 0;
  q->walk([&](Operation *op) {
    observers += isa<qopt::ObserverOp>(op);
    convs += isa<qopt::ConvOp>(op);
    relus += isa<qopt::ReluOp>(op);
  });
  EXPECT_EQ(observers, 2u) << qt;
  EXPECT_EQ(convs, 1u) << qt;
  EXPECT_EQ(relus, 1u) << qt;
  EXPECT_NE(qt.find("id = \"input:x\""), std::string::npos) << qt;
  EXPECT_NE(qt.find("id = \"conv_out\""), std::string::npos) << qt;
  EXPECT_EQ(qt.find("qopt.format"), std::string::npos) << qt;
  EXPECT_TRUE(succeeded(verify(*q)));

  OwningOpRef<ModuleOp> fl = qopt::extractLayer(conv, /*int8=*/false, {}, why);
  ASSERT_TRUE(fl) << why;
  std::string ft = print(*fl);
  EXPECT_EQ(ft.find("qopt.observer"), std::string::npos) << ft;
  EXPECT_NE(ft.find("qopt.format = \"float\""), std::string::npos) << ft;

  // A layer of dynamic shape cannot be timed alone.
  auto d = parse(model("?", "conv", "0.5"));
  EXPECT_FALSE(qopt::extractLayer(firstConv(*d), true, {}, why));
  EXPECT_NE(why.find("static shape"), std::string::npos) << why;
}

TEST_F(LayerLatencyTest, InputOfAnIntegerProducerStaysPerTensor) {
  // The second conv reads the first conv's (Relu'd) output: in the model an
  // INT8 layer requantizes it, per tensor; alone its input would be a float
  // argument, which a depthwise conv may take per channel. Its observer
  // loses the channel ranges; the first conv's (a graph input) keeps them,
  // and so does the second's when the first is kept float.
  std::string text = model("2", "conv", "0.5");
  auto ranges = std::string(", channel_min = array<f64: 0.0, 0.0, 0.0, 0.0>, channel_max = "
                            "array<f64: 1.0, 1.0, 1.0, 1.0>}");
  size_t at = text.find("max = 2.0 : f64}");
  ASSERT_NE(at, std::string::npos);
  text.replace(at + std::string("max = 2.0 : f64").size(), 1, ranges);
  at = text.find("max = 1.0 : f64}");
  ASSERT_NE(at, std::string::npos);
  text.replace(at + std::string("max = 1.0 : f64").size(), 1,
               ", channel_min = array<f64: 0.0, 0.0, 0.0>, channel_max = array<f64: 1.0, 1.0, "
               "1.0>}");
  auto m = parse(text);
  ASSERT_TRUE(m);
  SmallVector<qopt::ConvOp> convs;
  m->walk([&](qopt::ConvOp c) { convs.push_back(c); });
  ASSERT_EQ(convs.size(), 2u);
  auto inputRanges = [&](Operation *layer, ArrayRef<std::string> keepFloat) {
    std::string why;
    OwningOpRef<ModuleOp> q = qopt::extractLayer(layer, true, keepFloat, why);
    EXPECT_TRUE(q) << why;
    bool has = false;
    q->walk([&](qopt::ObserverOp o) {
      if (isa<BlockArgument>(o.getInput()))
        has = o.getChannelMin().has_value();
    });
    return has;
  };
  EXPECT_TRUE(inputRanges(convs[0], {}));
  EXPECT_FALSE(inputRanges(convs[1], {}));
  EXPECT_TRUE(inputRanges(convs[1], {"conv"}));
}

TEST_F(LayerLatencyTest, KeyFollowsShapesAndOptionsNotNamesOrWeights) {
  qopt::CompileOptions o;
  auto key = [&](const std::string &text, const qopt::CompileOptions &opts,
                 llvm::StringRef quantization = "u8|per-channel") {
    auto m = parse(text);
    EXPECT_TRUE(m);
    std::string why;
    OwningOpRef<ModuleOp> q = qopt::extractLayer(firstConv(*m), true, {}, why);
    EXPECT_TRUE(q) << why;
    return qopt::layerLatencyKey(*q, opts, quantization);
  };
  std::string base = key(model("2", "conv", "0.5"), o);
  // Another activation type or weight granularity is another INT8 form.
  EXPECT_NE(base, key(model("2", "conv", "0.5"), o, "s8|per-channel"));
  EXPECT_NE(base, key(model("2", "conv", "0.5"), o, "u8|per-tensor"));
  EXPECT_EQ(base.size(), 16u);
  EXPECT_EQ(base, key(model("2", "other_name", "0.75"), o));
  EXPECT_NE(base, key(model("4", "conv", "0.5"), o));
  EXPECT_NE(base, key(model("2", "conv", "0.5", /*channels=*/5), o));
  qopt::CompileOptions two = o;
  two.threads = 2;
  EXPECT_NE(base, key(model("2", "conv", "0.5"), two));
  qopt::CompileOptions isa = o;
  isa.kernelIsa = "generic";
  EXPECT_NE(base, key(model("2", "conv", "0.5"), isa));
}

TEST_F(LayerLatencyTest, CacheStoresReadsAndReplacesABadFile) {
  SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("qopt-latency", dir));
  llvm::scope_exit cleanup([&] { llvm::sys::fs::remove_directories(dir); });
  std::string error;
  std::string file;
  {
    qopt::LayerLatencyCache c{std::string(dir)};
    file = c.path();
    EXPECT_TRUE(llvm::StringRef(llvm::sys::path::filename(file)).starts_with("layer-latency-"));
    EXPECT_FALSE(c.lookup("k1"));
    c.store("k1", "conv", {0.5, 1.25});
    ASSERT_TRUE(succeeded(c.save(error))) << error;
  }
  {
    qopt::LayerLatencyCache c{std::string(dir)};
    EXPECT_EQ(c.path(), file); // same machine and build: same file
    auto e = c.lookup("k1");
    ASSERT_TRUE(e);
    EXPECT_DOUBLE_EQ(e->int8Ms, 0.5);
    EXPECT_DOUBLE_EQ(e->floatMs, 1.25);
    EXPECT_FALSE(c.lookup("k2"));
  }
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(file, ec);
    ASSERT_FALSE(ec);
    os << "{ not json";
  }
  {
    qopt::LayerLatencyCache c{std::string(dir)};
    EXPECT_FALSE(c.lookup("k1"));
    c.store("k2", "gemm", {0.1, 0.2});
    ASSERT_TRUE(succeeded(c.save(error))) << error;
  }
  {
    qopt::LayerLatencyCache c{std::string(dir)};
    EXPECT_TRUE(c.lookup("k2"));
  }
  // No directory: no file, every lookup misses, saving does nothing.
  qopt::LayerLatencyCache none{std::string()};
  EXPECT_TRUE(none.path().empty());
  none.store("k1", "conv", {1, 2});
  EXPECT_FALSE(none.lookup("k1"));
  EXPECT_TRUE(succeeded(none.save(error)));
}

// The last-level cache one core uses: the highest level sysfs lists (this
// VM's L3 of 32 MiB, where sysconf reports the socket's 256 MiB); levels in
// any index order, a bad entry skipped; no sysfs: not zero.
TEST(LastLevelCache, HighestSysfsLevel) {
  llvm::SmallString<128> root;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("qopt-llc", root));
  llvm::scope_exit cleanup([&] { llvm::sys::fs::remove_directories(root); });
  auto entry = [&](int index, const char *level, const char *size) {
    std::string dir = (root + "/cache/index" + std::to_string(index)).str();
    ASSERT_FALSE(llvm::sys::fs::create_directories(dir));
    std::error_code ec;
    llvm::raw_fd_ostream(dir + "/level", ec) << level << "\n";
    llvm::raw_fd_ostream(dir + "/size", ec) << size << "\n";
  };
  entry(0, "1", "32K");
  entry(1, "3", "32768K");
  entry(2, "2", "1024K");
  entry(3, "4", "12M"); // (not in K: skipped)
  EXPECT_EQ(qopt::lastLevelCacheBytes(root), size_t(32) << 20);
  EXPECT_GE(qopt::lastLevelCacheBytes((root + "/missing").str()), size_t(64) << 10);
}
