// RUN: qopt-opt %s --split-input-file --qopt-infer-scales | FileCheck %s --check-prefix=U8
// RUN: qopt-opt %s --split-input-file --qopt-infer-scales="activation-type=s8" | FileCheck %s --check-prefix=S8
// RUN: not qopt-opt %s --split-input-file --qopt-infer-scales="method=kl" 2>&1 | FileCheck %s --check-prefix=BADMETHOD

// minmax: u8 asymmetric over [-1, 3] is scale 4/255 with zero point
// round(255/4) = 64; s8 symmetric is scale 3/127 with zero point 0.
// U8-LABEL: func.func @minmax
// U8: %[[Q:.*]] = qopt.quantize %arg0 {qopt.observed = "x"} : tensor<4xf32> -> tensor<4x!quant.uniform<u8:f32, 0.015686274509803921:64>>
// U8: %[[D:.*]] = qopt.dequantize %[[Q]]
// U8: %[[R:.*]] = qopt.relu %[[D]]
// U8: return %[[R]]
// S8-LABEL: func.func @minmax
// S8: qopt.quantize %arg0 {qopt.observed = "x"} : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 0.023622047244094488>>
// BADMETHOD: unknown calibration method 'kl'
func.func @minmax(%x: tensor<4xf32>) -> tensor<4xf32> {
  %o = qopt.observer %x {id = "x", min = -1.0 : f64, max = 3.0 : f64} : tensor<4xf32>
  %r = qopt.relu %o : (tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// A tensor from a float op is quantized only for the users that run on
// quantized values (the MatMul); the Add keeps the float value. The MatMul's
// output is quantized for all its users.
// U8-LABEL: func.func @selective
// U8: %[[Q:.*]] = qopt.quantize %arg0
// U8: %[[D:.*]] = qopt.dequantize %[[Q]]
// U8: %[[M:.*]] = qopt.matmul %[[D]], %{{.*}}
// U8: %[[MQ:.*]] = qopt.quantize %[[M]]
// U8: %[[MD:.*]] = qopt.dequantize %[[MQ]]
// U8: qopt.add %arg0, %[[MD]]
func.func @selective(%x: tensor<2x2xf32>, %w: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %o = qopt.observer %x {id = "x", min = -1.0 : f64, max = 3.0 : f64} : tensor<2x2xf32>
  %m = qopt.matmul %o, %w : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  %om = qopt.observer %m {id = "m", min = -1.0 : f64, max = 3.0 : f64} : tensor<2x2xf32>
  %a = qopt.add %o, %om : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  return %a : tensor<2x2xf32>
}

// -----

// Concat inputs and output share the union of their ranges, [-1, 2]:
// scale 3/255, zero point 85.
// U8-LABEL: func.func @concat
// U8-COUNT-3: !quant.uniform<u8:f32, 0.011764705882352941:85>
func.func @concat(%a: tensor<2xf32>, %b: tensor<2xf32>) -> tensor<4xf32> {
  %oa = qopt.observer %a {id = "a", min = 0.0 : f64, max = 2.0 : f64} : tensor<2xf32>
  %ob = qopt.observer %b {id = "b", min = -1.0 : f64, max = 1.0 : f64} : tensor<2xf32>
  %c = qopt.concat %oa, %ob {axis = 0 : i64} : (tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>
  %oc = qopt.observer %c {id = "c", min = -1.0 : f64, max = 2.0 : f64} : tensor<4xf32>
  return %oc : tensor<4xf32>
}

// -----

// A mixed-precision trial library (qopt-switch-trials) feeds the Concat
// through trial selections: the copies of trial 1 feed both inputs and
// share the union of their ranges, [-1, 2] (scale 3/255, zero point 85),
// as that trial compiled alone would; trial 0's copy feeds one input only
// (the other is float in that trial) and keeps its own, [0, 4] (scale
// 4/255, zero point 0).
// U8-LABEL: func.func @concat_trials
// U8: qopt.quantize %{{.*}} {qopt.observed = "a0"} : tensor<2xf32> -> tensor<2x!quant.uniform<u8:f32, 0.015686274509803921>>
// U8: qopt.quantize %{{.*}} {qopt.observed = "a1"} : tensor<2xf32> -> tensor<2x!quant.uniform<u8:f32, 0.011764705882352941:85>>
// U8: qopt.quantize %{{.*}} {qopt.observed = "b1"} : tensor<2xf32> -> tensor<2x!quant.uniform<u8:f32, 0.011764705882352941:85>>
func.func @concat_trials(%fa: tensor<2xf32>, %qa0: tensor<2xf32>, %qa1: tensor<2xf32>,
                         %fb: tensor<2xf32>, %qb1: tensor<2xf32>,
                         %is0: tensor<1xi1>, %is1: tensor<1xi1>) -> tensor<4xf32> {
  %oa0 = qopt.observer %qa0 {id = "a0", min = 0.0 : f64, max = 4.0 : f64} : tensor<2xf32>
  %oa1 = qopt.observer %qa1 {id = "a1", min = 0.0 : f64, max = 2.0 : f64} : tensor<2xf32>
  %ob1 = qopt.observer %qb1 {id = "b1", min = -1.0 : f64, max = 1.0 : f64} : tensor<2xf32>
  %sa0 = qopt.where %is0, %oa0, %fa {qopt.trial_select = 0 : i64} : (tensor<1xi1>, tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %sa1 = qopt.where %is1, %oa1, %sa0 {qopt.trial_select = 1 : i64} : (tensor<1xi1>, tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %sb1 = qopt.where %is1, %ob1, %fb {qopt.trial_select = 1 : i64} : (tensor<1xi1>, tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %c = qopt.concat %sa1, %sb1 {axis = 0 : i64} : (tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>
  return %c : tensor<4xf32>
}

