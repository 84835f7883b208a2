// RUN: qopt-opt %s --qopt-prepack-weights --split-input-file | FileCheck %s
// RUN: qopt-opt %s --qopt-prepack-weights=isa=avx512vnni --split-input-file | FileCheck %s --check-prefix=VNNI
// RUN: qopt-opt %s --qopt-prepack-weights=f32-kernel=avx512 --split-input-file | FileCheck %s --check-prefix=F32AVX512
// RUN: qopt-opt %s --qopt-prepack-weights=pack-f32=false --split-input-file | FileCheck %s --check-prefix=NOF32
// RUN: not qopt-opt %s --qopt-prepack-weights=isa=sse9 --split-input-file 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: qopt-prepack-weights: unknown isa 'sse9' (expected avx512vnni, avxvnni, avx2 or generic)
// RUN: not qopt-opt %s --qopt-prepack-weights=f32-kernel=sse9 --split-input-file 2>&1 | FileCheck %s --check-prefix=BADF32
// BADF32: error: qopt-prepack-weights: unknown f32-kernel 'sse9' (expected avx512, avx2 or generic)

// A constant A (a Conv's weights, seen through the collapse to [M, K]) is
// packed for the generic 4x8 tile: one panel of 4 rows (row 3 is zero), two
// groups of 4 values of k (k = 5..7 are zero), and the rows' sums 15, 40, 65.
// The unpacked global has no other reader and goes.
// CHECK-NOT: @wa :
// CHECK-LABEL: func.func @conv_weights
// CHECK-DAG: %[[P:.*]] = memref.get_global @wa_packed_a_generic : memref<32xi8>
// CHECK-DAG: %[[PC:.*]] = memref.cast %[[P]] : memref<32xi8> to memref<?xi8, strided<[?], offset: ?>>
// CHECK-DAG: %[[S:.*]] = memref.get_global @wa_packed_a_generic_row_sums : memref<3xi32>
// CHECK-DAG: %[[SC:.*]] = memref.cast %[[S]]
// CHECK-DAG: %[[B:.*]] = memref.cast %arg0 : memref<5x7xi8> to memref<?x?xi8, strided<[?, ?], offset: ?>>
// CHECK-DAG: %[[C:.*]] = memref.cast %arg1 : memref<3x7xi32> to memref<?x?xi32, strided<[?, ?], offset: ?>>
// CHECK: call @qopt_matmul_s8s8_i32_generic_pa(%[[PC]], %[[SC]], %[[B]], %[[C]])
// CHECK-NOT: linalg.matmul
// CHECK: memref.global "private" constant @wa_packed_a_generic : memref<32xi8> = dense_resource<wa_packed_a_generic> {alignment = 64 : i64}
// CHECK: memref.global "private" constant @wa_packed_a_generic_row_sums : memref<3xi32>
// CHECK: wa_packed_a_generic: "0x4000000001020304060708090B0C0D0E00000000050000000A0000000F00000000000000"
// CHECK: wa_packed_a_generic_row_sums: "0x400000000F0000002800000041000000"
// The avx512vnni tile has 8 rows: 8 rows x 2 groups x 4 bytes.
// VNNI-LABEL: func.func @conv_weights
// VNNI: memref.get_global @wa_packed_a_avx512vnni : memref<64xi8>
// VNNI: call @qopt_matmul_s8s8_i32_avx512vnni_pa(
memref.global "private" constant @wa : memref<3x5x1x1xi8> = dense<[[[[1]],[[2]],[[3]],[[4]],[[5]]],[[[6]],[[7]],[[8]],[[9]],[[10]]],[[[11]],[[12]],[[13]],[[14]],[[15]]]]> {alignment = 64 : i64}
func.func @conv_weights(%b: memref<5x7xi8>, %c: memref<3x7xi32>) {
  %g = memref.get_global @wa : memref<3x5x1x1xi8>
  %a = memref.collapse_shape %g [[0], [1, 2, 3]] : memref<3x5x1x1xi8> into memref<3x5xi8>
  linalg.matmul ins(%a, %b : memref<3x5xi8>, memref<5x7xi8>) outs(%c : memref<3x7xi32>)
  return
}

// -----

