// RUN: qopt-opt %s --qopt-promote-reductions --split-input-file | FileCheck %s

// A row sum into a fresh buffer: out[i] is loaded once before the loop over
// j, carried in iter_args and stored once after it.
// CHECK-LABEL: func.func @row_sum
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<8xf32>
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step
// CHECK-NEXT: %[[INIT:.*]] = memref.load %[[OUT]][%[[I]]] : memref<8xf32>
// CHECK-NEXT: %[[SUM:.*]] = scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (f32) {
// CHECK-NEXT: %[[X:.*]] = memref.load %arg0[%[[I]], %[[J]]]
// CHECK-NEXT: %[[NEW:.*]] = arith.addf %[[X]], %[[ACC]] : f32
// CHECK-NEXT: scf.yield %[[NEW]] : f32
// CHECK: memref.store %[[SUM]], %[[OUT]][%[[I]]] : memref<8xf32>
func.func @row_sum(%x: memref<8x100xf32>) -> memref<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c100 = arith.constant 100 : index
  %out = memref.alloc() : memref<8xf32>
  scf.for %i = %c0 to %c8 step %c1 {
    scf.for %j = %c0 to %c100 step %c1 {
      %v = memref.load %x[%i, %j] : memref<8x100xf32>
      %a = memref.load %out[%i] : memref<8xf32>
      %s = arith.addf %v, %a : f32
      memref.store %s, %out[%i] : memref<8xf32>
    }
  }
  return %out : memref<8xf32>
}

// -----

// A pooling window: promoted out of both window loops, through a subview of
// the output.
// CHECK-LABEL: func.func @window
// CHECK: scf.for %[[OH:.*]] =
// CHECK-NEXT: %[[INIT:.*]] = memref.load %[[VIEW:.*]][%[[OH]]]
// CHECK-NEXT: %[[R:.*]] = scf.for {{.*}} iter_args(%[[A:.*]] = %[[INIT]]) -> (i32) {
// CHECK-NEXT: %[[R2:.*]] = scf.for {{.*}} iter_args(%[[B:.*]] = %[[A]]) -> (i32) {
// CHECK-NOT: memref.store
// CHECK: memref.store %[[R]], %[[VIEW]][%[[OH]]]
func.func @window(%x: memref<20x20xi32>) -> memref<2x18xi32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c18 = arith.constant 18 : index
  %out = memref.alloc() : memref<2x18xi32>
  %view = memref.subview %out[1, 0] [1, 18] [1, 1] : memref<2x18xi32> to memref<18xi32, strided<[1], offset: 18>>
  scf.for %oh = %c0 to %c18 step %c1 {
    scf.for %kh = %c0 to %c3 step %c1 {
      scf.for %kw = %c0 to %c3 step %c1 {
        %h = arith.addi %oh, %kh : index
        %v = memref.load %x[%h, %kw] : memref<20x20xi32>
        %a = memref.load %view[%oh] : memref<18xi32, strided<[1], offset: 18>>
        %s = arith.addi %v, %a : i32
        memref.store %s, %view[%oh] : memref<18xi32, strided<[1], offset: 18>>
      }
    }
  }
  return %out : memref<2x18xi32>
}

// -----

// Two function arguments may be the same memory: nothing moves.
// CHECK-LABEL: func.func @arguments
// CHECK: scf.for
// CHECK: scf.for
// CHECK: memref.load %arg1
// CHECK: memref.store
func.func @arguments(%x: memref<8x100xf32>, %out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c100 = arith.constant 100 : index
  scf.for %i = %c0 to %c8 step %c1 {
    scf.for %j = %c0 to %c100 step %c1 {
      %v = memref.load %x[%i, %j] : memref<8x100xf32>
      %a = memref.load %out[%i] : memref<8xf32>
      %s = arith.addf %v, %a : f32
      memref.store %s, %out[%i] : memref<8xf32>
    }
  }
  return
}

// -----

// The loop also reads another element of the same buffer (a view of it):
// the running value must stay in memory.
// CHECK-LABEL: func.func @same_buffer
// CHECK: scf.for
// CHECK: scf.for
// CHECK-NOT: iter_args
// CHECK: memref.store
func.func @same_buffer(%x: memref<8x100xf32>) -> memref<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c100 = arith.constant 100 : index
  %out = memref.alloc() : memref<8xf32>
  %alias = memref.subview %out[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  scf.for %i = %c0 to %c8 step %c1 {
    scf.for %j = %c0 to %c100 step %c1 {
      %v = memref.load %x[%i, %j] : memref<8x100xf32>
      %w = memref.load %alias[%c0] : memref<4xf32, strided<[1]>>
      %a = memref.load %out[%i] : memref<8xf32>
      %s = arith.addf %v, %a : f32
      %t = arith.addf %s, %w : f32
      memref.store %t, %out[%i] : memref<8xf32>
    }
  }
  return %out : memref<8xf32>
}

