//===- Passes.td - qopt conversion passes ----------------------*- tablegen -*-===//
#ifndef QOPT_CONVERSION_PASSES
#define QOPT_CONVERSION_PASSES

include "mlir/Pass/PassBase.td"

def ConvertQOptToLinalg : Pass<"convert-qopt-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower qopt graph ops to linalg, tensor, arith and math";
  let description = [{
    Rewrites every float/integer qopt op into named linalg ops where they
    exist (matmul, batch_matmul, conv_2d_nchw_fchw, conv_2d_ngchw_gfchw,
    pooling_nchw_max/sum, transpose, fill) and `linalg.generic` for the rest,
    with `tensor` ops for reshapes, slices and padding. Unsigned and signed
    integer element types become signless; the op's original signedness picks
    the arith operation (divui vs divsi, cmpi ult vs slt, ...).

    Dynamic dims are carried with `tensor.dim`. Broadcasting follows numpy,
    under the assumption (shared with torch-mlir) that a dynamic dim is never
    implicitly broadcast: a dim that is dynamic in two operands is the same
    size in both.

    An op or attribute combination the lowering does not handle is an error on
    the op (and so names the ONNX node it came from).
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect", "::mlir::bufferization::BufferizationDialect"
  ];
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

def QOptMatmulMicrokernel : Pass<"qopt-matmul-microkernel", "::mlir::ModuleOp"> {
  let summary = "Call the runtime's GEMM and depthwise microkernels for linalg ops on buffers";
  let description = [{
    Runs after bufferization. Every `linalg.matmul` on rank-2 f32 memrefs with
    the default indexing maps (C += A * B) becomes a call to
    `qopt_matmul_f32` (runtime/Kernels.cpp: packed panels and a 6x16
    AVX2/FMA register-blocked kernel chosen at run time, strided fallback).
    Operands are cast to fully dynamic strided memrefs, so any layout works.
    Likewise `linalg.depthwise_conv_2d_nchw_chw` on f32 buffers becomes a call
    to `qopt_dwconv2d_f32` (rows vectorized along the output width).

    `linalg.matmul` on i8 x i8 -> i32 buffers (the integer form of quantized
    Conv/MatMul/Gemm) becomes a call to `qopt_matmul_s8s8_i32_<isa>`
    (runtime/Int8Kernels.cpp), where `isa` names the instruction set the
    target has: `avx512vnni` (vpdpbusd on zmm), `avxvnni` (vpdpbusd on
    ymm), `avx2` (vpmaddwd) or `generic` (portable C++). qoptc sets it from
    the target CPU's features; all variants are exact.
    `linalg.depthwise_conv_2d_nchw_chw` on i8 x i8 -> i32 and i16 x i16 -> i32
    buffers becomes `qopt_dwconv2d_s8_i32` / `qopt_dwconv2d_s16_i32`.
  }];
  let options = [
    Option<"isa", "isa", "std::string", "\"generic\"",
           "Int8 kernel variant: avx512vnni, avxvnni, avx2 or generic">
  ];
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def QOptFuseGemmEpilogue : Pass<"qopt-fuse-gemm-epilogue", "::mlir::func::FuncOp"> {
  let summary = "Compute a matmul, its accumulator's initialization and its elementwise consumer tile by tile";
  let description = [{
    Runs on tensors, after elementwise fusion. A convolution or matmul lowers
    to an accumulator initialized by a linalg op (the bias broadcast, or a
    fill), a `linalg.matmul` into it, and usually an all-parallel
    `linalg.generic` that reads the accumulator once (activation,
    requantization, residual add, all fused into one generic by then).
    Separately, the [F, N] accumulator goes through memory five times.

    When the matmul is int8 with static shapes and a constant A (weights,
    packed at compile time by `qopt-prepack-weights`; the f32 kernel packs A
    on every call, so float matmuls are left alone), the accumulator and its
    initialization have no other use, they reach the generic through
    reshapes only, with an identity indexing map, and the accumulator is
    larger than 256 KiB, the three become one `scf.forall` over tiles of N:
    each tile initializes its own [F, c] accumulator (the init op's tile),
    runs the matmul on B's columns [n0, n0 + c) and the generic on the same
    elements, and inserts the generic's result into the generic's output.
    A tile is whole rows of the layouts the accumulator is seen in (so it
    is a contiguous range of columns in each), c divides N, and c is the
    largest such width whose accumulator and B columns fit 256 KiB, so the
    accumulator stays in cache between the matmul and the epilogue.

    The tiles are independent: `qopt-parallel-loops` runs the loop on
    OpenMP threads. Results are bit-identical to the unfused computation
    (each element is computed by the same operations in the same order).
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect"];
}

def QOptPrepackWeights : Pass<"qopt-prepack-weights", "::mlir::ModuleOp"> {
  let summary = "Pack the constant operands of int8 GEMMs at compile time";
  let description = [{
    Runs after bufferization, before `qopt-matmul-microkernel`, with the same
    `isa`. An i8 x i8 -> i32 `linalg.matmul` (default maps, sign-extended
    operands) whose A or B operand is a view (reshape, cast, subview,
    transpose) with static strides of a constant `memref.global` becomes a call to the runtime's GEMM with that operand
    already packed for the variant's register tile:

    * a constant A (a quantized Conv's weights, [M, K]) becomes
      `qopt_matmul_s8s8_i32_<isa>_pa(packed, row_sums, B, C)`: A in panels of
      MR rows and the per-block row sums behind the kernel's u8 x s8 sign
      compensation, both computed here;
    * otherwise a constant B (a MatMul's or Gemm's weights, [K, N]) becomes
      `qopt_matmul_s8s8_i32_<isa>_pb(A, packed, C)`: B in panels of NR
      columns, already offset to unsigned bytes.

    The layouts are defined once, in `include/qopt/Quant/Int8Packing.h`,
    which the runtime uses too. The packed data are new private constant
    globals (resource blobs) named after the weights, one per weight and
    side however many matmuls read it; the original global is erased when
    nothing else reads it. Views with dynamic offsets or strides, and
    weights that are not constants, are left to `qopt-matmul-microkernel`.
    qoptc runs this pass at -O1 and above.
  }];
  let options = [
    Option<"isa", "isa", "std::string", "\"generic\"",
           "Int8 kernel variant whose tile the packing is for: avx512vnni, avxvnni, avx2 or generic">
  ];
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect"];
}

def QOptParallelLoops : Pass<"qopt-parallel-loops", "::mlir::ModuleOp"> {
  let summary = "Run large linalg ops on buffers as OpenMP work-sharing loops";
  let description = [{
    Runs after bufferization and `qopt-matmul-microkernel`, before
    `convert-linalg-to-loops`. A linalg op on buffers is split across threads
    when its first loop that is not statically of extent 1 is a parallel loop
    that every output indexes (so threads write disjoint elements), and when
    its iteration space may reach `min-iterations` (static shapes below it
    stay serial). Such an op becomes its `scf.for` loop nest with that loop
    replaced by

        omp.parallel if(%split) num_threads(%n) {
          omp.wsloop nowait { omp.loop_nest (%i) = ... { inner loops } }
        }

    where `%n` is `qopt_rt_loop_threads()` (runtime/Threads.cpp:
    QOPT_NUM_THREADS, else qoptc's `--threads`, else every core) and
    `%split` holds when `%n > 1`, the loop has at least 2 iterations and
    the whole iteration space has at least `min-iterations` points (checked
    at run time for dynamic shapes). Inner loops stay serial, so LLVM
    vectorizes them as before. Ops with reductions in front of the split
    loop, or outputs that do not index it, are left serial.
  }];
  let options = [
    Option<"minIterations", "min-iterations", "int64_t", "32768",
           "Smallest iteration space that is split across threads">
  ];
  let dependentDialects = ["::mlir::omp::OpenMPDialect", "::mlir::scf::SCFDialect",
                           "::mlir::func::FuncDialect", "::mlir::arith::ArithDialect"];
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

def QOptPromoteReductions : Pass<"qopt-promote-reductions"> {
  let summary = "Keep a loop's running reduction in a register instead of memory";
  let description = [{
    `convert-linalg-to-loops` writes a reduction as `out[i] = out[i] + f(x[i, j])`
    inside the loop over `j`: a load and a store of the same element per
    iteration. LLVM cannot keep it in a register because it cannot prove that
    the stores do not change the inputs (all buffers come through memref
    descriptors), so the loop runs at the speed of store-to-load forwarding.
    This pass runs on `scf.for` loops (innermost first): when the loop loads
    and stores one element of a buffer at indices that do not change inside
    it, and nothing else in the loop touches that buffer or memory that may
    alias it, the element is loaded once before the loop, carried as an
    `iter_args` value and stored once after. Buffers are known apart when
    they have different roots (through view-like ops) and one root is a
    `memref.alloc`/`alloca`, or both are different globals. Loops with calls
    or other ops with unknown memory effects are left alone. The order of the
    arithmetic does not change, so results are bit-identical.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::memref::MemRefDialect"];
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
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect"];
}

#endif
