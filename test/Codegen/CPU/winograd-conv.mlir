// RUN: qopt-opt %s --qopt-winograd-conv="min-channels=8" --split-input-file | FileCheck %s
// RUN: qopt-opt %s --qopt-winograd-conv --split-input-file | FileCheck %s --check-prefix=DEFAULT
// RUN: qopt-opt %s --qopt-winograd-conv="min-channels=9" --split-input-file | FileCheck %s --check-prefix=MIN
// RUN: qopt-opt %s --qopt-winograd-conv="min-channels=8 min-filters=9" --split-input-file | FileCheck %s --check-prefix=MIN
// RUN: qopt-opt %s --qopt-winograd-conv="min-channels=1 min-filters=1" --split-input-file | FileCheck %s --check-prefix=ONE

// Weights: 8 filters of 8 channels, 3x3, packed for tiles of 6 rows: 12
// padded rows of 72 values. The transformed copy is 16 points of 12 x 8.

// (With min-channels=8.) A 3x3 convolution with unit strides and dilations: the call reads the
// transformed weights and keeps OH and OW; the packed GEMM weights go.
// CHECK-NOT: memref.global
// CHECK-DAG: func.func private @qopt_conv2d_f32_wino(memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64)
// CHECK-LABEL: func.func @wino
// CHECK: %[[G:.*]] = memref.get_global @w_winograd : memref<1536xf32>
// CHECK: %[[U:.*]] = memref.cast %[[G]] : memref<1536xf32> to memref<?xf32, strided<[?], offset: ?>>
// CHECK: call @qopt_conv2d_f32_wino(%[[U]], %c6_i64, %{{.*}}, %{{.*}}, %c8_i64, %c10_i64)
// CHECK-NOT: qopt_conv2d_f32_pa
// CHECK: memref.global "private" constant @w_winograd : memref<1536xf32> = dense_resource<w_winograd> {alignment = 64 : i64}
// CHECK-NOT: memref.global
// U's first point is G g G^T at (0, 0), g's own (0, 0) tap: 1.0 for every
// filter and channel (the blob's 4 bytes of alignment, then 0x3F800000);
// the second, (0, 1), is (g00 + g01 + g02) / 2 = 1.5 (0x3FC00000).
// CHECK: w_winograd: "0x400000000000803F0000803F0000803F
// CHECK-SAME: 0000C03F0000C03F
memref.global "private" constant @w : memref<864xf32> = dense<1.0> {alignment = 64 : i64}
func.func private @qopt_conv2d_f32_pa(memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64, i64, i64, i64, i64, i64)
func.func @wino(%x: memref<1x8x10x12xf32>, %c: memref<8x80xf32>) {
  %g = memref.get_global @w : memref<864xf32>
  %a = memref.cast %g : memref<864xf32> to memref<?xf32, strided<[?], offset: ?>>
  %xc = memref.cast %x : memref<1x8x10x12xf32> to memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>
  %cc = memref.cast %c : memref<8x80xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  %mr = arith.constant 6 : i64
  %c3 = arith.constant 3 : i64
  %c1 = arith.constant 1 : i64
  %oh = arith.constant 8 : i64
  %ow = arith.constant 10 : i64
  call @qopt_conv2d_f32_pa(%a, %mr, %xc, %cc, %c3, %c3, %c1, %c1, %c1, %c1, %oh, %ow) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64, i64, i64, i64, i64, i64) -> ()
  return
}
// With min-channels=9 the 8 channels are too few, with min-filters=9 the 8
// filters, and by default (16 channels at least) the 8 channels: the call
// stays.
// DEFAULT-LABEL: func.func @wino
// DEFAULT: call @qopt_conv2d_f32_pa(
// DEFAULT-NOT: wino
// MIN-LABEL: func.func @wino
// MIN: call @qopt_conv2d_f32_pa(
// MIN-NOT: wino

// -----

// The overwriting and bias entries, both reading one packed weight: one
// transformed copy serves both; the bias stays after C; a run-time OH
// passes through.
// CHECK-LABEL: func.func @entries
// CHECK: call @qopt_conv2d_f32_wino_overwrite(%{{.*}}, %c6_i64, %{{.*}}, %{{.*}}, %arg3, %c10_i64)
// CHECK: call @qopt_conv2d_f32_wino_bias(%{{.*}}, %c6_i64, %{{.*}}, %{{.*}}, %{{.*}}, %arg3, %c10_i64)
// CHECK: memref.global "private" constant @w_winograd : memref<1536xf32>
// CHECK-NOT: memref.global "private" constant @w_winograd
memref.global "private" constant @w : memref<864xf32> = dense<0.5> {alignment = 64 : i64}
func.func private @qopt_conv2d_f32_pa_overwrite(memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64, i64, i64, i64, i64, i64)
func.func private @qopt_conv2d_f32_pa_bias(memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?xf32, strided<[?], offset: ?>>, i64, i64, i64, i64, i64, i64, i64, i64)
func.func @entries(%x: memref<?x8x?x12xf32>, %c: memref<8x?xf32>, %bias: memref<8xf32>, %oh: i64) {
  %g = memref.get_global @w : memref<864xf32>
  %a = memref.cast %g : memref<864xf32> to memref<?xf32, strided<[?], offset: ?>>
  %xc = memref.cast %x : memref<?x8x?x12xf32> to memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>
  %cc = memref.cast %c : memref<8x?xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  %bc = memref.cast %bias : memref<8xf32> to memref<?xf32, strided<[?], offset: ?>>
  %mr = arith.constant 6 : i64
  %c3 = arith.constant 3 : i64
  %c1 = arith.constant 1 : i64
  %ow = arith.constant 10 : i64
  call @qopt_conv2d_f32_pa_overwrite(%a, %mr, %xc, %cc, %c3, %c3, %c1, %c1, %c1, %c1, %oh, %ow) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64, i64, i64, i64, i64, i64) -> ()
  call @qopt_conv2d_f32_pa_bias(%a, %mr, %xc, %cc, %bc, %c3, %c3, %c1, %c1, %c1, %c1, %oh, %ow) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?xf32, strided<[?], offset: ?>>, i64, i64, i64, i64, i64, i64, i64, i64) -> ()
  return
}

