//===- StatsFile.cpp - calibration statistics on disk ---------------------===//
#include "qopt/Quant/StatsFile.h"

#include "llvm/Support/Base64.h"
#include "llvm/Support/FileSystem.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace llvm;

namespace qopt::quant {

namespace {

/// A number only when it is finite (JSON has no inf or NaN: a statistics
/// file holding one would not read back).
std::optional<double> finite(std::optional<double> d) {
  return d && std::isfinite(*d) ? d : std::nullopt;
}

bool allFinite(ArrayRef<double> values) {
  return llvm::all_of(values, [](double v) { return std::isfinite(v); });
}

/// `values` as finite positive numbers (scales) appended to `out`; false if
/// one is not.
bool positiveNumbers(const json::Array &values, std::vector<double> &out) {
  for (const json::Value &v : values) {
    std::optional<double> d = finite(v.getAsNumber());
    if (!d || !(*d > 0))
      return false;
    out.push_back(*d);
  }
  return true;
}

} // namespace

bool writeStatsFile(const std::string &path, const CalibrationStats &stats,
                    std::string &error) {
  // JSON cannot hold inf or NaN: refuse them rather than write a file that
  // does not read back.
  for (const auto &[id, t] : stats.tensors)
    if (!allFinite({t.min, t.max, t.range}) || !allFinite(t.channelMin) ||
        !allFinite(t.channelMax)) {
      error = "cannot save statistics: the range of '" + id +
              "' is not finite (inf or NaN in the calibration outputs)";
      return false;
    }
  for (const auto &[layer, r] : stats.weights)
    if (!allFinite(r.scales)) {
      error = "cannot save statistics: a weight scale of '" + layer + "' is not finite";
      return false;
    }
  for (const auto &[layer, g] : stats.groupWeights)
    if (!allFinite(g.scales)) {
      error = "cannot save statistics: a weight scale of '" + layer + "' is not finite";
      return false;
    }
  for (const auto &[id, a] : stats.awqScales)
    if (!allFinite(a.scales) || !std::isfinite(a.alpha)) {
      error = "cannot save statistics: an AWQ scale of '" + id + "' is not finite";
      return false;
    }
  json::Array tensors;
  for (const auto &[id, t] : stats.tensors) {
    size_t first = 0, last = t.bins();
    while (first < last && t.counts[first] == 0)
      ++first;
    while (last > first && t.counts[last - 1] == 0)
      --last;
    json::Array counts;
    for (size_t i = first; i < last; ++i)
      counts.push_back(int64_t(t.counts[i]));
    json::Object entry{{"id", id},
                       {"min", t.min},
                       {"max", t.max},
                       {"count", int64_t(t.count)},
                       {"range", t.range},
                       {"bins", int64_t(t.bins())},
                       {"first", int64_t(first)},
                       {"counts", std::move(counts)}};
    if (t.hasChannelRanges()) {
      entry["channel_axis"] = t.channelAxis;
      entry["channel_min"] = json::Array(t.channelMin);
      entry["channel_max"] = json::Array(t.channelMax);
    }
    tensors.push_back(std::move(entry));
  }
  json::Object root{{"format", "qopt-calibration-stats"},
                    {"version", kStatsFileVersion},
                    {"model", stats.modelFingerprint},
                    {"samples", int64_t(stats.samples)},
                    {"tensors", std::move(tensors)}};
  if (!stats.weights.empty()) {
    json::Array weights;
    for (const auto &[layer, r] : stats.weights)
      weights.push_back(json::Object{
          {"layer", layer},
          {"rows", r.rows},
          {"cols", r.cols},
          {"per_tensor", r.perTensor},
          {"scales", json::Array(r.scales)},
          {"codes", encodeBase64(ArrayRef<int8_t>(r.codes))}});
    root["weights"] = std::move(weights);
  }
  if (!stats.groupWeights.empty()) {
    json::Array groups;
    for (const auto &[layer, g] : stats.groupWeights) {
      // Codes as bytes code - qmin (0 .. 2^bits - 1).
      std::vector<uint8_t> codes;
      codes.reserve(g.codes.size());
      for (int16_t c : g.codes)
        codes.push_back(uint8_t(c - g.spec.qmin()));
      json::Array zeros;
      for (int64_t z : g.zeros)
        zeros.push_back(z);
      groups.push_back(json::Object{{"layer", layer},
                                    {"rows", g.rows},
                                    {"cols", g.cols},
                                    {"bits", g.spec.bits},
                                    {"group_size", g.spec.groupSize},
                                    {"symmetric", g.spec.symmetric},
                                    {"scales", json::Array(g.scales)},
                                    {"zero_points", std::move(zeros)},
                                    {"codes", encodeBase64(ArrayRef<uint8_t>(codes))}});
    }
    root["group_weights"] = std::move(groups);
  }
  if (!stats.awqScales.empty()) {
    json::Array awq;
    for (const auto &[id, a] : stats.awqScales)
      awq.push_back(json::Object{{"id", id}, {"alpha", a.alpha}, {"scales", json::Array(a.scales)}});
    root["awq_scales"] = std::move(awq);
  }
  if (!stats.formats.empty()) {
    json::Object formats;
    for (const auto &[layer, f] : stats.formats)
      formats[layer] = f;
    root["formats"] = std::move(formats);
    root["formats_budget"] = stats.formatsBudget;
    if (!stats.formatsTable.empty()) {
      Expected<json::Value> table = json::parse(stats.formatsTable);
      if (!table) {
        error = "the mixed-precision table is not JSON: " + toString(table.takeError());
        return false;
      }
      root["formats_table"] = std::move(*table);
      root["formats_table_options"] = stats.formatsTableOptions;
      root["formats_table_budget"] = stats.formatsTableBudget;
    }
  }
  SmallString<256> tmp;
  if (auto ec = sys::fs::createUniqueFile(path + ".tmp-%%%%%%", tmp)) {
    error = "cannot write next to " + path + ": " + ec.message();
    return false;
  }
  {
    std::error_code ec;
    raw_fd_ostream os(tmp, ec);
    if (ec) {
      error = "cannot write " + std::string(tmp) + ": " + ec.message();
      return false;
    }
    os << json::Value(std::move(root)) << "\n";
    os.close();
    if (os.has_error()) {
      sys::fs::remove(tmp);
      error = "cannot write " + std::string(tmp) + ": " + os.error().message();
      return false;
    }
  }
  if (auto ec = sys::fs::rename(tmp, path)) {
    sys::fs::remove(tmp);
    error = "cannot write " + path + ": " + ec.message();
    return false;
  }
  return true;
}

bool readStatsFile(const std::string &path, CalibrationStats &stats,
                   std::string &error) {
  auto buf = MemoryBuffer::getFile(path);
  if (!buf) {
    error = "cannot read " + path + ": " + buf.getError().message();
    return false;
  }
  Expected<json::Value> parsed = json::parse((*buf)->getBuffer());
  if (!parsed) {
    error = path + ": not JSON: " + toString(parsed.takeError());
    return false;
  }
  const json::Object *root = parsed->getAsObject();
  auto bad = [&](const Twine &why) {
    error = (path + ": " + why).str();
    return false;
  };
  if (!root || root->getString("format") != "qopt-calibration-stats")
    return bad("not a qopt calibration statistics file");
  std::optional<int64_t> version = root->getInteger("version");
  if (version != kStatsFileVersion)
    return bad("version " + Twine(version.value_or(-1)) + " is not supported (this qoptc "
               "reads version " + Twine(kStatsFileVersion) + "); calibrate again");
  std::optional<StringRef> model = root->getString("model");
  const json::Array *tensors = root->getArray("tensors");
  if (!model || !tensors)
    return bad("missing 'model' or 'tensors'");
  stats.modelFingerprint = model->str();
  stats.samples = root->getInteger("samples").value_or(0);
  stats.tensors.clear();
  for (const json::Value &v : *tensors) {
    const json::Object *o = v.getAsObject();
    if (!o)
      return bad("a tensor entry is not an object");
    std::optional<StringRef> id = o->getString("id");
    std::optional<double> mn = finite(o->getNumber("min")), mx = finite(o->getNumber("max")),
                          range = finite(o->getNumber("range"));
    std::optional<int64_t> count = o->getInteger("count"), bins = o->getInteger("bins"),
                           first = o->getInteger("first");
    const json::Array *counts = o->getArray("counts");
    if (!id || !mn || !mx || !range || !count || !bins || !first || !counts ||
        *bins <= 0 || *bins % 4 != 0 || *first < 0 ||
        *first + int64_t(counts->size()) > *bins)
      return bad("malformed entry for tensor '" + id.value_or("?") + "'");
    TensorStats t(*bins);
    t.channelAxis = o->getInteger("channel_axis").value_or(1);
    t.min = *mn;
    t.max = *mx;
    t.range = *range;
    t.count = *count;
    for (size_t i = 0; i < counts->size(); ++i) {
      std::optional<int64_t> c = (*counts)[i].getAsInteger();
      if (!c || *c < 0)
        return bad("malformed histogram for tensor '" + *id + "'");
      t.counts[*first + i] = *c;
    }
    const json::Array *cmin = o->getArray("channel_min"), *cmax = o->getArray("channel_max");
    if (bool(cmin) != bool(cmax) || (cmin && cmin->size() != cmax->size()))
      return bad("malformed channel ranges for tensor '" + *id + "'");
    for (size_t c = 0; cmin && c < cmin->size(); ++c) {
      std::optional<double> lo = finite((*cmin)[c].getAsNumber()),
                            hi = finite((*cmax)[c].getAsNumber());
      if (!lo || !hi || *lo > *hi)
        return bad("malformed channel ranges for tensor '" + *id + "'");
      t.channelMin.push_back(*lo);
      t.channelMax.push_back(*hi);
    }
    stats.tensors.emplace(id->str(), std::move(t));
  }
  stats.weights.clear();
  if (const json::Value *wv = root->get("weights")) {
    const json::Array *weights = wv->getAsArray();
    if (!weights)
      return bad("'weights' is not an array");
    for (const json::Value &v : *weights) {
      const json::Object *o = v.getAsObject();
      std::optional<StringRef> layer = o ? o->getString("layer") : std::nullopt;
      std::optional<int64_t> rows = o ? o->getInteger("rows") : std::nullopt,
                             cols = o ? o->getInteger("cols") : std::nullopt;
      std::optional<bool> perTensor = o ? o->getBoolean("per_tensor") : std::nullopt;
      const json::Array *scales = o ? o->getArray("scales") : nullptr;
      std::optional<StringRef> codes = o ? o->getString("codes") : std::nullopt;
      auto malformed = [&] {
        return bad("malformed rounded weights for layer '" + layer.value_or("?") + "'");
      };
      if (!layer || !rows || !cols || !perTensor || !scales || !codes || *rows <= 0 ||
          *cols <= 0 || scales->size() != size_t(*perTensor ? 1 : *rows))
        return malformed();
      RoundedWeights r;
      r.rows = *rows;
      r.cols = *cols;
      r.perTensor = *perTensor;
      if (!positiveNumbers(*scales, r.scales))
        return malformed();
      std::vector<char> bytes;
      if (Error e = decodeBase64(*codes, bytes)) {
        consumeError(std::move(e));
        return malformed();
      }
      if (bytes.size() != size_t(*rows * *cols))
        return malformed();
      r.codes.assign(bytes.begin(), bytes.end());
      for (int8_t c : r.codes)
        if (c < -127)
          return malformed();
      stats.weights.emplace(layer->str(), std::move(r));
    }
  }
  stats.groupWeights.clear();
  if (const json::Value *gv = root->get("group_weights")) {
    const json::Array *groups = gv->getAsArray();
    if (!groups)
      return bad("'group_weights' is not an array");
    for (const json::Value &v : *groups) {
      const json::Object *o = v.getAsObject();
      std::optional<StringRef> layer = o ? o->getString("layer") : std::nullopt;
      auto integer = [&](StringRef key) { return o ? o->getInteger(key) : std::nullopt; };
      std::optional<int64_t> rows = integer("rows"), cols = integer("cols"),
                             bits = integer("bits"), groupSize = integer("group_size");
      std::optional<bool> symmetric = o ? o->getBoolean("symmetric") : std::nullopt;
      const json::Array *scales = o ? o->getArray("scales") : nullptr;
      const json::Array *zeros = o ? o->getArray("zero_points") : nullptr;
      std::optional<StringRef> codes = o ? o->getString("codes") : std::nullopt;
      auto malformed = [&] {
        return bad("malformed group-wise weights for layer '" + layer.value_or("?") + "'");
      };
      if (!layer || !rows || !cols || !bits || !groupSize || !symmetric || !scales || !zeros ||
          !codes || *rows <= 0 || *cols <= 0)
        return malformed();
      GroupSpec spec;
      spec.bits = *bits;
      spec.groupSize = *groupSize;
      spec.symmetric = *symmetric;
      if (!spec.check().empty())
        return malformed();
      GroupWeights g = GroupWeights::shaped(*rows, *cols, spec);
      if (scales->size() != g.scales.size() || zeros->size() != g.zeros.size())
        return malformed();
      for (size_t i = 0; i < g.scales.size(); ++i) {
        std::optional<double> d = finite((*scales)[i].getAsNumber());
        std::optional<int64_t> z = (*zeros)[i].getAsInteger();
        if (!d || !(*d > 0) || !z || *z < spec.qmin() || *z > spec.qmax())
          return malformed();
        g.scales[i] = *d;
        g.zeros[i] = *z;
      }
      std::vector<char> bytes;
      if (Error e = decodeBase64(*codes, bytes)) {
        consumeError(std::move(e));
        return malformed();
      }
      if (bytes.size() != g.codes.size())
        return malformed();
      for (size_t i = 0; i < bytes.size(); ++i) {
        int64_t c = int64_t(uint8_t(bytes[i])) + spec.qmin();
        if (c > spec.qmax())
          return malformed();
        g.codes[i] = int16_t(c);
      }
      stats.groupWeights.emplace(layer->str(), std::move(g));
    }
  }
  stats.awqScales.clear();
  if (const json::Value *av = root->get("awq_scales")) {
    const json::Array *entries = av->getAsArray();
    if (!entries)
      return bad("'awq_scales' is not an array");
    for (const json::Value &v : *entries) {
      const json::Object *o = v.getAsObject();
      std::optional<StringRef> id = o ? o->getString("id") : std::nullopt;
      const json::Array *scales = o ? o->getArray("scales") : nullptr;
      std::optional<double> alpha = o ? finite(o->getNumber("alpha")) : std::nullopt;
      auto malformed = [&] { return bad("malformed AWQ scales of '" + id.value_or("?") + "'"); };
      if (!id || !scales || scales->empty() || !alpha || *alpha <= 0 || *alpha > 1 ||
          stats.awqScales.count(id->str()))
        return malformed();
      AwqChannelScales a;
      a.alpha = *alpha;
      if (!positiveNumbers(*scales, a.scales))
        return malformed();
      stats.awqScales.emplace(id->str(), std::move(a));
    }
  }
  stats.formats.clear();
  if (const json::Value *fv = root->get("formats")) {
    const json::Object *formats = fv->getAsObject();
    if (!formats)
      return bad("'formats' is not an object");
    for (const auto &[layer, f] : *formats) {
      std::optional<StringRef> name = f.getAsString();
      if (!name)
        return bad("'formats' maps layer ids to format names");
      stats.formats.emplace(layer.str(), name->str());
    }
    stats.formatsBudget = root->getString("formats_budget").value_or("").str();
  }
  stats.formatsTable.clear();
  stats.formatsTableOptions.clear();
  stats.formatsTableBudget.clear();
  if (const json::Value *tv = root->get("formats_table")) {
    if (!tv->getAsObject() || !tv->getAsObject()->getArray("layers"))
      return bad("'formats_table' is not a table (an object with 'layers')");
    if (stats.formats.empty())
      return bad("'formats_table' without 'formats'");
    stats.formatsTable = formatv("{0}", *tv).str();
    stats.formatsTableOptions = root->getString("formats_table_options").value_or("").str();
    stats.formatsTableBudget = root->getString("formats_table_budget").value_or("").str();
  }
  return true;
}

} // namespace qopt::quant
