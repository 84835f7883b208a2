//===- QuantMathTest.cpp - quantization arithmetic and calibration --------===//
#include "qopt/Quant/Calibration.h"
#include "qopt/Quant/QuantMath.h"
#include "qopt/Quant/StatsFile.h"
#include "llvm/Support/JSON.h"

#include "llvm/Support/FileSystem.h"

#include <cmath>
#include <gtest/gtest.h>
#include <random>

using namespace qopt::quant;

namespace {

QuantParams u8(double scale, int64_t zp) { return {scale, zp, 0, 255}; }

TEST(QuantMath, RoundsHalfToEven) {
  EXPECT_EQ(roundHalfEven(0.5), 0);
  EXPECT_EQ(roundHalfEven(1.5), 2);
  EXPECT_EQ(roundHalfEven(2.5), 2);
  EXPECT_EQ(roundHalfEven(-0.5), 0);
  EXPECT_EQ(roundHalfEven(-1.5), -2);
  EXPECT_EQ(roundHalfEven(-2.5), -2);
  EXPECT_EQ(roundHalfEven(2.4999), 2);
  // Ties are decided after the division by the scale.
  EXPECT_EQ(quantizeValue(0.25, u8(0.5, 0)), 0);  // 0.5 -> 0
  EXPECT_EQ(quantizeValue(0.75, u8(0.5, 0)), 2);  // 1.5 -> 2
  EXPECT_EQ(quantizeValue(1.25, u8(0.5, 10)), 12); // 2.5 -> 2, + 10
}

TEST(QuantMath, Saturates) {
  QuantParams p = u8(0.1, 128);
  EXPECT_EQ(quantizeValue(1000.0, p), 255);
  EXPECT_EQ(quantizeValue(-1000.0, p), 0);
  EXPECT_EQ(quantizeValue(NAN, p), 0);
  QuantParams s{0.1, 0, -127, 127};
  EXPECT_EQ(quantizeValue(-100.0, s), -127);
  EXPECT_EQ(quantizeValue(12.7, s), 127);
  EXPECT_EQ(quantizeBias(1e30, 1.0), 2147483647);
  EXPECT_EQ(quantizeBias(-1e30, 1.0), -2147483648LL);
}

TEST(QuantMath, ZeroPointsAndRoundTrip) {
  QuantParams p = asymmetricParams(-1.0, 3.0, 0, 255);
  EXPECT_DOUBLE_EQ(p.scale, 4.0 / 255);
  EXPECT_EQ(p.zeroPoint, 64); // round(255 / 4)
  EXPECT_EQ(quantizeValue(0.0, p), p.zeroPoint); // zero is exact
  EXPECT_DOUBLE_EQ(dequantizeValue(p.zeroPoint, p), 0.0);
  for (double x = -1.0; x <= 3.0; x += 0.01)
    EXPECT_LE(std::fabs(dequantizeValue(quantizeValue(x, p), p) - x), p.scale / 2 + 1e-9);
  // Ranges are widened to contain 0.
  QuantParams pos = asymmetricParams(2.0, 6.0, 0, 255);
  EXPECT_EQ(pos.zeroPoint, 0);
  EXPECT_DOUBLE_EQ(pos.scale, 6.0 / 255);
  QuantParams neg = asymmetricParams(-6.0, -2.0, 0, 255);
  EXPECT_EQ(neg.zeroPoint, 255);
  // A zero-width range still gives a usable quantizer.
  QuantParams zero = asymmetricParams(0.0, 0.0, 0, 255);
  EXPECT_EQ(quantizeValue(0.0, zero), zero.zeroPoint);
  QuantParams sym = symmetricParams(2.54, -127, 127);
  EXPECT_DOUBLE_EQ(sym.scale, 0.02);
  EXPECT_EQ(sym.zeroPoint, 0);
  EXPECT_EQ(quantizeValue(-2.54, sym), -127);
}

TEST(QuantMath, RequantizeMatchesFloatReference) {
  // acc * M rounded half to even, plus the zero point, saturated.
  QuantParams out = u8(0.05, 3);
  EXPECT_EQ(requantizeValue(100, 0.5f, out), 53);   // 50 + 3
  EXPECT_EQ(requantizeValue(5, 0.5f, out), 5);      // 2.5 -> 2, + 3
  EXPECT_EQ(requantizeValue(7, 0.5f, out), 7);      // 3.5 -> 4, + 3
  EXPECT_EQ(requantizeValue(-100, 0.5f, out), 0);   // saturates low
  EXPECT_EQ(requantizeValue(1 << 20, 0.5f, out), 255);
  // Equivalent to dequantize(acc) -> quantize with per-channel scales.
  double sx = 0.02, sw = 0.003, sy = 0.05;
  for (int64_t acc : {-5000, -17, 0, 1, 999, 4321}) {
    double real = acc * sx * sw;
    int64_t direct = quantizeValue(real, out);
    int64_t viaM = requantizeValue(acc, float(sx * sw / sy), out);
    EXPECT_LE(std::llabs(direct - viaM), 1) << acc;
  }
}

TEST(QuantMath, PerAxisIndexing) {
  // A [2, 3, 2] tensor: element i = (a * 3 + b) * 2 + c.
  std::vector<int64_t> shape = {2, 3, 2};
  AxisIndex perTensor(shape, -1), axis0(shape, 0), axis1(shape, 1), axis2(shape, 2);
  for (size_t a = 0; a < 2; ++a)
    for (size_t b = 0; b < 3; ++b)
      for (size_t c = 0; c < 2; ++c) {
        size_t i = (a * 3 + b) * 2 + c;
        EXPECT_EQ(perTensor(i), 0u);
        EXPECT_EQ(axis0(i), a);
        EXPECT_EQ(axis1(i), b);
        EXPECT_EQ(axis2(i), c);
      }
  // An axis outside the rank means per tensor.
  EXPECT_EQ(AxisIndex(shape, 3)(7), 0u);
}

TEST(Calibration, HistogramGrowsExactly) {
  TensorStats s(16);
  float a[] = {-1.0f, -0.3f, 0.2f, 0.9f};
  ASSERT_TRUE(s.add(a, 4));
  EXPECT_DOUBLE_EQ(s.range, 1.0);
  std::vector<uint64_t> before = s.counts;
  float b[] = {3.5f};
  ASSERT_TRUE(s.add(b, 1));
  EXPECT_DOUBLE_EQ(s.range, 4.0); // doubled twice
  EXPECT_EQ(s.count, 5u);
  uint64_t total = 0;
  for (uint64_t c : s.counts)
    total += c;
  EXPECT_EQ(total, 5u);
  // Each old pair of bins merged: -1.0 lands in the bin [-1, -0.5).
  EXPECT_EQ(s.counts[6], 1u);
  EXPECT_EQ(s.min, -1.0);
  EXPECT_EQ(s.max, 3.5);
  float bad[] = {1.0f, NAN};
  EXPECT_FALSE(s.add(bad, 2));
  EXPECT_EQ(s.count, 5u);
}

TEST(Calibration, RangeMethods) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(200000);
  for (float &x : v)
    x = normal(rng);
  v[0] = 40.0f; // one outlier
  TensorStats s;
  ASSERT_TRUE(s.add(v.data(), v.size()));
  std::string err;
  auto minmax = chooseRange(s, *parseRangeMethod("minmax", err), -128, 127, true);
  EXPECT_DOUBLE_EQ(minmax.second, 40.0);
  auto pct = chooseRange(s, *parseRangeMethod("percentile=99.9", err), -128, 127, true);
  EXPECT_NEAR(pct.second, 3.29, 0.15); // |N(0,1)| 99.9th percentile
  auto mse = chooseRange(s, *parseRangeMethod("mse", err), -128, 127, true);
  // The outlier's own error (40 - c)^2 still pulls the MSE optimum up to
  // about 20 with one outlier in 200000 values.
  EXPECT_LT(mse.second, 30.0);
  EXPECT_GT(mse.second, 2.0);
  auto kl = chooseRange(s, *parseRangeMethod("entropy", err), -128, 127, true);
  EXPECT_LT(kl.second, 10.0);
  EXPECT_GT(kl.second, 2.0);
  // Clipping the outlier lowers the quantization error of the bulk.
  EXPECT_LT(histogramMSE(s, paramsForRange(mse.first, mse.second, -128, 127, true)),
            histogramMSE(s, paramsForRange(minmax.first, minmax.second, -128, 127, true)));
  EXPECT_GT(histogramSQNR(s, paramsForRange(pct.first, pct.second, -128, 127, true)),
            histogramSQNR(s, paramsForRange(minmax.first, minmax.second, -128, 127, true)));
  EXPECT_FALSE(parseRangeMethod("percentile=42", err));
  EXPECT_FALSE(parseRangeMethod("kl", err));
  EXPECT_NE(err.find("unknown calibration method"), std::string::npos);
}