// A constant B (a MatMul's weights, [K, N]) is packed for the 8-column tile,
// offset to unsigned bytes (b ^ 0x80): column 0 is 1 3 5 and a zero k, column
// 1 is 2 4 -1 and a zero k, columns 2..7 are zeros (0x80).
// CHECK-LABEL: func.func @matmul_weights
// CHECK: %[[A:.*]] = memref.cast %arg0
// CHECK: %[[P:.*]] = memref.get_global @wb_packed_b_generic : memref<32xi8>
// CHECK: %[[PC:.*]] = memref.cast %[[P]]
// CHECK: call @qopt_matmul_s8s8_i32_generic_pb(%[[A]], %[[PC]], %{{.*}}) : (memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?xi8, strided<[?], offset: ?>>, memref<?x?xi32, strided<[?, ?], offset: ?>>) -> ()
// CHECK: wb_packed_b_generic: "0x400000008183858082847F80808080808080808080808080808080808080808080808080"
memref.global "private" constant @wb : memref<3x2xi8> = dense<[[1, 2], [3, 4], [5, -1]]>
func.func @matmul_weights(%a: memref<4x3xi8>, %c: memref<4x2xi32>) {
  %g = memref.get_global @wb : memref<3x2xi8>
  linalg.matmul ins(%a, %g : memref<4x3xi8>, memref<3x2xi8>) outs(%c : memref<4x2xi32>)
  return
}

// -----

// Two matmuls reading one weight share one packed copy; the weight stays
// because a copy still reads it.
// CHECK: memref.global "private" constant @w : memref<2x4xi8>
// CHECK-LABEL: func.func @shared
// CHECK: call @qopt_matmul_s8s8_i32_generic_pb(
// CHECK: call @qopt_matmul_s8s8_i32_generic_pb(
// CHECK: memref.copy
// CHECK: memref.global "private" constant @w_packed_b_generic : memref<32xi8>
// CHECK-NOT: @w_packed_b_generic_0
memref.global "private" constant @w : memref<2x4xi8> = dense<1>
func.func @shared(%a: memref<3x2xi8>, %c: memref<3x4xi32>, %d: memref<3x4xi32>, %e: memref<2x4xi8>) {
  %g = memref.get_global @w : memref<2x4xi8>
  linalg.matmul ins(%a, %g : memref<3x2xi8>, memref<2x4xi8>) outs(%c : memref<3x4xi32>)
  linalg.matmul ins(%a, %g : memref<3x2xi8>, memref<2x4xi8>) outs(%d : memref<3x4xi32>)
  memref.copy %g, %e : memref<2x4xi8> to memref<2x4xi8>
  return
}

// -----

// Views of a constant are packed through their strides: a Gemm's transposed
// weights (W [N=2, K=3] read as B [3, 2]: column 0 is 1 2 3, column 1 is
// 4 5 6) and rows 2..3 of a 4x4 constant (offset 8).
// CHECK-LABEL: func.func @views
// CHECK: call @qopt_matmul_s8s8_i32_generic_pb(%{{.*}}, %{{.*}}, %{{.*}})
// CHECK: call @qopt_matmul_s8s8_i32_generic_pb(%{{.*}}, %{{.*}}, %{{.*}})
// CHECK-NOT: linalg.matmul
// CHECK: wt_packed_b_generic: "0x400000008182838084858680808080808080808080808080808080808080808080808080"
// CHECK: rows_packed_b_generic: "0x40000000888C8080898D80808A8E80808B8F808080808080808080808080808080808080"
memref.global "private" constant @wt : memref<2x3xi8> = dense<[[1, 2, 3], [4, 5, 6]]>
memref.global "private" constant @rows : memref<4x4xi8> = dense<[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]]>
func.func @views(%a: memref<5x3xi8>, %c: memref<5x2xi32>, %a2: memref<5x2xi8>, %c2: memref<5x4xi32>) {
  %w = memref.get_global @wt : memref<2x3xi8>
  %t = memref.transpose %w (i, j) -> (j, i) : memref<2x3xi8> to memref<3x2xi8, strided<[1, 3]>>
  linalg.matmul ins(%a, %t : memref<5x3xi8>, memref<3x2xi8, strided<[1, 3]>>) outs(%c : memref<5x2xi32>)
  %r = memref.get_global @rows : memref<4x4xi8>
  %s = memref.subview %r[2, 0] [2, 4] [1, 1] : memref<4x4xi8> to memref<2x4xi8, strided<[4, 1], offset: 8>>
  linalg.matmul ins(%a2, %s : memref<5x2xi8>, memref<2x4xi8, strided<[4, 1], offset: 8>>) outs(%c2 : memref<5x4xi32>)
  return
}

