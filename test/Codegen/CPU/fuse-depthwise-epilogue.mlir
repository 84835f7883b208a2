// RUN: qopt-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qopt-fuse-depthwise-epilogue{tile-bytes=65536}),canonicalize)" | FileCheck %s
// RUN: qopt-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qopt-fuse-depthwise-epilogue),canonicalize)" | FileCheck %s --check-prefix=DEFAULT

// The default budget, 256 KiB, leaves accumulators of 256 KiB or less alone
// (they stay in cache as they are): only @fill_residual's 300 KiB one is
// tiled, 16 channels per tile (16 x 13.9 KiB).
// DEFAULT-LABEL: func.func @stride2
// DEFAULT-NOT: scf.forall
// DEFAULT-LABEL: func.func @fill_residual
// DEFAULT: scf.forall (%{{.*}}) = (0) to (48) step (16)
// DEFAULT-LABEL: func.func @unfused
// DEFAULT-NOT: scf.forall

// An i16 depthwise convolution (per-channel input), its bias init and its
// requantizing epilogue: 32 x 32 x 32 i32 accumulators (128 KiB) on a
// 66 x 66 i16 input. A channel takes 4 KiB of accumulator and 8.5 KiB of
// input, so tiles of 4 channels (the most that divide 32 and fit 64 KiB).
// Stride 2 reads rows and columns 0..64 of the padded input: the slice is
// 65 x 65 of its 66 x 66 planes.
// CHECK-LABEL: func.func @stride2
// CHECK-DAG: %[[OUT:.*]] = tensor.empty() : tensor<1x32x32x32xi8>
// CHECK: %[[R:.*]] = scf.forall (%[[C:.*]]) = (0) to (32) step (4) shared_outs(%[[D:.*]] = %[[OUT]])
// CHECK-DAG: %[[X:.*]] = tensor.extract_slice %arg0[0, %[[C]], 0, 0] [1, 4, 65, 65] [1, 1, 1, 1] : tensor<1x32x66x66xi16> to tensor<1x4x65x65xi16>
// CHECK-DAG: %[[WT:.*]] = tensor.extract_slice %arg1[%[[C]], 0, 0] [4, 3, 3] [1, 1, 1]
// CHECK-DAG: %[[B:.*]] = tensor.extract_slice %arg2[%[[C]]] [4] [1]
// CHECK-DAG: %[[E:.*]] = tensor.empty() : tensor<1x4x32x32xi32>
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%[[B]] : tensor<4xi32>) outs(%[[E]] : tensor<1x4x32x32xi32>)
// CHECK: %[[ACC:.*]] = linalg.depthwise_conv_2d_nchw_chw {{.*}} ins(%[[X]], %[[WT]] : tensor<1x4x65x65xi16>, tensor<4x3x3xi16>) outs(%[[INIT]] : tensor<1x4x32x32xi32>)
// CHECK-DAG: %[[S:.*]] = tensor.extract_slice %arg3[0, %[[C]], 0, 0] [1, 4, 1, 1]
// CHECK-DAG: %[[O:.*]] = tensor.extract_slice %[[D]][0, %[[C]], 0, 0] [1, 4, 32, 32]
// CHECK: %[[G:.*]] = linalg.generic {{.*}} ins(%[[ACC]], %[[S]] : tensor<1x4x32x32xi32>, tensor<1x4x1x1xf32>) outs(%[[O]] : tensor<1x4x32x32xi8>)
// CHECK: tensor.parallel_insert_slice %[[G]] into %[[D]][0, %[[C]], 0, 0] [1, 4, 32, 32] [1, 1, 1, 1]
// CHECK: return %[[R]]
func.func @stride2(%x: tensor<1x32x66x66xi16>, %wf: tensor<32x3x3xi16>, %bias: tensor<32xi32>, %scale: tensor<1x32x1x1xf32>) -> tensor<1x32x32x32xi8> {
  %e = tensor.empty() : tensor<1x32x32x32xi32>
  %init = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%bias : tensor<32xi32>) outs(%e : tensor<1x32x32x32xi32>) {
  ^bb0(%in: i32, %out: i32):
    linalg.yield %in : i32
  } -> tensor<1x32x32x32xi32>
  %c = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %wf : tensor<1x32x66x66xi16>, tensor<32x3x3xi16>) outs(%init : tensor<1x32x32x32xi32>) -> tensor<1x32x32x32xi32>
  %oe = tensor.empty() : tensor<1x32x32x32xi8>
  %o = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c, %scale : tensor<1x32x32x32xi32>, tensor<1x32x1x1xf32>) outs(%oe : tensor<1x32x32x32xi8>) {
  ^bb0(%in: i32, %s: f32, %out: i8):
    %f = arith.sitofp %in : i32 to f32
    %m = arith.mulf %f, %s : f32
    %q = arith.fptosi %m : f32 to i8
    linalg.yield %q : i8
  } -> tensor<1x32x32x32xi8>
  return %o : tensor<1x32x32x32xi8>
}

// -----

