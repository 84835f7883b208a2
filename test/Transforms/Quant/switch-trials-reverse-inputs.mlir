// RUN: qopt-opt %s --qopt-insert-observers --qopt-switch-trials="reverse=true trials=conv2=float,conv2b=float,conv3=float" | FileCheck %s
// RUN: qopt-opt %s --qopt-insert-observers --qopt-switch-trials="reverse=true trials=conv2=float,conv2b=float,conv3=float trial-numbers=0,0,1" | FileCheck %s --check-prefix=GROUP
// RUN: qopt-opt %s --qopt-insert-observers --qopt-switch-trials="reverse=true trials=conv1=float,conv2=float trial-numbers=0,0" | FileCheck %s --check-prefix=PRODUCER

// Reverse trials: a float copy reads what its layer's input observer sees,
// not what it quantizes; except that an INT8 layer's output is quantized
// for every user (qopt-infer-scales), float ones too, where the trial's
// model compiled alone still quantizes it (a layer outside the trial reads
// it INT8, or a pass-through op does). conv2 and conv2b read conv1's Relu:
// restored one at a time, each copy reads the observed (quantized) value,
// the other layer being INT8; restored together (GROUP), nothing reads it
// INT8 and both copies read the unobserved value. conv3 reads a MaxPool
// (not a layer's output: the MaxPool already sees conv2's quantized
// values): its copy reads the unobserved value.
// CHECK-LABEL: func.func @direct
// CHECK: %[[R1:.*]] = qopt.relu
// CHECK: %[[O1:.*]] = qopt.observer %[[R1]] {id = "relu1"}
// CHECK: qopt.conv %[[O1]], {{.*}} {qopt.format = "float", qopt.layer_id = "conv2"}
// CHECK: qopt.conv %[[O1]], {{.*}} {qopt.format = "float", qopt.layer_id = "conv2b"}
// CHECK: %[[P:.*]] = qopt.max_pool
// CHECK: qopt.observer %[[P]] {id = "pool"}
// CHECK: qopt.conv %[[P]], {{.*}} {qopt.format = "float", qopt.layer_id = "conv3"}
// GROUP-LABEL: func.func @direct
// GROUP: %[[R1:.*]] = qopt.relu
// GROUP: qopt.observer %[[R1]] {id = "relu1"}
// GROUP: qopt.conv %[[R1]], {{.*}} {qopt.format = "float", qopt.layer_id = "conv2"}
// GROUP: qopt.conv %[[R1]], {{.*}} {qopt.format = "float", qopt.layer_id = "conv2b"}
// With conv1 restored in the same trial, its output is a float op's:
// quantized for INT8 users only (conv2b), so conv2's copy reads it
// unobserved (the trial's selection of conv1's float copy).
// PRODUCER-LABEL: func.func @direct
// PRODUCER: %[[S:.*]] = qopt.where {{.*}} {qopt.trial_select = 0 : i64}
// PRODUCER: qopt.observer %[[S]] {id = "relu1"}
// PRODUCER: qopt.conv %[[S]], {{.*}} {qopt.format = "float", qopt.layer_id = "conv2"}
func.func @direct(%x: tensor<1x2x4x4xf32> {qopt.name = "x"}) -> (tensor<1x3x2x2xf32>, tensor<1x3x4x4xf32>) {
  %w = qopt.constant dense<0.5> : tensor<3x2x1x1xf32>
  %w2 = qopt.constant dense<0.25> : tensor<3x3x1x1xf32>
  %n = qopt.none
  %c = qopt.conv %x, %w, %n : (tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>, none) -> tensor<1x3x4x4xf32> loc(fused<"onnx.Conv">["conv1"])
  %r = qopt.relu %c : (tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32> loc(fused<"onnx.Relu">["relu1"])
  %c2 = qopt.conv %r, %w2, %n : (tensor<1x3x4x4xf32>, tensor<3x3x1x1xf32>, none) -> tensor<1x3x4x4xf32> loc(fused<"onnx.Conv">["conv2"])
  %c2b = qopt.conv %r, %w2, %n : (tensor<1x3x4x4xf32>, tensor<3x3x1x1xf32>, none) -> tensor<1x3x4x4xf32> loc(fused<"onnx.Conv">["conv2b"])
  %p = qopt.max_pool %c2 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x3x4x4xf32>) -> tensor<1x3x2x2xf32> loc(fused<"onnx.MaxPool">["pool"])
  %c3 = qopt.conv %p, %w2, %n : (tensor<1x3x2x2xf32>, tensor<3x3x1x1xf32>, none) -> tensor<1x3x2x2xf32> loc(fused<"onnx.Conv">["conv3"])
  return %c3, %c2b : tensor<1x3x2x2xf32>, tensor<1x3x4x4xf32>
}
