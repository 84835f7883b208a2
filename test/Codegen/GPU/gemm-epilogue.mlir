// GEMM epilogues: qopt-gpu-mma-matmul and qopt-gpu-map-kernels compute the
// op that initializes a matmul's accumulator (bias broadcast, fill) and the
// chain of elementwise ops that alone read its value (NCHW transpose,
// requantization) inside the GEMM kernel; the accumulator's buffer (and the
// transpose's) goes. What cannot be fused stays a separate kernel.
// RUN: qopt-opt %s --qopt-gpu-mma-matmul --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=MMA
// RUN: qopt-opt %s --qopt-gpu-map-kernels --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=SIMT
// RUN: qopt-opt %s --qopt-gpu-mma-matmul=epilogues=false --qopt-gpu-map-kernels=epilogues=false --canonicalize --split-input-file | FileCheck %s --check-prefix=OFF

// A batched convolution as the GEMM [F, N*H*W]: bias per F, the transpose
// to [N, F, H, W], then requantization with a scale per F. One kernel: the
// bias is read at f, the scale at f, the i8 result stored at (n, f, h, w).
// MMA-LABEL: func.func @conv
// MMA-SAME: (%[[W:.*]]: memref<8x27xi8>, %[[COLS:.*]]: memref<27x?xi8>, %[[BIAS:.*]]: memref<8xi32>, %[[SCALE:.*]]: memref<8xf32>, %[[N:.*]]: index)
// MMA-NOT: gpu.alloc
// MMA: %[[Q:.*]] = gpu.alloc (%[[N]]) : memref<?x8x4x4xi8>
// MMA-NOT: gpu.alloc
// MMA: gpu.launch
// MMA-COUNT-8: nvgpu.mma.sync
// MMA: scf.if
// MMA: %[[ACC:.*]] = vector.extract
// MMA: %[[L:.*]] = arith.addi
// MMA: %[[HW:.*]] = arith.divui %[[L]], %c4
// MMA: %[[NF:.*]] = arith.divui %[[HW]], %c4
// MMA: %[[F:.*]] = arith.divui %[[NF]], %[[N]]
// MMA: %[[B:.*]] = memref.load %[[BIAS]][%[[F]]]
// MMA: %[[SUM:.*]] = arith.addi %[[B]], %[[ACC]] : i32
// MMA: %[[W0:.*]] = arith.remui %[[L]], %c4
// MMA: %[[H0:.*]] = arith.remui %[[HW]], %c4
// MMA: %[[N0:.*]] = arith.remui %[[NF]], %[[N]]
// MMA: %[[S:.*]] = memref.load %[[SCALE]][%[[F]]]
// MMA: %[[X:.*]] = arith.sitofp %[[SUM]]
// MMA: arith.mulf %[[X]], %[[S]]
// MMA: %[[R:.*]] = arith.fptosi
// MMA: memref.store %[[R]], %[[Q]][%[[N0]], %[[F]], %[[H0]], %[[W0]]] : memref<?x8x4x4xi8>
// MMA-NOT: linalg.
// MMA-NOT: gpu.alloc
// MMA: return %[[Q]]
// SIMT-LABEL: func.func @conv
// SIMT: %[[Q:.*]] = gpu.alloc
// SIMT-NOT: gpu.alloc
// SIMT: gpu.launch
// SIMT: memref.load %arg2
// SIMT: scf.for
// SIMT: arith.extsi
// SIMT: arith.muli
// SIMT: scf.yield
// SIMT: memref.load %arg3
// SIMT: arith.sitofp
// SIMT: memref.store %{{.*}}, %[[Q]]
// SIMT: gpu.terminator
// SIMT-NOT: gpu.launch
// SIMT-NOT: linalg.
// SIMT: return %[[Q]]
// OFF-LABEL: func.func @conv
// OFF: gpu.alloc
// OFF-COUNT-2: gpu.launch
// OFF: gpu.alloc
// OFF: gpu.launch
// OFF: gpu.alloc
// OFF: gpu.launch
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch4 = affine_map<(d0, d1, d2, d3) -> (d1)>
func.func @conv(%w: memref<8x27xi8>, %cols: memref<27x?xi8>, %bias: memref<8xi32>, %scale: memref<8xf32>, %n: index) -> memref<?x8x4x4xi8> {
  %acc = gpu.alloc (%n) : memref<8x?x4x4xi32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0)>, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%bias : memref<8xi32>) outs(%acc : memref<8x?x4x4xi32>) {
  ^bb0(%in: i32, %out: i32):
    linalg.yield %in : i32
  }
  %c = memref.collapse_shape %acc [[0], [1, 2, 3]] : memref<8x?x4x4xi32> into memref<8x?xi32>
  linalg.matmul ins(%w, %cols : memref<8x27xi8>, memref<27x?xi8>) outs(%c : memref<8x?xi32>)
  %t = gpu.alloc (%n) : memref<?x8x4x4xi32>
  linalg.transpose ins(%acc : memref<8x?x4x4xi32>) outs(%t : memref<?x8x4x4xi32>) permutation = [1, 0, 2, 3]
  %q = gpu.alloc (%n) : memref<?x8x4x4xi8>
  linalg.generic {indexing_maps = [#id4, #ch4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%t, %scale : memref<?x8x4x4xi32>, memref<8xf32>) outs(%q : memref<?x8x4x4xi8>) {
  ^bb0(%in: i32, %s: f32, %out: i8):
    %f = arith.sitofp %in : i32 to f32
    %m = arith.mulf %f, %s : f32
    %r = math.roundeven %m : f32
    %i = arith.fptosi %r : f32 to i8
    linalg.yield %i : i8
  }
  gpu.dealloc %acc : memref<8x?x4x4xi32>
  gpu.dealloc %t : memref<?x8x4x4xi32>
  return %q : memref<?x8x4x4xi8>
}

