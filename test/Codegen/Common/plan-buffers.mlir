// RUN: qopt-opt %s --pass-pipeline='builtin.module(func.func(qopt-plan-buffers))' --split-input-file | FileCheck %s

// A chain: %a dies where %b is written, so %c (written after %b's last read
// of %a) takes %a's place. %b is live beside both and sits after them. The
// deallocations are gone; the arena is freed before the return.
// CHECK-LABEL: func.func @chain
// CHECK: %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64, qopt.planned_buffers = 3 : i64, qopt.unplanned_bytes = 192 : i64} : memref<128xi8>
// CHECK: %[[O0:.*]] = arith.constant 0 : index
// CHECK: %[[A:.*]] = memref.view %[[ARENA]][%[[O0]]][] : memref<128xi8> to memref<16xf32>
// CHECK: linalg.copy ins(%arg0 : memref<16xf32>) outs(%[[A]] : memref<16xf32>)
// CHECK: %[[O64:.*]] = arith.constant 64 : index
// CHECK: %[[B:.*]] = memref.view %[[ARENA]][%[[O64]]][] : memref<128xi8> to memref<4x4xf32>
// CHECK: %[[AE:.*]] = memref.expand_shape %[[A]]
// CHECK: linalg.copy ins(%[[AE]] : memref<4x4xf32>) outs(%[[B]] : memref<4x4xf32>)
// CHECK: %[[O0B:.*]] = arith.constant 0 : index
// CHECK: %[[C:.*]] = memref.view %[[ARENA]][%[[O0B]]][] : memref<128xi8> to memref<16xf32>
// CHECK: linalg.copy ins(%{{.*}} : memref<16xf32>) outs(%[[C]] : memref<16xf32>)
// CHECK: linalg.copy ins(%[[C]] : memref<16xf32>) outs(%arg1 : memref<16xf32>)
// CHECK-NOT: memref.dealloc %[[A]]
// CHECK-NOT: memref.dealloc %[[B]]
// CHECK-NOT: memref.dealloc %[[C]]
// CHECK: memref.dealloc %[[ARENA]] : memref<128xi8>
// CHECK-NEXT: return
func.func @chain(%in: memref<16xf32>, %out: memref<16xf32>) {
  %a = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  linalg.copy ins(%in : memref<16xf32>) outs(%a : memref<16xf32>)
  %b = memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
  %ae = memref.expand_shape %a [[0, 1]] output_shape [4, 4] : memref<16xf32> into memref<4x4xf32>
  linalg.copy ins(%ae : memref<4x4xf32>) outs(%b : memref<4x4xf32>)
  %c = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  %bc = memref.collapse_shape %b [[0, 1]] : memref<4x4xf32> into memref<16xf32>
  linalg.copy ins(%bc : memref<16xf32>) outs(%c : memref<16xf32>)
  linalg.copy ins(%c : memref<16xf32>) outs(%out : memref<16xf32>)
  memref.dealloc %a : memref<16xf32>
  memref.dealloc %b : memref<4x4xf32>
  memref.dealloc %c : memref<16xf32>
  return
}

// -----

// Largest first: %big takes offset 0; %small1 and %small2 are both live while
// %big is (one op reads all three), so they stack above it. %late starts
// after all of them died and reuses offset 0. A use inside a loop counts at
// the loop. Sizes round up to 64 bytes (i8 x 3 -> 64).
// CHECK-LABEL: func.func @overlap
// CHECK: memref.alloc() {{.*}}qopt.planned_buffers = 4 : i64, qopt.unplanned_bytes = 1216 : i64} : memref<1152xi8>
// CHECK: arith.constant 1024 : index
// CHECK: memref.view {{.*}} to memref<3xi8>
// CHECK: arith.constant 0 : index
// CHECK: memref.view {{.*}} to memref<256xf32>
// CHECK: arith.constant 1088 : index
// CHECK: memref.view {{.*}} to memref<16xf32>
// CHECK: arith.constant 0 : index
// CHECK: memref.view {{.*}} to memref<64xi8>
func.func @overlap(%x: memref<3xi8>, %y: memref<256xf32>, %z: memref<16xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %small1 = memref.alloc() : memref<3xi8>
  %big = memref.alloc() : memref<256xf32>
  %small2 = memref.alloc() : memref<16xf32>
  memref.copy %x, %small1 : memref<3xi8> to memref<3xi8>
  memref.copy %y, %big : memref<256xf32> to memref<256xf32>
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %big[%i] : memref<256xf32>
    %w = memref.load %small1[%c0] : memref<3xi8>
    memref.store %v, %small2[%c0] : memref<16xf32>
  }
  %late = memref.alloc() : memref<64xi8>
  memref.copy %small2, %z : memref<16xf32> to memref<16xf32>
  %t = memref.load %late[%c0] : memref<64xi8>
  return
}

