//===- CPUTarget.cpp - TargetMachine, LLVM IR, object file, linking -------===//
#include "qopt/Target/CPU/CPUTarget.h"
#include "qopt/Target/CPU/CpuFeatures.h"

#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;

namespace qopt {

/// Emits `void qopt_model_invoke(void **args)` calling the C interface of
/// @main: args[0] points at the results, args[1..] at the input descriptors.
static LogicalResult addPackedEntry(llvm::Module &m, unsigned threads,
                                    std::string &error) {
  llvm::Function *entry = m.getFunction("_mlir_ciface_main");
  if (!entry) {
    error = "generated code has no _mlir_ciface_main";
    return failure();
  }
  llvm::LLVMContext &ctx = m.getContext();
  auto *ptrTy = llvm::PointerType::get(ctx, 0);
  auto *fnTy = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptrTy}, false);
  auto *fn = llvm::Function::Create(fnTy, llvm::GlobalValue::ExternalLinkage,
                                    "qopt_model_invoke", m);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", fn));
  SmallVector<llvm::Value *> args;
  for (unsigned i = 0; i < entry->arg_size(); ++i) {
    llvm::Value *slot = b.CreateConstGEP1_64(ptrTy, fn->getArg(0), i);
    args.push_back(b.CreateLoad(ptrTy, slot));
  }
  b.CreateCall(entry, args);
  b.CreateRetVoid();
  // The kernels' default thread count (runtime/Threads.cpp).
  auto *i32 = llvm::Type::getInt32Ty(ctx);
  new llvm::GlobalVariable(m, i32, /*isConstant=*/true, llvm::GlobalValue::ExternalLinkage,
                           llvm::ConstantInt::get(i32, threads), "qopt_model_threads");
  return success();
}

std::unique_ptr<llvm::TargetMachine> createCPUTargetMachine(const CPUTargetOptions &options,
                                                            std::string &error) {
  static bool init = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)init;
  std::string triple = llvm::sys::getProcessTriple();
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(llvm::Triple(triple), error);
  if (!target)
    return nullptr;
  std::string cpu = options.cpu;
  std::string features;
  if (cpu.empty() || cpu == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    for (auto &f : llvm::sys::getHostCPUFeatures())
      features += std::string(features.empty() ? "" : ",") +
                  (f.second ? "+" : "-") + f.first().str();
  }
  if (!options.features.empty())
    features += std::string(features.empty() ? "" : ",") + options.features;
  llvm::CodeGenOptLevel level = options.optLevel == 0 ? llvm::CodeGenOptLevel::None
                                : options.optLevel >= 3
                                    ? llvm::CodeGenOptLevel::Aggressive
                                    : llvm::CodeGenOptLevel::Default;
  llvm::TargetOptions to;
  // Constructors (the GPU modules' registration) in .init_array, as clang
  // emits them: lld, unlike GNU ld, does not turn .ctors into .init_array.
  to.UseInitArray = true;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      llvm::Triple(triple), cpu, features, to, llvm::Reloc::PIC_, std::nullopt, level));
  if (!tm) {
    error = "cannot create a target machine for " + triple + " / " + cpu;
    return nullptr;
  }
  if (!options.cpu.empty() && options.cpu != "native" &&
      !tm->getMCSubtargetInfo()->isCPUStringValid(cpu)) {
    error = "unknown --target-cpu '" + cpu + "'";
    return nullptr;
  }
  return tm;
}

/// The name of the first (features, name) pair whose features the target
/// has; "generic" if none does or the target cannot be created.
static std::string firstSupported(
    const CPUTargetOptions &options,
    std::initializer_list<std::pair<const char *, const char *>> choices) {
  std::string error;
  std::unique_ptr<llvm::TargetMachine> tm = createCPUTargetMachine(options, error);
  if (!tm)
    return "generic";
  for (auto [features, name] : choices)
    if (tm->getMCSubtargetInfo()->checkFeatures(features))
      return name;
  return "generic";
}

std::string selectKernelIsa(const CPUTargetOptions &options) {
  return firstSupported(options, {{"+avx512vnni,+avx512bw,+avx512f", "avx512vnni"},
                                  {"+avxvnni,+avx2", "avxvnni"},
                                  {"+avx2", "avx2"}});
}

std::string selectF32Kernel(const CPUTargetOptions &options) {
  return firstSupported(options, {{"+avx512f", "avx512"}, {"+avx2,+fma", "avx2"}});
}

/// Records the x86 features `tm` enables (of those the runtime can check,
/// CpuFeatures.h) and its CPU name: `qopt_model_cpu_features` ("avx,avx2,...")
/// and `qopt_model_target_cpu`, read by qopt_model_create.
static void addCpuFeatures(llvm::Module &m, const llvm::TargetMachine &tm) {
  if (!tm.getTargetTriple().isX86())
    return;
  const llvm::MCSubtargetInfo *sti = tm.getMCSubtargetInfo();
  std::string features;
#define QOPT_RECORD_FEATURE(NAME)                                                          \
  if (sti->checkFeatures("+" NAME))                                                        \
    features += std::string(features.empty() ? "" : ",") + NAME;
  QOPT_X86_CPU_FEATURES(QOPT_RECORD_FEATURE)
#undef QOPT_RECORD_FEATURE
  for (auto [name, value] : {std::pair{"qopt_model_cpu_features", features},
                             std::pair{"qopt_model_target_cpu", tm.getTargetCPU().str()}}) {
    llvm::Constant *text = llvm::ConstantDataArray::getString(m.getContext(), value);
    new llvm::GlobalVariable(m, text->getType(), /*isConstant=*/true,
                             llvm::GlobalValue::ExternalLinkage, text, name);
  }
}

