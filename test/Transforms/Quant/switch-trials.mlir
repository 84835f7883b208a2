// RUN: qopt-opt %s --split-input-file --qopt-insert-observers --qopt-switch-trials="trials=conv1=int8,conv2=int8" | FileCheck %s
// RUN: qopt-opt %s --split-input-file --qopt-insert-observers --qopt-switch-trials="trials=conv2=int8" | FileCheck %s --check-prefix=ONE
// RUN: not qopt-opt %s --split-input-file --qopt-insert-observers --qopt-switch-trials="trials=conv9=int8" 2>&1 | FileCheck %s --check-prefix=NOLAYER
// RUN: not qopt-opt %s --split-input-file --qopt-insert-observers --qopt-switch-trials="trials=conv1=float" 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not qopt-opt %s --split-input-file --qopt-insert-observers --qopt-switch-trials="trials=conv1=int8,conv1=int8" 2>&1 | FileCheck %s --check-prefix=TWICE
// RUN: not qopt-opt %s --split-input-file --qopt-switch-trials="trials=conv1=int8" 2>&1 | FileCheck %s --check-prefix=UNOBSERVED
// RUN: not qopt-opt %s --split-input-file --qopt-insert-observers --qopt-switch-trials="trials=conv1=int8 keep-float=conv1" 2>&1 | FileCheck %s --check-prefix=NOLAYER1
// RUN: qopt-opt %s --split-input-file --qopt-insert-observers --qopt-switch-trials="reverse=true trials=conv1=float,conv2=float" | FileCheck %s --check-prefix=REV
// RUN: not qopt-opt %s --split-input-file --qopt-insert-observers --qopt-switch-trials="reverse=true trials=conv1=int8" 2>&1 | FileCheck %s --check-prefix=REVFORMAT
// RUN: qopt-opt %s --split-input-file --qopt-insert-observers --qopt-switch-trials="trials=conv1=int8,conv2=int8 trial-numbers=0,0" | FileCheck %s --check-prefix=GROUP
// RUN: qopt-opt %s --split-input-file --qopt-insert-observers --qopt-switch-trials="reverse=true trials=conv1=float,conv2=float trial-numbers=3,3" | FileCheck %s --check-prefix=REVGROUP
// RUN: not qopt-opt %s --split-input-file --qopt-insert-observers --qopt-switch-trials="trials=conv1=int8,conv2=int8 trial-numbers=0" 2>&1 | FileCheck %s --check-prefix=NUMBERS
// RUN: not qopt-opt %s --split-input-file --qopt-insert-observers --qopt-switch-trials="trials=conv1=int8,conv2=int8 trial-numbers=0,-1" 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// RUN: not qopt-opt %s --split-input-file --qopt-insert-observers --qopt-switch-trials="trials=conv1=int8,conv1=w8g16 trial-numbers=2,2" 2>&1 | FileCheck %s --check-prefix=INTRIAL

