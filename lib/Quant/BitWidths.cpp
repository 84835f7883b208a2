//===- BitWidths.cpp - Mixed-precision assignment under a budget ----------===//
#include "qopt/Quant/BitWidths.h"

#include "llvm/ADT/StringRef.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qopt::quant {

std::optional<Assignment> solveBitWidths(const std::vector<std::vector<FormatChoice>> &layers,
                                         int64_t budget, std::string *error,
                                         int64_t maxStates) {
  // Every layer pays at least its cheapest choice: the DP runs over the
  // slack above that (B states), which keeps it small when choices differ
  // by little compared with their size.
  int64_t base = 0;
  std::vector<int64_t> cheapest;
  for (const std::vector<FormatChoice> &choices : layers) {
    if (choices.empty()) {
      if (error)
        *error = "a layer has no candidate format";
      return std::nullopt;
    }
    if (choices.size() > std::numeric_limits<uint32_t>::max()) {
      if (error)
        *error = "a layer has too many candidate formats";
      return std::nullopt;
    }
    int64_t c = choices.front().cost;
    for (const FormatChoice &f : choices) {
      if (f.cost < 0 || !std::isfinite(f.sensitivity)) {
        if (error)
          *error = "a cost is negative or a sensitivity is not finite";
        return std::nullopt;
      }
      c = std::min(c, f.cost);
    }
    cheapest.push_back(c);
    // Saturating: costs may be the "never fits" sentinel of
    // discretizeCosts (2^62), and a few of them overflow a sum.
    base = c > std::numeric_limits<int64_t>::max() - base ? std::numeric_limits<int64_t>::max()
                                                          : base + c;
  }
  if (base > budget) {
    if (error)
      *error = "the budget is below the cheapest assignment (" +
               (base == std::numeric_limits<int64_t>::max() ? std::string("beyond any budget")
                                                            : std::to_string(base)) +
               " > " + std::to_string(budget) + ")";
    return std::nullopt;
  }
  const int64_t slack = budget - base;
  // No extra cost ever helps past the largest possible extra (summed up to
  // the slack only: extras past it never fit, and their sum can overflow).
  int64_t maxExtra = 0;
  for (size_t l = 0; l < layers.size(); ++l) {
    int64_t m = 0;
    for (const FormatChoice &f : layers[l])
      m = std::max(m, f.cost - cheapest[l]);
    maxExtra = m > slack - maxExtra ? slack : maxExtra + m;
  }
  const int64_t states = std::min(slack, maxExtra) + 1;
  if (double(states) * double(std::max<size_t>(layers.size(), 1)) > double(maxStates)) {
    if (error)
      *error = "the budget spans " + std::to_string(states) + " cost units over " +
               std::to_string(layers.size()) + " layers: discretize the costs";
    return std::nullopt;
  }
  const double inf = std::numeric_limits<double>::infinity();
  // best[e]: least sensitivity of the layers so far with extra cost exactly e.
  std::vector<double> best(static_cast<size_t>(states), inf), next(static_cast<size_t>(states));
  best[0] = 0.0;
  // from[l * states + e]: the choice of layer l on the best path to e.
  std::vector<uint32_t> from(layers.size() * size_t(states), 0);
  for (size_t l = 0; l < layers.size(); ++l) {
    std::fill(next.begin(), next.end(), inf);
    for (int64_t e = 0; e < states; ++e) {
      if (best[size_t(e)] == inf)
        continue;
      for (size_t i = 0; i < layers[l].size(); ++i) {
        int64_t extra = layers[l][i].cost - cheapest[l];
        if (extra >= states - e)
          continue;
        int64_t to = e + extra;
        double s = best[size_t(e)] + layers[l][i].sensitivity;
        if (s < next[size_t(to)]) {
          next[size_t(to)] = s;
          from[l * size_t(states) + size_t(to)] = uint32_t(i);
        }
      }
    }
    best.swap(next);
  }
  // The least sensitivity, the lowest cost among ties.
  int64_t at = 0;
  for (int64_t e = 1; e < states; ++e)
    if (best[size_t(e)] < best[size_t(at)])
      at = e;
  Assignment a;
  a.sensitivity = best[size_t(at)];
  a.cost = base + at;
  a.pick.assign(layers.size(), 0);
  for (size_t l = layers.size(); l-- > 0;) {
    size_t i = from[l * size_t(states) + size_t(at)];
    a.pick[l] = i;
    at -= layers[l][i].cost - cheapest[l];
  }
  return a;
}