TEST(Calibration, ChannelRanges) {
  // [2, 3, 2]: batch 2, channels 3, 2 values each.
  float x[] = {1, -1, 5, 6, 0, 0, /* batch 1 */ 2, 3, -7, 4, 0.5f, 0.25f};
  TensorStats s;
  s.addChannels(x, {2, 3, 2});
  EXPECT_EQ(s.channelMin, (std::vector<double>{-1, -7, 0}));
  EXPECT_EQ(s.channelMax, (std::vector<double>{3, 6, 0.5}));
  // Rank 1 has no channel axis.
  TensorStats r;
  r.addChannels(x, {12});
  EXPECT_TRUE(r.channelMin.empty());
  // Merging: same channel count combines, a different one drops the ranges.
  TensorStats t = s;
  t.count = s.count = 1;
  float y[] = {-9, 9, 0, 0, 1, 1};
  TensorStats u;
  u.addChannels(y, {1, 3, 2});
  u.count = 1;
  t.merge(u);
  EXPECT_EQ(t.channelMin, (std::vector<double>{-9, -7, 0}));
  EXPECT_EQ(t.channelMax, (std::vector<double>{9, 6, 1}));
  TensorStats v;
  v.addChannels(y, {1, 2, 3});
  v.count = 1;
  s.merge(v);
  EXPECT_TRUE(s.channelMin.empty());
}

