//===- SvgTest.cpp - the report's SVG charts ------------------------------===//
#include "qopt/Support/Svg.h"

#include <gtest/gtest.h>

#include <cmath>
#include <regex>
#include <string>
#include <vector>

using namespace qopt::svg;

namespace {
size_t count(const std::string &s, const std::string &what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1))
    ++n;
  return n;
}
/// The width="..." of every bar (rects after the background).
std::vector<double> barWidths(const std::string &s) {
  std::vector<double> w;
  std::regex bar("<rect x=\"[-0-9.]+\" y=\"[0-9]+\" width=\"([0-9.]+)\"");
  for (auto it = std::sregex_iterator(s.begin(), s.end(), bar); it != std::sregex_iterator(); ++it)
    w.push_back(std::stod((*it)[1]));
  return w;
}
} // namespace

TEST(Svg, BarsScaleToTheRangeAndSayWhatTheyCannotDraw) {
  std::string s = barChart("t", "dB",
                           {{"a", 10.0}, {"b", 5.0}, {"c", -5.0}, {"d", INFINITY}, {"e", NAN}});
  // One bar per finite or infinite value; NaN gets a label and no bar.
  std::vector<double> w = barWidths(s);
  ASSERT_EQ(w.size(), 4u);
  // Lengths proportional to |value| on one scale (the span -5..10 is 420
  // units): 10 -> 280, 5 -> 140, -5 -> 140, +inf drawn at the largest.
  EXPECT_NEAR(w[0], 280.0, 0.1);
  EXPECT_NEAR(w[1], 140.0, 0.1);
  EXPECT_NEAR(w[2], 140.0, 0.1);
  EXPECT_NEAR(w[3], w[0], 0.1);
  EXPECT_EQ(count(s, "fill=\"#c0504d\""), 1u); // the negative one
  EXPECT_NE(s.find(">inf<"), std::string::npos);
  EXPECT_NE(s.find(">nan<"), std::string::npos);
  EXPECT_NE(s.find(">10.0 dB<"), std::string::npos);
}

TEST(Svg, LabelsAreEscaped) {
  std::string s = barChart("a<b & \"c\"", "", {{"node 'x' <y>", 1.0}});
  EXPECT_NE(s.find("a&lt;b &amp; &quot;c&quot;"), std::string::npos);
  EXPECT_NE(s.find("node &apos;x&apos; &lt;y&gt;"), std::string::npos);
  EXPECT_EQ(s.find("<y>"), std::string::npos);
}

TEST(Svg, ScatterJoinsFinitePointsByXAndMarksTheChosen) {
  std::string s = scatterPlot("t", "bits", "dB",
                              {{"p3", 3.0, 30.0}, {"p1", 1.0, 10.0, true}, {"inf", 4.0, INFINITY},
                               {"p2", 2.0, 20.0}});
  EXPECT_EQ(count(s, "<circle"), 3u); // the infinite point is left out
  EXPECT_EQ(count(s, "r=\"6\""), 1u);
  // The line goes left to right: x ascending in its points.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(s, m, std::regex("points=\"([^\"]*)\"")));
  std::vector<double> xs;
  std::string pts = m[1];
  std::regex xy("([0-9.]+),[0-9.]+");
  for (auto it = std::sregex_iterator(pts.begin(), pts.end(), xy); it != std::sregex_iterator();
       ++it)
    xs.push_back(std::stod((*it)[1]));
  ASSERT_EQ(xs.size(), 3u);
  EXPECT_LT(xs[0], xs[1]);
  EXPECT_LT(xs[1], xs[2]);
  // The marked point carries its label as text.
  EXPECT_NE(s.find(">p1</text>"), std::string::npos);
  // Deterministic.
  EXPECT_EQ(s, scatterPlot("t", "bits", "dB",
                           {{"p3", 3.0, 30.0}, {"p1", 1.0, 10.0, true}, {"inf", 4.0, INFINITY},
                            {"p2", 2.0, 20.0}}));
}
