// qopt-gpu-lower-math: libdevice calls with an exact PTX instruction become
// LLVM intrinsics; the rest (expf here) stay calls; unused declarations go.
// RUN: qopt-opt %s --pass-pipeline="builtin.module(gpu.module(qopt-gpu-lower-math))" | FileCheck %s
// CHECK-LABEL: gpu.module @k
// CHECK-NOT: llvm.func @__nv_sqrtf
// CHECK-NOT: llvm.func @__nv_fmaf
// CHECK: llvm.func @__nv_expf
// CHECK-LABEL: llvm.func @f
// CHECK: %[[S:.*]] = llvm.intr.sqrt(%arg0) : (f32) -> f32
// CHECK: %[[F:.*]] = llvm.intr.fma(%[[S]], %arg0, %arg0) : (f32, f32, f32) -> f32
// CHECK: %[[R:.*]] = llvm.intr.sqrt(%[[F]]) : (f32) -> f32
// CHECK: %[[I:.*]] = llvm.fdiv %{{.*}}, %[[R]] : f32
// CHECK: %[[FL:.*]] = llvm.intr.floor(%[[I]]) : (f32) -> f32
// CHECK: %[[RN:.*]] = llvm.intr.roundeven(%[[FL]]) : (f32) -> f32
// CHECK: %[[M:.*]] = llvm.frem %[[RN]], %arg0 : f32
// CHECK: %[[MX:.*]] = llvm.intr.maxnum(%[[M]], %arg0) : (f32, f32) -> f32
// CHECK: %[[D:.*]] = llvm.intr.sqrt(%arg1) : (f64) -> f64
// CHECK: llvm.call @__nv_expf(%[[MX]])
gpu.module @k {
  llvm.func @__nv_sqrtf(f32) -> f32
  llvm.func @__nv_sqrt(f64) -> f64
  llvm.func @__nv_fmaf(f32, f32, f32) -> f32
  llvm.func @__nv_rsqrtf(f32) -> f32
  llvm.func @__nv_floorf(f32) -> f32
  llvm.func @__nv_rintf(f32) -> f32
  llvm.func @__nv_fmodf(f32, f32) -> f32
  llvm.func @__nv_fmaxf(f32, f32) -> f32
  llvm.func @__nv_expf(f32) -> f32
  llvm.func @f(%x: f32, %y: f64) -> f32 {
    %0 = llvm.call @__nv_sqrtf(%x) : (f32) -> f32
    %1 = llvm.call @__nv_fmaf(%0, %x, %x) : (f32, f32, f32) -> f32
    %2 = llvm.call @__nv_rsqrtf(%1) : (f32) -> f32
    %3 = llvm.call @__nv_floorf(%2) : (f32) -> f32
    %4 = llvm.call @__nv_rintf(%3) : (f32) -> f32
    %5 = llvm.call @__nv_fmodf(%4, %x) : (f32, f32) -> f32
    %6 = llvm.call @__nv_fmaxf(%5, %x) : (f32, f32) -> f32
    %7 = llvm.call @__nv_sqrt(%y) : (f64) -> f64
    %8 = llvm.call @__nv_expf(%6) : (f32) -> f32
    llvm.return %8 : f32
  }
}