double loweredLatencyBudget(double limit, double predicted, double measured, double reference,
                           double floor) {
  double predictedExtra = predicted - reference;
  double measuredExtra = measured - reference;
  double lowered = measuredExtra > predictedExtra && predictedExtra > 0
                       ? reference + (limit - reference) * predictedExtra / measuredExtra
                       : limit - (measured - predicted);
  // In 6 decimals: up for the budget and the floor, down (strictly) for the
  // cap, so that the budget as written stays under the prediction (capping
  // at predicted - 1e-6 and then rounding up could give the prediction
  // back).
  auto up = [](double x) { return std::ceil(x * 1e6) / 1e6; };
  double below = std::floor(predicted * 1e6 - 0.5) / 1e6;
  return std::max(std::min(up(lowered), below), up(floor));
}

std::optional<Budget> parseBudget(std::string_view text) {
  auto [key, value] = llvm::StringRef(text.data(), text.size()).split('=');
  Budget b;
  double scale = 1;
  if (key == "bits") {
    b.kind = Budget::Bits;
  } else if (key == "size") {
    b.kind = Budget::Size;
    if (value.consume_back("MB"))
      scale = 1024.0 * 1024.0;
    else if (value.consume_back("KB"))
      scale = 1024.0;
  } else if (key == "latency") {
    b.kind = Budget::Latency;
    if (value.consume_back("x"))
      b.relative = true;
    else
      value.consume_back("ms");
  } else {
    return std::nullopt;
  }
  if (value.trim().getAsDouble(b.value) || !(b.value > 0))
    return std::nullopt;
  b.value *= scale;
  return b;
}

std::vector<std::vector<int64_t>> discretizeCosts(const std::vector<std::vector<double>> &costs,
                                                  double budget, int64_t steps) {
  // Without a positive budget and grid nothing with a positive cost fits.
  const int64_t never = int64_t(1) << 62;
  double unit = budget > 0 && steps > 0 ? budget / double(steps) : 0.0;
  std::vector<std::vector<int64_t>> out;
  for (const std::vector<double> &layer : costs) {
    std::vector<int64_t> row;
    for (double c : layer) {
      double units = unit > 0 ? std::ceil(c / unit) : (c > 0 ? double(never) : 0.0);
      row.push_back(units >= double(never) ? never : int64_t(std::max(0.0, units)));
    }
    out.push_back(std::move(row));
  }
  return out;
}

double spearman(const std::vector<double> &a, const std::vector<double> &b) {
  size_t n = a.size();
  if (n < 2 || b.size() != n)
    return NAN;
  auto ranks = [n](const std::vector<double> &x) {
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i)
      order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t p, size_t q) { return x[p] < x[q]; });
    std::vector<double> r(n);
    for (size_t i = 0; i < n;) {
      size_t j = i;
      while (j + 1 < n && x[order[j + 1]] == x[order[i]])
        ++j;
      for (size_t k = i; k <= j; ++k)
        r[order[k]] = 0.5 * double(i + j) + 1; // the ties' average rank
      i = j + 1;
    }
    return r;
  };
  std::vector<double> ra = ranks(a), rb = ranks(b);
  double ma = 0, mb = 0;
  for (size_t i = 0; i < n; ++i)
    ma += ra[i], mb += rb[i];
  ma /= double(n), mb /= double(n);
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < n; ++i) {
    sab += (ra[i] - ma) * (rb[i] - mb);
    saa += (ra[i] - ma) * (ra[i] - ma);
    sbb += (rb[i] - mb) * (rb[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : NAN;
}

} // namespace qopt::quant
