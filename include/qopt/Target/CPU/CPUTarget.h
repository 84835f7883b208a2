//===- CPUTarget.h - x86 CPU: LLVM codegen and linking ------------*- C++ -*-===//
//
// The CPU target after the LLVM dialect: the LLVM TargetMachine for the host
// or a named CPU, translation to LLVM IR with the runtime's packed entry
// point, LLVM's optimization pipeline, object emission, and linking with the
// model runtime (runtime/) into a shared library with the C ABI
// (include/qopt-c/Runtime.h).
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_TARGET_CPU_CPUTARGET_H
#define QOPT_TARGET_CPU_CPUTARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class TargetMachine;
} // namespace llvm

namespace qopt {

struct CPUTargetOptions {
  /// LLVM optimization: 0 none, 1-3 LLVM's -O1..-O3 pipelines.
  unsigned optLevel = 2;
  /// LLVM CPU name; empty or "native" = the host CPU with its features.
  std::string cpu;
  /// Extra LLVM target features ("+avx2,-avx512f"); appended to the host's
  /// when `cpu` is native.
  std::string features;
  /// The kernels' default thread count, stored in the library as
  /// `qopt_model_threads` (runtime/Threads.cpp); 0 = every core.
  unsigned threads = 0;
};

/// The TargetMachine for `options` (PIC, the process triple); null with
/// `error` set for an unknown CPU name.
std::unique_ptr<llvm::TargetMachine> createCPUTargetMachine(const CPUTargetOptions &options,
                                                            std::string &error);

/// The int8 kernel variant the target supports best: avx512vnni (VNNI on
/// zmm with AVX-512BW), avxvnni, avx2 or generic ("generic" if the target
/// cannot be created).
std::string selectKernelIsa(const CPUTargetOptions &options);

/// The f32 GEMM kernel whose tile constant operands are packed for
/// (qopt/Quant/F32Packing.h): avx512 (AVX-512F), avx2 (AVX2 and FMA) or
/// generic, the one the runtime picks on a CPU with the target's features.
std::string selectF32Kernel(const CPUTargetOptions &options);

/// Translates an LLVM-dialect module to LLVM IR for the target, adds the
/// packed entry point `void qopt_model_invoke(void **)` and the thread
/// default, verifies and optimizes it. Errors are reported as MLIR
/// diagnostics (on the module) or in `error`.
std::unique_ptr<llvm::Module> translateToLLVMIR(mlir::ModuleOp module, llvm::LLVMContext &ctx,
                                                const CPUTargetOptions &options,
                                                std::string &error);

/// Writes a relocatable object for `module` (already optimized).
llvm::LogicalResult emitObjectFile(llvm::Module &module, llvm::StringRef path,
                                   const CPUTargetOptions &options, std::string &error);

/// Files that hold a module's weights outside its LLVM IR (removed when
/// this is destroyed).
struct ExternalWeights {
  std::string objectPath; ///< an ELF object defining `qopt_weights`
  uint64_t bytes = 0;
  /// Borrowed mode: the addresses, in this process, of the weights the
  /// library reads through its table `qopt_weight_table` (ModelLibrary::load
  /// fills it).
  std::vector<const void *> borrowed;
  ExternalWeights() = default;
  ExternalWeights(const ExternalWeights &) = delete;
  ExternalWeights &operator=(const ExternalWeights &) = delete;
  ~ExternalWeights();
};

/// Moves the initializers of constant LLVM globals of at least `minBytes`
/// (the model's weights) out of `module` (in the LLVM dialect) into the ELF
/// object `<stem>.weights.o`, each use of one becoming an offset into the
/// hidden symbol `qopt_weights` it defines (64-byte aligned offsets, in
/// section .rodata.qopt_weights): large weights never become LLVM IR
/// constants or in-memory object sections. Link that object with the
/// model's (linkSharedLibrary's `extraInputs`). Nothing is written when no
/// global qualifies (`out` stays empty).
///
/// With `borrow`, the weights are not written at all: each use loads its
/// address from the library's table `qopt_weight_table` (exported, with
/// `qopt_weight_table_size`), and `out.borrowed` lists the addresses of the
/// bytes in this process (the MLIR blobs: memory-mapped external data or the
/// context's storage). Such a library runs only in this process while the
/// blobs live, once the table is filled (ModelLibrary::load's `borrowed`);
/// the model runtime refuses to create an instance of it otherwise.
/// Calibration libraries use it: a 28 GB float model is never copied into
/// an object file and a library. A global whose bytes are not aligned as the
/// global asks, or whose address is taken outside a function, stays in the
/// object file.
mlir::LogicalResult externalizeWeights(mlir::ModuleOp module, llvm::StringRef stem,
                                       uint64_t minBytes, ExternalWeights &out,
                                       std::string &error, bool borrow = false);

/// Links `objectPath` with the model runtime into a shared library at
/// `outputPath` (written to a temporary and renamed, so that a failed link
/// leaves nothing behind). The runtime archive is looked up next to the
/// running executable (../lib/libqopt_model_runtime.a) unless
/// QOPT_RUNTIME_LIB is set; the linker is QOPT_LINKER, clang-22, clang or cc.
/// `extraInputs` are linked too (externalizeWeights' object).
llvm::LogicalResult linkSharedLibrary(llvm::StringRef objectPath, llvm::StringRef outputPath,
                                      std::string &error,
                                      llvm::ArrayRef<llvm::StringRef> extraInputs = {});

/// The runtime archive `archive` next to the running executable
/// (../lib/<archive>), or the path in environment variable `envVar`.
std::string findRuntimeLibrary(llvm::StringRef archive, const char *envVar);

/// The link step itself: `objectPath` + the whole `runtime` archive +
/// `libraries` (linker arguments) into a shared library at `outputPath`
/// (written to a temporary and renamed). The CUDA target links its host
/// code with it too.
llvm::LogicalResult linkModelLibrary(llvm::StringRef objectPath, llvm::StringRef outputPath,
                                     llvm::StringRef runtime,
                                     llvm::ArrayRef<llvm::StringRef> libraries,
                                     std::string &error,
                                     llvm::ArrayRef<llvm::StringRef> extraInputs = {});

} // namespace qopt

#endif
