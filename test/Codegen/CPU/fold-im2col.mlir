// RUN: qopt-opt %s --qopt-fold-im2col --split-input-file | FileCheck %s

// A 3x3 convolution's im2col copy (stride 2 in rows, 1 in columns,
// dilation 1 and 2) read only by a packed-weight GEMM: the copy, its buffer
// and its dealloc go; the call takes the input with the geometry.
// CHECK: func.func private @qopt_conv2d_f32_pa(memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64, i64, i64, i64, i64, i64)
// CHECK-LABEL: func.func @fold
// CHECK-NOT: memref.alloc
// CHECK-NOT: linalg.generic
// CHECK-DAG: %[[X:.*]] = memref.cast %arg0 : memref<1x4x11x12xf32> to memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>
// CHECK-DAG: %[[KH:.*]] = arith.constant 3 : i64
// CHECK-DAG: %[[S1:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[S2:.*]] = arith.constant 2 : i64
// CHECK-DAG: %[[OH:.*]] = arith.constant 5 : i64
// CHECK-DAG: %[[OW:.*]] = arith.constant 8 : i64
// CHECK: call @qopt_conv2d_f32_pa(%{{.*}}, %{{.*}}, %[[X]], %{{.*}}, %[[KH]], %[[KH]], %[[S2]], %[[S1]], %[[S1]], %[[S2]], %[[OH]], %[[OW]])
// CHECK-NOT: qopt_matmul_f32_pa(
// CHECK-NOT: memref.dealloc
#x = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 * 2 + d1, d5 + d2 * 2)>
#id = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
func.func private @qopt_matmul_f32_pa(memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>)
func.func @fold(%x: memref<1x4x11x12xf32>, %a: memref<?xf32, strided<[?], offset: ?>>, %c: memref<?x?xf32, strided<[?, ?], offset: ?>>) {
  %col = memref.alloc() {alignment = 64 : i64} : memref<4x3x3x1x5x8xf32>
  linalg.generic {indexing_maps = [#x, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<1x4x11x12xf32>) outs(%col : memref<4x3x3x1x5x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<4x3x3x1x5x8xf32> into memref<36x40xf32>
  %mr = arith.constant 6 : i64
  %bc = memref.cast %b : memref<36x40xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  call @qopt_matmul_f32_pa(%a, %mr, %bc, %c) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
  memref.dealloc %col : memref<4x3x3x1x5x8xf32>
  return
}

// -----

// Band by band (a slice of the input's rows and of C's columns per band,
// the overwriting entry): each band's copy folds, and then the band loop
// goes: one call over all of x and C.
// CHECK-LABEL: func.func @bands
// CHECK-NOT: scf.for
// CHECK-NOT: linalg.generic
// CHECK-DAG: %[[X:.*]] = memref.cast %arg0 : memref<1x2x10x10xf32> to memref<?x?x?x?xf32
// CHECK-DAG: %[[C:.*]] = memref.cast %arg2 : memref<5x64xf32> to memref<?x?xf32
// CHECK: call @qopt_conv2d_f32_pa_overwrite(%arg1, %{{.*}}, %[[X]], %[[C]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %c8_i64{{.*}}, %c8_i64{{.*}})
// CHECK-NEXT: return
// A zero fill of the whole C before the band loop: the one call overwrites.
// CHECK-LABEL: func.func @bands_after_fill
// CHECK-NOT: linalg.fill
// CHECK-NOT: scf.for
// CHECK: call @qopt_conv2d_f32_pa_overwrite(%arg1, %{{.*}}, %{{.*}}, %{{.*}}, %c3_i64
// A bias broadcast into C before the loop: the one call starts from it.
// CHECK-LABEL: func.func @bands_after_bias
// CHECK-NOT: linalg.generic
// CHECK-NOT: scf.for
// CHECK: %[[BIAS:.*]] = memref.cast %arg2 : memref<5xf32> to memref<?xf32
// CHECK: call @qopt_conv2d_f32_pa_bias(%arg1, %{{.*}}, %{{.*}}, %{{.*}}, %[[BIAS]], %c3_i64
// Stride 2 in rows (x's band at 2 * r), OH 6 and OW 8: one call with OH 6.
// CHECK-LABEL: func.func @bands_stride2
// CHECK-NOT: scf.for
// CHECK: %[[X2:.*]] = memref.cast %arg0 : memref<1x2x13x10xf32>
// CHECK: call @qopt_conv2d_f32_pa(%arg1, %{{.*}}, %[[X2]], %{{.*}}, %c3_i64{{.*}}, %c3_i64{{.*}}, %c2_i64{{.*}}, %c1_i64{{.*}}, %c1_i64{{.*}}, %c1_i64{{.*}}, %c6_i64{{.*}}, %c8_i64{{.*}})
// CHECK-NEXT: return
// Kept as loops: a stride-2 band read at r (not 2 r), and a loop with a
// store beside the call.
// CHECK-LABEL: func.func @bands_kept
// CHECK: scf.for
// CHECK: call @qopt_conv2d_f32_pa(
// CHECK: scf.for
// CHECK: call @qopt_conv2d_f32_pa(
// CHECK: memref.store
// Kept as a loop: a band's C that is not its own columns of one buffer.
// CHECK-LABEL: func.func @bands_into_one_c
// CHECK: scf.for
// CHECK: %[[BAND:.*]] = memref.subview %arg0
// CHECK-NOT: linalg.generic
// CHECK: %[[XB:.*]] = memref.cast %[[BAND]]
// CHECK: call @qopt_conv2d_f32_pa_overwrite(%{{.*}}, %{{.*}}, %[[XB]], %arg2,
#x = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 + d1, d5 + d2)>
#id = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
func.func private @qopt_matmul_f32_pa_overwrite(memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>)
func.func @bands(%x: memref<1x2x10x10xf32>, %a: memref<?xf32, strided<[?], offset: ?>>, %c: memref<5x64xf32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  scf.for %r = %c0 to %c8 step %c2 {
    %band = memref.subview %x[0, 0, %r, 0] [1, 2, 4, 10] [1, 1, 1, 1] : memref<1x2x10x10xf32> to memref<1x2x4x10xf32, strided<[200, 100, 10, 1], offset: ?>>
    %col = memref.alloc() {alignment = 64 : i64} : memref<2x3x3x1x2x8xf32>
    linalg.generic {indexing_maps = [#x, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%band : memref<1x2x4x10xf32, strided<[200, 100, 10, 1], offset: ?>>) outs(%col : memref<2x3x3x1x2x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    }
    %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<2x3x3x1x2x8xf32> into memref<18x16xf32>
    %n0 = arith.muli %r, %c8 : index
    %cb = memref.subview %c[0, %n0] [5, 16] [1, 1] : memref<5x64xf32> to memref<5x16xf32, strided<[64, 1], offset: ?>>
    %mr = arith.constant 6 : i64
    %bc = memref.cast %b : memref<18x16xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    %cc = memref.cast %cb : memref<5x16xf32, strided<[64, 1], offset: ?>> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    func.call @qopt_matmul_f32_pa_overwrite(%a, %mr, %bc, %cc) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
    memref.dealloc %col : memref<2x3x3x1x2x8xf32>
  }
  return
}
#bias4 = affine_map<(d0, d1, d2, d3) -> (d0)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func private @qopt_matmul_f32_pa(memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>)
func.func @bands_after_fill(%x: memref<1x2x10x10xf32>, %a: memref<?xf32, strided<[?], offset: ?>>, %c: memref<5x64xf32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<5x64xf32>)
  scf.for %r = %c0 to %c8 step %c2 {
    %band = memref.subview %x[0, 0, %r, 0] [1, 2, 4, 10] [1, 1, 1, 1] : memref<1x2x10x10xf32> to memref<1x2x4x10xf32, strided<[200, 100, 10, 1], offset: ?>>
    %col = memref.alloc() {alignment = 64 : i64} : memref<2x3x3x1x2x8xf32>
    linalg.generic {indexing_maps = [#x, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%band : memref<1x2x4x10xf32, strided<[200, 100, 10, 1], offset: ?>>) outs(%col : memref<2x3x3x1x2x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    }
    %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<2x3x3x1x2x8xf32> into memref<18x16xf32>
    %n0 = arith.muli %r, %c8 : index
    %cb = memref.subview %c[0, %n0] [5, 16] [1, 1] : memref<5x64xf32> to memref<5x16xf32, strided<[64, 1], offset: ?>>
    %mr = arith.constant 6 : i64
    %bc = memref.cast %b : memref<18x16xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    %cc = memref.cast %cb : memref<5x16xf32, strided<[64, 1], offset: ?>> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    func.call @qopt_matmul_f32_pa(%a, %mr, %bc, %cc) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
    memref.dealloc %col : memref<2x3x3x1x2x8xf32>
  }
  return
}
func.func @bands_after_bias(%x: memref<1x2x10x10xf32>, %a: memref<?xf32, strided<[?], offset: ?>>, %bias: memref<5xf32>) -> memref<5x1x8x8xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %acc = memref.alloc() : memref<5x1x8x8xf32>
  linalg.generic {indexing_maps = [#bias4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%bias : memref<5xf32>) outs(%acc : memref<5x1x8x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %c = memref.collapse_shape %acc [[0], [1, 2, 3]] : memref<5x1x8x8xf32> into memref<5x64xf32>
  scf.for %r = %c0 to %c8 step %c2 {
    %band = memref.subview %x[0, 0, %r, 0] [1, 2, 4, 10] [1, 1, 1, 1] : memref<1x2x10x10xf32> to memref<1x2x4x10xf32, strided<[200, 100, 10, 1], offset: ?>>
    %col = memref.alloc() {alignment = 64 : i64} : memref<2x3x3x1x2x8xf32>
    linalg.generic {indexing_maps = [#x, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%band : memref<1x2x4x10xf32, strided<[200, 100, 10, 1], offset: ?>>) outs(%col : memref<2x3x3x1x2x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    }
    %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<2x3x3x1x2x8xf32> into memref<18x16xf32>
    %n0 = arith.muli %r, %c8 : index
    %cb = memref.subview %c[0, %n0] [5, 16] [1, 1] : memref<5x64xf32> to memref<5x16xf32, strided<[64, 1], offset: ?>>
    %mr = arith.constant 6 : i64
    %bc = memref.cast %b : memref<18x16xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    %cc = memref.cast %cb : memref<5x16xf32, strided<[64, 1], offset: ?>> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    func.call @qopt_matmul_f32_pa(%a, %mr, %bc, %cc) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
    memref.dealloc %col : memref<2x3x3x1x2x8xf32>
  }
  return %acc : memref<5x1x8x8xf32>
}
#x2 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 * 2 + d1, d5 + d2)>
func.func @bands_stride2(%x: memref<1x2x13x10xf32>, %a: memref<?xf32, strided<[?], offset: ?>>, %c: memref<5x48xf32>, %s: memref<1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c6 = arith.constant 6 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  scf.for %r = %c0 to %c6 step %c2 {
    %row = arith.muli %r, %c2 : index
    %band = memref.subview %x[0, 0, %row, 0] [1, 2, 5, 10] [1, 1, 1, 1] : memref<1x2x13x10xf32> to memref<1x2x5x10xf32, strided<[260, 130, 10, 1], offset: ?>>
    %col = memref.alloc() {alignment = 64 : i64} : memref<2x3x3x1x2x8xf32>
    linalg.generic {indexing_maps = [#x2, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%band : memref<1x2x5x10xf32, strided<[260, 130, 10, 1], offset: ?>>) outs(%col : memref<2x3x3x1x2x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    }
    %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<2x3x3x1x2x8xf32> into memref<18x16xf32>
    %n0 = arith.muli %r, %c8 : index
    %cb = memref.subview %c[0, %n0] [5, 16] [1, 1] : memref<5x48xf32> to memref<5x16xf32, strided<[48, 1], offset: ?>>
    %mr = arith.constant 6 : i64
    %bc = memref.cast %b : memref<18x16xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    %cc = memref.cast %cb : memref<5x16xf32, strided<[48, 1], offset: ?>> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    
    func.call @qopt_matmul_f32_pa(%a, %mr, %bc, %cc) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
    memref.dealloc %col : memref<2x3x3x1x2x8xf32>
  }
  return
}
func.func @bands_kept(%x: memref<1x2x13x10xf32>, %a: memref<?xf32, strided<[?], offset: ?>>, %c: memref<5x48xf32>, %s: memref<1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c6 = arith.constant 6 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  scf.for %r = %c0 to %c6 step %c2 {
    %row = arith.addi %r, %c0 : index
    %band = memref.subview %x[0, 0, %row, 0] [1, 2, 5, 10] [1, 1, 1, 1] : memref<1x2x13x10xf32> to memref<1x2x5x10xf32, strided<[260, 130, 10, 1], offset: ?>>
    %col = memref.alloc() {alignment = 64 : i64} : memref<2x3x3x1x2x8xf32>
    linalg.generic {indexing_maps = [#x2, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%band : memref<1x2x5x10xf32, strided<[260, 130, 10, 1], offset: ?>>) outs(%col : memref<2x3x3x1x2x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    }
    %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<2x3x3x1x2x8xf32> into memref<18x16xf32>
    %n0 = arith.muli %r, %c8 : index
    %cb = memref.subview %c[0, %n0] [5, 16] [1, 1] : memref<5x48xf32> to memref<5x16xf32, strided<[48, 1], offset: ?>>
    %mr = arith.constant 6 : i64
    %bc = memref.cast %b : memref<18x16xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    %cc = memref.cast %cb : memref<5x16xf32, strided<[48, 1], offset: ?>> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    
    func.call @qopt_matmul_f32_pa(%a, %mr, %bc, %cc) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
    memref.dealloc %col : memref<2x3x3x1x2x8xf32>
  }
  scf.for %r = %c0 to %c6 step %c2 {
    %row = arith.muli %r, %c2 : index
    %band = memref.subview %x[0, 0, %row, 0] [1, 2, 5, 10] [1, 1, 1, 1] : memref<1x2x13x10xf32> to memref<1x2x5x10xf32, strided<[260, 130, 10, 1], offset: ?>>
    %col = memref.alloc() {alignment = 64 : i64} : memref<2x3x3x1x2x8xf32>
    linalg.generic {indexing_maps = [#x2, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%band : memref<1x2x5x10xf32, strided<[260, 130, 10, 1], offset: ?>>) outs(%col : memref<2x3x3x1x2x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    }
    %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<2x3x3x1x2x8xf32> into memref<18x16xf32>
    %n0 = arith.muli %r, %c8 : index
    %cb = memref.subview %c[0, %n0] [5, 16] [1, 1] : memref<5x48xf32> to memref<5x16xf32, strided<[48, 1], offset: ?>>
    %mr = arith.constant 6 : i64
    %bc = memref.cast %b : memref<18x16xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    %cc = memref.cast %cb : memref<5x16xf32, strided<[48, 1], offset: ?>> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    func.call @qopt_matmul_f32_pa(%a, %mr, %bc, %cc) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
    memref.store %zero, %s[%c0] : memref<1xf32>
    memref.dealloc %col : memref<2x3x3x1x2x8xf32>
  }
  return
}
func.func @bands_into_one_c(%x: memref<1x2x10x10xf32>, %a: memref<?xf32, strided<[?], offset: ?>>, %c: memref<?x?xf32, strided<[?, ?], offset: ?>>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  scf.for %r = %c0 to %c8 step %c2 {
    %band = memref.subview %x[0, 0, %r, 0] [1, 2, 4, 10] [1, 1, 1, 1] : memref<1x2x10x10xf32> to memref<1x2x4x10xf32, strided<[200, 100, 10, 1], offset: ?>>
    %col = memref.alloc() {alignment = 64 : i64} : memref<2x3x3x1x2x8xf32>
    linalg.generic {indexing_maps = [#x, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%band : memref<1x2x4x10xf32, strided<[200, 100, 10, 1], offset: ?>>) outs(%col : memref<2x3x3x1x2x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    }
    %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<2x3x3x1x2x8xf32> into memref<18x16xf32>
    %mr = arith.constant 6 : i64
    %bc = memref.cast %b : memref<18x16xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    func.call @qopt_matmul_f32_pa_overwrite(%a, %mr, %bc, %c) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
    memref.dealloc %col : memref<2x3x3x1x2x8xf32>
  }
  return
}

// -----

// Dynamic images and sizes (a model compiled without --input-shape): OH and
// OW are the buffer's run-time sizes.
// CHECK-LABEL: func.func @dynamic
// CHECK-NOT: linalg.generic
// CHECK-DAG: %[[OH:.*]] = arith.index_cast %arg3 : index to i64
// CHECK-DAG: %[[OW:.*]] = arith.index_cast %arg4 : index to i64
// CHECK: call @qopt_conv2d_f32_pa(%arg1, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[OH]], %[[OW]])
#x = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 + d1, d5 + d2)>
#id = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
func.func private @qopt_matmul_f32_pa(memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>)
func.func @dynamic(%x: memref<?x2x?x?xf32>, %a: memref<?xf32, strided<[?], offset: ?>>, %n: index, %oh: index, %ow: index, %c: memref<?x?xf32, strided<[?, ?], offset: ?>>) {
  %mr = arith.constant 6 : i64
  %col = memref.alloc(%n, %oh, %ow) : memref<2x3x3x?x?x?xf32>
  linalg.generic {indexing_maps = [#x, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<?x2x?x?xf32>) outs(%col : memref<2x3x3x?x?x?xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<2x3x3x?x?x?xf32> into memref<18x?xf32>
  %bc = memref.cast %b : memref<18x?xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  call @qopt_matmul_f32_pa(%a, %mr, %bc, %c) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
  memref.dealloc %col : memref<2x3x3x?x?x?xf32>
  return
}

// -----

// The accumulator's init before the copy (which qopt-prepack-weights did not
// reach past) becomes the folded call's start: a zero fill (`_overwrite`), a
// bias broadcast (`_bias`, the bias after C); a `_bias` GEMM folds into the
// `_bias` convolution with its bias in place. Partly dynamic sizes (OW
// static, OH not) take OH from the buffer's one dynamic size.
// CHECK-LABEL: func.func @inits
// CHECK-NOT: linalg.fill
// CHECK-NOT: linalg.generic
// CHECK: call @qopt_conv2d_f32_pa_overwrite(%arg1, %{{.*}}, %{{.*}}, %{{.*}}, %c3_i64, %c3_i64, %c1_i64, %c1_i64, %c1_i64, %c1_i64, %c3_i64, %c3_i64)
// CHECK: %[[B:.*]] = memref.cast %arg3 : memref<4xf32> to memref<?xf32
// CHECK: call @qopt_conv2d_f32_pa_bias(%arg1, %{{.*}}, %{{.*}}, %{{.*}}, %[[B]], %c3_i64
// CHECK: call @qopt_conv2d_f32_pa_bias(%arg1, %{{.*}}, %{{.*}}, %{{.*}}, %arg4, %c3_i64
// CHECK: %[[OH:.*]] = arith.index_cast %arg5 : index to i64
// CHECK: call @qopt_conv2d_f32_pa(%arg1, %{{.*}}, %{{.*}}, %{{.*}}, %c3_i64{{[_0-9]*}}, %c3_i64{{[_0-9]*}}, %c1_i64{{[_0-9]*}}, %c1_i64{{[_0-9]*}}, %c1_i64{{[_0-9]*}}, %c1_i64{{[_0-9]*}}, %[[OH]], %c3_i64{{[_0-9]*}})
#x = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 + d1, d5 + d2)>
#id = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
#b4 = affine_map<(d0, d1, d2, d3) -> (d0)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func private @qopt_matmul_f32_pa(memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>)
func.func private @qopt_matmul_f32_pa_bias(memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?xf32, strided<[?], offset: ?>>)
func.func @inits(%x: memref<1x2x5x5xf32>, %a: memref<?xf32, strided<[?], offset: ?>>, %c: memref<4x9xf32>, %bias: memref<4xf32>, %bias2: memref<?xf32, strided<[?], offset: ?>>, %oh: index, %xd: memref<1x2x?x5xf32>, %cd: memref<?x?xf32, strided<[?, ?], offset: ?>>) -> (memref<4x1x3x3xf32>, memref<4x9xf32>) {
  %mr = arith.constant 6 : i64
  %zero = arith.constant 0.0 : f32
  // A zero fill.
  linalg.fill ins(%zero : f32) outs(%c : memref<4x9xf32>)
  %col = memref.alloc() : memref<2x3x3x1x3x3xf32>
  linalg.generic {indexing_maps = [#x, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<1x2x5x5xf32>) outs(%col : memref<2x3x3x1x3x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<2x3x3x1x3x3xf32> into memref<18x9xf32>
  %bc = memref.cast %b : memref<18x9xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  %cc = memref.cast %c : memref<4x9xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  call @qopt_matmul_f32_pa(%a, %mr, %bc, %cc) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
  memref.dealloc %col : memref<2x3x3x1x3x3xf32>
  // A bias broadcast into [F, 1, OH, OW], C its collapse.
  %acc = memref.alloc() : memref<4x1x3x3xf32>
  linalg.generic {indexing_maps = [#b4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%bias : memref<4xf32>) outs(%acc : memref<4x1x3x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %c2 = memref.collapse_shape %acc [[0], [1, 2, 3]] : memref<4x1x3x3xf32> into memref<4x9xf32>
  %col2 = memref.alloc() : memref<2x3x3x1x3x3xf32>
  linalg.generic {indexing_maps = [#x, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<1x2x5x5xf32>) outs(%col2 : memref<2x3x3x1x3x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %b2 = memref.collapse_shape %col2 [[0, 1, 2], [3, 4, 5]] : memref<2x3x3x1x3x3xf32> into memref<18x9xf32>
  %bc2 = memref.cast %b2 : memref<18x9xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  %cc2 = memref.cast %c2 : memref<4x9xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  call @qopt_matmul_f32_pa(%a, %mr, %bc2, %cc2) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
  memref.dealloc %col2 : memref<2x3x3x1x3x3xf32>
  // A GEMM that already starts from a bias.
  %c3 = memref.alloc() : memref<4x9xf32>
  %col3 = memref.alloc() : memref<2x3x3x1x3x3xf32>
  linalg.generic {indexing_maps = [#x, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<1x2x5x5xf32>) outs(%col3 : memref<2x3x3x1x3x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %b3 = memref.collapse_shape %col3 [[0, 1, 2], [3, 4, 5]] : memref<2x3x3x1x3x3xf32> into memref<18x9xf32>
  %bc3 = memref.cast %b3 : memref<18x9xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  %cc3 = memref.cast %c3 : memref<4x9xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  call @qopt_matmul_f32_pa_bias(%a, %mr, %bc3, %cc3, %bias2) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?xf32, strided<[?], offset: ?>>) -> ()
  memref.dealloc %col3 : memref<2x3x3x1x3x3xf32>
  // OH dynamic, OW static.
  %col4 = memref.alloc(%oh) : memref<2x3x3x1x?x3xf32>
  linalg.generic {indexing_maps = [#x, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%xd : memref<1x2x?x5xf32>) outs(%col4 : memref<2x3x3x1x?x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %b4 = memref.collapse_shape %col4 [[0, 1, 2], [3, 4, 5]] : memref<2x3x3x1x?x3xf32> into memref<18x?xf32>
  %bc4 = memref.cast %b4 : memref<18x?xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  call @qopt_matmul_f32_pa(%a, %mr, %bc4, %cd) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
  memref.dealloc %col4 : memref<2x3x3x1x?x3xf32>
  return %acc, %c3 : memref<4x1x3x3xf32>, memref<4x9xf32>
}

// -----

// Two convolutions' copies one after the other in one buffer (identical
// tensor.empty ops merge before bufferization), one collapse for both
// calls: both fold, and the buffer goes.
// CHECK-LABEL: func.func @shared
// CHECK-NOT: memref.alloc
// CHECK-NOT: linalg.generic
// CHECK: %[[X1:.*]] = memref.cast %arg0
// CHECK: call @qopt_conv2d_f32_pa(%{{.*}}, %{{.*}}, %[[X1]], %arg3,
// CHECK: %[[X2:.*]] = memref.cast %arg1
// CHECK: call @qopt_conv2d_f32_pa(%{{.*}}, %{{.*}}, %[[X2]], %arg4,
// CHECK-NOT: memref.collapse_shape
// CHECK-NOT: memref.dealloc
// CHECK: return
#x = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 + d1, d5 + d2)>
#id = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
func.func private @qopt_matmul_f32_pa(memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>)
func.func @shared(%x1: memref<1x2x5x5xf32>, %x2: memref<1x2x5x5xf32>, %a: memref<?xf32, strided<[?], offset: ?>>, %c1: memref<?x?xf32, strided<[?, ?], offset: ?>>, %c2: memref<?x?xf32, strided<[?, ?], offset: ?>>) {
  %mr = arith.constant 6 : i64
  %col = memref.alloc() : memref<2x3x3x1x3x3xf32>
  %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<2x3x3x1x3x3xf32> into memref<18x9xf32>
  linalg.generic {indexing_maps = [#x, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x1 : memref<1x2x5x5xf32>) outs(%col : memref<2x3x3x1x3x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %bc1 = memref.cast %b : memref<18x9xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  call @qopt_matmul_f32_pa(%a, %mr, %bc1, %c1) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
  linalg.generic {indexing_maps = [#x, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x2 : memref<1x2x5x5xf32>) outs(%col : memref<2x3x3x1x3x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %bc2 = memref.cast %b : memref<18x9xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  call @qopt_matmul_f32_pa(%a, %mr, %bc2, %c2) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
  memref.dealloc %col : memref<2x3x3x1x3x3xf32>
  return
}

// -----

// A shared buffer whose copy something else reads after the call, through
// the shared collapse, before any new write: neither the copy nor the
// buffer may go.
// CHECK-LABEL: func.func @read_after
// CHECK: memref.alloc
// CHECK: linalg.generic
// CHECK: call @qopt_matmul_f32_pa(
// CHECK: call @use(
#x = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 + d1, d5 + d2)>
#id = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
func.func private @qopt_matmul_f32_pa(memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>)
func.func private @use(memref<18x9xf32>)
func.func @read_after(%x1: memref<1x2x5x5xf32>, %a: memref<?xf32, strided<[?], offset: ?>>, %c1: memref<?x?xf32, strided<[?, ?], offset: ?>>) {
  %mr = arith.constant 6 : i64
  %col = memref.alloc() : memref<2x3x3x1x3x3xf32>
  %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<2x3x3x1x3x3xf32> into memref<18x9xf32>
  linalg.generic {indexing_maps = [#x, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x1 : memref<1x2x5x5xf32>) outs(%col : memref<2x3x3x1x3x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %bc1 = memref.cast %b : memref<18x9xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  call @qopt_matmul_f32_pa(%a, %mr, %bc1, %c1) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
  call @use(%b) : (memref<18x9xf32>) -> ()
  memref.dealloc %col : memref<2x3x3x1x3x3xf32>
  return
}

// -----

// Left alone: something that may write memory between the copy and the call
// (here into the input, which the call would then read changed), a copy read
// by something else too, and a map that is not an im2col's (rows and
// columns swapped). Two images fold (OH = 3, OW = 3).
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-2: linalg.generic
// CHECK: call @qopt_conv2d_f32_pa(%{{.*}}, %{{.*}}, %{{.*}}, %arg4, %c3_i64, %c3_i64, %c1_i64, %c1_i64, %c1_i64, %c1_i64, %c3_i64, %c3_i64)
// CHECK: linalg.generic
// CHECK-NOT: qopt_conv2d_f32_pa
#x = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 + d1, d5 + d2)>
#swapped = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d5 + d1, d4 + d2)>
#id = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
func.func private @qopt_matmul_f32_pa(memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>)
func.func private @use(memref<2x1x1x1x3x3xf32>)
func.func @kept(%x: memref<1x2x5x5xf32>, %x2: memref<2x2x5x5xf32>, %a: memref<?xf32, strided<[?], offset: ?>>, %c: memref<?x?xf32, strided<[?, ?], offset: ?>>, %c2: memref<?x?xf32, strided<[?, ?], offset: ?>>) {
  %mr = arith.constant 6 : i64
  %zero = arith.constant 0.0 : f32
  // A write to x in between.
  %col1 = memref.alloc() : memref<2x3x3x1x3x3xf32>
  linalg.generic {indexing_maps = [#x, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<1x2x5x5xf32>) outs(%col1 : memref<2x3x3x1x3x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.fill ins(%zero : f32) outs(%x : memref<1x2x5x5xf32>)
  %b1 = memref.collapse_shape %col1 [[0, 1, 2], [3, 4, 5]] : memref<2x3x3x1x3x3xf32> into memref<18x9xf32>
  %bc1 = memref.cast %b1 : memref<18x9xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  call @qopt_matmul_f32_pa(%a, %mr, %bc1, %c) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
  // Another reader of the copy.
  %col2 = memref.alloc() : memref<2x1x1x1x3x3xf32>
  linalg.generic {indexing_maps = [#x, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<1x2x5x5xf32>) outs(%col2 : memref<2x1x1x1x3x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %b2 = memref.collapse_shape %col2 [[0, 1, 2], [3, 4, 5]] : memref<2x1x1x1x3x3xf32> into memref<2x9xf32>
  %bc2 = memref.cast %b2 : memref<2x9xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  call @qopt_matmul_f32_pa(%a, %mr, %bc2, %c) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
  call @use(%col2) : (memref<2x1x1x1x3x3xf32>) -> ()
  // Two images.
  %col3 = memref.alloc() : memref<2x3x3x2x3x3xf32>
  linalg.generic {indexing_maps = [#x, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x2 : memref<2x2x5x5xf32>) outs(%col3 : memref<2x3x3x2x3x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %b3 = memref.collapse_shape %col3 [[0, 1, 2], [3, 4, 5]] : memref<2x3x3x2x3x3xf32> into memref<18x18xf32>
  %bc3 = memref.cast %b3 : memref<18x18xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  call @qopt_matmul_f32_pa(%a, %mr, %bc3, %c2) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
  // Rows and columns swapped.
  %col4 = memref.alloc() : memref<2x3x3x1x3x3xf32>
  linalg.generic {indexing_maps = [#swapped, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<1x2x5x5xf32>) outs(%col4 : memref<2x3x3x1x3x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %b4 = memref.collapse_shape %col4 [[0, 1, 2], [3, 4, 5]] : memref<2x3x3x1x3x3xf32> into memref<18x9xf32>
  %bc4 = memref.cast %b4 : memref<18x9xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  call @qopt_matmul_f32_pa(%a, %mr, %bc4, %c) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
  return
}

// -----

// An int8 convolution on the AVX-512 VNNI tiles
// (qopt_matmul_s8s8_i32_avx512vnni_pa: packed weights and their row sums,
// then B and the i32 C): the i8 copy folds into
// qopt_conv2d_s8s8_i32_avx512vnni_pa(packed, row sums, x, C, geometry); the
// accumulator's init stays (C accumulates, there is no i32 start).
// CHECK: func.func private @qopt_conv2d_s8s8_i32_avx512vnni_pa(memref<?xi8, strided<[?], offset: ?>>, memref<?xi32, strided<[?], offset: ?>>, memref<?x?x?x?xi8, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xi32, strided<[?, ?], offset: ?>>, i64, i64, i64, i64, i64, i64, i64, i64)
// CHECK-LABEL: func.func @int8
// CHECK-NOT: memref.alloc
// CHECK: linalg.fill
// CHECK-NOT: linalg.generic
// CHECK-DAG: %[[X:.*]] = memref.cast %arg0 : memref<1x4x11x12xi8> to memref<?x?x?x?xi8, strided<[?, ?, ?, ?], offset: ?>>
// CHECK-DAG: %[[K:.*]] = arith.constant 3 : i64
// CHECK-DAG: %[[S1:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[S2:.*]] = arith.constant 2 : i64
// CHECK-DAG: %[[OH:.*]] = arith.constant 5 : i64
// CHECK-DAG: %[[OW:.*]] = arith.constant 8 : i64
// CHECK: call @qopt_conv2d_s8s8_i32_avx512vnni_pa(%arg1, %arg2, %[[X]], %{{.*}}, %[[K]], %[[K]], %[[S2]], %[[S1]], %[[S1]], %[[S2]], %[[OH]], %[[OW]])
// CHECK-NOT: call @qopt_matmul_s8s8
// CHECK-NOT: memref.dealloc
#x = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 * 2 + d1, d5 + d2 * 2)>
#id = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
func.func private @qopt_matmul_s8s8_i32_avx512vnni_pa(memref<?xi8, strided<[?], offset: ?>>, memref<?xi32, strided<[?], offset: ?>>, memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?x?xi32, strided<[?, ?], offset: ?>>)
func.func @int8(%x: memref<1x4x11x12xi8>, %a: memref<?xi8, strided<[?], offset: ?>>, %sums: memref<?xi32, strided<[?], offset: ?>>, %c: memref<6x40xi32>) {
  %zero = arith.constant 0 : i32
  linalg.fill ins(%zero : i32) outs(%c : memref<6x40xi32>)
  %col = memref.alloc() {alignment = 64 : i64} : memref<4x3x3x1x5x8xi8>
  linalg.generic {indexing_maps = [#x, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<1x4x11x12xi8>) outs(%col : memref<4x3x3x1x5x8xi8>) {
  ^bb0(%in: i8, %out: i8):
    linalg.yield %in : i8
  }
  %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<4x3x3x1x5x8xi8> into memref<36x40xi8>
  %bc = memref.cast %b : memref<36x40xi8> to memref<?x?xi8, strided<[?, ?], offset: ?>>
  %cc = memref.cast %c : memref<6x40xi32> to memref<?x?xi32, strided<[?, ?], offset: ?>>
  call @qopt_matmul_s8s8_i32_avx512vnni_pa(%a, %sums, %bc, %cc) : (memref<?xi8, strided<[?], offset: ?>>, memref<?xi32, strided<[?], offset: ?>>, memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?x?xi32, strided<[?, ?], offset: ?>>) -> ()
  memref.dealloc %col : memref<4x3x3x1x5x8xi8>
  return
}

// -----

// Int8 bands: each band's copy folds and the band loop becomes one call.
// Left alone: an int8 GEMM with B computed at run time (not _pa), a copy
// whose body is not a plain yield (an i8 -> i32 -> i8 round trip into the
// buffer), and the AVX-VNNI tiles' GEMM (slower folded).
// CHECK-LABEL: func.func @int8_bands
// CHECK-NOT: scf.for
// CHECK: %[[XA:.*]] = memref.cast %arg0 : memref<1x2x10x10xi8> to memref<?x?x?x?xi8, strided<[?, ?, ?, ?], offset: ?>>
// CHECK: %[[CA:.*]] = memref.cast %arg3 : memref<5x64xi32> to memref<?x?xi32, strided<[?, ?], offset: ?>>
// CHECK: %[[OH:.*]] = arith.constant 8 : i64
// CHECK: call @qopt_conv2d_s8s8_i32_avx512vnni_pa(%arg1, %arg2, %[[XA]], %[[CA]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[OH]], %{{.*}})
// CHECK-NOT: scf.for
// CHECK-LABEL: func.func @int8_kept
// CHECK: linalg.generic
// CHECK: call @qopt_matmul_s8s8_i32_avx512vnni(
// CHECK: linalg.generic
// CHECK: call @qopt_matmul_s8s8_i32_avx512vnni_pa(
// CHECK: linalg.generic
// CHECK: call @qopt_matmul_s8s8_i32_avxvnni_pa(
#x = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 + d1, d5 + d2)>
#id = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
func.func private @qopt_matmul_s8s8_i32_avx512vnni_pa(memref<?xi8, strided<[?], offset: ?>>, memref<?xi32, strided<[?], offset: ?>>, memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?x?xi32, strided<[?, ?], offset: ?>>)
func.func private @qopt_matmul_s8s8_i32_avx512vnni(memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?x?xi32, strided<[?, ?], offset: ?>>)
func.func private @qopt_matmul_s8s8_i32_avxvnni_pa(memref<?xi8, strided<[?], offset: ?>>, memref<?xi32, strided<[?], offset: ?>>, memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?x?xi32, strided<[?, ?], offset: ?>>)
func.func @int8_bands(%x: memref<1x2x10x10xi8>, %a: memref<?xi8, strided<[?], offset: ?>>, %sums: memref<?xi32, strided<[?], offset: ?>>, %c: memref<5x64xi32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  scf.for %r = %c0 to %c8 step %c2 {
    %band = memref.subview %x[0, 0, %r, 0] [1, 2, 4, 10] [1, 1, 1, 1] : memref<1x2x10x10xi8> to memref<1x2x4x10xi8, strided<[200, 100, 10, 1], offset: ?>>
    %col = memref.alloc() {alignment = 64 : i64} : memref<2x3x3x1x2x8xi8>
    linalg.generic {indexing_maps = [#x, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%band : memref<1x2x4x10xi8, strided<[200, 100, 10, 1], offset: ?>>) outs(%col : memref<2x3x3x1x2x8xi8>) {
    ^bb0(%in: i8, %out: i8):
      linalg.yield %in : i8
    }
    %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<2x3x3x1x2x8xi8> into memref<18x16xi8>
    %n0 = arith.muli %r, %c8 : index
    %cb = memref.subview %c[0, %n0] [5, 16] [1, 1] : memref<5x64xi32> to memref<5x16xi32, strided<[64, 1], offset: ?>>
    %bc = memref.cast %b : memref<18x16xi8> to memref<?x?xi8, strided<[?, ?], offset: ?>>
    %cc = memref.cast %cb : memref<5x16xi32, strided<[64, 1], offset: ?>> to memref<?x?xi32, strided<[?, ?], offset: ?>>
    func.call @qopt_matmul_s8s8_i32_avx512vnni_pa(%a, %sums, %bc, %cc) : (memref<?xi8, strided<[?], offset: ?>>, memref<?xi32, strided<[?], offset: ?>>, memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?x?xi32, strided<[?, ?], offset: ?>>) -> ()
    memref.dealloc %col : memref<2x3x3x1x2x8xi8>
  }
  return
}
func.func @int8_kept(%x: memref<1x4x5x5xi8>, %w: memref<?x?xi8, strided<[?, ?], offset: ?>>, %a: memref<?xi8, strided<[?], offset: ?>>, %sums: memref<?xi32, strided<[?], offset: ?>>, %c: memref<?x?xi32, strided<[?, ?], offset: ?>>) {
  %col = memref.alloc() {alignment = 64 : i64} : memref<4x3x3x1x3x3xi8>
  linalg.generic {indexing_maps = [#x, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<1x4x5x5xi8>) outs(%col : memref<4x3x3x1x3x3xi8>) {
  ^bb0(%in: i8, %out: i8):
    linalg.yield %in : i8
  }
  %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<4x3x3x1x3x3xi8> into memref<36x9xi8>
  %bc = memref.cast %b : memref<36x9xi8> to memref<?x?xi8, strided<[?, ?], offset: ?>>
  call @qopt_matmul_s8s8_i32_avx512vnni(%w, %bc, %c) : (memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?x?xi32, strided<[?, ?], offset: ?>>) -> ()
  memref.dealloc %col : memref<4x3x3x1x3x3xi8>
  %col2 = memref.alloc() {alignment = 64 : i64} : memref<4x3x3x1x3x3xi32>
  linalg.generic {indexing_maps = [#x, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<1x4x5x5xi8>) outs(%col2 : memref<4x3x3x1x3x3xi32>) {
  ^bb0(%in: i8, %out: i32):
    %e = arith.extsi %in : i8 to i32
    linalg.yield %e : i32
  }
  %col3 = memref.alloc() {alignment = 64 : i64} : memref<4x3x3x1x3x3xi8>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%col2 : memref<4x3x3x1x3x3xi32>) outs(%col3 : memref<4x3x3x1x3x3xi8>) {
  ^bb0(%in: i32, %out: i8):
    %t = arith.trunci %in : i32 to i8
    linalg.yield %t : i8
  }
  %b3 = memref.collapse_shape %col3 [[0, 1, 2], [3, 4, 5]] : memref<4x3x3x1x3x3xi8> into memref<36x9xi8>
  %bc3 = memref.cast %b3 : memref<36x9xi8> to memref<?x?xi8, strided<[?, ?], offset: ?>>
  call @qopt_matmul_s8s8_i32_avx512vnni_pa(%a, %sums, %bc3, %c) : (memref<?xi8, strided<[?], offset: ?>>, memref<?xi32, strided<[?], offset: ?>>, memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?x?xi32, strided<[?, ?], offset: ?>>) -> ()
  %col4 = memref.alloc() {alignment = 64 : i64} : memref<4x3x3x1x3x3xi8>
  linalg.generic {indexing_maps = [#x, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<1x4x5x5xi8>) outs(%col4 : memref<4x3x3x1x3x3xi8>) {
  ^bb0(%in: i8, %out: i8):
    linalg.yield %in : i8
  }
  %b4 = memref.collapse_shape %col4 [[0, 1, 2], [3, 4, 5]] : memref<4x3x3x1x3x3xi8> into memref<36x9xi8>
  %bc4 = memref.cast %b4 : memref<36x9xi8> to memref<?x?xi8, strided<[?, ?], offset: ?>>
  call @qopt_matmul_s8s8_i32_avxvnni_pa(%a, %sums, %bc4, %c) : (memref<?xi8, strided<[?], offset: ?>>, memref<?xi32, strided<[?], offset: ?>>, memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?x?xi32, strided<[?, ?], offset: ?>>) -> ()
  return
}

// -----

// The AVX2 tiles' int8 GEMM folds too.
// CHECK-LABEL: func.func @int8_avx2
// CHECK-NOT: linalg.generic
// CHECK: call @qopt_conv2d_s8s8_i32_avx2_pa(%arg1, %arg2, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK-NOT: call @qopt_matmul_s8s8
#x = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 + d1, d5 + d2)>
#id = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
func.func private @qopt_matmul_s8s8_i32_avx2_pa(memref<?xi8, strided<[?], offset: ?>>, memref<?xi32, strided<[?], offset: ?>>, memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?x?xi32, strided<[?, ?], offset: ?>>)
func.func @int8_avx2(%x: memref<1x4x5x5xi8>, %a: memref<?xi8, strided<[?], offset: ?>>, %sums: memref<?xi32, strided<[?], offset: ?>>, %c: memref<?x?xi32, strided<[?, ?], offset: ?>>) {
  %col = memref.alloc() {alignment = 64 : i64} : memref<4x3x3x1x3x3xi8>
  linalg.generic {indexing_maps = [#x, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<1x4x5x5xi8>) outs(%col : memref<4x3x3x1x3x3xi8>) {
  ^bb0(%in: i8, %out: i8):
    linalg.yield %in : i8
  }
  %b = memref.collapse_shape %col [[0, 1, 2], [3, 4, 5]] : memref<4x3x3x1x3x3xi8> into memref<36x9xi8>
  %bc = memref.cast %b : memref<36x9xi8> to memref<?x?xi8, strided<[?, ?], offset: ?>>
  call @qopt_matmul_s8s8_i32_avx2_pa(%a, %sums, %bc, %c) : (memref<?xi8, strided<[?], offset: ?>>, memref<?xi32, strided<[?], offset: ?>>, memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?x?xi32, strided<[?, ?], offset: ?>>) -> ()
  memref.dealloc %col : memref<4x3x3x1x3x3xi8>
  return
}
