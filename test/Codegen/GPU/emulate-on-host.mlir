// qopt-gpu-emulate-on-host: kernels as loops over blocks and threads, GPU
// memory ops as memref ops; a kernel whose threads cooperate is refused.
// RUN: qopt-opt %s --qopt-gpu-emulate-on-host --split-input-file --verify-diagnostics | FileCheck %s
// CHECK-LABEL: func.func @launch
// CHECK: %[[A:.*]] = memref.alloc(%arg1) : memref<?xf32>
// CHECK: memref.copy %arg0, %[[A]]
// CHECK: scf.for %[[BZ:.*]] = %c0 to %c1
// CHECK: scf.for %[[BY:.*]] = %c0 to %c1
// CHECK: scf.for %[[BX:.*]] = %c0 to %arg2
// CHECK: scf.for %[[TZ:.*]] = %c0 to %c1
// CHECK: scf.for %[[TY:.*]] = %c0 to %c1
// CHECK: scf.for %[[TX:.*]] = %c0 to %c32
// CHECK: %[[I:.*]] = arith.muli %[[BX]], %c32
// CHECK: %[[J:.*]] = arith.addi %[[I]], %[[TX]]
// CHECK: memref.store %{{.*}}, %[[A]][%[[J]]]
// CHECK: memref.dealloc %[[A]]
// CHECK-NOT: gpu.
func.func @launch(%src: memref<?xf32>, %n: index, %g: index) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %a = gpu.alloc (%n) : memref<?xf32>
  gpu.memcpy %a, %src : memref<?xf32>, memref<?xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%x = %g, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %i = arith.muli %bx, %c32 : index
    %j = arith.addi %i, %tx : index
    %f = arith.constant 1.0 : f32
    memref.store %f, %a[%j] : memref<?xf32>
    gpu.terminator
  }
  gpu.dealloc %a : memref<?xf32>
  return
}

// -----

func.func @barrier(%g: index) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%x = %g, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    // expected-error @below {{qopt-gpu-emulate-on-host: threads of this kernel cooperate (gpu.barrier)}}
    gpu.barrier
    gpu.terminator
  }
  return
}
