// RUN: qopt-opt %s --split-input-file --qopt-insert-observers --qopt-switch-trials="group-activations=true trials=q=w4g32,o=w4g32" | FileCheck %s
// RUN: qopt-opt %s --split-input-file --qopt-insert-observers --qopt-switch-trials="reverse=true group-activations=true trials=q=float,q=w4g32" | FileCheck %s --check-prefix=REV
// RUN: qopt-opt %s --split-input-file --qopt-insert-observers --qopt-switch-trials="reverse=true trials=q=float,o=float" | FileCheck %s --check-prefix=BOTH
// RUN: qopt-opt %s --split-input-file --qopt-insert-observers --qopt-switch-trials="reverse=true trials=o=float,q=float" | FileCheck %s --check-prefix=BOTH
// RUN: not qopt-opt %s --split-input-file --qopt-insert-observers --qopt-switch-trials="reverse=true trials=q=w4g32" 2>&1 | FileCheck %s --check-prefix=NOACT

// W4A8 trials (INT8 mixed precision's group-wise formats): with
// group-activations, a group-wise copy is observed as an int8 copy is: its
// input as calibrated ("input:x"), its output where a pass-through op (the
// Reshape) reads it ("q"); o's copy reads the observed selection.
// CHECK-LABEL: func.func @attn
// CHECK: %[[OX:.*]] = qopt.observer %arg0 {{.*}}id = "input:x"
// CHECK: %[[W:.*]] = qopt.constant dense<5.000000e-01>
// CHECK: %[[F:.*]] = qopt.matmul %arg0, %[[W]] {qopt.format = "float"}
// CHECK: %[[C:.*]] = qopt.matmul %[[OX]], %[[W]] {qopt.format = "w4g32", qopt.layer_id = "q"}
// CHECK: %[[OC:.*]] = qopt.observer %[[C]] {{.*}}id = "q"
// CHECK: %[[S:.*]] = qopt.where %{{.*}}, %[[OC]], %[[F]] {qopt.trial_select = 0 : i64}
// CHECK: %[[OS:.*]] = qopt.observer %[[S]] {{.*}}id = "q"
// CHECK: qopt.reshape %[[S]]
// CHECK: qopt.matmul %[[OS]], %{{.*}} {qopt.format = "w4g32", qopt.layer_id = "o"}
// Reverse: the all-INT8 model with q float (trial 0) or W4A8 (trial 1). The
// W4A8 copy reads the observed input, as q does. The float copy reads the
// unobserved one, and its output is not quantized for what the trial's
// model compiled alone (q float) leaves float: the Reshape into the Softmax
// reads it past the output observer (a selection after it), while o, an
// INT8 layer, reads the observed value.
// REV-LABEL: func.func @attn
// REV: %[[OX:.*]] = qopt.observer %arg0 {{.*}}id = "input:x"
// REV: %[[W:.*]] = qopt.constant dense<5.000000e-01>
// REV: %[[Q:.*]] = qopt.matmul %[[OX]], %[[W]] :
// REV: %[[F:.*]] = qopt.matmul %arg0, %[[W]] {qopt.format = "float", qopt.layer_id = "q"}
// REV: %[[S0:.*]] = qopt.where %{{.*}}, %[[F]], %[[Q]] {qopt.trial_select = 0 : i64}
// REV: %[[C:.*]] = qopt.matmul %[[OX]], %[[W]] {qopt.format = "w4g32", qopt.layer_id = "q"}
// REV: %[[S1:.*]] = qopt.where %{{.*}}, %[[C]], %[[S0]] {qopt.trial_select = 1 : i64}
// REV: %[[O:.*]] = qopt.observer %[[S1]] {{.*}}id = "q"
// REV: %[[K:.*]] = qopt.constant dense<0> : tensor<1xi64>
// REV: %[[E:.*]] = qopt.equal %arg1, %[[K]]
// REV: %[[B:.*]] = qopt.where %[[E]], %[[F]], %[[O]] :
// REV: qopt.reshape %[[B]]
// REV: qopt.matmul %[[O]], %{{.*}} :
// Restoring o as well (either trial order): in o's trial q stays INT8 and
// its Reshape keeps q's output quantized, so o's float copy reads the
// observed value (the bypass of q's trial is made after every copy).
// BOTH-LABEL: func.func @attn
// BOTH: %[[O:.*]] = qopt.observer %{{.*}} {{.*}}id = "q"
// BOTH: qopt.matmul %[[O]], %{{.*}} {qopt.format = "float", qopt.layer_id = "o"}
// A Concat reading a restored layer's output observer keeps the observed
// value (its shared scale needs observed inputs), even into a float op: no
// selection after the observer. (Deeper in a pass-through chain, as in a
// rotary embedding's rotate-half, a Concat reads no observer and nothing
// changes for it.)
// REV-LABEL: func.func @cat
// REV: %[[O:.*]] = qopt.observer %{{.*}} {{.*}}id = "q"
// REV-NOT: qopt.where
// REV: qopt.concat %[[O]]
// NOACT: trial 0 ('q=w4g32'): reverse trials restore a layer to float (<layer id>=float)
// NOACT-NOT: or switch
func.func @attn(%x: tensor<2x32xf32> {qopt.name = "x"}) -> (tensor<4x16xf32>, tensor<2x32xf32>) {
  %w = qopt.constant dense<0.5> : tensor<32x32xf32>
  %q = qopt.matmul %x, %w : (tensor<2x32xf32>, tensor<32x32xf32>) -> tensor<2x32xf32> loc(fused<"onnx.MatMul">["q"])
  %s = qopt.constant dense<[4, 16]> : tensor<2xi64>
  %r = qopt.reshape %q, %s : (tensor<2x32xf32>, tensor<2xi64>) -> tensor<4x16xf32> loc(fused<"onnx.Reshape">["r"])
  %p = qopt.softmax %r : (tensor<4x16xf32>) -> tensor<4x16xf32> loc(fused<"onnx.Softmax">["p"])
  %w2 = qopt.constant dense<0.25> : tensor<32x32xf32>
  %o = qopt.matmul %q, %w2 : (tensor<2x32xf32>, tensor<32x32xf32>) -> tensor<2x32xf32> loc(fused<"onnx.MatMul">["o"])
  return %p, %o : tensor<4x16xf32>, tensor<2x32xf32>
}

// -----

func.func @cat(%x: tensor<2x32xf32> {qopt.name = "x"}, %y: tensor<2x32xf32> {qopt.name = "y"}) -> tensor<4x32xf32> {
  %w = qopt.constant dense<0.5> : tensor<32x32xf32>
  %q = qopt.matmul %x, %w : (tensor<2x32xf32>, tensor<32x32xf32>) -> tensor<2x32xf32> loc(fused<"onnx.MatMul">["q"])
  %w2 = qopt.constant dense<0.25> : tensor<32x32xf32>
  %o = qopt.matmul %y, %w2 : (tensor<2x32xf32>, tensor<32x32xf32>) -> tensor<2x32xf32> loc(fused<"onnx.MatMul">["o"])
  %c = qopt.concat %q, %o {axis = 0 : i64} : (tensor<2x32xf32>, tensor<2x32xf32>) -> tensor<4x32xf32> loc(fused<"onnx.Concat">["cat"])
  %p = qopt.sigmoid %c : (tensor<4x32xf32>) -> tensor<4x32xf32> loc(fused<"onnx.Sigmoid">["p"])
  return %p : tensor<4x32xf32>
}
