//===- Passes.td - x86 CPU codegen passes -*- tablegen -*-===//
#ifndef QOPT_CODEGEN_CPU_PASSES
#define QOPT_CODEGEN_CPU_PASSES

include "mlir/Pass/PassBase.td"

def QOptMatmulMicrokernel : Pass<"qopt-matmul-microkernel", "::mlir::ModuleOp"> {
  let summary = "Call the runtime's GEMM and depthwise microkernels for linalg ops on buffers";
  let description = [{
    Runs after bufferization. Every `linalg.matmul` on rank-2 f32 memrefs with
    the default indexing maps (C += A * B) becomes a call to
    `qopt_matmul_f32` (runtime/Kernels.cpp: packed panels and a 6x16
    AVX2/FMA register-blocked kernel chosen at run time, strided fallback).
    Operands are cast to fully dynamic strided memrefs, so any layout works.
    When the op right before is a `linalg.fill` of the same C with +0.0, the
    fill is dropped and the call is to `qopt_matmul_f32_overwrite`, which
    writes C = 0 + A * B without reading C (the same bits).
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
    The `linalg.generic` that `qopt.matmul_nbits` lowers to (library_call
    `qopt_matmul_nbits_f32`, the indexing maps of
    qopt/Conversion/QOptToLinalg/MatMulNBits.h) becomes a call to
    `qopt_matmul_nbits_f32` (runtime/NBitsKernels.cpp) with its bits and
    block size; a generic with other maps or types stays loops.
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

def QOptFuseDepthwiseEpilogue : Pass<"qopt-fuse-depthwise-epilogue", "::mlir::func::FuncOp"> {
  let summary = "Compute a depthwise convolution, its accumulator's initialization and its elementwise consumer on tiles of channels";
  let description = [{
    Runs on tensors, after elementwise fusion. A depthwise convolution lowers
    to an accumulator initialized by a linalg op (the bias broadcast, or a
    fill), a `linalg.depthwise_conv_2d_nchw_chw` into it, and usually an
    all-parallel `linalg.generic` that reads the accumulator once with an
    identity indexing map (activation, requantization). Separately, the
    [N, C, OH, OW] accumulator is written, read and written, and read again
    through memory.

    When the shapes are static, the accumulator and its initialization have
    no other use, and the accumulator is larger than `tile-bytes`, the
    generic is tiled along channels into an `scf.forall` and the
    convolution and the initialization are fused into it
    (`scf::tileConsumerAndFuseProducersUsingSCF`): each tile initializes its
    own accumulator, convolves its channels of the input (a slice of the
    padded input; the runtime's depthwise kernels take rows of any pitch) and
    of the filter, and applies the generic. A tile is the most channels that
    divide C and whose accumulator and input planes fit `tile-bytes`
    (at least one channel). The generic's other operands are sliced, not
    fused.

    The tiles are independent: `qopt-parallel-loops` runs the loop on
    OpenMP threads. Results are bit-identical to the unfused computation.
  }];
  let options = [
    Option<"tileBytes", "tile-bytes", "int64_t", "256 << 10",
           "Bytes of a tile's accumulator and input planes (and the size of accumulator left unfused)">
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect"];
}

def QOptPrepackWeights : Pass<"qopt-prepack-weights", "::mlir::ModuleOp"> {
  let summary = "Pack the constant operands of int8 and f32 GEMMs at compile time";
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

    An f32 `linalg.matmul` (default maps) whose A is such a view (a float
    Conv's weights, [M, K], M > 4; GEMMs of fewer rows skip the tiles) and
    whose B and C have static unit inner strides becomes
    `qopt_matmul_f32_pa(packed, mr, B, C)`: A in panels of MR rows per block
    of K for the tile of `f32-kernel`. A zero fill of C right before it goes,
    and the call is `qopt_matmul_f32_pa_overwrite` (C = 0 + A * B, C unread),
    as `qopt-matmul-microkernel` does for the unpacked call; a bias broadcast
    into C right before it (a 1-D bias along C's rows, with a static unit
    stride: the lowering's convolution accumulator init) goes too, and the
    call is `qopt_matmul_f32_pa_bias(packed, mr, B, C, bias)` (C = bias[row]
    + A * B, C unread; the same bits as the broadcast and the accumulating
    call). Only operations without memory effects, or allocations, may lie
    between. Otherwise a
    constant B (a float MatMul's weights, [K, N]) with A and C read with unit
    inner strides becomes `qopt_matmul_f32_pb(A, packed, nr, C)` (or
    `_pb_overwrite`): B in panels of NR columns over all of K (`f32-kernel`'s
    NR: 32 for avx512, 16 otherwise), whatever M is (up to 4 rows of A run
    over the panels with C's columns in registers, more through the tiles).
    An f32 operand is packed only when its values are held in the compiler's
    memory (a dense attribute or a mutable resource blob): a read-only blob
    maps the model's external data file, and packing it would hold a float
    model's weights in memory a second time while compiling. An f32 weight
    that anything else reads too (a Gather of an embedding table tied to the
    output head, or another GEMM taking it as the other operand) stays
    unpacked, so that it is not stored twice.

    The layouts are defined once, in `include/qopt/Quant/Int8Packing.h` and
    `include/qopt/Quant/F32Packing.h`, which the runtime uses too. The packed data are new private constant
    globals (resource blobs) named after the weights, one per weight and
    side however many matmuls read it; the original global is erased when
    nothing else reads it, and with `release-weights` its bytes are freed then
    (a large model's int8 weights are held once, not unpacked and packed at
    the same time). Views with dynamic offsets or strides, and
    weights that are not constants, are left to `qopt-matmul-microkernel`.
    qoptc runs this pass at -O1 and above.
  }];
  let options = [
    Option<"isa", "isa", "std::string", "\"generic\"",
           "Int8 kernel variant whose tile the packing is for: avx512vnni, avxvnni, avx2 or generic">,
    Option<"f32Kernel", "f32-kernel", "std::string", "\"generic\"",
           "f32 GEMM kernel whose tile constant operands are packed for: avx512 (8x32), "
           "avx2 or generic (6x16)">,
    Option<"packFloat", "pack-f32", "bool", "true",
           "Pack the constant operands of f32 GEMMs too (qoptc turns it off for a "
           "calibration library that borrows the compiler's weights, whose packed copy "
           "would be held beside them)">,
    Option<"releaseWeights", "release-weights", "bool", "false",
           "Free the bytes of each erased unpacked weight at once (its resource blob); only "
           "for a module no other module in the context shares weights with (qoptc sets it "
           "for the module it compiles last)">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
}

def QOptFoldIm2col : Pass<"qopt-fold-im2col", "::mlir::ModuleOp"> {
  let summary = "Pack a convolution's GEMM operand straight from its input";
  let description = [{
    Runs after `qopt-prepack-weights`. `qopt-conv-to-im2col-gemm` turns a
    convolution into an im2col copy (a `linalg.generic` writing
    `col[C, KH, KW, N, OH, OW] = x[n, c, oh*sh + kh*dh, ow*sw + kw*dw]` into a
    new buffer) and a GEMM reading it; the runtime then copies that matrix a
    second time into the tiles' panels. Where the GEMM is a
    `qopt_matmul_f32_pa` call (packed f32 weights) reading only the copy, the
    copy and its buffer go and the call becomes
    `qopt_conv2d_f32_pa(packed, mr, x, C, KH, KW, sh, sw, dh, dw, OH, OW)`
    (`_overwrite` and `_bias` likewise, the bias after C; N, OH and OW may be
    dynamic: OH and OW are then the buffer's run-time sizes; x's channels
    static and its inner stride a static 1). A zero fill or bias broadcast of
    C that preceded the copy (which `qopt-prepack-weights` could not see
    past) then becomes the call's start. The runtime's tiles read the matrix's panels that lie in
    one output row (unit stride) straight from x and pack the others from x,
    with the bits of the copy. Banded convolutions (one copy and one
    call per band of output rows) fold band by band, and then the band loop
    (whose bands only bounded the copy's buffer) becomes one call over the
    whole input and output when it runs from 0 by a constant step to a
    multiple of it, each band reads rows `iv * sh` on of one one-image
    input (all channels, full width) and writes its own columns `iv * OW`
    on of one static [F, OH * OW] buffer, and nothing else in the loop has
    effects; a zero fill or a bias
    broadcast of that buffer right before the loop then becomes the call's
    start (`_overwrite`, `_bias`), as in `qopt-prepack-weights`. A buffer may hold
    several copies one after the other (identical `tensor.empty` ops merge
    before bufferization): each copy folds into the call after it when
    nothing else reads the buffer between that copy and the next write.
    Left alone: a copy anything else reads, with a map that is not an
    im2col's, or with an operation that may write memory between it and the
    call. Int8 convolutions on the AVX-512 VNNI and AVX2 tiles fold the same
    way: a `qopt_matmul_s8s8_i32_<isa>_pa(packed, row sums, B, C)` call whose
    B is an i8 im2col copy becomes
    `qopt_conv2d_s8s8_i32_<isa>_pa(packed, row sums, x, C, KH, KW, sh, sw,
    dh, dw, OH, OW)` (C accumulates: its init stays); the runtime packs the
    panels that lie in one output row (unit stride) a group of four rows at
    a time across many panels straight from x, the others through a gather,
    with the bits of the copy. The AVX-VNNI int8 tiles keep the copy:
    folded, they ran the PP-OCR detector about 5% slower at one thread.
    qoptc runs this pass at -O1 and above.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
}

def QOptWinogradConv : Pass<"qopt-winograd-conv", "::mlir::ModuleOp"> {
  let summary = "Compute float 3x3 convolutions by Winograd F(2x2, 3x3)";
  let description = [{
    Runs after `qopt-fold-im2col`. A `qopt_conv2d_f32_pa` call (`_overwrite`,
    `_bias`) with a 3x3 filter, unit strides and dilations (constants), its
    packed weights a constant global the compiler holds (not a mapping of
    external data), static channels (x's dim 1) and filters (C's dim 0), at
    least `min-channels` channels and `min-filters` filters, becomes
    `qopt_conv2d_f32_wino(U, mr, x, C, [bias,] OH, OW)`: the weights are
    read back from their packed layout, transformed once to U = G g G^T
    (Winograd's F(2x2, 3x3); computed in double, rounded once) and packed
    for the same tiles, 16 matrices [F, C] (`include/qopt/Quant/F32Winograd.h`,
    which the runtime shares). The runtime transforms the input in chunks
    of 2x2-pixel tiles into the tiles' packed layout, runs 16 GEMMs and
    transforms their results into C: 16 multiplications per 4 output pixels
    and channel instead of 36.

    The sums are not the GEMM's: the transforms add and subtract values that
    the direct convolution never forms, so results differ from the im2col
    path in the last bits (the relative error stays at the level of f32
    rounding; `test/e2e/winograd-conv.test` measures it against
    onnxruntime). One transformed copy serves every call that reads the same
    packed weights; the packed GEMM weights are erased when nothing else
    reads them. qoptc runs this pass at -O1 and above unless
    `--winograd=false`.
  }];
  let options = [
    Option<"minChannels", "min-channels", "int64_t", "16",
           "Fewest input channels a convolution needs to be rewritten (below, the "
           "transforms cost more than the products they save: measured on AVX-512 "
           "tiles, 8 channels ran 1.6x slower)">,
    Option<"minFilters", "min-filters", "int64_t", "8",
           "Fewest filters (output channels) a convolution needs to be rewritten">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
}

def QOptParallelLoops : Pass<"qopt-parallel-loops", "::mlir::ModuleOp"> {
  let summary = "Split large linalg ops on buffers over OpenMP threads";
  let description = [{
    Runs after bufferization and `qopt-matmul-microkernel`, before
    `convert-linalg-to-loops`. A linalg op on buffers is split across threads
    when its first loop that is not statically of extent 1 is a parallel loop
    that every output indexes (so threads write disjoint elements), and when
    its iteration space may reach `min-iterations` (static shapes below it
    stay serial). Such an op becomes its `scf.for` loop nest with that loop
    run inside a parallel region, each thread on its own contiguous share
    of the loop's `n` iterations (schedule(static)'s split):

        omp.parallel if(%split) num_threads(%n) {
          %tid = omp_get_thread_num(), %nt = omp_get_num_threads()
          scf.for %i = lb + (n * tid / nt) * step
                    to min(ub, lb + (n * (tid + 1) / nt) * step) { inner loops }
        }

    (not `omp.wsloop`: the libomp Debian ships formats a debug string in
    every work-sharing loop's `__kmpc_for_static_init`), where `%n` is
    `qopt_rt_loop_threads(points)` of the nest's iteration points
    (runtime/Threads.cpp: the instance's `qopt_model_set_num_threads`, else
    QOPT_NUM_THREADS, else qoptc's `--threads`, else every core; 1 below the
    runtime's own bound, 32768 points where the process measured its cores
    near each other and 65536 where far apart: `qopt::rt::splitBounds`) and
    `%split` holds when `%n > 1`, the loop has at least 2 iterations and
    the whole iteration space has at least `min-iterations` points (checked
    at run time for dynamic shapes). Inner loops stay serial, so LLVM
    vectorizes them as before. Ops with reductions in front of the split
    loop, or outputs that do not index it, are left serial. A 1-D
    `scf.forall` on buffers (the fused GEMM tiles) asks with -1 points and
    is split whatever its size. A `memref.copy` of static shape that lowers
    to one memcpy and has `min-iterations` elements becomes a loop over its
    first dim of extent > 1 copying one slice (one memcpy) per iteration,
    split the same way (the PP-OCR detector's neck concatenates four maps
    of 2.4 MB by copies that one core made alone).

    With cores far apart (a 2-vCPU VM whose cache-line round trip took
    470-550 ns), splitting the PP-OCR classifier's dozen requantize chains,
    bias broadcasts and pad fills of 38400-40000 points made its INT8 build
    slower at two threads than at one (0.46-0.57 ms against 0.29 ms; 0.28 ms
    with them serial); with the same VM's cores near (105 ns) the split
    paid. Hence the run-time bound; `min-iterations` is the compile-time
    floor under it.
  }];
  let options = [
    Option<"minIterations", "min-iterations", "int64_t", "32768",
           "Smallest iteration space that is split across threads">
  ];
  let dependentDialects = ["::mlir::omp::OpenMPDialect", "::mlir::scf::SCFDialect",
                           "::mlir::func::FuncDialect", "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def QOptRuntimeAsserts : Pass<"qopt-runtime-asserts", "::mlir::ModuleOp"> {
  let summary = "Turn cf.assert into a run error the model reports instead of an abort";
  let description = [{
    `convert-cf-to-llvm` lowers a failing `cf.assert` to `abort()`: the
    process of whoever runs the model would die. This pass rewrites each
    `cf.assert %ok, "message"` into `scf.if` on `!%ok` that calls the
    runtime's `qopt_rt_assert_failed` with the message (a constant
    `memref.global` of its bytes, one per distinct message). The runtime
    keeps the first message of the run, the run goes on (the checked ops
    stay memory-safe on their own: they clamp what they read) and
    `qopt_model_run` then fails with that message. The lowering emits the
    asserts (`convert-qopt-to-linalg{runtime-checks}`).
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::func::FuncDialect", "::mlir::arith::ArithDialect"];
}

def QOptVectorizeLaneLoops : Pass<"qopt-vectorize-lane-loops"> {
  let summary = "Run short fixed-width loops over a buffer's last dim as one pass on vectors";
  let description = [{
    On loops (after `convert-linalg-to-loops`): an innermost `scf.for` from a
    constant to a constant with step 1 and 4 to 64 iterations, whose body is
    loads, stores and side-effect-free elementwise ops, where every load and
    store indexes the last dim of a buffer with unit stride by the induction
    variable (or, for loads, by a value from outside the loop) and every
    other dim by values from outside the loop, becomes that body once on
    `vector<W x T>` values: `vector.load`, the same ops on vectors (values
    that are the same in every iteration computed once and broadcast),
    `vector.store`. Loops whose iterations could see each other's stores are
    left alone: a stored buffer may be accessed only at the store's own
    indices, and no other access in the loop may alias it (buffers known
    apart as in `qopt-promote-reductions`). So are unsigned loops, buffers
    of elements other than 1, 2, 4 or 8 bytes, and conversions of floats to
    integers narrower than 32 bits (out of range they are poison, which LLVM
    computes differently on vectors and on scalars).

    The lane-split float reductions (16 interleaved lanes) are such loops
    inside the loop over the reduced groups; `qopt-promote-reductions` then
    carries the 16 running values in one vector across that loop. Every lane
    computes what its iteration did: results are bit-identical.
  }];
  let dependentDialects = ["::mlir::vector::VectorDialect"];
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
    and stores one element of a buffer (or one vector of elements,
    `vector.load`/`vector.store`: the lanes of `qopt-vectorize-lane-loops`)
    at indices that do not change inside it, and nothing else in the loop touches that buffer or memory that may
    alias it, the element is loaded once before the loop, carried as an
    `iter_args` value and stored once after. Buffers are known apart when
    they have different roots (through view-like ops), one root is a
    `memref.alloc`/`alloca` and the other another allocation, a global or an
    argument of the function (memory older than the allocation); or both are
    different globals. Any other root (a select or loop-carried value, a
    call's result) may be an allocation itself. Loops with calls
    or other ops with unknown memory effects are left alone. The order of the
    arithmetic does not change, so results are bit-identical.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::memref::MemRefDialect"];
}

#endif
