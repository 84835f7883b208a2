// RUN: qopt-opt %s --qopt-parallel-loops --canonicalize --split-input-file | FileCheck %s
// RUN: qopt-opt %s --qopt-parallel-loops=min-iterations=16 --canonicalize --split-input-file | FileCheck %s --check-prefix=LOW
// RUN: not qopt-opt %s --qopt-parallel-loops=min-iterations=0 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: qopt-parallel-loops: min-iterations must be at least 1, got 0
// The whole lowering with OpenMP regions reaches the LLVM dialect.
// RUN: qopt-opt %s --split-input-file --qopt-parallel-loops=min-iterations=1 --convert-linalg-to-loops --lower-affine --convert-scf-to-cf --finalize-memref-to-llvm --convert-arith-to-llvm --convert-index-to-llvm --convert-func-to-llvm --convert-cf-to-llvm --convert-openmp-to-llvm --reconcile-unrealized-casts | FileCheck %s --check-prefix=LLVM

// An elementwise op over 1x64x32x32 (65536 points): the batch loop has
// extent 1, so the channel loop is split; the inner loops stay serial. Each
// thread takes channels [64 * tid / nt, 64 * (tid + 1) / nt), computed from
// omp_get_thread_num / omp_get_num_threads (no work-sharing loop: its
// __kmpc_for_static_init is slow in Debian's libomp).
// The runtime is told the nest's iteration points (it keeps nests under its
// own bound serial).
// CHECK-DAG: func.func private @qopt_rt_loop_threads(i64) -> i32
// CHECK-DAG: func.func private @omp_get_thread_num() -> i32
// CHECK-DAG: func.func private @omp_get_num_threads() -> i32
// CHECK-LABEL: func.func @elementwise
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG: %[[POINTS:.*]] = arith.constant 65536 : i64
// CHECK: %[[N:.*]] = call @qopt_rt_loop_threads(%[[POINTS]]) : (i64) -> i32
// CHECK: %[[MANY:.*]] = arith.cmpi sgt, %[[N]], %{{.*}} : i32
// CHECK-NEXT: omp.parallel if(%[[MANY]]) num_threads(%[[N]] : i32) {
// CHECK-NEXT: %[[TID32:.*]] = func.call @omp_get_thread_num() : () -> i32
// CHECK-NEXT: %[[TID:.*]] = arith.index_cast %[[TID32]] : i32 to index
// CHECK-NEXT: %[[NT32:.*]] = func.call @omp_get_num_threads() : () -> i32
// CHECK-NEXT: %[[NT:.*]] = arith.index_cast %[[NT32]] : i32 to index
// CHECK-NEXT: %[[M0:.*]] = arith.muli %[[TID]], %[[C64]] : index
// CHECK-NEXT: %[[BEGIN:.*]] = arith.divsi %[[M0]], %[[NT]] : index
// CHECK-NEXT: %[[NEXT:.*]] = arith.addi %[[TID]], %[[C1]] : index
// CHECK-NEXT: %[[M1:.*]] = arith.muli %[[NEXT]], %[[C64]] : index
// CHECK-NEXT: %[[E:.*]] = arith.divsi %[[M1]], %[[NT]] : index
// CHECK-NEXT: %[[END:.*]] = arith.minsi %[[E]], %[[C64]] : index
// CHECK-NEXT: scf.for %[[C:.*]] = %[[BEGIN]] to %[[END]] step %[[C1]] {
// CHECK-NEXT: scf.for %[[H:.*]] = %[[C0]] to
// CHECK-NEXT: scf.for %[[W:.*]] = %[[C0]] to
// CHECK: memref.load %arg0[%[[C0]], %[[C]], %[[H]], %[[W]]]
// CHECK: memref.store %{{.*}}, %arg1[%[[C0]], %[[C]], %[[H]], %[[W]]]
// CHECK: omp.terminator
// CHECK-NOT: omp.wsloop
// CHECK-NOT: linalg.generic
// LLVM-LABEL: llvm.func @elementwise
// LLVM: omp.parallel
// LLVM: llvm.call @omp_get_thread_num()
// LLVM: llvm.call @omp_get_num_threads()
// LLVM: llvm.fadd
// LLVM: omp.terminator
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @elementwise(%a: memref<1x64x32x32xf32>, %b: memref<1x64x32x32xf32>) {
  linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%a : memref<1x64x32x32xf32>) outs(%b : memref<1x64x32x32xf32>) {
  ^bb0(%x: f32, %y: f32):
    %z = arith.addf %x, %x : f32
    linalg.yield %z : f32
  }
  return
}

