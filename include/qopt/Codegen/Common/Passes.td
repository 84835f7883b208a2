//===- Passes.td - codegen passes every target uses -*- tablegen -*-===//
#ifndef QOPT_CODEGEN_COMMON_PASSES
#define QOPT_CODEGEN_COMMON_PASSES

include "mlir/Pass/PassBase.td"

def QOptFuseElementwise : Pass<"qopt-fuse-elementwise", "::mlir::func::FuncOp"> {
  let summary = "Fuse elementwise linalg.generic producers into their consumers";
  let description = [{
    linalg's elementwise fusion without its reshape propagation: upstream
    `linalg-fuse-elementwise-ops` also folds collapse/expand_shape through
    named ops by generalizing them, which would turn the `linalg.matmul`s
    that the GEMM microkernel executes into generics. Only single-use
    producers are fused, so no computation is duplicated. Generics that name
    a `library_call` (MatMulNBits' dequantizing GEMM) are neither fused into
    nor fused away: a target replaces them by that kernel.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def QOptModelInterface : Pass<"qopt-model-interface", "::mlir::ModuleOp"> {
  let summary = "Describe @main's inputs and outputs for the C runtime";
  let description = [{
    Records the names (`qopt.name` argument/result attributes), element types
    and shapes (-1 for dynamic dims) of the entry function in a constant
    string global `qopt_model_meta` that the model runtime
    (`include/qopt-c/Runtime.h`) parses, and marks the entry function
    `llvm.emit_c_interface`. Must run while the signature still has the
    original ONNX element types (before `convert-qopt-to-linalg`, which makes
    integers signless).
  }];
  let options = [
    Option<"entry", "entry", "std::string", /*default=*/"\"main\"",
           "Name of the entry function">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def QOptOwnResults : Pass<"qopt-own-results", "::mlir::ModuleOp"> {
  let summary = "Make every buffer returned by a public function a fresh allocation";
  let description = [{
    Runs after bufferization. A returned memref that is not the result of a
    `memref.alloc` in the function (a function argument, a constant global, a
    view into another buffer) is copied into a fresh identity-layout
    allocation, so that the caller owns every result and can free it with
    `free`. Fresh allocations are returned as they are (no copy).
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def QOptDynamicExpandShape : Pass<"qopt-dynamic-expand-shape", "::mlir::ModuleOp"> {
  let summary = "Rewrite memref.expand_shape with several dynamic dims in a group";
  let description = [{
    MLIR 22's `expand-strided-metadata` crashes on a `memref.expand_shape`
    whose reassociation group holds more than one dynamic dim (which
    canonicalization produces from `tensor.reshape`). When the source has the
    identity layout, such an expand is a `memref.reinterpret_cast` to the
    output sizes with row-major strides; this pass rewrites it so. Runs after
    bufferization, before `expand-strided-metadata`.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect"];
}

def QOptStridedCopyToLinalg : Pass<"qopt-strided-copy-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Turn memref.copy between non-contiguous buffers into linalg.copy";
  let description = [{
    `finalize-memref-to-llvm` turns a `memref.copy` into a `memcpy` when both
    buffers are contiguous, and otherwise into a call to the generic
    `memrefCopy`, which walks every element through its descriptor (padding,
    Concat and slices produce such copies). This pass rewrites the
    non-contiguous ones into `linalg.copy`, which `convert-linalg-to-loops`
    makes into loops that LLVM compiles for the target (vectorized where the
    inner stride is 1). Contiguous copies are left to `memcpy`.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def QOptApproximateMath : Pass<"qopt-approximate-math"> {
  let summary = "Replace f32 math calls with inline polynomial approximations";
  let description = [{
    `math.exp` and friends otherwise become calls into libm (`expf`), which
    LLVM cannot vectorize: a loop over Softmax or Sigmoid inputs then makes
    one call per element. This pass rewrites the f32 ops named in `ops` into
    MLIR's polynomial approximations (range reduction plus a minimax
    polynomial), plain arithmetic that vectorizes with the loop around it.
    Measured against float64 on 2^18 inputs over [-100, 100]
    (test/e2e/approximate-math.test): exp within 4.5 ulp, tanh 4.2, erf 3.8,
    with inf/NaN/±0 as libm gives them; exp results below the smallest normal
    float (x < -87.3) are 0 instead of subnormal. `log` is available but not
    a default: it treats subnormal inputs as the smallest normal number.
    Other element types and ops are left alone.
  }];
  let options = [
    ListOption<"ops", "ops", "std::string",
               "math ops to approximate, by name (default: exp, expm1, tanh, erf; also log, log2, log1p, erfc, atan, atan2, asin, acos, sin, cos, cbrt)">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def QOptSplitFloorDivDims : Pass<"qopt-split-floordiv-dims", "::mlir::func::FuncOp"> {
  let summary = "Split a loop read as `d floordiv s` into two loops";
  let description = [{
    Nearest upscaling by an integer factor reads its source through
    `d floordiv s` (Resize lowering), and elementwise fusion carries that map
    into the consumers. LLVM cannot vectorize such a loop: the floordiv index
    is not an affine recurrence, so it cannot bound the accesses to check
    them for aliasing. This pass rewrites an all-parallel `linalg.generic` on
    tensors whose loop `d` (static extent divisible by s) is read as
    `d floordiv s` by some input and as plain `d` elsewhere into a generic
    over (d', f) with d = d' * s + f: the floordiv read becomes `d'`, operands
    indexed by `d` are `tensor.expand_shape`d to [n / s, s] (a fresh
    `tensor.empty` for empty inits), and the results are collapsed back.
    Every index is then affine in the loops; the inner loop of extent s is
    unrolled by LLVM and the loop over d' vectorizes with interleaved
    accesses. Ops that use `linalg.index` of the loop, reduce, or read it with
    different factors are left alone.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}

def QOptPadInPlace : Pass<"qopt-pad-in-place", "::mlir::func::FuncOp"> {
  let summary = "Write a padded tensor's producer straight into the padded buffer";
  let description = [{
    Bufferizing `tensor.pad` allocates the padded buffer, fills all of it with
    the padding value, then copies the source into its interior: every
    element is written twice and the source buffer is read once more. This
    pass rewrites each `tensor.pad` with a static result shape, static low
    and high padding and a padding value defined outside its region into:

    - a `tensor.empty` of the padded shape;
    - one `linalg.fill` per padded side (the low and the high part of each
      padded dim, over the interior of the dims before it and all of the dims
      after it), so only the border is written, each element once;
    - a `tensor.insert_slice` of the source into the interior.

    When the source is a result of a destination-style op in the same block
    (directly or through a `tensor.collapse_shape`, whose reassociation is
    then applied to the interior slice), the pad is its only use and its init
    is a `tensor.empty`, the padded buffer and its
    border fills are built before that op, and the op's init becomes the
    interior slice of the padded tensor: after bufferization the producer
    writes into the padded buffer and the insert is a no-op. Other pads keep
    the copy into the interior but still fill only the border.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}

def QOptPlanBuffers : Pass<"qopt-plan-buffers", "::mlir::func::FuncOp"> {
  let summary = "Place a function's intermediate buffers in one arena, reusing memory by liveness";
  let description = [{
    The static memory plan. Runs on buffers after deallocation has been
    placed (ownership-based deallocation frees every buffer at the end of
    its block, so without a plan a model holds all its intermediates until
    it returns). In a function whose body is one block, every
    `memref.alloc` with a static shape, the identity layout and whole-byte
    elements, that sits in the body or only inside `scf.for`/`scf.if` ops
    (not in a parallel loop), is a candidate. Its live range is the span of
    the body's top-level ops that use it or a view of it (through casts,
    reshapes, subviews and other view-like ops), from the first use to the
    last. A buffer that reaches a terminator (a returned result, a value
    yielded out of a region) or an op that makes another buffer out of it
    is not planned.

    Buffers are placed largest first, each at the lowest 64-byte aligned
    offset that overlaps no placed buffer whose live range meets its own.
    The function then allocates one `i8` arena of the plan's size on entry
    and frees it before returning; each planned allocation becomes a
    `memref.view` of the arena at its offset and its deallocations are
    erased. Two buffers used by the same top-level op are never live at once
    and so never overlap. The arena goes through the runtime's allocator,
    whose per-thread cache hands the same block back on the next run, so
    concurrent runs each get their own arena.

    The arena's allocation carries `qopt.planned_buffers` (how many
    allocations it replaced) and `qopt.unplanned_bytes` (what they would
    take without reuse); its type gives the plan's size. qoptc runs this
    pass at -O1 and above.

    With `device`, the plan is of device memory (the GPU pipeline, after its
    kernels are mapped): `gpu.alloc`/`gpu.dealloc` instead of
    `memref.alloc`/`memref.dealloc`, the arena itself a `gpu.alloc`. A
    launch is one top-level op, so its buffers' ranges cover it; kernels run
    in order on the run's stream, so buffers whose ranges do not meet may
    share memory.
  }];
  let options = [
    Option<"device", "device", "bool", "false",
           "Plan gpu.alloc buffers (device memory) instead of memref.alloc ones">
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect",
                           "::mlir::gpu::GPUDialect"];
}

def QOptConvToIm2colGemm : Pass<"qopt-conv-to-im2col-gemm", "::mlir::func::FuncOp"> {
  let summary = "Run 2-D convolutions as im2col + linalg.matmul (the targets' GEMM kernels)";
  let description = [{
    Runs on tensors, right after `convert-qopt-to-linalg`, which lowers every
    one-group 2-D Conv (float, or i8/i16 operands with an i32 accumulator) to
    `linalg.conv_2d_nchw_fchw` on a padded input. Each such op with a static
    weight shape becomes

        acc[F, N*OH*OW] = W[F, C*KH*KW] x col[C*KH*KW, N*OH*OW]

    with `col` the im2col copy of the input (a `linalg.generic` reading
    x[n, c, oh*s0 + kh*d0, ow*s1 + kw*d1]) and `acc` a `linalg.matmul`'s
    accumulator, which `qopt-matmul-microkernel` and `qopt-prepack-weights`
    turn into the CPU runtime's GEMM and `qopt-gpu-mma-matmul` into a
    tensor-core kernel (int8). The accumulator starts from the bias when
    the conv's init broadcasts a 1-D tensor along the channels (the lowering
    writes the bias so), from zero for a zero fill, and from the init itself
    (transposed) otherwise; the result is transposed back to [N, F, OH, OW]
    (a reshape for one image). A 1x1, stride-1 convolution of one image reads
    its input as col without a copy. One image whose im2col matrix would
    exceed `band-bytes` is computed in bands of output rows (an `scf.for`,
    one im2col and one matmul per band into a slice of acc), each band the
    largest divisor of OH whose im2col fits: the whole matrix of a 3x3
    convolution at high resolution is tens to hundreds of MB, a band stays in
    cache between being written and being read by the GEMM. Results are the
    same as the named op's (the same products, summed in the GEMM's order).
  }];
  let options = [
    Option<"bandBytes", "band-bytes", "int64_t", "2097152",
           "Largest im2col matrix (bytes) of one image computed at once; larger ones go in bands">
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::scf::SCFDialect", "::mlir::arith::ArithDialect"];
}

#endif
