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