// -----

// Not planned: a returned buffer, a dynamic shape, a buffer used in a parallel
// loop's body, a buffer carried through a loop, a non-identity layout, i1,
// a buffer passed to a function with a body (a declaration, like the
// runtime's kernels, is fine: see @kernel_call).
// With one candidate (%plain) left there is nothing to share: no arena.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: memref.view
// CHECK-NOT: qopt.planned_buffers
// CHECK: return
func.func @left_alone(%n: index) -> memref<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 1.0 : f32
  %ret = memref.alloc() : memref<8xf32>
  memref.store %f, %ret[%c0] : memref<8xf32>
  %dyn = memref.alloc(%n) : memref<?xf32>
  memref.store %f, %dyn[%c0] : memref<?xf32>
  scf.forall (%i) in (4) {
    %local = memref.alloc() : memref<8xf32>
    memref.store %f, %local[%c0] : memref<8xf32>
    memref.dealloc %local : memref<8xf32>
  }
  %carried = memref.alloc() : memref<8xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%it = %carried) -> memref<8xf32> {
    scf.yield %it : memref<8xf32>
  }
  memref.store %f, %r[%c0] : memref<8xf32>
  %strided = memref.alloc() : memref<8xf32, strided<[2]>>
  memref.store %f, %strided[%c0] : memref<8xf32, strided<[2]>>
  %bits = memref.alloc() : memref<8xi1>
  %plain = memref.alloc() : memref<8xf32>
  memref.store %f, %plain[%c0] : memref<8xf32>
  %given = memref.alloc() : memref<8xf32>
  func.call @keeps(%given) : (memref<8xf32>) -> ()
  return %ret : memref<8xf32>
}
func.func private @keeps(%m: memref<8xf32>) {
  return
}

// -----

// CHECK-LABEL: func.func @kernel_call
// CHECK: memref.alloc() {{.*}}qopt.planned_buffers = 2 : i64
// CHECK: call @kernel(%{{.*}}, %{{.*}}) : (memref<8xf32>, memref<8xf32>) -> ()
func.func private @kernel(memref<8xf32>, memref<8xf32>)
func.func @kernel_call() {
  %a = memref.alloc() : memref<8xf32>
  %b = memref.alloc() : memref<8xf32>
  func.call @kernel(%a, %b) : (memref<8xf32>, memref<8xf32>) -> ()
  return
}

// -----

// A buffer allocated and freed inside a sequential loop is planned for the
// whole loop; the buffer asking for 128-byte alignment gets it, and so does
// the arena.
// CHECK-LABEL: func.func @in_loop
// CHECK: %[[ARENA:.*]] = memref.alloc() {alignment = 128 : i64, qopt.planned_buffers = 2 : i64, qopt.unplanned_bytes = 192 : i64} : memref<192xi8>
// CHECK: scf.for
// CHECK:   %[[O:.*]] = arith.constant 128 : index
// CHECK:   memref.view %[[ARENA]][%[[O]]][] : memref<192xi8> to memref<4xf32>
// CHECK-NOT: memref.dealloc
// CHECK: }
// CHECK: memref.dealloc %[[ARENA]]
func.func @in_loop(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 1.0 : f32
  %outer = memref.alloc() {alignment = 128 : i64} : memref<32xf32>
  scf.for %i = %c0 to %n step %c1 {
    %inner = memref.alloc() : memref<4xf32>
    memref.store %f, %inner[%c0] : memref<4xf32>
    %v = memref.load %inner[%c0] : memref<4xf32>
    memref.store %v, %outer[%i] : memref<32xf32>
    memref.dealloc %inner : memref<4xf32>
  }
  memref.dealloc %outer : memref<32xf32>
  return
}

// -----

// A body of several blocks (unstructured control flow) has no order of ops to
// take live ranges over: nothing is planned.
// CHECK-LABEL: func.func @branches
// CHECK-NOT: memref.view
// CHECK: memref.dealloc
// CHECK: memref.dealloc
// CHECK: return
func.func @branches(%c: i1) {
  %f = arith.constant 1.0 : f32
  %i = arith.constant 0 : index
  %a = memref.alloc() : memref<8xf32>
  %b = memref.alloc() : memref<8xf32>
  cf.cond_br %c, ^bb1, ^bb2
^bb1:
  memref.store %f, %a[%i] : memref<8xf32>
  cf.br ^bb2
^bb2:
  memref.store %f, %b[%i] : memref<8xf32>
  memref.dealloc %a : memref<8xf32>
  memref.dealloc %b : memref<8xf32>
  return
}