// -----

// One buffer reused by two GEMMs (bufferization reuses dead buffers): each
// value has one writer before its matmul and one reader after it, so both
// fuse, the second consumer in place (its output is the buffer it reads,
// which the copy reads after it: the buffer stays, the copy is a kernel of
// its own).
// MMA-LABEL: func.func @reused
// MMA: %[[ACC:.*]] = gpu.alloc
// MMA: gpu.launch
// MMA: arith.sitofp
// MMA: memref.store %{{.*}}, %arg2
// MMA: gpu.launch
// MMA: %[[V:.*]] = arith.shrsi
// MMA: memref.store %[[V]], %[[ACC]]
// MMA-NOT: linalg.fill
// MMA-NOT: linalg.generic
// MMA: linalg.copy ins(%[[ACC]]
// SIMT-LABEL: func.func @reused
// SIMT-COUNT-3: gpu.launch
// SIMT-NOT: gpu.launch
// SIMT-NOT: linalg.
// OFF-LABEL: func.func @reused
// OFF-COUNT-6: gpu.launch
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @reused(%a: memref<64x64xi8>, %b: memref<64x64xi8>, %o1: memref<64x64xf32>, %o2: memref<64x64xi32>) {
  %c0 = arith.constant 0 : i32
  %acc = gpu.alloc () : memref<64x64xi32>
  linalg.fill ins(%c0 : i32) outs(%acc : memref<64x64xi32>)
  linalg.matmul ins(%a, %b : memref<64x64xi8>, memref<64x64xi8>) outs(%acc : memref<64x64xi32>)
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%acc : memref<64x64xi32>) outs(%o1 : memref<64x64xf32>) {
  ^bb0(%in: i32, %out: f32):
    %f = arith.sitofp %in : i32 to f32
    linalg.yield %f : f32
  }
  linalg.fill ins(%c0 : i32) outs(%acc : memref<64x64xi32>)
  linalg.matmul ins(%b, %a : memref<64x64xi8>, memref<64x64xi8>) outs(%acc : memref<64x64xi32>)
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%acc : memref<64x64xi32>) outs(%acc : memref<64x64xi32>) {
  ^bb0(%in: i32, %out: i32):
    %c3 = arith.constant 3 : i32
    %s = arith.shrsi %in, %c3 : i32
    linalg.yield %s : i32
  }
  linalg.copy ins(%acc : memref<64x64xi32>) outs(%o2 : memref<64x64xi32>)
  gpu.dealloc %acc : memref<64x64xi32>
  return
}

// -----