// -----

// Left to qopt-matmul-microkernel: a global that is not constant, a view
// with dynamic strides, operands that are arguments, and other element types.
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-4: linalg.matmul
// CHECK-NOT: call
memref.global "private" @mutable : memref<2x4xi8> = dense<1>
memref.global "private" constant @big : memref<4x4xi8> = dense<2>
memref.global "private" constant @f : memref<2x4xf16> = dense<1.0>
func.func @left_alone(%a: memref<3x2xi8>, %b: memref<2x4xi8>, %c: memref<3x4xi32>,
                      %af: memref<3x2xf16>, %cf: memref<3x4xf16>, %i: index) {
  %m = memref.get_global @mutable : memref<2x4xi8>
  linalg.matmul ins(%a, %m : memref<3x2xi8>, memref<2x4xi8>) outs(%c : memref<3x4xi32>)
  %g = memref.get_global @big : memref<4x4xi8>
  %s = memref.subview %g[%i, 0] [2, 4] [1, 1] : memref<4x4xi8> to memref<2x4xi8, strided<[4, 1], offset: ?>>
  linalg.matmul ins(%a, %s : memref<3x2xi8>, memref<2x4xi8, strided<[4, 1], offset: ?>>) outs(%c : memref<3x4xi32>)
  linalg.matmul ins(%a, %b : memref<3x2xi8>, memref<2x4xi8>) outs(%c : memref<3x4xi32>)
  %gf = memref.get_global @f : memref<2x4xf16>
  linalg.matmul ins(%af, %gf : memref<3x2xf16>, memref<2x4xf16>) outs(%cf : memref<3x4xf16>)
  return
}

// -----

// A float MatMul's weights (B [3, 20], element (p, j) = 20p + j) are packed
// in panels of 16 columns over all of K (the generic f32 kernel's width):
// panel 0 holds columns 0..15 of each row, panel 1 columns 16..19 and
// zeros. The dynamic rows of A (a prompt of any length) do not matter. The
// +0.0 fill goes: the call overwrites C.
// CHECK-NOT: @fb :
// CHECK-LABEL: func.func @f32_matmul_weights
// CHECK-NOT: linalg.fill
// CHECK-DAG: %[[A:.*]] = memref.cast %arg0 : memref<?x3xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK-DAG: %[[P:.*]] = memref.get_global @fb_packed_b_f32_generic : memref<96xf32>
// CHECK-DAG: %[[PC:.*]] = memref.cast %[[P]]
// CHECK-DAG: %[[NR:.*]] = arith.constant 16 : i64
// CHECK: call @qopt_matmul_f32_pb_overwrite(%[[A]], %[[PC]], %[[NR]], %{{.*}}) : (memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
// CHECK-NOT: linalg.matmul
// CHECK: fb_packed_b_f32_generic: "0x40000000000000000000803F0000004000004040000080400000A0400000C0400000E04000000041000010410000204100003041000040410000504100006041000070410000A0410000A8410000B0410000B8410000C0410000C8410000D0410000D8410000E0410000E8410000F0410000F84100000042000004420000084200000C4200002042000024420000284200002C4200003042000034420000384200003C4200004042000044420000484200004C4200005042000054420000584200005C420000804100008841000090410000984100000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001042000014420000184200001C4200000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000006042000064420000684200006C42000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
// The avx512 kernel's panels are 32 columns wide: one panel.
// F32AVX512-LABEL: func.func @f32_matmul_weights
// F32AVX512: %[[NR:.*]] = arith.constant 32 : i64
// F32AVX512: call @qopt_matmul_f32_pb_overwrite(%{{.*}}, %{{.*}}, %[[NR]],
// F32AVX512: fb_packed_b_f32_avx512: "0x40000000000000000000803F0000004000004040000080400000A0400000C0400000E0400000004100001041000020410000304100004041000050410000604100007041000080410000884100009041000098410000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000A0410000A8410000B0410000B8410000C0410000C8410000D0410000D8410000E0410000E8410000F0410000F84100000042000004420000084200000C4200001042000014420000184200001C4200000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000002042000024420000284200002C4200003042000034420000384200003C4200004042000044420000484200004C4200005042000054420000584200005C4200006042000064420000684200006C42000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
memref.global "private" constant @fb : memref<3x20xf32> = dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0], [20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0], [40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0, 48.0, 49.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0, 56.0, 57.0, 58.0, 59.0]]>
func.func @f32_matmul_weights(%a: memref<?x3xf32>, %c: memref<?x20xf32>) {
  %zero = arith.constant 0.0 : f32
  %g = memref.get_global @fb : memref<3x20xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<?x20xf32>)
  linalg.matmul ins(%a, %g : memref<?x3xf32>, memref<3x20xf32>) outs(%c : memref<?x20xf32>)
  return
}