// -----

// Left alone: a stride of 2, a dilation of 2, a 5x5 filter (its packed
// weights' size checked against 3x3 fails too), channels unknown at compile
// time, weights that are not a global, a global whose size is not 8 x 72
// packed for 6 rows, a global that is not constant, filters unknown at
// compile time (C's rows), and a C whose inner stride is not 1 (the GEMM's
// entry takes it, the Winograd output step does not). The kept global stays.
// CHECK: memref.global "private" constant @w : memref<864xf32>
// CHECK-LABEL: func.func @kept
// CHECK-NOT: wino
// CHECK-COUNT-9: call @qopt_conv2d_f32_pa(
memref.global "private" constant @w : memref<864xf32> = dense<1.0> {alignment = 64 : i64}
memref.global "private" constant @odd : memref<860xf32> = dense<1.0> {alignment = 64 : i64}
memref.global "private" @mutable : memref<864xf32> = dense<1.0> {alignment = 64 : i64}
func.func private @qopt_conv2d_f32_pa(memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64, i64, i64, i64, i64, i64)
func.func @kept(%x: memref<1x8x10x12xf32>, %xd: memref<1x?x10x12xf32>, %c: memref<8x80xf32>, %arg: memref<?xf32, strided<[?], offset: ?>>, %cd: memref<?x80xf32>, %cs: memref<8x80xf32, strided<[160, 2]>>) {
  %g = memref.get_global @w : memref<864xf32>
  %a = memref.cast %g : memref<864xf32> to memref<?xf32, strided<[?], offset: ?>>
  %go = memref.get_global @odd : memref<860xf32>
  %ao = memref.cast %go : memref<860xf32> to memref<?xf32, strided<[?], offset: ?>>
  %xc = memref.cast %x : memref<1x8x10x12xf32> to memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>
  %xdc = memref.cast %xd : memref<1x?x10x12xf32> to memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>
  %cc = memref.cast %c : memref<8x80xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  %mr = arith.constant 6 : i64
  %c5 = arith.constant 5 : i64
  %c3 = arith.constant 3 : i64
  %c2 = arith.constant 2 : i64
  %c1 = arith.constant 1 : i64
  %oh = arith.constant 4 : i64
  %ow = arith.constant 5 : i64
  call @qopt_conv2d_f32_pa(%a, %mr, %xc, %cc, %c3, %c3, %c2, %c1, %c1, %c1, %oh, %ow) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64, i64, i64, i64, i64, i64) -> ()
  call @qopt_conv2d_f32_pa(%a, %mr, %xc, %cc, %c3, %c3, %c1, %c1, %c1, %c2, %oh, %ow) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64, i64, i64, i64, i64, i64) -> ()
  call @qopt_conv2d_f32_pa(%a, %mr, %xc, %cc, %c5, %c5, %c1, %c1, %c1, %c1, %oh, %ow) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64, i64, i64, i64, i64, i64) -> ()
  call @qopt_conv2d_f32_pa(%a, %mr, %xdc, %cc, %c3, %c3, %c1, %c1, %c1, %c1, %oh, %ow) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64, i64, i64, i64, i64, i64) -> ()
  call @qopt_conv2d_f32_pa(%arg, %mr, %xc, %cc, %c3, %c3, %c1, %c1, %c1, %c1, %oh, %ow) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64, i64, i64, i64, i64, i64) -> ()
  call @qopt_conv2d_f32_pa(%ao, %mr, %xc, %cc, %c3, %c3, %c1, %c1, %c1, %c1, %oh, %ow) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64, i64, i64, i64, i64, i64) -> ()
  %gm = memref.get_global @mutable : memref<864xf32>
  %am = memref.cast %gm : memref<864xf32> to memref<?xf32, strided<[?], offset: ?>>
  call @qopt_conv2d_f32_pa(%am, %mr, %xc, %cc, %c3, %c3, %c1, %c1, %c1, %c1, %oh, %ow) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64, i64, i64, i64, i64, i64) -> ()
  %cdc = memref.cast %cd : memref<?x80xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  call @qopt_conv2d_f32_pa(%a, %mr, %xc, %cdc, %c3, %c3, %c1, %c1, %c1, %c1, %oh, %ow) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64, i64, i64, i64, i64, i64) -> ()
  %csc = memref.cast %cs : memref<8x80xf32, strided<[160, 2]>> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  call @qopt_conv2d_f32_pa(%a, %mr, %xc, %csc, %c3, %c3, %c1, %c1, %c1, %c1, %oh, %ow) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64, i64, i64, i64, i64, i64) -> ()
  return
}

