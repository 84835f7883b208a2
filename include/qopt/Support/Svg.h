//===- Svg.h - small self-contained SVG charts for reports -------*- C++ -*-===//
//
// The quantization report's charts, written as SVG text by qopt itself (no
// plotting dependency): a horizontal bar chart (per-layer SQNR) and a
// scatter plot joined by a line with one point marked (the mixed-precision
// Pareto front, the chosen assignment marked). Output is deterministic:
// fixed formatting, no timestamps, labels XML-escaped.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_SUPPORT_SVG_H
#define QOPT_SUPPORT_SVG_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace qopt::svg {

struct Bar {
  std::string label;
  /// Drawn from 0 (negative values to the left); +inf is drawn at the
  /// largest finite value and labelled "inf"; NaN is labelled "nan", no bar.
  double value = 0;
};

/// One bar per row, top to bottom in the given order, value printed beside
/// each bar with `unit`.
std::string barChart(llvm::StringRef title, llvm::StringRef unit, llvm::ArrayRef<Bar> bars);

struct Point {
  std::string label;
  double x = 0, y = 0;
  bool marked = false;
};

/// The points (non-finite ones left out) on linear axes spanning their
/// range, joined in order of x; `marked` points drawn larger, in red, with
/// their label.
std::string scatterPlot(llvm::StringRef title, llvm::StringRef xLabel, llvm::StringRef yLabel,
                        llvm::ArrayRef<Point> points);

/// `text` with &, <, >, " and ' escaped.
std::string escape(llvm::StringRef text);

} // namespace qopt::svg

#endif