// -----

// A constant B is left unpacked when A is read with a column stride (the
// tiles' packing of A per call needs unit columns), and when something else
// reads the weight too (here a copy, as a Gather reads an embedding table
// tied to the output head): packing would keep two copies.
// CHECK-LABEL: func.func @f32_b_left_alone
// CHECK: linalg.matmul
// CHECK: linalg.matmul
// CHECK-NOT: call
// CHECK-NOT: _packed_
memref.global "private" constant @fb2 : memref<2x4xf32> = dense<1.0>
memref.global "private" constant @tied : memref<2x4xf32> = dense<2.0>
func.func @f32_b_left_alone(%at: memref<2x6xf32>, %c: memref<6x4xf32>, %a: memref<6x2xf32>, %e: memref<2x4xf32>) {
  %v = memref.transpose %at (i, j) -> (j, i) : memref<2x6xf32> to memref<6x2xf32, strided<[1, 6]>>
  %g = memref.get_global @fb2 : memref<2x4xf32>
  linalg.matmul ins(%v, %g : memref<6x2xf32, strided<[1, 6]>>, memref<2x4xf32>) outs(%c : memref<6x4xf32>)
  %t = memref.get_global @tied : memref<2x4xf32>
  linalg.matmul ins(%a, %t : memref<6x2xf32>, memref<2x4xf32>) outs(%c : memref<6x4xf32>)
  %t2 = memref.get_global @tied : memref<2x4xf32>
  memref.copy %t2, %e : memref<2x4xf32> to memref<2x4xf32>
  return
}

// -----

// A float Conv's weights (A [7, 2] through the collapse, element (i, p) =
// 2i + p + 1) are packed for the generic f32 tile of 6 rows: two panels, each
// [k][6] (row 6's panel is 13 14 and zeros). The +0.0 fill of C right before
// goes: the call overwrites C. The unpacked global goes too.
// CHECK-NOT: @fa :
// CHECK-LABEL: func.func @f32_conv_weights
// CHECK-NOT: linalg.fill
// CHECK-DAG: %[[P:.*]] = memref.get_global @fa_packed_a_f32_generic : memref<24xf32>
// CHECK-DAG: %[[PC:.*]] = memref.cast %[[P]] : memref<24xf32> to memref<?xf32, strided<[?], offset: ?>>
// CHECK-DAG: %[[MR:.*]] = arith.constant 6 : i64
// CHECK-DAG: %[[B:.*]] = memref.cast %arg0 : memref<2x3xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK-DAG: %[[C:.*]] = memref.cast %arg1 : memref<7x3xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK: call @qopt_matmul_f32_pa_overwrite(%[[PC]], %[[MR]], %[[B]], %[[C]]) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
// A second GEMM on the same weights, with no fill, accumulates into C and
// shares the packed copy.
// CHECK: call @qopt_matmul_f32_pa(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) :
// CHECK-NOT: linalg.matmul
// CHECK: fa_packed_a_f32_generic: "0x400000000000803F000040400000A0400000E040000010410000304100000040000080400000C040000000410000204100004041000050410000000000000000000000000000000000000000000060410000000000000000000000000000000000000000"
// The avx512 tile has 8 rows: one panel of 8 x 2.
// F32AVX512-LABEL: func.func @f32_conv_weights
// F32AVX512: %[[MR:.*]] = arith.constant 8 : i64
// F32AVX512: call @qopt_matmul_f32_pa_overwrite(%{{.*}}, %[[MR]],
// F32AVX512: fa_packed_a_f32_avx512: "0x400000000000803F000040400000A0400000E0400000104100003041000050410000000000000040000080400000C0400000004100002041000040410000604100000000"
// With pack-f32=false (a calibration library that borrows the compiler's
// weights) float GEMMs keep their operands.
// NOF32-LABEL: func.func @f32_conv_weights
// NOF32: linalg.fill
// NOF32: linalg.matmul
// NOF32: linalg.matmul
// NOF32-NOT: call
memref.global "private" constant @fa : memref<7x2x1x1xf32> = dense<[[[[1.0]],[[2.0]]],[[[3.0]],[[4.0]]],[[[5.0]],[[6.0]]],[[[7.0]],[[8.0]]],[[[9.0]],[[10.0]]],[[[11.0]],[[12.0]]],[[[13.0]],[[14.0]]]]>
func.func @f32_conv_weights(%b: memref<2x3xf32>, %c: memref<7x3xf32>, %b2: memref<2x5xf32>, %c2: memref<7x5xf32>) {
  %zero = arith.constant 0.0 : f32
  %g = memref.get_global @fa : memref<7x2x1x1xf32>
  %a = memref.collapse_shape %g [[0], [1, 2, 3]] : memref<7x2x1x1xf32> into memref<7x2xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<7x3xf32>)
  linalg.matmul ins(%a, %b : memref<7x2xf32>, memref<2x3xf32>) outs(%c : memref<7x3xf32>)
  linalg.matmul ins(%a, %b2 : memref<7x2xf32>, memref<2x5xf32>) outs(%c2 : memref<7x5xf32>)
  return
}