TEST(Calibration, ChannelRangesOnAnyAxis) {
  // [2, 3, 2] along the last axis (-1, the features of a MatMul input): 2
  // channels, each seen 6 times.
  float x[] = {1, -1, 5, 6, 0, 0, /* batch 1 */ 2, 3, -7, 4, 0.5f, 0.25f};
  TensorStats last;
  last.channelAxis = -1;
  last.addChannels(x, {2, 3, 2});
  EXPECT_EQ(last.channelMin, (std::vector<double>{-7, -1}));
  EXPECT_EQ(last.channelMax, (std::vector<double>{5, 6}));
  // Axis 0 of [3, 4]: 3 rows.
  TensorStats rows;
  rows.channelAxis = 0;
  rows.addChannels(x, {3, 4});
  EXPECT_EQ(rows.channelMin, (std::vector<double>{-1, 0, -7}));
  EXPECT_EQ(rows.channelMax, (std::vector<double>{6, 3, 4}));
  // Rank 1 along -1: every element its own channel; an axis past the rank
  // collects nothing.
  TensorStats flat;
  flat.channelAxis = -1;
  flat.addChannels(x, {4});
  EXPECT_EQ(flat.channelMin, (std::vector<double>{1, -1, 5, 6}));
  TensorStats none;
  none.channelAxis = 3;
  none.addChannels(x, {2, 3, 2});
  EXPECT_TRUE(none.channelMin.empty());
}

TEST(QuantMath, WeightScalePolicy) {
  // Per output channel (axis 0 of [2, 3]) and per tensor.
  std::vector<double> w = {0.5, -1.27, 0.1, 0.0, 0.0, 0.0};
  EXPECT_EQ(absMaxAlong(w, {2, 3}, 0), (std::vector<double>{1.27, 0.0}));
  EXPECT_EQ(absMaxAlong(w, {2, 3}, -1), (std::vector<double>{1.27}));
  EXPECT_EQ(absMaxAlong(w, {2, 3}, 1), (std::vector<double>{0.5, 1.27, 0.1}));
  // max / 127; a (nearly) dead channel is floored at 1e-6 of the largest.
  std::vector<double> s = weightScales({1.27, 1e-12});
  EXPECT_DOUBLE_EQ(s[0], 0.01);
  EXPECT_DOUBLE_EQ(s[1], 0.01 * 1e-6);
  // A live bias on a dead channel keeps 2x headroom in i32: |b| / (sx s) <= 2^30.
  std::vector<double> bias = {0.0, 100.0};
  s = weightScales({1.27, 1e-12}, {0.5}, &bias);
  EXPECT_DOUBLE_EQ(s[1], 100.0 / (0.5 * double(1 << 30)));
  EXPECT_LE(quantizeBias(100.0, 0.5 * s[1]), int64_t(1) << 30);
  // Per tensor: the smallest input scale and the largest |bias| decide.
  s = weightScales({1e-12}, {0.5, 0.25}, &bias);
  EXPECT_DOUBLE_EQ(s[0], 100.0 / (0.25 * double(1 << 30)));
  EXPECT_TRUE(weightScales({}).empty());
}

