//===- Passes.h - qopt conversion passes --------------------------*- C++ -*-===//
#ifndef QOPT_CONVERSION_PASSES_H
#define QOPT_CONVERSION_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class ModuleOp;
namespace arith { class ArithDialect; }
namespace bufferization { class BufferizationDialect; }
namespace linalg { class LinalgDialect; }
namespace LLVM { class LLVMDialect; }
namespace math { class MathDialect; }
namespace memref { class MemRefDialect; }
namespace scf { class SCFDialect; }
namespace tensor { class TensorDialect; }
} // namespace mlir

namespace qopt {

#define GEN_PASS_DECL
#include "qopt/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "qopt/Conversion/Passes.h.inc"

/// The int8 GEMM kernel variants qopt-matmul-microkernel{isa} accepts, best
/// first: avx512vnni, avxvnni, avx2, generic.
llvm::ArrayRef<llvm::StringRef> int8KernelIsas();

/// "avx512vnni, avxvnni, avx2 or generic" (for diagnostics).
std::string int8KernelIsaList();

} // namespace qopt

#endif
