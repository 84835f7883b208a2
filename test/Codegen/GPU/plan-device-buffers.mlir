// qopt-plan-buffers{device}: the GPU pipeline's static device-memory plan.
// gpu.alloc buffers become views of one gpu.alloc arena, reused by liveness
// across launches (kernels run in order on one stream); host memref.allocs
// are left alone, and without `device` the gpu.allocs are.
// RUN: qopt-opt %s --pass-pipeline='builtin.module(func.func(qopt-plan-buffers{device=true}))' | FileCheck %s
// RUN: qopt-opt %s --pass-pipeline='builtin.module(func.func(qopt-plan-buffers))' | FileCheck %s --check-prefix=HOST

// CHECK-LABEL: func.func @chain
// CHECK: %[[ARENA:.*]] = gpu.alloc () {qopt.planned_buffers = 3 : i64, qopt.unplanned_bytes = 192 : i64} : memref<128xi8>
// CHECK: %[[A:.*]] = memref.view %[[ARENA]][%{{.*}}][] : memref<128xi8> to memref<16xf32>
// CHECK: gpu.launch
// CHECK: memref.store %{{.*}}, %[[A]]
// CHECK: %[[B:.*]] = memref.view %[[ARENA]][%c64{{.*}}][] : memref<128xi8> to memref<16xf32>
// CHECK: gpu.launch
// CHECK: %[[C:.*]] = memref.view %[[ARENA]][%c0{{.*}}][] : memref<128xi8> to memref<16xf32>
// CHECK: %[[H:.*]] = memref.alloc() : memref<4xi64>
// CHECK-NOT: gpu.dealloc %[[A]]
// CHECK: memref.dealloc %[[H]]
// CHECK: gpu.dealloc %[[ARENA]] : memref<128xi8>
// CHECK-NEXT: return
// HOST-LABEL: func.func @chain
// HOST-COUNT-3: gpu.alloc ()
// HOST-NOT: memref.view
func.func @chain(%in: memref<16xf32>, %out: memref<16xf32>) {
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %a = gpu.alloc () : memref<16xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c16, %sy = %c1, %sz = %c1) {
    %v = memref.load %in[%tx] : memref<16xf32>
    memref.store %v, %a[%tx] : memref<16xf32>
    gpu.terminator
  }
  %b = gpu.alloc () : memref<16xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c16, %sy = %c1, %sz = %c1) {
    %v = memref.load %a[%tx] : memref<16xf32>
    memref.store %v, %b[%tx] : memref<16xf32>
    gpu.terminator
  }
  gpu.dealloc %a : memref<16xf32>
  %c = gpu.alloc () : memref<16xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c16, %sy = %c1, %sz = %c1) {
    %v = memref.load %b[%tx] : memref<16xf32>
    memref.store %v, %c[%tx] : memref<16xf32>
    %w = memref.load %c[%tx] : memref<16xf32>
    memref.store %w, %out[%tx] : memref<16xf32>
    gpu.terminator
  }
  %h = memref.alloc() : memref<4xi64>
  memref.dealloc %h : memref<4xi64>
  gpu.dealloc %b : memref<16xf32>
  gpu.dealloc %c : memref<16xf32>
  return
}
