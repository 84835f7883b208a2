//===- CUDATarget.h - NVIDIA GPUs: kernel binaries and linking ----*- C++ -*-===//
//
// The CUDA target after the GPU codegen pipeline (Codegen/GPU): which kernel
// binary goes into the library (PTX for the driver to compile, or a fatbin
// with the arch's cubin and the PTX when a CUDA toolkit is installed), the
// last touches on the gpu.binary objects, and linking the host code with
// the CUDA model runtime (runtime/cuda) instead of the CPU one. Compiling
// never needs a GPU, a driver or (for PTX) a toolkit.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_TARGET_CUDA_CUDATARGET_H
#define QOPT_TARGET_CUDA_CUDATARGET_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace qopt {

/// The SM architectures qoptc accepts for --gpu-arch.
llvm::ArrayRef<llvm::StringRef> gpuArchs();

/// A CUDA toolkit directory with bin/ptxas and bin/fatbinary: $CUDA_HOME,
/// $CUDA_PATH, $CUDA_ROOT, /usr/local/cuda, or the parent of the bin/ holding
/// ptxas on PATH; "" when there is none.
std::string findCUDAToolkit();

/// The gpu-module-to-binary format for a --gpu-binary choice: "ptx" → isa,
/// "cubin" → bin, "fatbin" → fatbin, "auto" → fatbin when `toolkit` is
/// non-empty, else isa. Fails (with `error`) for cubin/fatbin without a
/// toolkit or an unknown choice.
llvm::LogicalResult gpuBinaryFormat(llvm::StringRef choice, llvm::StringRef toolkit,
                                    std::string &format, std::string &error);

/// PTX objects are handed to the driver as C strings (mgpuModuleLoadJIT
/// gets no size): appends the terminating NUL to every PTX object of every
/// gpu.binary.
void terminatePTXObjects(mlir::ModuleOp module);

/// Links `objectPath` (the host code with the embedded kernels) with the
/// CUDA model runtime (../lib/libqopt_model_runtime_cuda.a or
/// $QOPT_CUDA_RUNTIME_LIB) into a shared library.
llvm::LogicalResult linkCUDASharedLibrary(llvm::StringRef objectPath,
                                          llvm::StringRef outputPath, std::string &error,
                                          llvm::ArrayRef<llvm::StringRef> extraInputs = {});

} // namespace qopt

#endif
