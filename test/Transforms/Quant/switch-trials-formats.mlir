// RUN: qopt-opt %s --qopt-switch-trials="trials=mm=w4g32,mm=w8g32,mm~1=w4g32" | FileCheck %s
// RUN: qopt-opt %s --qopt-switch-trials="trials=mm=w4g32,mm=w8g32,mm~1=w4g32" --qopt-quantize-weights | FileCheck %s --check-prefix=QW

// Group-wise formats (weight-only) get one copy per format, no observers;
// the selections chain (trial 0 over the float layer, trial 1 over that).
// The second "mm" node (id "mm~1", a repeated ONNX name) keeps its id: the
// copies carry theirs explicitly and are not counted as repeats.
// CHECK: %[[F:.*]] = qopt.matmul %arg0, %[[W:[^ ]*]] {qopt.format = "float"}
// CHECK: %[[A:.*]] = qopt.matmul %arg0, %[[W]] {qopt.format = "w4g32", qopt.layer_id = "mm"}
// CHECK: %[[S0:.*]] = qopt.where %{{.*}}, %[[A]], %[[F]]
// CHECK: %[[B:.*]] = qopt.matmul %arg0, %[[W]] {qopt.format = "w8g32", qopt.layer_id = "mm"}
// CHECK: %[[S1:.*]] = qopt.where %{{.*}}, %[[B]], %[[S0]]
// CHECK: %[[F2:.*]] = qopt.matmul %[[S1]], %{{[^ ]*}} {qopt.format = "float"}
// CHECK: qopt.matmul %[[S1]], %{{[^ ]*}} {qopt.format = "w4g32", qopt.layer_id = "mm~1"}
// CHECK-NOT: qopt.observer
// qopt-quantize-weights obeys the copies' formats (4 bits for trials 0 and
// 2, 8 bits for trial 1); the float layers keep their weights.
// QW: qopt.matmul %arg0, %[[W0:[^ ]*]] {qopt.format = "float"}
// QW: qopt.quantize {{.*}}!quant.uniform<u4:f32:{0:32, 1:1}
// QW: qopt.matmul %arg0, %{{.*}} {qopt.format = "w4g32", qopt.layer_id = "mm"}
// QW: qopt.quantize {{.*}}!quant.uniform<u8:f32:{0:32, 1:1}
// QW: qopt.matmul %arg0, %{{.*}} {qopt.format = "w8g32", qopt.layer_id = "mm"}
// QW: qopt.constant dense<2.500000e-01>
// QW-NEXT: qopt.matmul {{.*}} {qopt.format = "float"}
// QW: qopt.quantize {{.*}}!quant.uniform<u4:f32:{0:32, 1:1}
// QW: qopt.matmul {{.*}} {qopt.format = "w4g32", qopt.layer_id = "mm~1"}
func.func @mlp(%x: tensor<2x32xf32> {qopt.name = "x"}) -> tensor<2x32xf32> {
  %w = qopt.constant dense<0.5> : tensor<32x32xf32>
  %m = qopt.matmul %x, %w : (tensor<2x32xf32>, tensor<32x32xf32>) -> tensor<2x32xf32> loc(fused<"onnx.MatMul">["mm"])
  %w2 = qopt.constant dense<0.25> : tensor<32x32xf32>
  %m2 = qopt.matmul %m, %w2 : (tensor<2x32xf32>, tensor<32x32xf32>) -> tensor<2x32xf32> loc(fused<"onnx.MatMul">["mm"])
  return %m2 : tensor<2x32xf32>
}