// -----

// Below min-iterations (4x128 = 512 points) the op stays as it is, for
// convert-linalg-to-loops; a lower threshold splits it.
// CHECK-LABEL: func.func @small
// CHECK-NOT: omp.parallel
// CHECK: linalg.copy
// LOW-LABEL: func.func @small
// LOW-NOT: linalg.copy
// LOW: omp.parallel
// LOW: memref.load %arg0
// LOW: omp.terminator
// LOW-NEXT: }
// LOW-NEXT: return
func.func @small(%a: memref<4x128xf32>, %b: memref<4x128xf32>) {
  linalg.copy ins(%a : memref<4x128xf32>) outs(%b : memref<4x128xf32>)
  return
}

// -----

// Between the compile-time floor and 65536 points the runtime decides: a
// 38400-point op (the PP-OCR classifier's requantize shape) is split when
// qopt_rt_loop_threads(38400) says so, which it does where the cores are
// near each other.
// CHECK-LABEL: func.func @under_default
// CHECK: %[[POINTS:.*]] = arith.constant 38400 : i64
// CHECK: call @qopt_rt_loop_threads(%[[POINTS]])
// CHECK: omp.parallel
// CHECK-NOT: linalg.copy
// LOW-LABEL: func.func @under_default
// LOW: omp.parallel
func.func @under_default(%a: memref<1x200x2x96xf32>, %b: memref<1x200x2x96xf32>) {
  linalg.copy ins(%a : memref<1x200x2x96xf32>) outs(%b : memref<1x200x2x96xf32>)
  return
}

// -----

// Dynamic shapes: split when, at run time, the space has min-iterations
// points and the split loop at least 2 iterations.
// CHECK-LABEL: func.func @dynamic
// CHECK-DAG: %[[MIN:.*]] = arith.constant 32768 : index
// CHECK-DAG: %[[TWO:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[D1:.*]] = memref.dim %arg0, %c1
// CHECK-DAG: %[[D2:.*]] = memref.dim %arg0, %c2
// CHECK: %[[VOL:.*]] = arith.muli %[[D1]], %[[D2]] : index
// CHECK: %[[P:.*]] = arith.index_cast %[[VOL]] : index to i64
// CHECK: %[[N:.*]] = call @qopt_rt_loop_threads(%[[P]])
// CHECK: %[[MANY:.*]] = arith.cmpi sgt, %[[N]]
// CHECK: %[[BIG:.*]] = arith.cmpi sge, %[[VOL]], %[[MIN]] : index
// CHECK: %[[WIDE:.*]] = arith.cmpi sge, %[[D1]], %[[TWO]] : index
// CHECK: %[[A:.*]] = arith.andi %[[MANY]], %[[BIG]] : i1
// CHECK: %[[IF:.*]] = arith.andi %[[A]], %[[WIDE]] : i1
// CHECK: omp.parallel if(%[[IF]]) num_threads(%[[N]] : i32)
// CHECK: %[[BEGIN:.*]] = arith.divsi %{{.*}}, %{{.*}} : index
// CHECK: %[[E:.*]] = arith.divsi %{{.*}}, %{{.*}} : index
// CHECK-NEXT: %[[END:.*]] = arith.minsi %[[E]], %[[D1]] : index
// CHECK-NEXT: scf.for %{{.*}} = %[[BEGIN]] to %[[END]] step
// CHECK-NEXT: scf.for %{{.*}} = %{{.*}} to %[[D2]]
func.func @dynamic(%a: memref<1x?x?xf32>, %b: memref<1x?xf32>) {
  linalg.reduce ins(%a : memref<1x?x?xf32>) outs(%b : memref<1x?xf32>) dimensions = [2]
  (%x: f32, %y: f32) {
    %z = arith.addf %x, %y : f32
    linalg.yield %z : f32
  }
  return
}