// Not fused. The accumulator read twice after the matmul: no consumer (the
// initialization still fuses; the buffer stays).
// MMA-LABEL: func.func @two_readers
// MMA: gpu.alloc
// MMA-NOT: linalg.fill
// MMA: gpu.launch
// MMA: linalg.copy
// MMA: linalg.copy
// SIMT-LABEL: func.func @two_readers
// SIMT-COUNT-3: gpu.launch
// SIMT-NOT: gpu.launch
// SIMT-LABEL: func.func @b_overwritten
// OFF-LABEL: func.func @two_readers
// OFF-COUNT-4: gpu.launch
func.func @two_readers(%a: memref<64x64xi8>, %b: memref<64x64xi8>, %o1: memref<64x64xi32>, %o2: memref<64x64xi32>) {
  %c0 = arith.constant 0 : i32
  %acc = gpu.alloc () : memref<64x64xi32>
  linalg.fill ins(%c0 : i32) outs(%acc : memref<64x64xi32>)
  linalg.matmul ins(%a, %b : memref<64x64xi8>, memref<64x64xi8>) outs(%acc : memref<64x64xi32>)
  linalg.copy ins(%acc : memref<64x64xi32>) outs(%o1 : memref<64x64xi32>)
  linalg.copy ins(%acc : memref<64x64xi32>) outs(%o2 : memref<64x64xi32>)
  gpu.dealloc %acc : memref<64x64xi32>
  return
}

// -----

// Not fused: between the matmul and its consumer an op writes the GEMM's
// B, so the kernel cannot move down to the consumer.
// MMA-LABEL: func.func @b_overwritten
// MMA: gpu.alloc
// MMA: gpu.launch
// MMA: linalg.fill ins(%{{.*}} : i8) outs(%arg1
// MMA-NEXT: linalg.copy
func.func @b_overwritten(%a: memref<64x64xi8>, %b: memref<64x64xi8>, %o: memref<64x64xi32>) {
  %c0 = arith.constant 0 : i32
  %z = arith.constant 0 : i8
  %acc = gpu.alloc () : memref<64x64xi32>
  linalg.fill ins(%c0 : i32) outs(%acc : memref<64x64xi32>)
  linalg.matmul ins(%a, %b : memref<64x64xi8>, memref<64x64xi8>) outs(%acc : memref<64x64xi32>)
  linalg.fill ins(%z : i8) outs(%b : memref<64x64xi8>)
  linalg.copy ins(%acc : memref<64x64xi32>) outs(%o : memref<64x64xi32>)
  gpu.dealloc %acc : memref<64x64xi32>
  return
}

// -----

// Not fused: the consumer writes into A, which other blocks of the GEMM may
// still be reading.
// MMA-LABEL: func.func @writes_a
// MMA: gpu.alloc
// MMA: gpu.launch
// MMA: linalg.generic {{.*}} outs(%arg0
func.func @writes_a(%a: memref<64x64xi8>, %b: memref<64x64xi8>) {
  %c0 = arith.constant 0 : i32
  %acc = gpu.alloc () : memref<64x64xi32>
  linalg.fill ins(%c0 : i32) outs(%acc : memref<64x64xi32>)
  linalg.matmul ins(%a, %b : memref<64x64xi8>, memref<64x64xi8>) outs(%acc : memref<64x64xi32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%acc : memref<64x64xi32>) outs(%a : memref<64x64xi8>) {
  ^bb0(%in: i32, %out: i8):
    %t = arith.trunci %in : i32 to i8
    linalg.yield %t : i8
  }
  gpu.dealloc %acc : memref<64x64xi32>
  return
}

// -----

// Not fused: the op before the matmul reads the accumulator (it accumulates
// into it), and the reader after it goes through a subview (opaque).
// MMA-LABEL: func.func @not_an_init
// MMA: gpu.alloc
// MMA: linalg.generic
// MMA: gpu.launch
// MMA: memref.subview
// MMA: linalg.copy
func.func @not_an_init(%a: memref<64x64xi8>, %b: memref<64x64xi8>, %o: memref<32x64xi32, strided<[64, 1]>>) {
  %c1 = arith.constant 1 : i32
  %acc = gpu.alloc () : memref<64x64xi32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%acc : memref<64x64xi32>) {
  ^bb0(%out: i32):
    %s = arith.addi %out, %c1 : i32
    linalg.yield %s : i32
  }
  linalg.matmul ins(%a, %b : memref<64x64xi8>, memref<64x64xi8>) outs(%acc : memref<64x64xi32>)
  %v = memref.subview %acc[0, 0] [32, 64] [1, 1] : memref<64x64xi32> to memref<32x64xi32, strided<[64, 1]>>
  linalg.copy ins(%v : memref<32x64xi32, strided<[64, 1]>>) outs(%o : memref<32x64xi32, strided<[64, 1]>>)
  gpu.dealloc %acc : memref<64x64xi32>
  return
}

