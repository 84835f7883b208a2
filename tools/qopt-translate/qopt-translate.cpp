//===- qopt-translate.cpp - ONNX to qopt MLIR -----------------------------===//
//
//   qopt-translate --import-onnx model.onnx [--input-shape x=1,3,48,320]
//                  [--canonicalize] [-o out.mlir]
//
// Exits non-zero with a diagnostic report for bad or unsupported models.
//
//===----------------------------------------------------------------------===//
#include "qopt/Import/ONNXImporter.h"
#include "qopt/Support/Diagnostics.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "mlir/IR/Diagnostics.h"

using namespace llvm;

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.onnx>"),
                                      cl::init("-"));
static cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                       cl::value_desc("filename"), cl::init("-"));
static cl::opt<bool> importOnnx("import-onnx",
                                cl::desc("Import an ONNX model (binary or text)"));
static cl::list<std::string>
    inputShapes("input-shape", cl::desc("Static shape for a graph input: name=d0,d1,..."),
                cl::value_desc("name=dims"));
static cl::opt<bool> noOnnxInference("no-onnx-shape-inference",
                                     cl::desc("Skip ONNX's own shape inference"));
static cl::opt<bool> runCleanup(
    "canonicalize",
    cl::desc("After import, fold exporter noise: canonicalize, refine shapes, "
             "fold BatchNormalization into Conv"));
static cl::opt<int64_t> resourceThreshold(
    "resource-threshold",
    cl::desc("Constants above this many bytes become dense resource blobs"),
    cl::init(256));
static cl::opt<bool> listOps("list-ops", cl::desc("Print the supported ONNX ops"));

int main(int argc, char **argv) {
  InitLLVM y(argc, argv);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  cl::ParseCommandLineOptions(argc, argv, "qopt ONNX importer\n");

  if (listOps) {
    for (const std::string &op : qopt::supportedONNXOps())
      outs() << op << "\n";
    return 0;
  }
  if (!importOnnx) {
    errs() << "qopt-translate: choose a translation (--import-onnx)\n";
    return 1;
  }

  qopt::ImportOptions options;
  options.onnxShapeInference = !noOnnxInference;
  options.resourceThresholdBytes = resourceThreshold;
  for (const std::string &spec : inputShapes) {
    std::string error;
    auto parsed = qopt::parseInputShape(spec, error);
    if (!parsed) {
      errs() << "qopt-translate: --input-shape: " << error << "\n";
      return 1;
    }
    options.inputShapes.push_back(*parsed);
  }

  mlir::MLIRContext context;
  qopt::registerImportDialects(context);
  qopt::DiagnosticPrinter diagnostics(context);

  auto module = qopt::importOnnxFile(inputFile, context, options);
  if (!module)
    return 1;

  if (runCleanup) {
    mlir::PassManager pm(&context);
    qopt::buildImportCleanupPipeline(pm);
    if (failed(pm.run(*module)))
      return 1;
  }

  std::string error;
  auto output = mlir::openOutputFile(outputFile, &error);
  if (!output) {
    errs() << "qopt-translate: " << error << "\n";
    return 1;
  }
  module->print(output->os());
  output->os() << "\n";
  output->keep();
  return 0;
}