// -----

// A call may write anything: the loop is left alone. So is an element whose
// index changes inside the loop.
// CHECK-LABEL: func.func @call_and_varying
// CHECK-NOT: iter_args
// CHECK: return
func.func private @opaque()
func.func @call_and_varying(%x: memref<8x100xf32>) -> memref<100xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c100 = arith.constant 100 : index
  %out = memref.alloc() : memref<100xf32>
  %acc = memref.alloc() : memref<1xf32>
  scf.for %j = %c0 to %c100 step %c1 {
    %v = memref.load %x[%c0, %j] : memref<8x100xf32>
    %a = memref.load %acc[%c0] : memref<1xf32>
    %s = arith.addf %v, %a : f32
    memref.store %s, %acc[%c0] : memref<1xf32>
    func.call @opaque() : () -> ()
  }
  scf.for %j = %c0 to %c100 step %c1 {
    %v = memref.load %x[%c0, %j] : memref<8x100xf32>
    %a = memref.load %out[%j] : memref<100xf32>
    %s = arith.addf %v, %a : f32
    memref.store %s, %out[%j] : memref<100xf32>
  }
  return %out : memref<100xf32>
}

// -----

// Vector running values are promoted like scalars; a pair of another width,
// or another access to the buffer in the loop, keeps them in memory.
// CHECK-LABEL: func.func @vector_pairs
// CHECK: %[[INIT:.*]] = vector.load %[[A:.*]][%{{.*}}] : memref<32xf32>, vector<16xf32>
// CHECK-NEXT: %[[R:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]]) -> (vector<16xf32>)
// CHECK: vector.store %[[R]], %[[A]]
// CHECK: scf.for
// CHECK-NEXT: vector.load %{{.*}} : memref<100x16xf32>, vector<16xf32>
// CHECK-NEXT: vector.load %{{.*}} : memref<32xf32>, vector<16xf32>
// CHECK: vector.store %{{.*}} : memref<32xf32>, vector<8xf32>
// CHECK: scf.for
// CHECK-NEXT: vector.load
// CHECK-NEXT: vector.load
// CHECK-NEXT: memref.load
func.func @vector_pairs(%x: memref<100x16xf32>) -> (memref<32xf32>, memref<32xf32>, memref<32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c100 = arith.constant 100 : index
  %a = memref.alloc() : memref<32xf32>
  scf.for %j = %c0 to %c100 step %c1 {
    %v = vector.load %x[%j, %c0] : memref<100x16xf32>, vector<16xf32>
    %acc = vector.load %a[%c0] : memref<32xf32>, vector<16xf32>
    %s = arith.addf %v, %acc : vector<16xf32>
    vector.store %s, %a[%c0] : memref<32xf32>, vector<16xf32>
  }
  %b = memref.alloc() : memref<32xf32>
  scf.for %j = %c0 to %c100 step %c1 {
    %v = vector.load %x[%j, %c0] : memref<100x16xf32>, vector<16xf32>
    %acc = vector.load %b[%c0] : memref<32xf32>, vector<16xf32>
    %s = arith.addf %v, %acc : vector<16xf32>
    %h = vector.extract_strided_slice %s {offsets = [0], sizes = [8], strides = [1]} : vector<16xf32> to vector<8xf32>
    vector.store %h, %b[%c0] : memref<32xf32>, vector<8xf32>
  }
  %d = memref.alloc() : memref<32xf32>
  scf.for %j = %c0 to %c100 step %c1 {
    %v = vector.load %x[%j, %c0] : memref<100x16xf32>, vector<16xf32>
    %acc = vector.load %d[%c0] : memref<32xf32>, vector<16xf32>
    %e = memref.load %d[%c1] : memref<32xf32>
    %eb = vector.broadcast %e : f32 to vector<16xf32>
    %s0 = arith.addf %v, %acc : vector<16xf32>
    %s = arith.addf %s0, %eb : vector<16xf32>
    vector.store %s, %d[%c0] : memref<32xf32>, vector<16xf32>
  }
  return %a, %b, %d : memref<32xf32>, memref<32xf32>, memref<32xf32>
}