// -----

// A chain through another reshape of an intermediate buffer (a head split):
// the first link reads C's own view, so its point is (i, j) as it is; the
// second link's comes from the first one's output linearized in [8, 16] and
// delinearized in [8, 4, 4], so l = 16 i + j is stored at
// (l / 4 % 4, l / 16, l % 4).
// SIMT-LABEL: func.func @reshape_between_links
// SIMT-NOT: gpu.alloc
// SIMT: gpu.launch
// SIMT: %[[J:.*]] = arith.remui %{{.*}}, %c16
// SIMT: %[[I:.*]] = arith.divui %{{.*}}, %c16
// SIMT: scf.for
// SIMT: %[[V:.*]] = arith.addi %{{.*}}, %c1_i32 : i32
// SIMT: %[[L2:.*]] = arith.addi %{{.*}}, %[[J]] : index
// SIMT: %[[W:.*]] = arith.remui %[[L2]], %c4
// SIMT: %[[Q:.*]] = arith.divui %[[L2]], %c4
// SIMT: %[[H:.*]] = arith.remui %[[Q]], %c4
// SIMT: %[[R:.*]] = arith.divui %[[Q]], %c4
// SIMT: memref.store %[[V]], %arg2[%[[H]], %[[R]], %[[W]]] : memref<4x8x4xi32>
// SIMT-NOT: linalg.
// SIMT-LABEL: func.func @unfused_init_link_writes_c
#id2b = affine_map<(d0, d1) -> (d0, d1)>
func.func @reshape_between_links(%a: memref<8x32xi8>, %b: memref<32x16xi8>, %o: memref<4x8x4xi32>) {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %acc = gpu.alloc () : memref<8x16xi32>
  linalg.fill ins(%c0 : i32) outs(%acc : memref<8x16xi32>)
  linalg.matmul ins(%a, %b : memref<8x32xi8>, memref<32x16xi8>) outs(%acc : memref<8x16xi32>)
  %t = gpu.alloc () : memref<8x16xi32>
  linalg.generic {indexing_maps = [#id2b, #id2b], iterator_types = ["parallel", "parallel"]} ins(%acc : memref<8x16xi32>) outs(%t : memref<8x16xi32>) {
  ^bb0(%in: i32, %out: i32):
    %s = arith.addi %in, %c1 : i32
    linalg.yield %s : i32
  }
  %e = memref.expand_shape %t [[0], [1, 2]] output_shape [8, 4, 4] : memref<8x16xi32> into memref<8x4x4xi32>
  linalg.transpose ins(%e : memref<8x4x4xi32>) outs(%o : memref<4x8x4xi32>) permutation = [1, 0, 2]
  gpu.dealloc %acc : memref<8x16xi32>
  gpu.dealloc %t : memref<8x16xi32>
  return
}

// -----

// Not fused: the initialization stays (a host op), so the kernel loads C
// where it runs, and the chain's last link writes C: other blocks could
// still be loading it. The kernel stores C; both links stay.
// MMA-LABEL: func.func @unfused_init_link_writes_c
// MMA: linalg.copy {qopt.host}
// MMA: gpu.launch
// MMA: memref.store %{{.*}}, %[[C:.*]][%{{.*}}, %{{.*}}] : memref<64x64xi32>
// MMA: gpu.alloc
// MMA: linalg.generic
// MMA: linalg.generic {{.*}} outs(%[[C]]
#id2c = affine_map<(d0, d1) -> (d0, d1)>
#tr2c = affine_map<(d0, d1) -> (d1, d0)>
func.func @unfused_init_link_writes_c(%a: memref<64x64xi8>, %b: memref<64x64xi8>, %bias: memref<64x64xi32>) {
  %acc = gpu.alloc () : memref<64x64xi32>
  linalg.copy {qopt.host} ins(%bias : memref<64x64xi32>) outs(%acc : memref<64x64xi32>)
  linalg.matmul ins(%a, %b : memref<64x64xi8>, memref<64x64xi8>) outs(%acc : memref<64x64xi32>)
  %t = gpu.alloc () : memref<64x64xi32>
  linalg.generic {indexing_maps = [#tr2c, #id2c], iterator_types = ["parallel", "parallel"]} ins(%acc : memref<64x64xi32>) outs(%t : memref<64x64xi32>) {
  ^bb0(%in: i32, %out: i32):
    linalg.yield %in : i32
  }
  linalg.generic {indexing_maps = [#id2c, #id2c], iterator_types = ["parallel", "parallel"]} ins(%t : memref<64x64xi32>) outs(%acc : memref<64x64xi32>) {
  ^bb0(%in: i32, %out: i32):
    %s = arith.muli %in, %in : i32
    linalg.yield %s : i32
  }
  gpu.dealloc %t : memref<64x64xi32>
  gpu.dealloc %acc : memref<64x64xi32>
  return
}

// -----

// A chain whose links reuse buffers (C -> T -> U -> T -> C -> output): every
// link fuses, each buffer is erased once.
// MMA-LABEL: func.func @ping_pong
// MMA-NOT: gpu.alloc
// MMA: gpu.launch
// MMA: %[[X:.*]] = arith.muli %{{.*}}, %c3_i32 : i32
// MMA: %[[Y:.*]] = arith.shrsi %[[X]], %c3_i32 : i32
// MMA: %[[Z:.*]] = arith.subi %[[Y]], %c3_i32 : i32
// MMA: memref.store %[[Z]], %arg2
// MMA-NOT: linalg.
// MMA-NOT: gpu.dealloc
// MMA: return
#id2d = affine_map<(d0, d1) -> (d0, d1)>
func.func @ping_pong(%a: memref<64x64xi8>, %b: memref<64x64xi8>, %o: memref<64x64xi32>) {
  %c0 = arith.constant 0 : i32
  %c3 = arith.constant 3 : i32
  %acc = gpu.alloc () : memref<64x64xi32>
  %t = gpu.alloc () : memref<64x64xi32>
  %u = gpu.alloc () : memref<64x64xi32>
  linalg.fill ins(%c0 : i32) outs(%acc : memref<64x64xi32>)
  linalg.matmul ins(%a, %b : memref<64x64xi8>, memref<64x64xi8>) outs(%acc : memref<64x64xi32>)
  linalg.generic {indexing_maps = [#id2d, #id2d], iterator_types = ["parallel", "parallel"]} ins(%acc : memref<64x64xi32>) outs(%t : memref<64x64xi32>) {
  ^bb0(%in: i32, %out: i32):
    %s = arith.addi %in, %c3 : i32
    linalg.yield %s : i32
  }
  linalg.generic {indexing_maps = [#id2d, #id2d], iterator_types = ["parallel", "parallel"]} ins(%t : memref<64x64xi32>) outs(%u : memref<64x64xi32>) {
  ^bb0(%in: i32, %out: i32):
    %s = arith.muli %in, %c3 : i32
    linalg.yield %s : i32
  }
  linalg.generic {indexing_maps = [#id2d, #id2d], iterator_types = ["parallel", "parallel"]} ins(%u : memref<64x64xi32>) outs(%t : memref<64x64xi32>) {
  ^bb0(%in: i32, %out: i32):
    %s = arith.shrsi %in, %c3 : i32
    linalg.yield %s : i32
  }
  linalg.generic {indexing_maps = [#id2d, #id2d], iterator_types = ["parallel", "parallel"]} ins(%t : memref<64x64xi32>) outs(%acc : memref<64x64xi32>) {
  ^bb0(%in: i32, %out: i32):
    %s = arith.subi %in, %c3 : i32
    linalg.yield %s : i32
  }
  linalg.copy ins(%acc : memref<64x64xi32>) outs(%o : memref<64x64xi32>)
  gpu.dealloc %u : memref<64x64xi32>
  gpu.dealloc %t : memref<64x64xi32>
  gpu.dealloc %acc : memref<64x64xi32>
  return
}
