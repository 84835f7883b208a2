// qopt-gpu-mma-matmul{implicit-gemm}: a convolution's GEMM whose B is the
// im2col copy of its input (col[c, kh, kw, n, oh, ow] = x[n, c, oh*s + kh,
// ow*s + kw], collapsed to [C*KH*KW, N*OH*OW]) reads x in place: the kernel
// delinearizes B's row in (C, KH, KW) and its column in (N, OH, OW), applies
// the copy's map and loads x; the copy and its buffer go. Where x may change
// before the kernel runs, or the copy's buffer has another reader, the copy
// stays and the kernel reads it.
// RUN: qopt-opt %s --qopt-gpu-mma-matmul --split-input-file | FileCheck %s
// RUN: qopt-opt %s --qopt-gpu-mma-matmul=implicit-gemm=false --split-input-file | FileCheck %s --check-prefix=OFF
// RUN: qopt-opt %S/Inputs/conv-stride2-i8.mlir --qopt-gpu-codegen-pipeline="format=isa" | FileCheck %s --check-prefix=PTX
// RUN: qopt-opt %S/Inputs/conv-stride2-i8.mlir --qopt-gpu-codegen-pipeline="format=isa" | grep -c "gpu.binary @" | FileCheck %s --check-prefix=ONE
// ONE: {{^1$}}
// RUN: qopt-opt %S/Inputs/conv-stride2-i8.mlir --qopt-gpu-codegen-pipeline="format=isa implicit-gemm=false" | FileCheck %s --check-prefix=PTXOFF
// RUN: %if ptxas %{ qopt-opt %S/Inputs/conv-stride2-i8.mlir --qopt-gpu-codegen-pipeline="format=bin arch=sm_80 toolkit=%cuda_toolkit" | FileCheck %s --check-prefix=CUBIN %}
// RUN: %if ptxas %{ qopt-opt %S/Inputs/conv-stride2-i8.mlir --qopt-gpu-codegen-pipeline="format=bin arch=sm_90 toolkit=%cuda_toolkit" | FileCheck %s --check-prefix=CUBIN %}

// Through the whole pipeline (Inputs/conv-stride2-i8.mlir, on tensors): one
// kernel, the tensor-core GEMM with the zero fill and the NCHW transpose
// fused and the input read in place; without implicit GEMM, the im2col copy
// is a kernel of its own. The cubins assemble for sm_80 and sm_90.
// PTX: gpu.binary @conv_kernel{{ }}
// PTX-COUNT-8: mma.sync.aligned.m16n8k32.row.col.satfinite.s32.s8.s8.s32
// PTX-NOT: gpu.binary
// PTXOFF-COUNT-2: gpu.binary
// CUBIN: gpu.binary @conv_kernel
// CUBIN-NOT: gpu.binary

