//===- Diagnostics.cpp - user-facing diagnostic printing ------------------===//
#include "qopt/Support/Diagnostics.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

std::optional<std::pair<StringRef, StringRef>> qopt::onnxNodeOf(Location loc) {
  auto fused = dyn_cast<FusedLoc>(loc);
  auto tag = fused ? dyn_cast_or_null<StringAttr>(fused.getMetadata()) : StringAttr();
  if (!tag || !tag.getValue().starts_with("onnx."))
    return std::nullopt;
  for (Location inner : fused.getLocations())
    if (auto name = dyn_cast<NameLoc>(inner))
      return std::make_pair(name.getName().getValue(), tag.getValue().drop_front(5));
  return std::nullopt;
}

std::string qopt::shapeText(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "," : "") + (shape[i] < 0 ? std::string("?") : std::to_string(shape[i]));
  return s + "]";
}

std::string qopt::describeLocation(Location loc) {
  std::string out;
  llvm::raw_string_ostream os(out);
  if (auto fused = dyn_cast<FusedLoc>(loc)) {
    if (auto node = onnxNodeOf(loc); node && fused.getLocations().size() == 1) {
      os << "node '" << node->first << "' (" << node->second << ")";
      return out;
    }
    llvm::interleave(
        fused.getLocations(), os, [&](Location l) { os << describeLocation(l); }, "; ");
    return out;
  }
  if (auto name = dyn_cast<NameLoc>(loc)) {
    os << "'" << name.getName().getValue() << "'";
    return out;
  }
  if (auto file = dyn_cast<FileLineColLoc>(loc)) {
    os << file.getFilename().getValue() << ":" << file.getLine() << ":"
       << file.getColumn();
    return out;
  }
  if (auto cs = dyn_cast<CallSiteLoc>(loc))
    return describeLocation(cs.getCallee());
  if (isa<UnknownLoc>(loc))
    return "<unknown>";
  loc.print(os);
  return out;
}

static const char *severityName(DiagnosticSeverity s) {
  switch (s) {
  case DiagnosticSeverity::Error: return "error";
  case DiagnosticSeverity::Warning: return "warning";
  case DiagnosticSeverity::Note: return "note";
  case DiagnosticSeverity::Remark: return "remark";
  }
  return "error";
}

qopt::DiagnosticPrinter::DiagnosticPrinter(MLIRContext &ctx) : context(ctx) {
  ctx.printOpOnDiagnostic(false);
  id = ctx.getDiagEngine().registerHandler([this](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error)
      ++errors;
    auto print = [](Diagnostic &d) {
      llvm::errs() << describeLocation(d.getLocation()) << ": "
                   << severityName(d.getSeverity()) << ": " << d.str() << "\n";
    };
    print(diag);
    for (Diagnostic &note : diag.getNotes())
      print(note);
    return success();
  });
}

qopt::DiagnosticPrinter::~DiagnosticPrinter() {
  context.getDiagEngine().eraseHandler(id);
}