TEST(Calibration, StatsFileRoundTripAndRejects) {
  CalibrationStats stats;
  stats.modelFingerprint = "abc";
  stats.samples = 3;
  float a[] = {-2.0f, 0.5f, 1.5f};
  stats.tensors["conv1"].add(a, 3);
  stats.tensors["conv1"].addChannels(a, {1, 3});
  stats.tensors["mm"].channelAxis = -1;
  stats.tensors["mm"].add(a, 3);
  stats.tensors["mm"].addChannels(a, {3, 1});
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("stats", "json", path));
  std::string err;
  ASSERT_TRUE(writeStatsFile(std::string(path), stats, err)) << err;
  CalibrationStats back;
  ASSERT_TRUE(readStatsFile(std::string(path), back, err)) << err;
  EXPECT_EQ(back.modelFingerprint, "abc");
  EXPECT_EQ(back.samples, 3u);
  const TensorStats &t = back.tensors.at("conv1");
  EXPECT_EQ(t.counts, stats.tensors["conv1"].counts);
  EXPECT_EQ(t.min, -2.0);
  EXPECT_EQ(t.range, 2.0);
  EXPECT_EQ(t.channelMin, (std::vector<double>{-2.0, 0.5, 1.5}));
  EXPECT_EQ(t.channelMax, t.channelMin);
  EXPECT_EQ(t.channelAxis, 1);
  EXPECT_EQ(back.tensors.at("mm").channelAxis, -1);
  EXPECT_EQ(back.tensors.at("mm").channelMin, (std::vector<double>{-2.0}));
  EXPECT_EQ(back.tensors.at("mm").channelMax, (std::vector<double>{1.5}));
  EXPECT_TRUE(back.weights.empty());

  // GPTQ-rounded weights: codes (base64) and scales survive exactly.
  RoundedWeights r;
  r.rows = 2;
  r.cols = 3;
  r.scales = {0.1, 1.0 / 3.0};
  r.codes = {-127, 0, 5, 127, -1, 2};
  stats.weights["conv1"] = r;
  ASSERT_TRUE(writeStatsFile(std::string(path), stats, err)) << err;
  ASSERT_TRUE(readStatsFile(std::string(path), back, err)) << err;
  ASSERT_EQ(back.weights.size(), 1u);
  const RoundedWeights &rb = back.weights.at("conv1");
  EXPECT_EQ(rb.rows, 2);
  EXPECT_EQ(rb.cols, 3);
  EXPECT_FALSE(rb.perTensor);
  EXPECT_EQ(rb.scales, r.scales);
  EXPECT_EQ(rb.codes, r.codes);
  // Codes that do not fill rows x cols are rejected.
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    os << R"({"format": "qopt-calibration-stats", "version": 2, "model": "x", "tensors": [],
             "weights": [{"layer": "c", "rows": 2, "cols": 2, "per_tensor": false,
                          "scales": [1, 1], "codes": "AQID"}]})";
  }
  EXPECT_FALSE(readStatsFile(std::string(path), back, err));
  EXPECT_NE(err.find("malformed rounded weights for layer 'c'"), std::string::npos) << err;
  // Version 1 (layers keyed by walk order) is refused with advice.
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    os << R"({"format": "qopt-calibration-stats", "version": 1, "model": "x", "tensors": []})";
  }
  EXPECT_FALSE(readStatsFile(std::string(path), back, err));
  EXPECT_NE(err.find("version 1 is not supported (this qoptc reads version 2); calibrate again"),
            std::string::npos) << err;
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    os << R"({"format": "qopt-calibration-stats", "version": 99, "model": "x", "tensors": []})";
  }
  EXPECT_FALSE(readStatsFile(std::string(path), back, err));
  EXPECT_NE(err.find("version 99"), std::string::npos);
  llvm::sys::fs::remove(path);
  EXPECT_FALSE(readStatsFile(std::string(path), back, err));
}

