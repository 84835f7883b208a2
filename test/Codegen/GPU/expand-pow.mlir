// qopt-gpu-expand-pow: f32 powf without libdevice. Constant exponents 2,
// 0.5, -1 are a multiply, a sqrt, a division; otherwise exp(y * log|x|)
// with C's rules for a negative base and a zero exponent. f64 stays.
// RUN: qopt-opt %s --qopt-gpu-expand-pow | FileCheck %s
// CHECK-LABEL: func.func @square
// CHECK: %[[R:.*]] = arith.mulf %arg0, %arg0 : f32
// CHECK: return %[[R]]
func.func @square(%x: f32) -> f32 {
  %c = arith.constant 2.0 : f32
  %r = math.powf %x, %c : f32
  return %r : f32
}
// CHECK-LABEL: func.func @root
// CHECK: math.sqrt %arg0
func.func @root(%x: f32) -> f32 {
  %c = arith.constant 0.5 : f32
  %r = math.powf %x, %c : f32
  return %r : f32
}
// CHECK-LABEL: func.func @general
// CHECK: %[[A:.*]] = math.absf %arg0
// CHECK: %[[L:.*]] = math.log %[[A]]
// CHECK: %[[P:.*]] = arith.mulf %arg1, %[[L]]
// CHECK: %[[E:.*]] = math.exp %[[P]]
// CHECK: %[[FL:.*]] = math.floor %arg1
// CHECK: %[[INT:.*]] = arith.cmpf oeq, %[[FL]], %arg1
// CHECK: %[[NEG:.*]] = arith.negf %[[E]]
// CHECK: %[[S:.*]] = arith.select %{{.*}}, %[[NEG]], %[[E]]
// CHECK: %[[NR:.*]] = arith.select %[[INT]], %[[S]], %{{.*}}
// CHECK: %[[LT:.*]] = arith.cmpf olt, %arg0, %{{.*}}
// CHECK: %[[O:.*]] = arith.select %[[LT]], %[[NR]], %[[E]]
// CHECK: %[[Z:.*]] = arith.cmpf oeq, %arg1, %{{.*}}
// CHECK: %[[R:.*]] = arith.select %[[Z]], %{{.*}}, %[[O]]
// CHECK: return %[[R]]
func.func @general(%x: f32, %y: f32) -> f32 {
  %r = math.powf %x, %y : f32
  return %r : f32
}
// CHECK-LABEL: func.func @double
// CHECK: math.powf
func.func @double(%x: f64, %y: f64) -> f64 {
  %r = math.powf %x, %y : f64
  return %r : f64
}
