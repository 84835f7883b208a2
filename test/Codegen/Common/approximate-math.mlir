// RUN: qopt-opt %s --qopt-approximate-math | FileCheck %s
// RUN: qopt-opt %s '--qopt-approximate-math=ops=log' | FileCheck %s --check-prefix=LOG
// RUN: not qopt-opt %s '--qopt-approximate-math=ops=exp,sqrt' 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: qopt-approximate-math: no approximation for 'sqrt' (expected exp, expm1, tanh, log, log2, log1p, erf, erfc, atan, atan2, asin, acos, sin, cos, cbrt)

// f32 exp, expm1, tanh and erf become arithmetic (no call left for LLVM to
// scalarize); the result is a select over the special cases.
// CHECK-LABEL: func.func @defaults
// CHECK-NOT: math.exp
// CHECK-NOT: math.expm1
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK: math.log %arg0 : f32
// CHECK: return
// LOG-LABEL: func.func @defaults
// LOG: math.exp %arg0 : f32
// LOG-NOT: math.log
// LOG: return
func.func @defaults(%x: f32) -> (f32, f32, f32, f32, f32) {
  %0 = math.exp %x : f32
  %1 = math.expm1 %x : f32
  %2 = math.tanh %x : f32
  %3 = math.erf %x : f32
  %4 = math.log %x : f32
  return %0, %1, %2, %3, %4 : f32, f32, f32, f32, f32
}

// Vectors of f32 too; f64 keeps the libm call.
// CHECK-LABEL: func.func @types
// CHECK-NOT: math.exp {{.*}} : vector<16xf32>
// CHECK: math.exp %arg1 : f64
func.func @types(%v: vector<16xf32>, %d: f64) -> (vector<16xf32>, f64) {
  %0 = math.exp %v : vector<16xf32>
  %1 = math.exp %d : f64
  return %0, %1 : vector<16xf32>, f64
}