// -----

// A reduction loop in front: threads would add into the same elements.
// CHECK-LABEL: func.func @reduction_first
// CHECK-NOT: omp.parallel
// CHECK: linalg.reduce
func.func @reduction_first(%a: memref<300x200xf32>, %b: memref<200xf32>) {
  linalg.reduce ins(%a : memref<300x200xf32>) outs(%b : memref<200xf32>) dimensions = [0]
  (%x: f32, %y: f32) {
    %z = arith.addf %x, %y : f32
    linalg.yield %z : f32
  }
  return
}

// -----

// A parallel loop that an output does not index (a broadcast write) is not
// split: every iteration would store to the same element.
// CHECK-LABEL: func.func @output_ignores_loop
// CHECK-NOT: omp.parallel
// CHECK: linalg.generic
#in2 = affine_map<(d0, d1) -> (d0, d1)>
#out2 = affine_map<(d0, d1) -> (d1)>
func.func @output_ignores_loop(%a: memref<300x200xf32>, %b: memref<200xf32>) {
  linalg.generic {indexing_maps = [#in2, #out2], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<300x200xf32>) outs(%b : memref<200xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  }
  return
}

// -----

// Tensors are not touched (the pass runs after bufferization).
// CHECK-LABEL: func.func @tensors
// CHECK-NOT: omp.parallel
// CHECK: linalg.copy
func.func @tensors(%a: tensor<300x200xf32>, %b: tensor<300x200xf32>) -> tensor<300x200xf32> {
  %0 = linalg.copy ins(%a : tensor<300x200xf32>) outs(%b : tensor<300x200xf32>) -> tensor<300x200xf32>
  return %0 : tensor<300x200xf32>
}

// -----

// An scf.forall on buffers (qopt-fuse-gemm-epilogue's tiles) becomes its
// loop on the runtime's threads, split when there are several threads and
// more than one iteration (4 here, folded); the linalg op inside stays for
// the tile's thread.
// CHECK-LABEL: func.func @forall_tiles
// CHECK: %[[ANY:.*]] = arith.constant -1 : i64
// CHECK: %[[N:.*]] = call @qopt_rt_loop_threads(%[[ANY]]) : (i64) -> i32
// CHECK: %[[MANY:.*]] = arith.cmpi sgt, %[[N]], %{{.*}} : i32
// CHECK-NEXT: omp.parallel if(%[[MANY]]) num_threads(%[[N]] : i32) {
// Four tiles of 256 columns: thread tid starts at tile 4 * tid / nt.
// CHECK: %[[T0:.*]] = arith.divsi %{{.*}}, %{{.*}} : index
// CHECK-NEXT: %[[BEGIN:.*]] = arith.muli %[[T0]], %c256 : index
// CHECK: %[[T1:.*]] = arith.divsi %{{.*}}, %{{.*}} : index
// CHECK-NEXT: %[[E:.*]] = arith.muli %[[T1]], %c256 : index
// CHECK-NEXT: %[[END:.*]] = arith.minsi %[[E]], %c1024 : index
// CHECK-NEXT: scf.for %[[I:.*]] = %[[BEGIN]] to %[[END]] step %c256 {
// CHECK: memref.subview %arg0[0, %[[I]]] [64, 256] [1, 1]
// CHECK: linalg.generic
// CHECK-NOT: omp.parallel
// CHECK: omp.terminator
// CHECK-NOT: scf.forall
func.func @forall_tiles(%x: memref<64x1024xf32>, %y: memref<64x1024xf32>) {
  scf.forall (%i) = (0) to (1024) step (256) {
    %s = memref.subview %x[0, %i] [64, 256] [1, 1] : memref<64x1024xf32> to memref<64x256xf32, strided<[1024, 1], offset: ?>>
    %d = memref.subview %y[0, %i] [64, 256] [1, 1] : memref<64x1024xf32> to memref<64x256xf32, strided<[1024, 1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%s : memref<64x256xf32, strided<[1024, 1], offset: ?>>) outs(%d : memref<64x256xf32, strided<[1024, 1], offset: ?>>) {
    ^bb0(%a: f32, %b: f32):
      %r = arith.negf %a : f32
      linalg.yield %r : f32
    }
  }
  return
}

// -----

// A copy that lowers to one memcpy (the detector's concat into a channel
// slab of a larger buffer), 1x24x40x40 = 38400 elements: a loop over the 24
// channels copying one 40x40 slice (a memcpy) each, split over threads;
// qopt_rt_loop_threads hears its 38400 elements.
// CHECK-LABEL: func.func @copy_slab
// CHECK-DAG: %[[C24:.*]] = arith.constant 24 : index
// CHECK-DAG: %[[POINTS:.*]] = arith.constant 38400 : i64
// CHECK: %[[N:.*]] = call @qopt_rt_loop_threads(%[[POINTS]]) : (i64) -> i32
// CHECK: omp.parallel if(%{{.*}}) num_threads(%[[N]] : i32) {
// CHECK: %[[END:.*]] = arith.minsi %{{.*}}, %[[C24]] : index
// CHECK-NEXT: scf.for %[[C:.*]] = %{{.*}} to %[[END]] step
// CHECK-NEXT: %[[S:.*]] = memref.subview %arg0[0, %[[C]], 0, 0] [1, 1, 40, 40] [1, 1, 1, 1]
// CHECK-NEXT: %[[D:.*]] = memref.subview %arg1[0, %[[C]], 0, 0] [1, 1, 40, 40] [1, 1, 1, 1]
// CHECK-NEXT: memref.copy %[[S]], %[[D]]
// CHECK: omp.terminator
// Each slice still lowers to a memcpy.
// LLVM-LABEL: llvm.func @copy_slab
// LLVM: omp.parallel
// LLVM: "llvm.intr.memcpy"
// LLVM-NOT: memrefCopy
func.func @copy_slab(%a: memref<1x24x40x40xf32>, %b: memref<1x24x40x40xf32, strided<[153600, 1600, 40, 1], offset: 38400>>) {
  memref.copy %a, %b : memref<1x24x40x40xf32> to memref<1x24x40x40xf32, strided<[153600, 1600, 40, 1], offset: 38400>>
  return
}

// -----

// Below min-iterations a copy stays one memcpy on one thread.
// CHECK-LABEL: func.func @copy_small
// CHECK-NOT: omp.parallel
// CHECK: memref.copy %arg0, %arg1
// LLVM-LABEL: llvm.func @copy_small
func.func @copy_small(%a: memref<4x128xf32>, %b: memref<4x128xf32>) {
  memref.copy %a, %b : memref<4x128xf32> to memref<4x128xf32>
  return
}

// -----

// Nor is one split whose slices would be under 1024 elements (a rank-1
// copy: one element each; 4096 rows of 16), or that is not one memcpy
// (strided: a linalg.copy by then in the pipeline,
// qopt-strided-copy-to-linalg).
// CHECK-LABEL: func.func @copy_unsplit
// CHECK-NOT: omp.parallel
// CHECK: memref.copy %arg0, %arg1
// CHECK-NEXT: memref.copy %arg2, %arg3
// CHECK-NEXT: memref.copy %arg4, %arg5
// CHECK-NEXT: return
// LLVM-LABEL: llvm.func @copy_unsplit
func.func @copy_unsplit(%a: memref<65536xf32>, %b: memref<65536xf32>,
                        %c: memref<4096x16xf32>, %d: memref<4096x16xf32>,
                        %e: memref<64x2048xf32>, %f: memref<64x2048xf32, strided<[4096, 1]>>) {
  memref.copy %a, %b : memref<65536xf32> to memref<65536xf32>
  memref.copy %c, %d : memref<4096x16xf32> to memref<4096x16xf32>
  memref.copy %e, %f : memref<64x2048xf32> to memref<64x2048xf32, strided<[4096, 1]>>
  return
}
