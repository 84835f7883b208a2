//===- BitWidths.h - Mixed-precision assignment under a budget --*- C++ -*-===//
//
// The solver of mixed-precision assignment: each layer picks one of its
// candidate formats (float, INT8, W4 groups, ...), each with a cost (weight
// bytes, bits, measured latency) and a sensitivity (the accuracy it costs,
// e.g. the model-output error of quantizing that layer alone); the
// assignment minimises the total sensitivity with the total cost within the
// budget. That is the multiple-choice knapsack problem, solved exactly by
// dynamic programming over integer costs (bytes and bits are integers;
// fractional costs such as milliseconds are rounded up to a grid first,
// discretizeCosts, so the solution is feasible in the real costs and
// optimal on the grid).
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_QUANT_BITWIDTHS_H
#define QOPT_QUANT_BITWIDTHS_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qopt::quant {

/// One candidate format of one layer.
struct FormatChoice {
  int64_t cost = 0;         // >= 0, in the budget's unit
  double sensitivity = 0.0; // what the choice costs in accuracy (lower is better)
};

struct Assignment {
  /// The chosen candidate of each layer (an index into its choices).
  std::vector<size_t> pick;
  int64_t cost = 0;
  double sensitivity = 0.0;
};

/// The assignment of least total sensitivity whose total cost is at most
/// `budget`, or nothing when even the cheapest choices exceed it (or a layer
/// has no choice). Among equally sensitive assignments, the cheapest.
/// Time O(layers x choices x B) and memory O(layers x B) where B is the
/// budget less the cheapest assignment's cost; `error` says why when B
/// would exceed `maxStates` (discretize first).
std::optional<Assignment> solveBitWidths(const std::vector<std::vector<FormatChoice>> &layers,
                                         int64_t budget, std::string *error = nullptr,
                                         int64_t maxStates = int64_t(1) << 26);

/// A budget as users write it: "bits=5.0" (average bits per weight),
/// "size=3MB" (bytes; KB and MB are 1024 and 1024^2), "latency=2.5[ms]" or
/// "latency=1.15x" (relative: times the all-INT8 model's measured latency);
/// the value must be positive.
struct Budget {
  enum Kind { Bits, Size, Latency } kind = Bits;
  double value = 0;
  /// Latency only: `value` is a factor of a reference latency, not ms.
  bool relative = false;
};
std::optional<Budget> parseBudget(std::string_view text);

/// The latency budget (ms) to solve again under when a choice predicted at
/// `predicted` ms measured `measured` ms, over the budget's `limit` ms.
/// The per-layer estimates missed the choice's extra latency over
/// `reference` (INT8 mixed precision's all-INT8 model, weight-only's
/// uniform one) by the factor measured/predicted extra; the budget's extra
/// is divided by it (subtracting the overshoot instead reached the all-INT8
/// floor whenever the overshoot exceeded the budget's slack: on the
/// recognizer one overshoot of 1.3x gave every layer INT8). Without an
/// extra predicted, the overshoot is subtracted. In the 6 decimals the
/// budget is written with: under the prediction (rounded down to get
/// there), never under `floor` (the table's base, where no cheaper
/// assignment exists; the floor wins), otherwise rounded up.
double loweredLatencyBudget(double limit, double predicted, double measured, double reference,
                           double floor);

/// Spearman's rank correlation of two equally long series (ties take their
/// average rank); NaN with fewer than two values or a constant series.
double spearman(const std::vector<double> &a, const std::vector<double> &b);

/// Real costs on a grid of `steps` units per budget: each cost rounded up to
/// whole units of budget / steps (so any assignment feasible on the grid is
/// feasible in the real costs), the budget becoming `steps`.
std::vector<std::vector<int64_t>> discretizeCosts(const std::vector<std::vector<double>> &costs,
                                                  double budget, int64_t steps);

} // namespace qopt::quant

#endif