// -----

// A bias broadcast into C right before the GEMM (the lowering's conv
// accumulator init: [F, 1, H, W] from a 1-D bias, C its collapse to [F, N]),
// with only views between: the broadcast goes and the call starts C from
// the bias (`_bias`, the bias after C). A bias broadcast with other work in
// between (a store), or one read with a stride of 2, stays.
// CHECK-LABEL: func.func @f32_conv_bias
// CHECK-NOT: linalg.generic
// CHECK: %[[BIAS:.*]] = memref.cast %arg1 : memref<7xf32> to memref<?xf32, strided<[?], offset: ?>>
// CHECK: call @qopt_matmul_f32_pa_bias(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[BIAS]]) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?xf32, strided<[?], offset: ?>>) -> ()
// CHECK: linalg.generic
// CHECK: memref.store
// CHECK: call @qopt_matmul_f32_pa(
// CHECK: linalg.generic
// CHECK: call @qopt_matmul_f32_pa(
// CHECK-NOT: _bias
#bias = affine_map<(d0, d1, d2, d3) -> (d0)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
memref.global "private" constant @fb : memref<7x2x1x1xf32> = dense<1.0>
func.func @f32_conv_bias(%b: memref<2x6xf32>, %bias: memref<7xf32>, %bias2: memref<14xf32>) {
  %g = memref.get_global @fb : memref<7x2x1x1xf32>
  %a = memref.collapse_shape %g [[0], [1, 2, 3]] : memref<7x2x1x1xf32> into memref<7x2xf32>
  %acc = memref.alloc() : memref<7x1x2x3xf32>
  linalg.generic {indexing_maps = [#bias, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%bias : memref<7xf32>) outs(%acc : memref<7x1x2x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %c = memref.collapse_shape %acc [[0], [1, 2, 3]] : memref<7x1x2x3xf32> into memref<7x6xf32>
  linalg.matmul ins(%a, %b : memref<7x2xf32>, memref<2x6xf32>) outs(%c : memref<7x6xf32>)
  %acc2 = memref.alloc() : memref<7x1x2x3xf32>
  linalg.generic {indexing_maps = [#bias, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%bias : memref<7xf32>) outs(%acc2 : memref<7x1x2x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %zero = arith.constant 0.0 : f32
  %i0 = arith.constant 0 : index
  memref.store %zero, %bias[%i0] : memref<7xf32>
  %c2 = memref.collapse_shape %acc2 [[0], [1, 2, 3]] : memref<7x1x2x3xf32> into memref<7x6xf32>
  linalg.matmul ins(%a, %b : memref<7x2xf32>, memref<2x6xf32>) outs(%c2 : memref<7x6xf32>)
  %acc3 = memref.alloc() : memref<7x1x2x3xf32>
  %strided = memref.subview %bias2[0] [7] [2] : memref<14xf32> to memref<7xf32, strided<[2]>>
  linalg.generic {indexing_maps = [#bias, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%strided : memref<7xf32, strided<[2]>>) outs(%acc3 : memref<7x1x2x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %c3 = memref.collapse_shape %acc3 [[0], [1, 2, 3]] : memref<7x1x2x3xf32> into memref<7x6xf32>
  linalg.matmul ins(%a, %b : memref<7x2xf32>, memref<2x6xf32>) outs(%c3 : memref<7x6xf32>)
  return
}

// -----

// Float GEMMs left alone: an A of 4 rows (streamed, never tiled), a B read
// with a column stride (transposed), and a -0.0 fill (kept: the call adds,
// with the constant A packed).
// CHECK-LABEL: func.func @f32_left_alone
// CHECK: linalg.matmul
// CHECK: linalg.matmul
// CHECK: linalg.fill
// CHECK: call @qopt_matmul_f32_pa(
// CHECK-NOT: call
memref.global "private" constant @short : memref<4x2xf32> = dense<1.0>
memref.global "private" constant @tall : memref<6x2xf32> = dense<2.0>
memref.global "private" constant @tall2 : memref<6x2xf32> = dense<3.0>
func.func @f32_left_alone(%b: memref<2x3xf32>, %c4: memref<4x3xf32>, %bt: memref<3x2xf32>, %c6: memref<6x3xf32>) {
  %neg = arith.constant -0.0 : f32
  %s = memref.get_global @short : memref<4x2xf32>
  linalg.matmul ins(%s, %b : memref<4x2xf32>, memref<2x3xf32>) outs(%c4 : memref<4x3xf32>)
  %t2 = memref.get_global @tall2 : memref<6x2xf32>
  %v = memref.transpose %bt (i, j) -> (j, i) : memref<3x2xf32> to memref<2x3xf32, strided<[1, 2]>>
  linalg.matmul ins(%t2, %v : memref<6x2xf32>, memref<2x3xf32, strided<[1, 2]>>) outs(%c6 : memref<6x3xf32>)
  %t = memref.get_global @tall : memref<6x2xf32>
  linalg.fill ins(%neg : f32) outs(%c6 : memref<6x3xf32>)
  linalg.matmul ins(%t, %b : memref<6x2xf32>, memref<2x3xf32>) outs(%c6 : memref<6x3xf32>)
  return
}

// -----

// Weights that another reader shares stay unpacked: @both is one GEMM's A
// (6 rows) and another's B; @viewed is a GEMM's B and, through a reshape, a
// copy's source.
// CHECK-LABEL: func.func @f32_shared
// CHECK-COUNT-3: linalg.matmul
// CHECK-NOT: call
// CHECK-NOT: _packed_
memref.global "private" constant @both : memref<6x6xf32> = dense<1.0>
memref.global "private" constant @viewed : memref<2x4xf32> = dense<2.0>
func.func @f32_shared(%b: memref<6x3xf32>, %c: memref<6x3xf32>, %a: memref<5x6xf32>, %c2: memref<5x6xf32>,
                      %a2: memref<5x2xf32>, %c3: memref<5x4xf32>, %e: memref<8xf32>) {
  %w = memref.get_global @both : memref<6x6xf32>
  linalg.matmul ins(%w, %b : memref<6x6xf32>, memref<6x3xf32>) outs(%c : memref<6x3xf32>)
  linalg.matmul ins(%a, %w : memref<5x6xf32>, memref<6x6xf32>) outs(%c2 : memref<5x6xf32>)
  %v = memref.get_global @viewed : memref<2x4xf32>
  linalg.matmul ins(%a2, %v : memref<5x2xf32>, memref<2x4xf32>) outs(%c3 : memref<5x4xf32>)
  %flat = memref.collapse_shape %v [[0, 1]] : memref<2x4xf32> into memref<8xf32>
  memref.copy %flat, %e : memref<8xf32> to memref<8xf32>
  return
}