// -----

// One packed weight read by a call that qualifies and one that does not
// (stride 2): the first reads the transformed copy, the second keeps the
// packed weights, which stay.
// CHECK: memref.global "private" constant @w : memref<864xf32>
// CHECK-LABEL: func.func @shared
// CHECK: call @qopt_conv2d_f32_wino(
// CHECK: %[[W:.*]] = memref.get_global @w : memref<864xf32>
// CHECK: call @qopt_conv2d_f32_pa(%{{.*}}, %c6_i64, %{{.*}}, %{{.*}}, %c3_i64, %c3_i64, %c2_i64,
// CHECK: memref.global "private" constant @w_winograd : memref<1536xf32>
memref.global "private" constant @w : memref<864xf32> = dense<1.0> {alignment = 64 : i64}
func.func private @qopt_conv2d_f32_pa(memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64, i64, i64, i64, i64, i64)
func.func @shared(%x: memref<1x8x10x12xf32>, %c: memref<8x80xf32>) {
  %xc = memref.cast %x : memref<1x8x10x12xf32> to memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>
  %cc = memref.cast %c : memref<8x80xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  %mr = arith.constant 6 : i64
  %c3 = arith.constant 3 : i64
  %c2 = arith.constant 2 : i64
  %c1 = arith.constant 1 : i64
  %oh = arith.constant 8 : i64
  %ow = arith.constant 10 : i64
  %g = memref.get_global @w : memref<864xf32>
  %a = memref.cast %g : memref<864xf32> to memref<?xf32, strided<[?], offset: ?>>
  call @qopt_conv2d_f32_pa(%a, %mr, %xc, %cc, %c3, %c3, %c1, %c1, %c1, %c1, %oh, %ow) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64, i64, i64, i64, i64, i64) -> ()
  %g2 = memref.get_global @w : memref<864xf32>
  %a2 = memref.cast %g2 : memref<864xf32> to memref<?xf32, strided<[?], offset: ?>>
  call @qopt_conv2d_f32_pa(%a2, %mr, %xc, %cc, %c3, %c3, %c2, %c1, %c1, %c1, %oh, %ow) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64, i64, i64, i64, i64, i64) -> ()
  return
}

// -----

// One filter of one channel (with min-channels=1 min-filters=1), its taps
// 1..9 in the packed layout of 6-row tiles (tap t at t * 6, the other five
// rows' lanes 0): U = G g G^T read back from that layout, point by point
// (1, 3, 1, 3, 6, 11.25, ...), each U_xi a 6-row panel of one channel.
// ONE-LABEL: func.func @ramp
// ONE: call @qopt_conv2d_f32_wino_overwrite(
// ONE: taps_winograd: "0x40000000
// ONE-SAME: 0000803F00000000000000000000000000000000000000000000404000000000000000000000000000000000000000000000803F0000000000000000000000000000000000000000000040400000000000000000000000000000000000000000
// ONE-SAME: 0000C0400000000000000000000000000000000000000000000034410000000000000000000000000000000000000000000070400000000000000000000000000000000000000000000010410000000000000000000000000000000000000000
memref.global "private" constant @taps : memref<54xf32> = dense<[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0, 6.0, 0.0, 0.0, 0.0, 0.0, 0.0, 7.0, 0.0, 0.0, 0.0, 0.0, 0.0, 8.0, 0.0, 0.0, 0.0, 0.0, 0.0, 9.0, 0.0, 0.0, 0.0, 0.0, 0.0]> {alignment = 64 : i64}
func.func private @qopt_conv2d_f32_pa_overwrite(memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64, i64, i64, i64, i64, i64)
func.func @ramp(%x: memref<1x1x6x6xf32>, %c: memref<1x16xf32>) {
  %g = memref.get_global @taps : memref<54xf32>
  %a = memref.cast %g : memref<54xf32> to memref<?xf32, strided<[?], offset: ?>>
  %xc = memref.cast %x : memref<1x1x6x6xf32> to memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>
  %cc = memref.cast %c : memref<1x16xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  %mr = arith.constant 6 : i64
  %c3 = arith.constant 3 : i64
  %c1 = arith.constant 1 : i64
  %c4 = arith.constant 4 : i64
  call @qopt_conv2d_f32_pa_overwrite(%a, %mr, %xc, %cc, %c3, %c3, %c1, %c1, %c1, %c1, %c4, %c4) : (memref<?xf32, strided<[?], offset: ?>>, i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64, i64, i64, i64, i64, i64) -> ()
  return
}