// A 3x3 convolution with stride 2 of a batch of n 3x10x10 images (4x4
// outputs). The row's (c, kh, kw) and the column's (n, oh, ow), each
// divisor at least 1; x at (n, c, oh*2 + kh, ow*2 + kw); 16 elements per
// thread, each loaded alone (no vector load: the map does not promise 16
// contiguous bytes).
// CHECK-DAG: #[[H:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4 * 2 + d1)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d5 * 2 + d2)>
// CHECK-LABEL: func.func @stride2
// CHECK-SAME: (%[[X:.*]]: memref<?x3x10x10xi8>, %[[WT:.*]]: memref<8x27xi8>, %[[C:.*]]: memref<8x?xi32>, %[[NB:.*]]: index)
// CHECK-NOT: gpu.alloc
// CHECK-NOT: linalg.generic
// CHECK: %[[N1:.*]] = arith.muli %c1{{.*}}, %[[NB]]
// CHECK: %[[N2:.*]] = arith.muli %[[N1]], %c4
// CHECK: %[[N:.*]] = arith.muli %[[N2]], %c4
// CHECK: arith.ceildivui %[[N]], %c64
// CHECK: gpu.launch
// CHECK: %[[S0:.*]] = arith.maxui %c3{{.*}}, %c1
// CHECK: %[[S1:.*]] = arith.maxui %c3{{.*}}, %c1
// CHECK: %[[S2:.*]] = arith.maxui %c3{{.*}}, %c1
// CHECK: %[[S3:.*]] = arith.maxui %[[NB]], %c1
// CHECK: %[[S4:.*]] = arith.maxui %c4{{.*}}, %c1
// CHECK: %[[S5:.*]] = arith.maxui %c4{{.*}}, %c1
// CHECK-NOT: memref.extract_aligned_pointer_as_index %[[X]]
// CHECK: scf.for
// B's element: k and n below their bounds, k = (c, kh, kw), n = (img, oh, ow).
// CHECK: %[[NOK:.*]] = arith.cmpi ult, %[[COL:.*]], %[[N]] : index
// CHECK-NEXT: %[[OK:.*]] = arith.andi %{{.*}}, %[[NOK]] : i1
// CHECK-NEXT: %[[KW:.*]] = arith.remui %[[K:.*]], %[[S2]]
// CHECK: %[[K1:.*]] = arith.divui %[[K]], %[[S2]]
// CHECK: %[[KH:.*]] = arith.remui %[[K1]], %[[S1]]
// CHECK: %[[CI:.*]] = arith.divui %[[K1]], %[[S1]]
// CHECK: %[[OW:.*]] = arith.remui %[[COL]], %[[S5]]
// CHECK: %[[C1:.*]] = arith.divui %[[COL]], %[[S5]]
// CHECK: %[[OH:.*]] = arith.remui %[[C1]], %[[S4]]
// CHECK: %[[IMG:.*]] = arith.divui %[[C1]], %[[S4]]
// CHECK: %[[IH:.*]] = affine.apply #[[H]](%[[CI]], %[[KH]], %[[KW]], %[[IMG]], %[[OH]], %[[OW]])
// CHECK: %[[IW:.*]] = affine.apply #[[W]](%[[CI]], %[[KH]], %[[KW]], %[[IMG]], %[[OH]], %[[OW]])
// CHECK: scf.if %[[OK]] -> (i8)
// CHECK-NEXT: memref.load %[[X]][%[[IMG]], %[[CI]], %[[IH]], %[[IW]]] : memref<?x3x10x10xi8>
// CHECK-COUNT-15: memref.load %[[X]]
// CHECK-NOT: memref.load %[[X]]
// CHECK: gpu.barrier
// CHECK-COUNT-8: nvgpu.mma.sync
// CHECK: gpu.terminator
// CHECK-NOT: linalg.
// CHECK-NOT: gpu.dealloc
// CHECK: return
// OFF-LABEL: func.func @stride2
// OFF: %[[COL:.*]] = gpu.alloc
// OFF: linalg.generic
// OFF: %[[B:.*]] = memref.collapse_shape %[[COL]]
// OFF: gpu.launch
// OFF: vector.load %[[B]]
// OFF: gpu.dealloc %[[COL]]
#x = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 * 2 + d1, d5 * 2 + d2)>
#id6 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
func.func @stride2(%x: memref<?x3x10x10xi8>, %w: memref<8x27xi8>, %c: memref<8x?xi32>, %n: index) {
  %col = gpu.alloc (%n) : memref<3x3x3x?x4x4xi8>
  linalg.generic {indexing_maps = [#x, #id6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<?x3x10x10xi8>) outs(%col : memref<3x3x3x?x4x4xi8>) {
  ^bb0(%in: i8, %out: i8):
    linalg.yield %in : i8
  }
  %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<3x3x3x?x4x4xi8> into memref<27x?xi8>
  linalg.matmul ins(%w, %b : memref<8x27xi8>, memref<27x?xi8>) outs(%c : memref<8x?xi32>)
  gpu.dealloc %col : memref<3x3x3x?x4x4xi8>
  return
}

// -----

// x overwritten between the copy and the matmul: the copy stays.
// CHECK-LABEL: func.func @clobbered
// CHECK: %[[COL:.*]] = gpu.alloc
// CHECK: linalg.generic
// CHECK: %[[B:.*]] = memref.collapse_shape %[[COL]]
// CHECK: linalg.fill
// CHECK: gpu.launch
// CHECK: vector.load %[[B]]
// CHECK: gpu.dealloc %[[COL]]
#x = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 + d1, d5 + d2)>
#id6 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
func.func @clobbered(%x: memref<1x3x6x6xi8>, %w: memref<8x27xi8>, %c: memref<8x16xi32>) {
  %zero = arith.constant 0 : i8
  %col = gpu.alloc () : memref<3x3x3x1x4x4xi8>
  linalg.generic {indexing_maps = [#x, #id6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<1x3x6x6xi8>) outs(%col : memref<3x3x3x1x4x4xi8>) {
  ^bb0(%in: i8, %out: i8):
    linalg.yield %in : i8
  }
  %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<3x3x3x1x4x4xi8> into memref<27x16xi8>
  linalg.fill ins(%zero : i8) outs(%x : memref<1x3x6x6xi8>)
  linalg.matmul ins(%w, %b : memref<8x27xi8>, memref<27x16xi8>) outs(%c : memref<8x16xi32>)
  gpu.dealloc %col : memref<3x3x3x1x4x4xi8>
  return
}

// -----

// x freed between the copy and the matmul: the copy stays.
// CHECK-LABEL: func.func @freed
// CHECK: %[[COL:.*]] = gpu.alloc
// CHECK: linalg.generic
// CHECK: %[[B:.*]] = memref.collapse_shape %[[COL]]
// CHECK: gpu.dealloc %arg0
// CHECK: gpu.launch
// CHECK: vector.load %[[B]]
#x = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 + d1, d5 + d2)>
#id6 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
func.func @freed(%x: memref<1x3x6x6xi8>, %w: memref<8x27xi8>, %c: memref<8x16xi32>) {
  %col = gpu.alloc () : memref<3x3x3x1x4x4xi8>
  linalg.generic {indexing_maps = [#x, #id6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<1x3x6x6xi8>) outs(%col : memref<3x3x3x1x4x4xi8>) {
  ^bb0(%in: i8, %out: i8):
    linalg.yield %in : i8
  }
  %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<3x3x3x1x4x4xi8> into memref<27x16xi8>
  gpu.dealloc %x : memref<1x3x6x6xi8>
  linalg.matmul ins(%w, %b : memref<8x27xi8>, memref<27x16xi8>) outs(%c : memref<8x16xi32>)
  gpu.dealloc %col : memref<3x3x3x1x4x4xi8>
  return
}

// -----

// The copy's buffer read by another op too: the copy stays.
// CHECK-LABEL: func.func @second_reader
// CHECK: %[[COL:.*]] = gpu.alloc
// CHECK: linalg.generic
// CHECK: gpu.launch
// CHECK: linalg.copy ins(%[[COL]]
#x = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 + d1, d5 + d2)>
#id6 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
func.func @second_reader(%x: memref<1x3x6x6xi8>, %w: memref<8x27xi8>, %c: memref<8x16xi32>, %o: memref<3x3x3x1x4x4xi8>) {
  %col = gpu.alloc () : memref<3x3x3x1x4x4xi8>
  linalg.generic {indexing_maps = [#x, #id6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<1x3x6x6xi8>) outs(%col : memref<3x3x3x1x4x4xi8>) {
  ^bb0(%in: i8, %out: i8):
    linalg.yield %in : i8
  }
  %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<3x3x3x1x4x4xi8> into memref<27x16xi8>
  linalg.matmul ins(%w, %b : memref<8x27xi8>, memref<27x16xi8>) outs(%c : memref<8x16xi32>)
  linalg.copy ins(%col : memref<3x3x3x1x4x4xi8>) outs(%o : memref<3x3x3x1x4x4xi8>)
  gpu.dealloc %col : memref<3x3x3x1x4x4xi8>
  return
}

// -----

// The fused epilogue (the requantized result, transposed to NCHW) writes x
// itself: where the kernel runs, x is its output, so the copy stays (the
// epilogue still fuses).
// CHECK-LABEL: func.func @epilogue_writes_x
// CHECK: %[[COL:.*]] = gpu.alloc
// CHECK: linalg.generic
// CHECK: %[[B:.*]] = memref.collapse_shape %[[COL]]
// CHECK: gpu.launch
// CHECK: vector.load %[[B]]
// CHECK: memref.store %{{.*}}, %arg0
// CHECK: gpu.terminator
// CHECK-NOT: linalg.generic
// CHECK: gpu.dealloc %[[COL]]
#x = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 + d1, d5 + d2)>
#id6 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#t4 = affine_map<(d0, d1, d2, d3) -> (d1, d0, d2, d3)>
func.func @epilogue_writes_x(%x: memref<1x4x4x4xi8>, %w: memref<4x4xi8>) {
  %zero = arith.constant 0 : i32
  %col = gpu.alloc () : memref<4x1x1x1x4x4xi8>
  linalg.generic {indexing_maps = [#x, #id6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<1x4x4x4xi8>) outs(%col : memref<4x1x1x1x4x4xi8>) {
  ^bb0(%in: i8, %out: i8):
    linalg.yield %in : i8
  }
  %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<4x1x1x1x4x4xi8> into memref<4x16xi8>
  %acc = gpu.alloc () : memref<4x1x4x4xi32>
  linalg.fill ins(%zero : i32) outs(%acc : memref<4x1x4x4xi32>)
  %c = memref.collapse_shape %acc [[0], [1, 2, 3]] : memref<4x1x4x4xi32> into memref<4x16xi32>
  linalg.matmul ins(%w, %b : memref<4x4xi8>, memref<4x16xi8>) outs(%c : memref<4x16xi32>)
  linalg.generic {indexing_maps = [#t4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc : memref<4x1x4x4xi32>) outs(%x : memref<1x4x4x4xi8>) {
  ^bb0(%in: i32, %out: i8):
    %t = arith.trunci %in : i32 to i8
    linalg.yield %t : i8
  }
  gpu.dealloc %acc : memref<4x1x4x4xi32>
  gpu.dealloc %col : memref<4x1x1x1x4x4xi8>
  return
}

// -----

// Implicit padding: the convolution's input is a padded buffer %p, filled
// with the pad value (-5, the zero point) and then written whole inside
// (the unpadded input copied into its [0, 0, 1, 1] subview). The kernel
// loads %p only inside that interior ((h - 1) and (w - 1) below 6, unsigned)
// and takes -5 elsewhere: the fill goes, and the im2col copy.
// CHECK-LABEL: func.func @padded
// CHECK-SAME: (%[[X:.*]]: memref<1x3x6x6xi8>,
// CHECK: %[[P:.*]] = gpu.alloc () : memref<1x3x8x8xi8>
// CHECK-NOT: linalg.map
// CHECK: %[[IN:.*]] = memref.subview %[[P]][0, 0, 1, 1] [1, 3, 6, 6] [1, 1, 1, 1]
// CHECK-NEXT: linalg.copy ins(%[[X]] : memref<1x3x6x6xi8>) outs(%[[IN]]
// CHECK: gpu.launch
// CHECK: %[[PAD:.*]] = arith.constant -5 : i8
// CHECK: scf.for
// CHECK: %[[H:.*]] = affine.apply
// CHECK: %[[W:.*]] = affine.apply
// CHECK: %[[D0:.*]] = arith.subi %[[IMG:.*]], %c0{{(_[0-9]+)?}} : index
// CHECK-NEXT: %[[IN0:.*]] = arith.cmpi ult, %[[D0]], %c1{{(_[0-9]+)?}} : index
// CHECK: %[[DH:.*]] = arith.subi %[[H]], %c1{{(_[0-9]+)?}} : index
// CHECK-NEXT: %[[INH:.*]] = arith.cmpi ult, %[[DH]], %c6{{(_[0-9]+)?}} : index
// CHECK: %[[DW:.*]] = arith.subi %[[W]], %c1{{(_[0-9]+)?}} : index
// CHECK-NEXT: %[[INW:.*]] = arith.cmpi ult, %[[DW]], %c6{{(_[0-9]+)?}} : index
// CHECK-NEXT: %[[INSIDE:.*]] = arith.andi %{{.*}}, %[[INW]] : i1
// CHECK: scf.if %{{.*}} -> (i8)
// CHECK-NEXT: %[[V:.*]] = memref.load %[[P]]
// CHECK-NEXT: %[[SEL:.*]] = arith.select %[[INSIDE]], %[[V]], %[[PAD]] : i8
// CHECK-NEXT: scf.yield %[[SEL]] : i8
// CHECK: gpu.terminator
// CHECK-NOT: linalg.
// CHECK: gpu.dealloc %[[P]]
// OFF-LABEL: func.func @padded
// OFF: linalg.map
// OFF: linalg.copy
// OFF: linalg.generic
// OFF: gpu.launch
#x = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 + d1, d5 + d2)>
#id6 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
func.func @padded(%x: memref<1x3x6x6xi8>, %w: memref<8x27xi8>, %c: memref<8x36xi32>) {
  %pad = arith.constant -5 : i8
  %p = gpu.alloc () : memref<1x3x8x8xi8>
  linalg.map outs(%p : memref<1x3x8x8xi8>) (%init: i8) {
    linalg.yield %pad : i8
  }
  %in = memref.subview %p[0, 0, 1, 1] [1, 3, 6, 6] [1, 1, 1, 1] : memref<1x3x8x8xi8> to memref<1x3x6x6xi8, strided<[192, 64, 8, 1], offset: 9>>
  linalg.copy ins(%x : memref<1x3x6x6xi8>) outs(%in : memref<1x3x6x6xi8, strided<[192, 64, 8, 1], offset: 9>>)
  %col = gpu.alloc () : memref<3x3x3x1x6x6xi8>
  linalg.generic {indexing_maps = [#x, #id6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%p : memref<1x3x8x8xi8>) outs(%col : memref<3x3x3x1x6x6xi8>) {
  ^bb0(%v: i8, %out: i8):
    linalg.yield %v : i8
  }
  %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<3x3x3x1x6x6xi8> into memref<27x36xi8>
  linalg.matmul ins(%w, %b : memref<8x27xi8>, memref<27x36xi8>) outs(%c : memref<8x36xi32>)
  gpu.dealloc %col : memref<3x3x3x1x6x6xi8>
  gpu.dealloc %p : memref<1x3x8x8xi8>
  return
}

// -----

// The interior's writer reads what it overwrites (here it adds to it: the
// fill's value inside matters): the fill stays, and the kernel loads %p
// everywhere (implicit GEMM still).
// CHECK-LABEL: func.func @interior_read
// CHECK: linalg.map
// CHECK: linalg.generic
// CHECK: gpu.launch
// CHECK-NOT: arith.select
// CHECK: gpu.terminator
#x = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 + d1, d5 + d2)>
#id6 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @interior_read(%x: memref<1x3x6x6xi8>, %w: memref<8x27xi8>, %c: memref<8x36xi32>) {
  %pad = arith.constant -5 : i8
  %p = gpu.alloc () : memref<1x3x8x8xi8>
  linalg.map outs(%p : memref<1x3x8x8xi8>) (%init: i8) {
    linalg.yield %pad : i8
  }
  %in = memref.subview %p[0, 0, 1, 1] [1, 3, 6, 6] [1, 1, 1, 1] : memref<1x3x8x8xi8> to memref<1x3x6x6xi8, strided<[192, 64, 8, 1], offset: 9>>
  linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<1x3x6x6xi8>) outs(%in : memref<1x3x6x6xi8, strided<[192, 64, 8, 1], offset: 9>>) {
  ^bb0(%v: i8, %o: i8):
    %s = arith.addi %v, %o : i8
    linalg.yield %s : i8
  }
  %col = gpu.alloc () : memref<3x3x3x1x6x6xi8>
  linalg.generic {indexing_maps = [#x, #id6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%p : memref<1x3x8x8xi8>) outs(%col : memref<3x3x3x1x6x6xi8>) {
  ^bb0(%v: i8, %out: i8):
    linalg.yield %v : i8
  }
  %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<3x3x3x1x6x6xi8> into memref<27x36xi8>
  linalg.matmul ins(%w, %b : memref<8x27xi8>, memref<27x36xi8>) outs(%c : memref<8x36xi32>)
  gpu.dealloc %col : memref<3x3x3x1x6x6xi8>
  gpu.dealloc %p : memref<1x3x8x8xi8>
  return
}

// -----

// The padded buffer has another reader: its border must hold the pad
// value; the fill stays.
// CHECK-LABEL: func.func @padded_read_elsewhere
// CHECK: linalg.map
// CHECK: gpu.launch
// CHECK-NOT: arith.select
// CHECK: gpu.terminator
// CHECK: memref.copy
#x = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 + d1, d5 + d2)>
#id6 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
func.func @padded_read_elsewhere(%x: memref<1x3x6x6xi8>, %w: memref<8x27xi8>, %c: memref<8x36xi32>, %o: memref<1x3x8x8xi8>) {
  %pad = arith.constant -5 : i8
  %p = gpu.alloc () : memref<1x3x8x8xi8>
  linalg.map outs(%p : memref<1x3x8x8xi8>) (%init: i8) {
    linalg.yield %pad : i8
  }
  %in = memref.subview %p[0, 0, 1, 1] [1, 3, 6, 6] [1, 1, 1, 1] : memref<1x3x8x8xi8> to memref<1x3x6x6xi8, strided<[192, 64, 8, 1], offset: 9>>
  linalg.copy ins(%x : memref<1x3x6x6xi8>) outs(%in : memref<1x3x6x6xi8, strided<[192, 64, 8, 1], offset: 9>>)
  %col = gpu.alloc () : memref<3x3x3x1x6x6xi8>
  linalg.generic {indexing_maps = [#x, #id6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%p : memref<1x3x8x8xi8>) outs(%col : memref<3x3x3x1x6x6xi8>) {
  ^bb0(%v: i8, %out: i8):
    linalg.yield %v : i8
  }
  %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<3x3x3x1x6x6xi8> into memref<27x36xi8>
  linalg.matmul ins(%w, %b : memref<8x27xi8>, memref<27x36xi8>) outs(%c : memref<8x36xi32>)
  memref.copy %p, %o : memref<1x3x8x8xi8> to memref<1x3x8x8xi8>
  gpu.dealloc %col : memref<3x3x3x1x6x6xi8>
  gpu.dealloc %p : memref<1x3x8x8xi8>
  return
}

// -----

// The fill comes after the interior's writer (it overwrites it): not a
// padding; the fill stays.
// CHECK-LABEL: func.func @fill_after_writer
// CHECK: linalg.copy
// CHECK: linalg.map
// CHECK: gpu.launch
// CHECK-NOT: arith.select
// CHECK: gpu.terminator
#x = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 + d1, d5 + d2)>
#id6 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
func.func @fill_after_writer(%x: memref<1x3x6x6xi8>, %w: memref<8x27xi8>, %c: memref<8x36xi32>) {
  %pad = arith.constant -5 : i8
  %p = gpu.alloc () : memref<1x3x8x8xi8>
  %in = memref.subview %p[0, 0, 1, 1] [1, 3, 6, 6] [1, 1, 1, 1] : memref<1x3x8x8xi8> to memref<1x3x6x6xi8, strided<[192, 64, 8, 1], offset: 9>>
  linalg.copy ins(%x : memref<1x3x6x6xi8>) outs(%in : memref<1x3x6x6xi8, strided<[192, 64, 8, 1], offset: 9>>)
  linalg.map outs(%p : memref<1x3x8x8xi8>) (%init: i8) {
    linalg.yield %pad : i8
  }
  %col = gpu.alloc () : memref<3x3x3x1x6x6xi8>
  linalg.generic {indexing_maps = [#x, #id6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%p : memref<1x3x8x8xi8>) outs(%col : memref<3x3x3x1x6x6xi8>) {
  ^bb0(%v: i8, %out: i8):
    linalg.yield %v : i8
  }
  %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<3x3x3x1x6x6xi8> into memref<27x36xi8>
  linalg.matmul ins(%w, %b : memref<8x27xi8>, memref<27x36xi8>) outs(%c : memref<8x36xi32>)
  gpu.dealloc %col : memref<3x3x3x1x6x6xi8>
  gpu.dealloc %p : memref<1x3x8x8xi8>
  return
}

// -----

// linalg.fill as the fill, a pad value from an argument (captured by the
// kernel), the interior written by an elementwise generic: implicit.
// CHECK-LABEL: func.func @fill_op
// CHECK-SAME: %[[PADARG:[^:]*]]: i8)
// CHECK-NOT: linalg.fill
// CHECK: gpu.launch
// CHECK: arith.select %{{.*}}, %{{.*}}, %[[PADARG]] : i8
// CHECK: gpu.terminator
#x = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 + d1, d5 + d2)>
#id6 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @fill_op(%x: memref<1x3x6x6xi8>, %w: memref<8x27xi8>, %c: memref<8x36xi32>, %pad: i8) {
  %p = gpu.alloc () : memref<1x3x8x8xi8>
  linalg.fill ins(%pad : i8) outs(%p : memref<1x3x8x8xi8>)
  %in = memref.subview %p[0, 0, 1, 1] [1, 3, 6, 6] [1, 1, 1, 1] : memref<1x3x8x8xi8> to memref<1x3x6x6xi8, strided<[192, 64, 8, 1], offset: 9>>
  linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<1x3x6x6xi8>) outs(%in : memref<1x3x6x6xi8, strided<[192, 64, 8, 1], offset: 9>>) {
  ^bb0(%v: i8, %o: i8):
    %s = arith.addi %v, %v : i8
    linalg.yield %s : i8
  }
  %col = gpu.alloc () : memref<3x3x3x1x6x6xi8>
  linalg.generic {indexing_maps = [#x, #id6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%p : memref<1x3x8x8xi8>) outs(%col : memref<3x3x3x1x6x6xi8>) {
  ^bb0(%v: i8, %out: i8):
    linalg.yield %v : i8
  }
  %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<3x3x3x1x6x6xi8> into memref<27x36xi8>
  linalg.matmul ins(%w, %b : memref<8x27xi8>, memref<27x36xi8>) outs(%c : memref<8x36xi32>)
  gpu.dealloc %col : memref<3x3x3x1x6x6xi8>
  gpu.dealloc %p : memref<1x3x8x8xi8>
  return
}