std::unique_ptr<llvm::Module> translateToLLVMIR(ModuleOp module, llvm::LLVMContext &ctx,
                                                const CPUTargetOptions &options,
                                                std::string &error) {
  std::unique_ptr<llvm::Module> m = translateModuleToLLVMIR(module, ctx, "qopt_model");
  if (!m) {
    error = "translation to LLVM IR failed";
    return nullptr;
  }
  if (failed(addPackedEntry(*m, options.threads, error)))
    return nullptr;
  // The weights (ExternalWeights.cpp) may be larger than the 2 GiB a 32-bit
  // PC-relative offset reaches: the code addresses them with 64-bit ones.
  if (llvm::GlobalVariable *w = m->getGlobalVariable("qopt_weights", true))
    w->setCodeModel(llvm::CodeModel::Large);
  std::unique_ptr<llvm::TargetMachine> tm = createCPUTargetMachine(options, error);
  if (!tm)
    return nullptr;
  m->setTargetTriple(tm->getTargetTriple());
  m->setDataLayout(tm->createDataLayout());
  addCpuFeatures(*m, *tm);
  if (llvm::verifyModule(*m, &llvm::errs())) {
    error = "generated LLVM IR does not verify";
    return nullptr;
  }
  if (options.optLevel > 0) {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb(tm.get());
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    llvm::OptimizationLevel level = options.optLevel == 1 ? llvm::OptimizationLevel::O1
                                    : options.optLevel == 2 ? llvm::OptimizationLevel::O2
                                                            : llvm::OptimizationLevel::O3;
    llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(level);
    mpm.run(*m, mam);
  }
  return m;
}

LogicalResult emitObjectFile(llvm::Module &module, StringRef path,
                             const CPUTargetOptions &options, std::string &error) {
  std::unique_ptr<llvm::TargetMachine> tm = createCPUTargetMachine(options, error);
  if (!tm)
    return failure();
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = "cannot write " + path.str() + ": " + ec.message();
    return failure();
  }
  llvm::legacy::PassManager pm;
  if (tm->addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return failure();
  }
  pm.run(module);
  os.flush();
  return success();
}

std::string findRuntimeLibrary(StringRef archive, const char *envVar) {
  if (const char *env = getenv(envVar))
    return env;
  std::string exe = llvm::sys::fs::getMainExecutable(nullptr, nullptr);
  SmallString<256> p(llvm::sys::path::parent_path(llvm::sys::path::parent_path(exe)));
  llvm::sys::path::append(p, "lib", archive);
  return std::string(p);
}

LogicalResult linkSharedLibrary(StringRef objectPath, StringRef outputPath,
                                std::string &error, ArrayRef<StringRef> extraInputs) {
  return linkModelLibrary(objectPath, outputPath,
                          findRuntimeLibrary("libqopt_model_runtime.a", "QOPT_RUNTIME_LIB"),
                          {QOPT_OPENMP_LIBRARY, "-lstdc++", "-lm", "-lpthread"}, error,
                          extraInputs);
}

LogicalResult linkModelLibrary(StringRef objectPath, StringRef outputPath, StringRef runtime,
                               ArrayRef<StringRef> libraries, std::string &error,
                               ArrayRef<StringRef> extraInputs) {
  if (!llvm::sys::fs::exists(runtime)) {
    error = "model runtime library not found at " + runtime.str() +
            " (set QOPT_RUNTIME_LIB, or QOPT_CUDA_RUNTIME_LIB for --target=cuda)";
    return failure();
  }
  std::string linker;
  if (const char *env = getenv("QOPT_LINKER"))
    linker = env;
  for (const char *name : {"clang-22", "clang", "cc"}) {
    if (!linker.empty())
      break;
    if (auto p = llvm::sys::findProgramByName(name))
      linker = *p;
  }
  if (linker.empty()) {
    error = "no linker found (clang-22, clang or cc; or set QOPT_LINKER)";
    return failure();
  }
  SmallString<256> tmp;
  if (auto ec = llvm::sys::fs::createUniqueFile(outputPath + ".tmp-%%%%%%", tmp)) {
    error = "cannot create a temporary next to " + outputPath.str() + ": " +
            ec.message();
    return failure();
  }
  // --whole-archive: the C ABI must be exported even though the model
  // object references none of it.
  SmallVector<StringRef> args = {linker, "-shared", "-o", tmp, objectPath};
  // LLVM's lld (lld-22) when it is there: it maps its inputs and output
  // instead of reading a model's weights into memory (GNU ld held all of
  // them, 1.6 GB for 1.6 GB of weights, and took 20 s where lld takes 1 s).
  std::string ldPath;
  if (!getenv("QOPT_LINKER") && llvm::sys::path::stem(linker).starts_with("clang"))
    if (auto lld = llvm::sys::findProgramByName("ld.lld", {QOPT_LLVM_TOOLS_DIR})) {
      ldPath = "--ld-path=" + *lld;
      args.push_back(ldPath);
    }
  args.append(extraInputs.begin(), extraInputs.end());
  args.append({"-Wl,--whole-archive", runtime, "-Wl,--no-whole-archive"});
  args.append(libraries.begin(), libraries.end());
  std::string errMsg;
  int rc = llvm::sys::ExecuteAndWait(linker, args, std::nullopt, {}, 0, 0, &errMsg);
  if (rc != 0) {
    llvm::sys::fs::remove(tmp);
    error = "linking failed (" + linker + ", exit " + std::to_string(rc) + ")" +
            (errMsg.empty() ? "" : ": " + errMsg);
    return failure();
  }
  if (auto ec = llvm::sys::fs::rename(tmp, outputPath)) {
    llvm::sys::fs::remove(tmp);
    error = "cannot write " + outputPath.str() + ": " + ec.message();
    return failure();
  }
  return success();
}

} // namespace qopt
