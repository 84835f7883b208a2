//===- ShapeUtilsTest.cpp - broadcasting and window arithmetic ------------===//
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"

#include "mlir/IR/BuiltinTypes.h"
#include <gtest/gtest.h>

using namespace mlir;
static constexpr int64_t D = ShapedType::kDynamic;

TEST(Broadcast, NumpyRules) {
  using V = SmallVector<int64_t>;
  EXPECT_EQ(*qopt::broadcastShapes({2, 3}, {3}), V({2, 3}));
  EXPECT_EQ(*qopt::broadcastShapes({2, 1, 4}, {3, 1}), V({2, 3, 4}));
  EXPECT_EQ(*qopt::broadcastShapes({}, {5}), V({5}));
  EXPECT_EQ(*qopt::broadcastShapes({0, 1}, {1, 3}), V({0, 3}));
  EXPECT_FALSE(qopt::broadcastShapes({2, 3}, {4}));
  EXPECT_FALSE(qopt::broadcastShapes({2}, {0}));
}

TEST(Broadcast, DynamicDims) {
  using V = SmallVector<int64_t>;
  EXPECT_EQ(*qopt::broadcastShapes({D, 3}, {1, 3}), V({D, 3}));
  // A dynamic dim against a static non-1 dim must equal it.
  EXPECT_EQ(*qopt::broadcastShapes({D}, {4}), V({4}));
  EXPECT_EQ(*qopt::broadcastShapes({D}, {D}), V({D}));
  EXPECT_EQ(*qopt::broadcastShapes({D}, {1}), V({D}));
}

TEST(Axis, Normalize) {
  EXPECT_EQ(*qopt::normalizeAxis(-1, 4), 3);
  EXPECT_EQ(*qopt::normalizeAxis(0, 4), 0);
  EXPECT_FALSE(qopt::normalizeAxis(4, 4));
  EXPECT_FALSE(qopt::normalizeAxis(-5, 4));
}

TEST(Window, ConvAndPoolSizes) {
  // in, kernel, stride, dilation, pad begin, pad end, ceil
  EXPECT_EQ(qopt::convOutputSize(32, 3, 1, 1, 1, 1, false), 32);
  EXPECT_EQ(qopt::convOutputSize(32, 3, 2, 1, 1, 1, false), 16);
  EXPECT_EQ(qopt::convOutputSize(7, 3, 1, 2, 0, 0, false), 3);
  EXPECT_EQ(qopt::convOutputSize(8, 3, 3, 1, 0, 0, false), 2);
  EXPECT_EQ(qopt::convOutputSize(8, 3, 3, 1, 0, 0, true), 3);
  // ceil_mode never starts a window in the right padding.
  EXPECT_EQ(qopt::convOutputSize(5, 2, 2, 1, 0, 1, true), 3);
  EXPECT_EQ(qopt::convOutputSize(4, 2, 2, 1, 0, 1, true), 2);
  EXPECT_EQ(qopt::convOutputSize(D, 3, 1, 1, 1, 1, false), D);
  EXPECT_EQ(qopt::convOutputSize(2, 5, 1, 1, 0, 0, false), D); // window too big
}

TEST(Shape, StaticElementCount) {
  constexpr int64_t big = int64_t(1) << 62;
  EXPECT_EQ(*qopt::staticElementCount({2, 3, 4}), 24);
  EXPECT_EQ(*qopt::staticElementCount({}), 1);
  EXPECT_EQ(*qopt::staticElementCount({2, D, 5}), 10); // dynamic dims skipped
  EXPECT_EQ(*qopt::staticElementCount({big, 4, 0}), 0); // empty, not overflow
  EXPECT_EQ(*qopt::staticElementCount({big, 1}), big);
  EXPECT_FALSE(qopt::staticElementCount({big, 4}));
  EXPECT_FALSE(qopt::staticElementCount({big, 2, 2}));
}