// f32, a fill init and a residual add: the residual's producer (an
// elementwise generic) stays outside the loop and is sliced per tile.
// 48 x 40 x 40 f32 accumulators (300 KiB); a channel takes 6.25 KiB of
// accumulator and 7.6 KiB of input (44 x 44 f32): 4 channels per tile.
// CHECK-LABEL: func.func @fill_residual
// CHECK: %[[SKIP:.*]] = linalg.generic
// CHECK: arith.negf
// CHECK: scf.forall (%[[C:.*]]) = (0) to (48) step (4)
// CHECK: linalg.fill {{.*}} -> tensor<1x4x40x40xf32>
// CHECK: linalg.depthwise_conv_2d_nchw_chw {{.*}} ins({{.*}} : tensor<1x4x44x44xf32>, tensor<4x5x5xf32>) {{.*}} -> tensor<1x4x40x40xf32>
// CHECK: tensor.extract_slice %[[SKIP]][0, %[[C]], 0, 0] [1, 4, 40, 40]
// CHECK: linalg.generic
// CHECK-NOT: linalg.generic
// CHECK: scf.forall.in_parallel
func.func @fill_residual(%x: tensor<1x48x44x44xf32>, %w: tensor<48x5x5xf32>, %r: tensor<1x48x40x40xf32>) -> tensor<1x48x40x40xf32> {
  %se = tensor.empty() : tensor<1x48x40x40xf32>
  %skip = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%r : tensor<1x48x40x40xf32>) outs(%se : tensor<1x48x40x40xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<1x48x40x40xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x48x40x40xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<1x48x40x40xf32>) -> tensor<1x48x40x40xf32>
  %c = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x48x44x44xf32>, tensor<48x5x5xf32>) outs(%f : tensor<1x48x40x40xf32>) -> tensor<1x48x40x40xf32>
  %oe = tensor.empty() : tensor<1x48x40x40xf32>
  %o = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c, %skip : tensor<1x48x40x40xf32>, tensor<1x48x40x40xf32>) outs(%oe : tensor<1x48x40x40xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x48x40x40xf32>
  return %o : tensor<1x48x40x40xf32>
}

// -----

// Left alone: an accumulator of 64 KiB or less (16 x 32 x 32 i32 = 64 KiB)
// already stays in cache; an accumulator with a second use; a convolution
// whose init has a second use.
// CHECK-LABEL: func.func @unfused
// CHECK-NOT: scf.forall
// CHECK: return
func.func @unfused(%x: tensor<1x16x34x34xi8>, %w: tensor<16x3x3xi8>, %y: tensor<1x64x34x34xi8>, %v: tensor<64x3x3xi8>) -> (tensor<1x16x32x32xf32>, tensor<1x64x32x32xf32>, tensor<1x64x32x32xi32>, tensor<1x64x32x32xf32>, tensor<1x64x32x32xi32>) {
  %z = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x16x32x32xi32>
  %f = linalg.fill ins(%z : i32) outs(%e : tensor<1x16x32x32xi32>) -> tensor<1x16x32x32xi32>
  %c = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x16x34x34xi8>, tensor<16x3x3xi8>) outs(%f : tensor<1x16x32x32xi32>) -> tensor<1x16x32x32xi32>
  %oe = tensor.empty() : tensor<1x16x32x32xf32>
  %o = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c : tensor<1x16x32x32xi32>) outs(%oe : tensor<1x16x32x32xf32>) {
  ^bb0(%in: i32, %out: f32):
    %g = arith.sitofp %in : i32 to f32
    linalg.yield %g : f32
  } -> tensor<1x16x32x32xf32>
  %e2 = tensor.empty() : tensor<1x64x32x32xi32>
  %f2 = linalg.fill ins(%z : i32) outs(%e2 : tensor<1x64x32x32xi32>) -> tensor<1x64x32x32xi32>
  %c2 = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%y, %v : tensor<1x64x34x34xi8>, tensor<64x3x3xi8>) outs(%f2 : tensor<1x64x32x32xi32>) -> tensor<1x64x32x32xi32>
  %oe2 = tensor.empty() : tensor<1x64x32x32xf32>
  %o2 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c2 : tensor<1x64x32x32xi32>) outs(%oe2 : tensor<1x64x32x32xf32>) {
  ^bb0(%in: i32, %out: f32):
    %g = arith.sitofp %in : i32 to f32
    linalg.yield %g : f32
  } -> tensor<1x64x32x32xf32>
  %e3 = tensor.empty() : tensor<1x64x32x32xi32>
  %f3 = linalg.fill ins(%z : i32) outs(%e3 : tensor<1x64x32x32xi32>) -> tensor<1x64x32x32xi32>
  %c3 = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%y, %v : tensor<1x64x34x34xi8>, tensor<64x3x3xi8>) outs(%f3 : tensor<1x64x32x32xi32>) -> tensor<1x64x32x32xi32>
  %oe3 = tensor.empty() : tensor<1x64x32x32xf32>
  %o3 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c3 : tensor<1x64x32x32xi32>) outs(%oe3 : tensor<1x64x32x32xf32>) {
  ^bb0(%in: i32, %out: f32):
    %g = arith.sitofp %in : i32 to f32
    linalg.yield %g : f32
  } -> tensor<1x64x32x32xf32>
  return %o, %o2, %c2, %o3, %f3 : tensor<1x16x32x32xf32>, tensor<1x64x32x32xf32>, tensor<1x64x32x32xi32>, tensor<1x64x32x32xf32>, tensor<1x64x32x32xi32>
}
