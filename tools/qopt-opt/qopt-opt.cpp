//===- qopt-opt.cpp - mlir-opt with the qopt dialect and passes -----------===//
//
// Every qopt pass, every upstream pass the lowering uses, and the
// `qopt-import-cleanup` and `qopt-lower-to-llvm` pipelines, so that each
// stage of qoptc can be run and inspected on its own.
//
//===----------------------------------------------------------------------===//
#include "qopt/Compiler/Compiler.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  qopt::registerCompilerDialects(registry);
  qopt::registerCompilerPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "qopt optimizer driver\n", registry));
}
