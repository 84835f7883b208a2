// RUN: qopt-opt %s --split-input-file --qopt-insert-observers | FileCheck %s
// RUN: qopt-opt %s --split-input-file --qopt-insert-observers="keep-float=Conv" | FileCheck %s --check-prefix=KEEP

// The conv input is observed under the graph input's name; the output is
// observed after the Relu that follows it (the activation folds into the
// quantized range); the constant weights are not observed.
// CHECK-LABEL: func.func @conv_relu
// CHECK: %[[X:.*]] = qopt.observer %arg0 {id = "input:x"}
// CHECK: %[[C:.*]] = qopt.conv %[[X]]
// CHECK: %[[R:.*]] = qopt.relu %[[C]]
// CHECK: %[[O:.*]] = qopt.observer %[[R]] {id = "relu1"}
// CHECK: qopt.max_pool %[[O]]
// CHECK-NOT: qopt.observer
// KEEP-LABEL: func.func @conv_relu
// KEEP-NOT: qopt.observer
func.func @conv_relu(%x: tensor<1x2x4x4xf32> {qopt.name = "x"}) -> tensor<1x3x2x2xf32> {
  %w = qopt.constant dense<0.5> : tensor<3x2x1x1xf32>
  %n = qopt.none
  %c = qopt.conv %x, %w, %n : (tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>, none) -> tensor<1x3x4x4xf32> loc(fused<"onnx.Conv">["conv1"])
  %r = qopt.relu %c : (tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32> loc(fused<"onnx.Relu">["relu1"])
  %p = qopt.max_pool %r {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x3x4x4xf32>) -> tensor<1x3x2x2xf32>
  return %p : tensor<1x3x2x2xf32>
}

// -----

// Both activation operands of a MatMul are observed; a value used twice gets
// one observer; a Relu with a second use is not folded into the output. An
// output whose consumers are all float (here: the function's result) is not
// observed: the integer op will produce it in f32. The first operand's
// observer collects channel ranges along the last axis (the features the
// MatMul reads, which smoothing needs); the second operand's keeps the
// default axis.
// CHECK-LABEL: func.func @matmuls
// CHECK: %[[A:.*]] = qopt.observer %arg0 {channel_axis = -1 : i64, id = "input:0"}
// CHECK: %[[B:.*]] = qopt.observer %arg1 {id = "input:1"}
// CHECK: %[[M:.*]] = qopt.matmul %[[A]], %[[B]]
// CHECK: %[[MO:.*]] = qopt.observer %[[M]] {id = "mm"}
// CHECK: qopt.relu %[[MO]]
// CHECK: %[[M2:.*]] = qopt.matmul %[[A]], %{{.*}} :
// CHECK-NOT: qopt.observer %[[M2]]
// CHECK: return
// KEEP-LABEL: func.func @matmuls
// KEEP: qopt.observer %arg0
func.func @matmuls(%a: tensor<2x3xf32>, %b: tensor<3x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %m = qopt.matmul %a, %b : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x3xf32> loc(fused<"onnx.MatMul">["mm"])
  %r = qopt.relu %m : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %w = qopt.constant dense<1.0> : tensor<3x3xf32>
  %m2 = qopt.matmul %a, %w : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x3xf32> loc(fused<"onnx.MatMul">["mm"])
  return %r, %m, %m2 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}
