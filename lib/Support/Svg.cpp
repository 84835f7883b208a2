//===- Svg.cpp - small self-contained SVG charts for reports ---------------===//
#include "qopt/Support/Svg.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace qopt::svg {

std::string escape(llvm::StringRef text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&apos;"; break;
    default: out += c;
    }
  }
  return out;
}

static std::string header(int width, int height, llvm::StringRef title) {
  return llvm::formatv("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
                       "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
                       "<title>{2}</title>\n<rect width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n"
                       "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">{2}</text>\n",
                       width, height, escape(title))
      .str();
}

std::string barChart(llvm::StringRef title, llvm::StringRef unit, llvm::ArrayRef<Bar> bars) {
  const int rowHeight = 18, top = 36, labelWidth = 220, plotWidth = 420, width = 760;
  double lo = 0, hi = 0;
  for (const Bar &b : bars)
    if (std::isfinite(b.value)) {
      lo = std::min(lo, b.value);
      hi = std::max(hi, b.value);
    }
  if (hi <= lo)
    hi = lo + 1;
  auto xOf = [&](double v) { return labelWidth + (v - lo) / (hi - lo) * plotWidth; };
  int height = top + int(bars.size()) * rowHeight + 24;
  std::string s = header(width, height, title);
  double zero = xOf(0);
  s += llvm::formatv("<line x1=\"{0:f1}\" y1=\"{1}\" x2=\"{0:f1}\" y2=\"{2}\" stroke=\"#444\"/>\n",
                     zero, top - 4, top + int(bars.size()) * rowHeight)
           .str();
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar &b = bars[i];
    int y = top + int(i) * rowHeight;
    std::string valueText;
    double v = b.value;
    if (std::isnan(v)) {
      valueText = "nan";
    } else {
      if (std::isinf(v)) {
        valueText = v > 0 ? "inf" : "-inf";
        v = v > 0 ? hi : lo;
      } else {
        valueText = llvm::formatv("{0:f1} {1}", v, unit).str();
      }
      double x0 = std::min(zero, xOf(v)), x1 = std::max(zero, xOf(v));
      s += llvm::formatv("<rect x=\"{0:f1}\" y=\"{1}\" width=\"{2:f1}\" height=\"{3}\" "
                         "fill=\"{4}\"/>\n",
                         x0, y + 2, x1 - x0, rowHeight - 4, v < 0 ? "#c0504d" : "#4f81bd")
               .str();
    }
    s += llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"end\">{2}</text>\n",
                       labelWidth - 6, y + rowHeight - 5, escape(b.label))
             .str();
    s += llvm::formatv("<text x=\"{0:f1}\" y=\"{1}\">{2}</text>\n",
                       std::max(zero, std::isnan(v) ? zero : xOf(v)) + 4, y + rowHeight - 5,
                       escape(valueText))
             .str();
  }
  return s + "</svg>\n";
}

std::string scatterPlot(llvm::StringRef title, llvm::StringRef xLabel, llvm::StringRef yLabel,
                        llvm::ArrayRef<Point> points) {
  const int width = 640, height = 420, left = 70, right = 30, top = 40, bottom = 50;
  std::vector<Point> shown;
  for (const Point &p : points)
    if (std::isfinite(p.x) && std::isfinite(p.y))
      shown.push_back(p);
  std::stable_sort(shown.begin(), shown.end(),
                   [](const Point &a, const Point &b) { return a.x < b.x; });
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (!shown.empty()) {
    x0 = x1 = shown.front().x;
    y0 = y1 = shown.front().y;
    for (const Point &p : shown) {
      x0 = std::min(x0, p.x), x1 = std::max(x1, p.x);
      y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
    }
  }
  // A little room around the points; a flat range gets a unit of it.
  double dx = x1 > x0 ? (x1 - x0) * 0.05 : 0.5, dy = y1 > y0 ? (y1 - y0) * 0.05 : 0.5;
  x0 -= dx, x1 += dx, y0 -= dy, y1 += dy;
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * (width - left - right); };
  auto py = [&](double y) { return height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom); };
  std::string s = header(width, height, title);
  s += llvm::formatv("<rect x=\"{0}\" y=\"{1}\" width=\"{2}\" height=\"{3}\" fill=\"none\" "
                     "stroke=\"#444\"/>\n",
                     left, top, width - left - right, height - top - bottom)
           .str();
  for (int i = 0; i <= 4; ++i) {
    double xv = x0 + (x1 - x0) * i / 4, yv = y0 + (y1 - y0) * i / 4;
    s += llvm::formatv("<text x=\"{0:f1}\" y=\"{1}\" text-anchor=\"middle\">{2}</text>\n",
                       px(xv), height - bottom + 16, llvm::formatv(std::fabs(x1 - x0) >= 100 ? "{0:f0}" : "{0:f3}", xv).str())
             .str();
    s += llvm::formatv("<text x=\"{0}\" y=\"{1:f1}\" text-anchor=\"end\">{2}</text>\n", left - 6,
                       py(yv) + 4, llvm::formatv("{0:f1}", yv).str())
             .str();
  }
  s += llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\">{2}</text>\n",
                     left + (width - left - right) / 2, height - 12, escape(xLabel))
           .str();
  s += llvm::formatv("<text x=\"16\" y=\"{0}\" text-anchor=\"middle\" "
                     "transform=\"rotate(-90 16 {0})\">{1}</text>\n",
                     top + (height - top - bottom) / 2, escape(yLabel))
           .str();
  if (shown.size() > 1) {
    s += "<polyline fill=\"none\" stroke=\"#4f81bd\" points=\"";
    for (size_t i = 0; i < shown.size(); ++i)
      s += llvm::formatv("{0}{1:f1},{2:f1}", i ? " " : "", px(shown[i].x), py(shown[i].y)).str();
    s += "\"/>\n";
  }
  for (const Point &p : shown) {
    s += llvm::formatv("<circle cx=\"{0:f1}\" cy=\"{1:f1}\" r=\"{2}\" fill=\"{3}\"><title>{4}"
                       "</title></circle>\n",
                       px(p.x), py(p.y), p.marked ? 6 : 3, p.marked ? "#c0504d" : "#4f81bd",
                       escape(p.label))
             .str();
    if (p.marked)
      s += llvm::formatv("<text x=\"{0:f1}\" y=\"{1:f1}\" fill=\"#c0504d\">{2}</text>\n",
                         px(p.x) + 8, py(p.y) - 8, escape(p.label))
               .str();
  }
  return s + "</svg>\n";
}

} // namespace qopt::svg