// Each layer's int8 copy sits beside it (which turns float) with the Relu
// that folds into its output; a qopt.where on the new trial argument picks
// the copy's output for its trial number. The copy's input is observed as
// calibrated ("input:x"); conv1's output feeds a MaxPool (pass-through), so
// the copy's output is observed as the calibrated model did after the Relu
// ("relu1"); conv2's input is the MaxPool of the selected value, observed
// as "pool". The float layers read unobserved values; conv2's output (the
// model's result) is not quantized.
// CHECK-LABEL: func.func @net
// CHECK-SAME: %[[X:.*]]: tensor<1x2x4x4xf32> {qopt.name = "x"}, %[[T:.*]]: tensor<1xi64> {qopt.name = "qopt.trial"}
// CHECK: %[[OX:.*]] = qopt.observer %[[X]] {id = "input:x"}
// CHECK: %[[F1:.*]] = qopt.conv %[[X]], %[[W1:[^,]*]], %{{[^ ]*}} {qopt.format = "float"}
// CHECK: %[[FR:.*]] = qopt.relu %[[F1]]
// CHECK: %[[Q1:.*]] = qopt.conv %[[OX]], %[[W1]], %{{[^ ]*}} {qopt.format = "int8", qopt.layer_id = "conv1"}
// CHECK: %[[QR:.*]] = qopt.relu %[[Q1]]
// CHECK: %[[QO:.*]] = qopt.observer %[[QR]] {id = "relu1"}
// CHECK: %[[K0:.*]] = qopt.constant dense<0> : tensor<1xi64>
// CHECK: %[[E0:.*]] = qopt.equal %[[T]], %[[K0]]
// CHECK: %[[S1:.*]] = qopt.where %[[E0]], %[[QO]], %[[FR]] {qopt.trial_select = 0 : i64}
// CHECK: %[[P:.*]] = qopt.max_pool %[[S1]]
// CHECK: %[[OP:.*]] = qopt.observer %[[P]] {id = "pool"}
// CHECK: %[[F2:.*]] = qopt.conv %[[P]], {{.*}} {qopt.format = "float"}
// CHECK: %[[Q2:.*]] = qopt.conv %[[OP]], {{.*}} {qopt.format = "int8", qopt.layer_id = "conv2"}
// CHECK-NOT: qopt.observer
// CHECK: %[[K1:.*]] = qopt.constant dense<1> : tensor<1xi64>
// CHECK: %[[E1:.*]] = qopt.equal %[[T]], %[[K1]]
// CHECK: %[[S2:.*]] = qopt.where %[[E1]], %[[Q2]], %[[F2]]
// CHECK: return %[[S2]]
// Only conv2 switched: conv1 stays as it was, unobserved, and the observer
// of conv2's copy is the calibrated "pool"; the trial is number 0.
// ONE-LABEL: func.func @net
// ONE-NOT: qopt.observer %arg0
// ONE: qopt.conv %arg0, {{.*}} -> tensor<1x3x4x4xf32>
// ONE-NOT: qopt.format
// ONE: %[[P:.*]] = qopt.max_pool
// ONE: %[[OP:.*]] = qopt.observer %[[P]] {id = "pool"}
// ONE: qopt.conv %[[P]], {{.*}} {qopt.format = "float"}
// ONE: qopt.conv %[[OP]], {{.*}} {qopt.format = "int8", qopt.layer_id = "conv2"}
// ONE: qopt.constant dense<0> : tensor<1xi64>
// NOLAYER: trial 0 ('conv9=int8') names no quantizable layer
// NOLAYER1: trial 0 ('conv1=int8') names no quantizable layer
// FORMAT: trial 0 ('conv1=float'): the format must be int8 or w<bits>g<group>
// TWICE: trials 0 and 1 are both 'conv1=int8'
// UNOBSERVED: the calibrated model did not observe operand #0 of layer 'conv1'
// Reverse trials: the quantized model stays (its observers, no format on
// the layers); each layer's float copy reads the unobserved input and its
// selection goes where the layer's output went, the observer included:
// conv1's copy reads x (not its observer), relu1's observer now observes
// the selection, and conv2's copy reads the MaxPool's output unobserved.
// REV-LABEL: func.func @net
// REV: %[[OX:.*]] = qopt.observer %[[X:[^ ]*]] {id = "input:x"}
// REV: %[[Q1:.*]] = qopt.conv %[[OX]], %[[W1:[^,]*]], %{{[^ ]*}} :
// REV: %[[R1:.*]] = qopt.relu %[[Q1]]
// REV: %[[F1:.*]] = qopt.conv %[[X]], %[[W1]], %{{[^ ]*}} {qopt.format = "float", qopt.layer_id = "conv1"}
// REV: %[[FR:.*]] = qopt.relu %[[F1]]
// REV: %[[S1:.*]] = qopt.where %{{.*}}, %[[FR]], %[[R1]]
// REV: %[[O1:.*]] = qopt.observer %[[S1]] {id = "relu1"}
// REV: %[[P:.*]] = qopt.max_pool %[[O1]]
// REV: %[[OP:.*]] = qopt.observer %[[P]] {id = "pool"}
// REV: %[[Q2:.*]] = qopt.conv %[[OP]], %{{[^ ]*}}, %{{[^ ]*}} :
// REV: %[[F2:.*]] = qopt.conv %[[P]], {{.*}} {qopt.format = "float", qopt.layer_id = "conv2"}
// REV: %[[S2:.*]] = qopt.where %{{.*}}, %[[F2]], %[[Q2]]
// REV: return %[[S2]]
// REVFORMAT: trial 0 ('conv1=int8'): reverse trials restore a layer to float (<layer id>=float)
// One trial switching both layers (a format group): both selections test
// trial 0, so trial 0 runs both INT8 copies.
// GROUP-LABEL: func.func @net
// GROUP: qopt.conv {{.*}} {qopt.format = "int8", qopt.layer_id = "conv1"}
// GROUP: %[[K0:.*]] = qopt.constant dense<0> : tensor<1xi64>
// GROUP: qopt.equal %{{.*}}, %[[K0]]
// GROUP: qopt.conv {{.*}} {qopt.format = "int8", qopt.layer_id = "conv2"}
// GROUP-NOT: dense<1> : tensor<1xi64>
// GROUP: %[[K1:.*]] = qopt.constant dense<0> : tensor<1xi64>
// GROUP: qopt.equal %{{.*}}, %[[K1]]
// REVGROUP-LABEL: func.func @net
// REVGROUP: {qopt.format = "float", qopt.layer_id = "conv1"}
// REVGROUP: qopt.constant dense<3> : tensor<1xi64>
// REVGROUP: {qopt.format = "float", qopt.layer_id = "conv2"}
// REVGROUP: qopt.constant dense<3> : tensor<1xi64>
// NUMBERS: trial-numbers must give one number per entry of trials (2), got 1
// NEGATIVE: trial-numbers must not be negative
// INTRIAL: trial 2 names layer 'conv1' twice
func.func @net(%x: tensor<1x2x4x4xf32> {qopt.name = "x"}) -> tensor<1x3x2x2xf32> {
  %w = qopt.constant dense<0.5> : tensor<3x2x1x1xf32>
  %w2 = qopt.constant dense<0.25> : tensor<3x3x1x1xf32>
  %n = qopt.none
  %c = qopt.conv %x, %w, %n : (tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>, none) -> tensor<1x3x4x4xf32> loc(fused<"onnx.Conv">["conv1"])
  %r = qopt.relu %c : (tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32> loc(fused<"onnx.Relu">["relu1"])
  %p = qopt.max_pool %r {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x3x4x4xf32>) -> tensor<1x3x2x2xf32> loc(fused<"onnx.MaxPool">["pool"])
  %c2 = qopt.conv %p, %w2, %n : (tensor<1x3x2x2xf32>, tensor<3x3x1x1xf32>, none) -> tensor<1x3x2x2xf32> loc(fused<"onnx.Conv">["conv2"])
  return %c2 : tensor<1x3x2x2xf32>
}
