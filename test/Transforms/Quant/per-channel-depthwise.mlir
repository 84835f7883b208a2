// RUN: qopt-opt %s --split-input-file --qopt-infer-scales=per-channel-depthwise | FileCheck %s
// RUN: qopt-opt %s --split-input-file --qopt-infer-scales | FileCheck %s --check-prefix=OFF

// Off by default: the depthwise input is per tensor.
// OFF-LABEL: func.func @depthwise
// OFF: qopt.quantize %arg0 {qopt.observed = "x"} : tensor<1x2x3x3xf32> -> tensor<1x2x3x3x!quant.uniform<u8:f32, 0.015686274509803921:64>>
// RUN: qopt-opt %s --split-input-file --qopt-infer-scales=per-channel-depthwise --qopt-quantize-ops --canonicalize | FileCheck %s --check-prefix=INT
// RUN: qopt-opt %s --split-input-file --qopt-infer-scales=per-channel-depthwise --qopt-quantize-ops --canonicalize --qopt-lower-quantized --canonicalize | FileCheck %s --check-prefix=LOW

// A depthwise Conv's input with channel ranges is quantized per channel
// (axis 1). Each channel covers [-a, a] for its largest magnitude a, within
// the tensor's range [-1, 3]: channel 0 (min -0.25, max 0.5) covers
// [-0.5, 0.5] (scale 1/255, zero point 128), channel 1 (min -1, max 3)
// covers [-1, 3] (scale 4/255, zero point 64) -- per tensor both would get
// 4/255. Output channel c reads only input channel c, so its accumulator
// scale is sx[c]·sw[c] and the i32 bias is round(b[c] / (sx[c]·sw[c])):
// 0.25 / (1/255 · 0.4/127) = 20240.6 and -0.5 / (4/255 · 2/127) = -2024.06.
// CHECK-LABEL: func.func @depthwise
// CHECK: qopt.quantize %arg0 {qopt.observed = "x"} : tensor<1x2x3x3xf32> -> tensor<1x2x3x3x!quant.uniform<u8:f32:1, {0.0039215686274509803:128,0.015686274509803921:64}>>
// INT-LABEL: func.func @depthwise
// INT-DAG: qopt.constant dense<[20241, -2024]> : tensor<2xi32>
// INT: qopt.conv {{.*}}group = 2 {{.*}} : (tensor<1x2x3x3x!quant.uniform<u8:f32:1, {0.0039215686274509803:128,0.015686274509803921:64}>>, tensor<2x1x1x1x!quant.uniform<i8<-127:127>:f32:0, {0.0031496063461453898,0.015748031496062992}>>, tensor<2xi32>) -> tensor<1x2x3x3xf32>
// Per-channel zero points rule out the s8 form (its padding value would
// differ per channel): the depthwise Conv widens q - zp to i16.
// LOW-LABEL: func.func @depthwise
// LOW-DAG: %[[ZP:.*]] = qopt.constant dense<{{\[\[\[\[}}128]], {{\[\[}}64]]]]> : tensor<1x2x1x1xi16>
// LOW-DAG: %[[M:.*]] = qopt.constant dense<{{\[\[\[\[}}1.23513973E-5]], {{\[\[}}2.47027958E-4]]]]> : tensor<1x2x1x1xf32>
// LOW: %[[X:.*]] = qopt.sub %{{.*}}, %[[ZP]] : (tensor<1x2x3x3xi16>, tensor<1x2x1x1xi16>) -> tensor<1x2x3x3xi16>
// LOW: %[[ACC:.*]] = qopt.conv %[[X]], {{.*}} : (tensor<1x2x3x3xi16>, tensor<2x1x1x1xi16>, tensor<2xi32>) -> tensor<1x2x3x3xi32>
// LOW: %[[F:.*]] = qopt.cast %[[ACC]] {to = f32}
// LOW: qopt.mul %[[F]], %[[M]]
func.func @depthwise(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %o = qopt.observer %x {id = "x", min = -1.0 : f64, max = 3.0 : f64, channel_min = array<f64: -0.25, -1.0>, channel_max = array<f64: 0.5, 3.0>} : tensor<1x2x3x3xf32>
  %w = qopt.constant dense<[[[[0.4]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %b = qopt.constant dense<[0.25, -0.5]> : tensor<2xf32>
  %y = qopt.conv %o, %w, %b {group = 2 : i64} : (tensor<1x2x3x3xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// -----

// A full Conv mixes input channels: the input stays per tensor.
// CHECK-LABEL: func.func @full_conv
// CHECK: qopt.quantize %arg0 {qopt.observed = "x"} : tensor<1x2x3x3xf32> -> tensor<1x2x3x3x!quant.uniform<u8:f32, 0.015686274509803921:64>>
func.func @full_conv(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %o = qopt.observer %x {id = "x", min = -1.0 : f64, max = 3.0 : f64, channel_min = array<f64: -1.0, 0.0>, channel_max = array<f64: 1.0, 3.0>} : tensor<1x2x3x3xf32>
  %w = qopt.constant dense<1.0> : tensor<2x2x1x1xf32>
  %n = qopt.none
  %y = qopt.conv %o, %w, %n : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// -----

// A quantized value that also feeds a pass-through op (MaxPool carries the
// same quantized type) stays per tensor.
// CHECK-LABEL: func.func @shared_with_pool
// CHECK: qopt.quantize %arg0 {qopt.observed = "x"} : tensor<1x2x4x4xf32> -> tensor<1x2x4x4x!quant.uniform<u8:f32, 0.015686274509803921:64>>
func.func @shared_with_pool(%x: tensor<1x2x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x2x2xf32>) {
  %o = qopt.observer %x {id = "x", min = -1.0 : f64, max = 3.0 : f64, channel_min = array<f64: -1.0, 0.0>, channel_max = array<f64: 1.0, 3.0>} : tensor<1x2x4x4xf32>
  %w = qopt.constant dense<[[[[0.5]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %n = qopt.none
  %y = qopt.conv %o, %w, %n {group = 2 : i64} : (tensor<1x2x4x4xf32>, tensor<2x1x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %p = qopt.max_pool %o {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  return %y, %p : tensor<1x2x4x4xf32>, tensor<1x2x2x2xf32>
}


// -----

// The dead-channel floor on weight scales (the i32 bias must fit) uses each
// channel's own input scale: channel 1's tiny range ([-1e-6, 1e-6]) floors
// only its own weight scale (1 / (2e-6/255 · 2^30) ≈ 0.1187); channel 0
// keeps 0.5/127.
// INT-LABEL: func.func @tiny_channel
// INT: qopt.conv {{.*}}tensor<2x1x1x1x!quant.uniform<i8<-127:127>:f32:0, {0.003937007874015748,0.1187{{[0-9]*}}}>>
func.func @tiny_channel(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %o = qopt.observer %x {id = "x", min = -1.0 : f64, max = 1.0 : f64, channel_min = array<f64: -1.0, 0.0>, channel_max = array<f64: 1.0, 1.0e-6>} : tensor<1x2x3x3xf32>
  %w = qopt.constant dense<[[[[0.5]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %b = qopt.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %y = qopt.conv %o, %w, %b {group = 2 : i64} : (tensor<1x2x3x3xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// -----

// A Conv left float (qopt.format = "float": --keep-float or a mixed-precision
// choice) is a float producer: the depthwise Conv after it takes its input
// per channel, and its float user (the Add) keeps the float tensor.
// CHECK-LABEL: func.func @after_float_conv
// CHECK: %[[C:.*]] = qopt.conv %arg0, {{.*}}qopt.format = "float"
// CHECK-NEXT: %[[Q:.*]] = qopt.quantize %[[C]] {qopt.observed = "c"} : tensor<1x2x3x3xf32> -> tensor<1x2x3x3x!quant.uniform<u8:f32:1, {0.0039215686274509803:128,0.015686274509803921:64}>>
// CHECK-NEXT: %[[D:.*]] = qopt.dequantize %[[Q]]
// CHECK: qopt.conv %[[D]], {{.*}}group = 2
// CHECK-NEXT: qopt.add %[[C]], %[[C]]
// The same Conv INT8 is requantized from its accumulator: per tensor, for
// every user (the Add too).
// CHECK-LABEL: func.func @after_int8_conv
// CHECK: %[[Q:.*]] = qopt.quantize %{{.*}} {qopt.all_users, qopt.observed = "c"} : tensor<1x2x3x3xf32> -> tensor<1x2x3x3x!quant.uniform<u8:f32, 0.015686274509803921:64>>
// CHECK-NEXT: %[[D:.*]] = qopt.dequantize %[[Q]]
// CHECK: qopt.conv %[[D]], {{.*}}group = 2
// CHECK-NEXT: qopt.add %[[D]], %[[D]]
func.func @after_float_conv(%x: tensor<1x2x3x3xf32>) -> (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) {
  %w0 = qopt.constant dense<1.0> : tensor<2x2x1x1xf32>
  %n = qopt.none
  %c = qopt.conv %x, %w0, %n {qopt.format = "float"} : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  %o = qopt.observer %c {id = "c", min = -1.0 : f64, max = 3.0 : f64, channel_min = array<f64: -0.25, -1.0>, channel_max = array<f64: 0.5, 3.0>} : tensor<1x2x3x3xf32>
  %w = qopt.constant dense<[[[[0.4]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %y = qopt.conv %o, %w, %n {group = 2 : i64} : (tensor<1x2x3x3xf32>, tensor<2x1x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  %a = qopt.add %o, %o : (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  return %y, %a : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>
}
// Behind a mixed-precision trial selection (qopt-switch-trials{reverse}: a
// qopt.where marked qopt.trial_select over the INT8 Conv and its float copy)
// the tensor is still the INT8 Conv's: per tensor, as in the all-INT8 model.
// An unmarked qopt.where is a float producer: per channel.
// CHECK-LABEL: func.func @after_trial_select
// CHECK: qopt.quantize %{{.*}} {qopt.all_users, qopt.observed = "c"} : tensor<1x2x3x3xf32> -> tensor<1x2x3x3x!quant.uniform<u8:f32, 0.015686274509803921:64>>
// CHECK-LABEL: func.func @after_plain_where
// CHECK: qopt.quantize %{{.*}} {qopt.observed = "c"} : tensor<1x2x3x3xf32> -> tensor<1x2x3x3x!quant.uniform<u8:f32:1, {0.0039215686274509803:128,0.015686274509803921:64}>>
func.func @after_int8_conv(%x: tensor<1x2x3x3xf32>) -> (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) {
  %w0 = qopt.constant dense<1.0> : tensor<2x2x1x1xf32>
  %n = qopt.none
  %c = qopt.conv %x, %w0, %n : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  %o = qopt.observer %c {id = "c", min = -1.0 : f64, max = 3.0 : f64, channel_min = array<f64: -0.25, -1.0>, channel_max = array<f64: 0.5, 3.0>} : tensor<1x2x3x3xf32>
  %w = qopt.constant dense<[[[[0.4]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %y = qopt.conv %o, %w, %n {group = 2 : i64} : (tensor<1x2x3x3xf32>, tensor<2x1x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  %a = qopt.add %o, %o : (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  return %y, %a : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>
}

func.func @after_trial_select(%x: tensor<1x2x3x3xf32>, %t: tensor<1xi1>) -> tensor<1x2x3x3xf32> {
  %w0 = qopt.constant dense<1.0> : tensor<2x2x1x1xf32>
  %n = qopt.none
  %c = qopt.conv %x, %w0, %n : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  %f = qopt.conv %x, %w0, %n {qopt.format = "float"} : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  %s = qopt.where %t, %f, %c {qopt.trial_select = 0 : i64} : (tensor<1xi1>, tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %o = qopt.observer %s {id = "c", min = -1.0 : f64, max = 3.0 : f64, channel_min = array<f64: -0.25, -1.0>, channel_max = array<f64: 0.5, 3.0>} : tensor<1x2x3x3xf32>
  %w = qopt.constant dense<[[[[0.4]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %y = qopt.conv %o, %w, %n {group = 2 : i64} : (tensor<1x2x3x3xf32>, tensor<2x1x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}
func.func @after_plain_where(%x: tensor<1x2x3x3xf32>, %t: tensor<1xi1>) -> tensor<1x2x3x3xf32> {
  %w0 = qopt.constant dense<1.0> : tensor<2x2x1x1xf32>
  %n = qopt.none
  %c = qopt.conv %x, %w0, %n : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  %f = qopt.conv %x, %w0, %n {qopt.format = "float"} : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  %s = qopt.where %t, %f, %c : (tensor<1xi1>, tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %o = qopt.observer %s {id = "c", min = -1.0 : f64, max = 3.0 : f64, channel_min = array<f64: -0.25, -1.0>, channel_max = array<f64: 0.5, 3.0>} : tensor<1x2x3x3xf32>
  %w = qopt.constant dense<[[[[0.4]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %y = qopt.conv %o, %w, %n {group = 2 : i64} : (tensor<1x2x3x3xf32>, tensor<2x1x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}
// -----

// A float Conv beside the depthwise one as a user of the same tensor keeps
// the float tensor and does not stop the per-channel input; left INT8 (a
// full Conv mixes channels) it does.
// CHECK-LABEL: func.func @float_user
// CHECK: %[[Q:.*]] = qopt.quantize %arg0 {qopt.observed = "x"} : tensor<1x2x3x3xf32> -> tensor<1x2x3x3x!quant.uniform<u8:f32:1, {0.0039215686274509803:128,0.015686274509803921:64}>>
// CHECK: qopt.conv %arg0, {{.*}}qopt.format = "float"
// CHECK-LABEL: func.func @int8_user
// CHECK: qopt.quantize %arg0 {qopt.observed = "x"} : tensor<1x2x3x3xf32> -> tensor<1x2x3x3x!quant.uniform<u8:f32, 0.015686274509803921:64>>
func.func @float_user(%x: tensor<1x2x3x3xf32>) -> (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) {
  %o = qopt.observer %x {id = "x", min = -1.0 : f64, max = 3.0 : f64, channel_min = array<f64: -0.25, -1.0>, channel_max = array<f64: 0.5, 3.0>} : tensor<1x2x3x3xf32>
  %n = qopt.none
  %w = qopt.constant dense<[[[[0.4]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %y = qopt.conv %o, %w, %n {group = 2 : i64} : (tensor<1x2x3x3xf32>, tensor<2x1x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  %w1 = qopt.constant dense<1.0> : tensor<2x2x1x1xf32>
  %z = qopt.conv %o, %w1, %n {qopt.format = "float"} : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  return %y, %z : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>
}
func.func @int8_user(%x: tensor<1x2x3x3xf32>) -> (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) {
  %o = qopt.observer %x {id = "x", min = -1.0 : f64, max = 3.0 : f64, channel_min = array<f64: -0.25, -1.0>, channel_max = array<f64: 0.5, 3.0>} : tensor<1x2x3x3xf32>
  %n = qopt.none
  %w = qopt.constant dense<[[[[0.4]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %y = qopt.conv %o, %w, %n {group = 2 : i64} : (tensor<1x2x3x3xf32>, tensor<2x1x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  %w1 = qopt.constant dense<1.0> : tensor<2x2x1x1xf32>
  %z = qopt.conv %o, %w1, %n : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  return %y, %z : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>
}
