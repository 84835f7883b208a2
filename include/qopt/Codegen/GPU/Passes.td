//===- Passes.td - NVIDIA GPU codegen passes -*- tablegen -*-===//
#ifndef QOPT_CODEGEN_GPU_PASSES
#define QOPT_CODEGEN_GPU_PASSES

include "mlir/Pass/PassBase.td"

def QOptGPUPlaceBuffers : Pass<"qopt-gpu-place-buffers", "::mlir::func::FuncOp"> {
  let summary = "Decide which buffers live on the GPU and which on the host; insert the copies";
  let description = [{
    Runs on the bufferized entry function of a model compiled for the GPU.
    The function's arguments and results are device buffers (the CUDA
    runtime copies host tensors in and out, or takes the caller's device
    pointers). Most work runs on the device; what has to run on the host is
    the scalar code that computes shapes: `memref.load`/`memref.store` outside
    a linalg op, and the shape operand of `memref.reshape`.

    Placement: a buffer that such host code reads or writes is a host buffer,
    and so is every buffer a linalg op writing a host buffer reads
    (propagated to a fixed point). Those linalg ops get the unit attribute
    `qopt.host` and later become host loops; every other linalg op (and
    every `memref.copy`, turned into `linalg.copy` first) runs on the device.
    Allocations of device buffers become `gpu.alloc`/`gpu.dealloc`.
    Constants (`memref.get_global`) are usable on both sides: kernels read
    the device copy that `gpu-kernel-outlining` places in the GPU module.

    Where a host op reads a device buffer, the buffer is copied to a host
    buffer (`gpu.memcpy`) just before that op; where a device op reads a
    host buffer, or a host buffer is returned, the other way round. Such
    buffers are shape tensors of a few elements. A buffer written on both
    sides is refused with an error naming the op.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect"];
}

def QOptGPUMmaMatmul : Pass<"qopt-gpu-mma-matmul", "::mlir::func::FuncOp"> {
  let summary = "Integer GEMMs on tensor cores: i8 x i8 -> i32 linalg.matmul as mma.sync m16n8k32";
  let description = [{
    Runs after `qopt-gpu-place-buffers`, before `qopt-gpu-map-kernels`. Each
    device `linalg.matmul` C += A * B on rank-2 buffers with i8 A and B and
    an i32 C (the integer form of quantized MatMul, Gemm and, through
    im2col, Conv), with the default indexing maps or with B read transposed
    ((m, k), (n, k), (m, n): a Gemm with transB, PyTorch's Linear; B is then
    [N, K] and staged like A), becomes a tensor-core kernel:

    - a block of 128 threads (4 warps) computes a 64x64 tile of C, each warp
      a 32x32 quarter as 2x4 `nvgpu.mma.sync` tiles of shape [16, 8, 32]
      (PTX `mma.sync.aligned.m16n8k32.row.col.satfinite.s32.s8.s8.s32`)
      with the accumulators in registers;
    - per step of 32 along K the block stages A's 64x32 tile and B's 32x64
      tile in shared memory, B transposed (n-major) so that both fragments
      are rows of consecutive k; rows are padded by 16 bytes (48 bytes for
      int8, 80 for f16) so that every row starts 16-byte aligned and the 8
      rows an ldmatrix phase reads fall in different banks; elements past
      M, N or K are staged as zeros, which leaves the sums exact. Each
      thread stages 16 consecutive elements of A (a row's k) and of B (a
      row's n): with one 16-byte-aligned vector load (and, for A, one
      vector store) when the operand's first element and row stride are
      multiples of 16 bytes (checked in the kernel on the buffer it gets)
      and all 16 are in bounds, else element by element;
    - the fragments are loaded with `nvgpu.ldmatrix` x4 (PTX
      `ldmatrix.sync.aligned.m8n8.x4.shared.b16`: lanes 8j..8j+7 address
      the 16-byte rows of matrix j, lane 4g + t receives word t of row g
      in register j): per A tile rows 0-7 and 8-15 at k and k + 16 bytes,
      per two B tiles the rows n of each at k and k + 16 bytes, which is
      the PTX ISA's layout for m16n8k32 (lane = 4 * group + t: A rows group
      and group + 8, k = 4t..4t+3 and 16 + 4t..; B column group, the same
      k; C rows group and group + 8, columns 2t and 2t + 1) and, with f16
      words of two elements, for m16n8k16;
    - each thread adds its accumulators to C (linalg.matmul accumulates
      into its init: a bias or zero), guarded at the edges.

    Convolutions as implicit GEMM (option `implicit-gemm`, on by default).
    `qopt-conv-to-im2col-gemm` gives a convolution's GEMM a B that is a
    copy of its input, col[c, kh, kw, n, oh, ow] = x[n, c, oh*s + kh*d,
    ow*s + kw*d], collapsed to [C*KH*KW, N*OH*OW]. When B is such a rank-2
    collapse of a device allocation that a single all-parallel copy writes
    (any input indexing map, identity output map, in the matmul's block and
    before it) and nothing else reads, and nothing from the copy to where
    the kernel runs (the fused consumer, else the matmul), that op included,
    may write or free the copy's input, the kernel stages B(k, n) straight
    from x: k delinearized in the first group's sizes, n in the second's,
    the copy's map applied; element by element (the vector load needs 16
    contiguous bytes, which the copy's map does not promise). The copy, its
    launch and its buffer go, and with them the im2col matrix's device
    memory (K times the input's size for a stride-1 convolution). Writes
    are told apart by the buffer they reach (its allocation or function
    argument, through views): distinct function arguments are taken not to
    alias, as for the epilogues.

    Implicit padding (with implicit GEMM): when x is a device allocation
    that one fill (linalg.fill, or a linalg.map of a value from outside it)
    sets whole to the pad value, whose interior (one unit-stride subview)
    is then written whole by linalg ops (all loops parallel, the subview
    their one init under a permutation map, its old values unread), all in
    the copy's block between the fill and the copy, and that nothing else
    reads or writes, the kernel selects the fill's value for elements
    outside the interior (offsets and sizes of the subview, compared
    unsigned; the load stays in bounds, the border being allocated); the
    fill goes. (linalg.fill counts only with a value of x's element type.) This is decided before any GEMM becomes
    a kernel, so an interior written by an earlier GEMM's fused epilogue
    counts (the epilogue writes what its op wrote).

    First, an i32 operand that only a sign-extension of an i8 buffer writes
    (how MatMulInteger and QLinearMatMul lower, to handle zero points) is
    replaced by that i8 buffer and the extension dropped: linalg.matmul
    sign-extends its operands itself.

    Integer sums are exact in any order, so results equal the SIMT
    kernel's unless an i32 sum overflows (mma.sync saturates, the CPU
    wraps; neither happens for int8 GEMMs with K < 2^17).

    With `float16` (qoptc --gpu-float=fp16), f32 matmuls get the same
    kernel on the f16 tensor cores: operands rounded to f16 (round to
    nearest even) as they are staged, `mma.sync` m16n8k16 (two per k-tile,
    fragments of two f16 per register at the PTX ISA's coordinates) with f32
    accumulation, C += acc in f32. That changes results by the f16 rounding
    of the operands (about 2^-11 relative per product). With `bfloat16`
    (qoptc --gpu-float=bf16) the same with bf16 operands (f32's exponent
    range, about 2^-8 relative per product); upstream's nvgpu lowering does
    not take bf16, so `qopt-gpu-lower-bf16-mma` lowers those mma.sync ops.

    Epilogues (option `epilogues`, on by default). On buffers the matmul's
    accumulator C is usually a device allocation (seen through reshapes)
    that an all-parallel op initializes before the matmul (a fill, the bias
    broadcast) and a chain of all-parallel ops consumes after it
    (requantization, activation, residual add, the transpose of a batched
    convolution to NCHW). The kernel then evaluates the initialization at
    each of its (i, j) instead of loading C[i, j], and passes the final
    value through the chain instead of storing it: the first link's
    iteration point is (i, j) linearized in C and delinearized in the view
    it reads; a later link's is the previous link's output coordinates,
    re-linearized when it reads that buffer through another reshape; each
    link's other operands are loaded at their indexing maps, and only the
    last link stores its results. C's buffer and the intermediate buffers go
    when nothing else uses them.

    Conditions. C's buffer is a device allocation with the identity layout
    reached through collapse/expand reshapes only, all of its accesses in
    the matmul's block. Buffers may be reused for several values: the
    initialization is the access right before the matmul and writes every
    element through a permutation map without reading it; each link is the
    access right after the previous value's writer, reads it through one
    input with a permutation map (writing it only in place, at the same
    map), and is its only reader (the next access overwrites the whole
    buffer, or there is none, or the link writes it in place); a link
    continues the chain only through a single output in a device
    allocation of its own. Accesses through other views (subviews, dynamic
    reshapes) are opaque and stop fusion. The kernel runs where the last
    link ran: nothing in between may write or free what it reads (A, B, the
    initialization's and the links' inputs, and C itself when the
    initialization is not fused), the last link's outputs may not share a
    buffer with any of those, and without a fused initialization no link
    may write C. Results are bit-identical to the unfused kernels (the same
    operations on the same values).
  }];
  let options = [
    Option<"float16", "float16", "bool", "false",
           "Also run f32 GEMMs on the f16 tensor cores (f32 accumulation)">,
    Option<"bfloat16", "bfloat16", "bool", "false",
           "Also run f32 GEMMs on the bf16 tensor cores (f32 accumulation; wins over float16)">,
    Option<"epilogues", "epilogues", "bool", "true",
           "Compute a GEMM's accumulator initialization and elementwise consumer in its kernel">,
    Option<"implicitGemm", "implicit-gemm", "bool", "true",
           "Read a convolution's im2col matrix from its input in the kernel instead of a copy">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::nvgpu::NVGPUDialect",
                           "::mlir::vector::VectorDialect", "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect"];
}

def QOptGPUMapKernels : Pass<"qopt-gpu-map-kernels", "::mlir::func::FuncOp"> {
  let summary = "Every device linalg op becomes a gpu.launch: one thread per output point";
  let description = [{
    Runs after `qopt-gpu-place-buffers`. Each linalg op on buffers without
    `qopt.host` becomes a `gpu.launch` with a 1-D grid of `block-size`-thread
    blocks over its parallel iteration space (all parallel dims linearized,
    so any rank and any dynamic extent maps the same way; a guard drops the
    tail). Each thread delinearizes its index, runs the reduction dims as an
    `scf.for` nest with the output value carried in registers when the
    output does not depend on a reduction dim, and stores its outputs. The
    body is the op's region with `linalg.index` replaced by the thread's
    indices. `memref.get_global` reads in the op are cloned into the launch
    so that the kernel uses the device copy. An empty iteration space
    launches one block whose threads all fail the guard (a conditional
    launch would split the host code into regions that each wait for the
    device). Ops marked `qopt.host` become host loops
    (`convert-linalg-to-loops`).

    Those are the generic SIMT kernels; `qopt-gpu-mma-matmul` runs first and
    takes the integer and f16 GEMMs to tensor cores. A `linalg.matmul` left
    to this pass fuses its accumulator's initialization and consumer as
    `qopt-gpu-mma-matmul` does (option `epilogues`): each thread evaluates
    the initialization at its (i, j), runs the k loop, and applies the
    consumer to the result.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", "256", "Threads per block">,
    Option<"epilogues", "epilogues", "bool", "true",
           "Compute a GEMM's accumulator initialization and elementwise consumer in its kernel">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect"];
}

def QOptGPULowerMath : Pass<"qopt-gpu-lower-math", "::mlir::gpu::GPUModuleOp"> {
  let summary = "libdevice calls with an exact PTX instruction as LLVM intrinsics";
  let description = [{
    Runs on each GPU module after `convert-gpu-to-nvvm`, which turns every
    `math` op (and `arith.remf`) into a call into CUDA's libdevice,
    present only where a CUDA toolkit is installed, and whose `sqrtf` is the
    approximate one by default. Calls to `__nv_fma`, `sqrt`, `fabs`, `floor`,
    `ceil`, `round`, `rint`, `trunc`, `copysign`, `fmod`, `fmax` and `fmin`
    (f32 and f64) become the LLVM intrinsics NVPTX lowers to exact
    instructions (`fma.rn`, `sqrt.rn`, `abs`, `cvt.rmi`, `max`, ...);
    `__nv_rsqrt` becomes `1 / sqrt(x)`.
    Unused declarations go. The pipeline approximates the transcendental f32
    functions before (`qopt-approximate-math` with every function it knows);
    what is still left (`powf`, `sinh`, ...) needs libdevice (see
    `qopt-gpu-module-to-binary`).
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def QOptGPUAlignSharedMemory : Pass<"qopt-gpu-align-shared-memory", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Align every kernel's shared-memory buffers (llvm.align on workgroup attributions)";
  let description = [{
    Runs on each GPU module after outlining. A workgroup attribution gets
    `llvm.align = alignment` unless it has one, which `convert-gpu-to-nvvm`
    turns into the `.align` of its `.shared` array: without it an i8 array is
    `.align 1`, and the 4-byte fragment loads of `qopt-gpu-mma-matmul` would
    rely on where ptxas happens to place it.
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", "16", "Byte alignment">
  ];
}

def QOptGPUExpandPow : Pass<"qopt-gpu-expand-pow"> {
  let summary = "f32 math.powf in kernels as exp(y * log|x|) with ONNX's special cases";
  let description = [{
    So that kernels need no libdevice for Pow: runs before
    `qopt-approximate-math`, which then approximates the `exp` and `log`.
    A constant exponent 1, 2, 3, 0.5 or -1 becomes multiplications, a
    `sqrt` or a division. Otherwise x^y = exp(y * log|x|), negated for a
    negative x and an odd integer y, NaN for a negative x and a non-integer
    y, and 1 for y = 0 (C's pow, which ONNX follows). The relative error
    grows with |y log x| (f32 rounding of the product): about 1e-6 for
    |y log x| < 10. Runs on any op (the GPU pipeline: each GPU module; its
    host emulation: the whole module).
  }];
  let dependentDialects = ["::mlir::math::MathDialect", "::mlir::arith::ArithDialect"];
}

def QOptGPUModuleToBinary : Pass<"qopt-gpu-module-to-binary", "::mlir::ModuleOp"> {
  let summary = "Kernels to PTX/cubin/fatbin, with or without a CUDA toolkit";
  let description = [{
    Runs upstream `gpu-module-to-binary` with a toolkit directory chosen so
    that compiling never needs a CUDA installation for PTX: `toolkit` when it
    has `nvvm/libdevice/libdevice.10.bc` (libdevice is linked), else a
    directory holding an empty stand-in for libdevice (MLIR's NVVM target
    insists on one; its `bin/` links to the toolkit's when there is one
    without libdevice). Without the real libdevice, a kernel that still calls
    one of its functions (`__nv_powf`, ...) is an error naming the function
    and the model's op, not PTX that fails when the driver loads it. `bin`
    and `fatbin` need the toolkit's `ptxas` and `fatbinary`.
  }];
  let options = [
    Option<"format", "format", "std::string", "\"isa\"", "isa (PTX), bin (cubin) or fatbin">,
    Option<"toolkit", "toolkit", "std::string", "\"\"", "CUDA toolkit directory (\"\": none)">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def QOptGPUTransposeConstantB : Pass<"qopt-gpu-transpose-constant-b", "::mlir::ModuleOp"> {
  let summary = "Constant [K, N] B operands of tensor-core GEMMs stored [N, K] at compile time";
  let description = [{
    Runs on buffers before `qopt-gpu-place-buffers` when GEMMs go to the
    tensor cores. `qopt-gpu-mma-matmul` stages B transposed (n-major) in
    shared memory: from a [K, N] buffer that is 16 byte stores down a
    column per thread and k-step; from an [N, K] one (a matmul with maps
    (m, k), (n, k), (m, n)) one 16-byte load and store, like A. So each
    `linalg.matmul` with the default maps whose B is a `memref.get_global`
    of a constant, static, identity-layout 2-D global (i8, or f32 with
    `floats`: the f16/bf16 tensor cores) with raw bytes (a resource or a
    non-splat dense initializer) reads instead a new global holding the
    transpose (`<name>_nk`, one per global), through the transposed maps;
    a global no GEMM reads as [K, N] any more is erased. The weights then
    reach the device in the layout the kernel wants, uploaded once at
    create like every constant. Results are unchanged (the same products,
    the same sums).
  }];
  let options = [
    Option<"floats", "floats", "bool", "false",
           "f32 constants too (float GEMMs on the f16/bf16 tensor cores)">
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::memref::MemRefDialect"];
}

def QOptGPULowerBf16Mma : Pass<"qopt-gpu-lower-bf16-mma"> {
  let summary = "bf16 nvgpu.mma.sync m16n8k16 as nvvm.mma.sync (upstream's lowering refuses bf16)";
  let description = [{
    `convert-nvgpu-to-nvvm` cannot lower an `nvgpu.mma.sync` whose operands
    are bf16 ("failed to deduce operand PTX types"). This pass, run on the
    GPU module before it, rewrites each m16n8k16 bf16 x bf16 -> f32 one
    (the kernels of `qopt-gpu-mma-matmul{bfloat16}`) into `nvvm.mma.sync`
    (PTX `mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32`): each
    fragment register (two bf16) bitcast to i32, the accumulator's four f32
    in the order c0..c3 = (0,0), (0,1), (1,0), (1,1), the result struct's
    four f32 back into a vector<2x2xf32>. Other mma.sync ops are left to
    upstream.
  }];
  let dependentDialects = ["::mlir::NVVM::NVVMDialect", "::mlir::LLVM::LLVMDialect",
                           "::mlir::vector::VectorDialect"];
}

def QOptGPUEmulateOnHost : Pass<"qopt-gpu-emulate-on-host", "::mlir::ModuleOp"> {
  let summary = "Testing aid: run gpu.launch bodies as host loops, device memory as host memory";
  let description = [{
    Lets a machine without a GPU execute what the GPU pipeline placed and
    mapped, so that the placement (`qopt-gpu-place-buffers`) and the
    kernels (`qopt-gpu-map-kernels`, and with `teams` `qopt-gpu-mma-matmul`)
    are checked against reference outputs on the CPU (`qoptc --target=cuda
    --gpu-emulate-on-host`, used by the conformance and e2e tests). Each
    `gpu.launch` becomes `scf.for` loops over blocks and threads (z, y, x),
    its body cloned with the block and thread ids, grid and block sizes
    substituted; `gpu.alloc`/`gpu.dealloc` become `memref.alloc`/
    `memref.dealloc` and `gpu.memcpy` a `memref.copy`.

    Running threads one after another is exact only for kernels without
    barriers, shared memory or warp collectives. Without `teams` the pass
    refuses a launch that has any (the tensor-core GEMMs), so the pipeline's
    emulation leaves the tensor-core pass out (the im2col GEMMs of
    convolutions stay). With `teams`, such a launch runs each block as an
    `omp.parallel` team of one OpenMP thread per GPU thread (the thread ids
    from `omp_get_thread_num`); its workgroup attributions become host
    buffers shared by the team, `gpu.barrier` becomes `omp.barrier`, each
    `nvgpu.ldmatrix` (without .trans) a deposit of the lanes' row
    addresses, a barrier, each lane's words of the rows its warp
    addressed, a barrier; and each `nvgpu.mma.sync` (m16n8k32 s8, m16n8k16
    f16 and bf16; others are refused) is exchanged through buffers shared
    by the team
    (`qopt/Codegen/GPU/MmaEmulation.h`): every thread stores its fragments,
    the team meets, each thread calls the runtime for its own lane's result
    (`runtime/GpuEmulation.cpp`, the PTX ISA's fragment layouts), the team
    meets again. Consecutive ldmatrix ops (of one source rank) or mma.sync
    ops (of one shape) in one block, none reading another's result and with
    only side-effect-free ops or loads between them, share the two
    barriers: each deposits in a slot of its own where it was, and the
    group completes (barrier, every member's exchange, barrier) before the
    first op that breaks the run. These become barriers of the whole team, so each must be
    reached by every thread: one under control flow other than `scf.for`
    is refused. Launches without cooperation stay sequential loops. The
    team's size is checked after it ran (`qopt_emu_check_team`: the run
    fails if libomp gave fewer threads). A block of 128 threads on a few
    cores meeting at barriers is slow: for small models.

    The pipeline's emulation applies the kernels' math choices too
    (`qopt-gpu-expand-pow`, `qopt-approximate-math` with every function),
    so that their accuracy is checked as well; the PTX instructions
    themselves (IEEE `sqrt.rn`, `div.rn`, `fma.rn`) match the host's.
  }];
  let options = [
    Option<"teams", "teams", "bool", "false",
           "Run blocks with barriers, shared memory or mma.sync as OpenMP teams">
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::omp::OpenMPDialect", "::mlir::vector::VectorDialect",
                           "::mlir::func::FuncDialect", "::mlir::arith::ArithDialect"];
}

#endif