TEST(Calibration, StatsFileKeepsTheMixedPrecisionTable) {
  CalibrationStats stats;
  stats.modelFingerprint = "abc";
  stats.formats = {{"fc", "float"}, {"conv1", "int8"}};
  stats.formatsBudget = "bits=11";
  stats.formatsTable = R"({"layers": [{"layer": "fc", "params": 40, "formats": [)"
                       R"({"format": "float", "sensitivity": 0, "bytes": 160}]}]})";
  stats.formatsTableOptions = "formats=int8,float sensitivity=measured";
  stats.formatsTableBudget = "bits=10";
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("stats", "json", path));
  std::string err;
  ASSERT_TRUE(writeStatsFile(std::string(path), stats, err)) << err;
  CalibrationStats back;
  back.formatsTable = "stale";
  ASSERT_TRUE(readStatsFile(std::string(path), back, err)) << err;
  EXPECT_EQ(back.formats, stats.formats);
  EXPECT_EQ(back.formatsBudget, "bits=11");
  EXPECT_EQ(back.formatsTableOptions, "formats=int8,float sensitivity=measured");
  EXPECT_EQ(back.formatsTableBudget, "bits=10");
  // The same JSON value (printed compactly).
  llvm::Expected<llvm::json::Value> a = llvm::json::parse(back.formatsTable),
                                    b = llvm::json::parse(stats.formatsTable);
  ASSERT_TRUE(bool(a) && bool(b));
  EXPECT_EQ(*a, *b);
  // Without a table (files written before it was stored): empty.
  stats.formatsTable.clear();
  ASSERT_TRUE(writeStatsFile(std::string(path), stats, err)) << err;
  ASSERT_TRUE(readStatsFile(std::string(path), back, err)) << err;
  EXPECT_TRUE(back.formatsTable.empty());
  EXPECT_TRUE(back.formatsTableOptions.empty());
  EXPECT_TRUE(back.formatsTableBudget.empty());
  // A table that is not JSON is not written; one that is no table, or one
  // without a choice, is not read.
  stats.formatsTable = "{layers";
  EXPECT_FALSE(writeStatsFile(std::string(path), stats, err));
  EXPECT_NE(err.find("the mixed-precision table is not JSON"), std::string::npos) << err;
  for (const char *text :
       {R"({"format": "qopt-calibration-stats", "version": 2, "model": "x", "tensors": [],
            "formats": {"fc": "float"}, "formats_budget": "bits=9", "formats_table": [1]})",
        R"({"format": "qopt-calibration-stats", "version": 2, "model": "x", "tensors": [],
            "formats_table": {"layers": []}})"}) {
    {
      std::error_code ec;
      llvm::raw_fd_ostream os(path, ec);
      os << text;
    }
    EXPECT_FALSE(readStatsFile(std::string(path), back, err)) << text;
    EXPECT_NE(err.find("formats_table"), std::string::npos) << err;
  }
  llvm::sys::fs::remove(path);
}

TEST(Calibration, StatsFileKeepsAwqScales) {
  CalibrationStats stats;
  stats.modelFingerprint = "abc";
  // Values that need all 17 digits: the rebuild must scale the weights to
  // the same bits.
  stats.awqScales["ln/Mul"] = {0.85, {1.0 / 3.0, 2.718281828459045, 1e-7}};
  stats.awqScales["norm/Mul"] = {0.5, {4.0}};
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("stats", "json", path));
  std::string err;
  ASSERT_TRUE(writeStatsFile(std::string(path), stats, err)) << err;
  CalibrationStats back;
  back.awqScales["stale"] = {1, {1}};
  ASSERT_TRUE(readStatsFile(std::string(path), back, err)) << err;
  ASSERT_EQ(back.awqScales.size(), 2u);
  for (const auto &[id, a] : stats.awqScales) {
    EXPECT_EQ(back.awqScales[id].alpha, a.alpha) << id;
    EXPECT_EQ(back.awqScales[id].scales, a.scales) << id;
  }
  // Not finite: not written. Malformed entries: not read.
  stats.awqScales["norm/Mul"].scales[0] = std::nan("");
  EXPECT_FALSE(writeStatsFile(std::string(path), stats, err));
  EXPECT_NE(err.find("an AWQ scale of 'norm/Mul'"), std::string::npos) << err;
  const char *head = R"({"format": "qopt-calibration-stats", "version": 2, "model": "x", )"
                     R"("tensors": [], "awq_scales": )";
  for (const char *entry :
       {R"({"id": "a"})", R"([{"id": "a", "alpha": 0.5, "scales": []}])",
        R"([{"id": "a", "alpha": 0.5, "scales": [0]}])",
        R"([{"id": "a", "alpha": 0, "scales": [1]}])",
        R"([{"id": "a", "scales": [1]}])",
        R"([{"id": "a", "alpha": 0.5, "scales": [1]}, {"id": "a", "alpha": 0.5, "scales": [2]}])"}) {
    {
      std::error_code ec;
      llvm::raw_fd_ostream os(path, ec);
      os << head << entry << "}";
    }
    EXPECT_FALSE(readStatsFile(std::string(path), back, err)) << entry;
    EXPECT_TRUE(err.find("AWQ scales") != std::string::npos ||
                err.find("'awq_scales'") != std::string::npos)
        << err;
  }
  llvm::sys::fs::remove(path);
}

} // namespace
