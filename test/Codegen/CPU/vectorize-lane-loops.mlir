// RUN: qopt-opt %s --split-input-file --qopt-vectorize-lane-loops | FileCheck %s
// RUN: qopt-opt %s --split-input-file --qopt-vectorize-lane-loops --qopt-promote-reductions | FileCheck %s --check-prefix=PROMOTE

// A lane-split sum (16 lanes) as convert-linalg-to-loops writes it: the lane
// loop becomes vector loads, one vector add and a vector store; the running
// lanes are then promoted out of the loop over the groups as one vector.
// CHECK-LABEL: func.func @lane_sum
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: scf.for %[[I:.*]] =
// CHECK-NEXT: scf.for %[[G:.*]] =
// CHECK-NEXT: %[[X:.*]] = vector.load %arg0[%[[I]], %[[G]], %[[C0]]] : memref<4x62x16xf32>, vector<16xf32>
// CHECK-NEXT: %[[A:.*]] = vector.load %[[ACC:.*]][%[[I]], %[[C0]]] : memref<4x16xf32>, vector<16xf32>
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[X]], %[[A]] : vector<16xf32>
// CHECK-NEXT: vector.store %[[S]], %[[ACC]][%[[I]], %[[C0]]] : memref<4x16xf32>, vector<16xf32>
// CHECK-NEXT: }
// PROMOTE-LABEL: func.func @lane_sum
// PROMOTE: scf.for %[[I:.*]] =
// PROMOTE-NEXT: %[[INIT:.*]] = vector.load %[[ACC:.*]][%[[I]], %{{.*}}] : memref<4x16xf32>, vector<16xf32>
// PROMOTE-NEXT: %[[R:.*]] = scf.for {{.*}} iter_args(%[[A:.*]] = %[[INIT]]) -> (vector<16xf32>) {
// PROMOTE-NEXT: %[[X:.*]] = vector.load %arg0
// PROMOTE-NEXT: %[[S:.*]] = arith.addf %[[X]], %[[A]] : vector<16xf32>
// PROMOTE-NEXT: scf.yield %[[S]] : vector<16xf32>
// PROMOTE: vector.store %[[R]], %[[ACC]][%[[I]], %{{.*}}] : memref<4x16xf32>, vector<16xf32>
func.func @lane_sum(%x: memref<4x62x16xf32>) -> memref<4x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %c62 = arith.constant 62 : index
  %acc = memref.alloc() : memref<4x16xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %g = %c0 to %c62 step %c1 {
      scf.for %l = %c0 to %c16 step %c1 {
        %v = memref.load %x[%i, %g, %l] : memref<4x62x16xf32>
        %a = memref.load %acc[%i, %l] : memref<4x16xf32>
        %s = arith.addf %v, %a : f32
        memref.store %s, %acc[%i, %l] : memref<4x16xf32>
      }
    }
  }
  return %acc : memref<4x16xf32>
}

// -----

// Values the same in every lane (a per-row scale loaded at a fixed index, a
// constant) are computed once and broadcast; ops keep their attributes
// (the compare's predicate, fastmath flags); an i8 result (converted to i32,
// then truncated) is stored as a vector of i8. A strided (but unit-stride last dim) view is fine. The
// output is a fresh allocation: function arguments may alias each other.
// CHECK-LABEL: func.func @uniform_operands
// CHECK: scf.for %[[R:.*]] =
// CHECK-NEXT: %[[X:.*]] = vector.load %arg0[%[[R]], %{{.*}}] : memref<8x32xf32, strided<[64, 1]>>, vector<32xf32>
// CHECK-NEXT: %[[S:.*]] = memref.load %arg1[%[[R]]] : memref<8xf32>
// CHECK-NEXT: %[[SB:.*]] = vector.broadcast %[[S]] : f32 to vector<32xf32>
// CHECK-NEXT: %[[M:.*]] = arith.mulf %[[X]], %[[SB]] fastmath<contract> : vector<32xf32>
// CHECK-NEXT: %[[Z:.*]] = vector.broadcast %{{.*}} : f32 to vector<32xf32>
// CHECK-NEXT: %[[GT:.*]] = arith.cmpf ogt, %[[M]], %[[Z]] : vector<32xf32>
// CHECK-NEXT: %[[SEL:.*]] = arith.select %[[GT]], %[[M]], %[[Z]] : vector<32xi1>, vector<32xf32>
// CHECK: %[[Q32:.*]] = arith.fptosi %[[SEL]] : vector<32xf32> to vector<32xi32>
// CHECK: %[[Q:.*]] = arith.trunci %[[Q32]] : vector<32xi32> to vector<32xi8>
// CHECK: vector.store %[[Q]], %[[OUT:.*]][%[[R]], %{{.*}}] : memref<8x32xi8>, vector<32xi8>
func.func @uniform_operands(%x: memref<8x32xf32, strided<[64, 1]>>, %scale: memref<8xf32>) -> memref<8x32xi8> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  %zero = arith.constant 0.0 : f32
  %out = memref.alloc() : memref<8x32xi8>
  scf.for %r = %c0 to %c8 step %c1 {
    scf.for %l = %c0 to %c32 step %c1 {
      %v = memref.load %x[%r, %l] : memref<8x32xf32, strided<[64, 1]>>
      %s = memref.load %scale[%r] : memref<8xf32>
      %m = arith.mulf %v, %s fastmath<contract> : f32
      %gt = arith.cmpf ogt, %m, %zero : f32
      %relu = arith.select %gt, %m, %zero : f32
      %q32 = arith.fptosi %relu : f32 to i32
      %q = arith.trunci %q32 : i32 to i8
      memref.store %q, %out[%r, %l] : memref<8x32xi8>
    }
  }
  return %out : memref<8x32xi8>
}

// -----

// Loops left alone: too few iterations; a store into a buffer that may alias
// what the loop reads elsewhere (two function arguments); the induction
// variable used as a value; a last dim of stride 2; a call.
// CHECK-LABEL: func.func @not_lanes
// CHECK-NOT: vector.
// CHECK: return
func.func @not_lanes(%a: memref<64xf32>, %b: memref<64xf32>, %s: memref<64xf32, strided<[2]>>, %o: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c16 = arith.constant 16 : index
  %o1 = memref.alloc() : memref<64xf32>
  scf.for %l = %c0 to %c3 step %c1 {
    %v = memref.load %a[%l] : memref<64xf32>
    memref.store %v, %o1[%l] : memref<64xf32>
  }
  scf.for %l = %c0 to %c16 step %c1 {
    %v = memref.load %a[%l] : memref<64xf32>
    memref.store %v, %b[%l] : memref<64xf32>
  }
  scf.for %l = %c0 to %c16 step %c1 {
    %i = arith.index_cast %l : index to i32
    %f = arith.sitofp %i : i32 to f32
    memref.store %f, %o1[%l] : memref<64xf32>
  }
  scf.for %l = %c0 to %c16 step %c1 {
    %v = memref.load %s[%l] : memref<64xf32, strided<[2]>>
    memref.store %v, %o1[%l] : memref<64xf32>
  }
  scf.for %l = %c0 to %c16 step %c1 {
    %v = memref.load %a[%l] : memref<64xf32>
    %w = func.call @f(%v) : (f32) -> f32
    memref.store %w, %o1[%l] : memref<64xf32>
  }
  memref.copy %o1, %o : memref<64xf32> to memref<64xf32>
  return
}
func.func private @f(f32) -> f32

// -----

// A stored buffer read at other indices in the same loop (lane l would read
// what lane l - 1 wrote): left alone, even for a fresh allocation.
// CHECK-LABEL: func.func @shifted
// CHECK-NOT: vector.
// CHECK: return
func.func @shifted(%x: memref<17xf32>) -> memref<17xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %buf = memref.alloc() : memref<17xf32>
  memref.copy %x, %buf : memref<17xf32> to memref<17xf32>
  %view = memref.subview %buf[1] [16] [1] : memref<17xf32> to memref<16xf32, strided<[1], offset: 1>>
  scf.for %l = %c0 to %c16 step %c1 {
    %v = memref.load %buf[%l] : memref<17xf32>
    memref.store %v, %view[%l] : memref<16xf32, strided<[1], offset: 1>>
  }
  return %buf : memref<17xf32>
}

// -----

// A lower bound other than 0: the vectors start there. A load after a store
// of the same element in the same iteration is each lane's own.
// CHECK-LABEL: func.func @offset_and_reload
// CHECK: %[[C4:.*]] = arith.constant 4 : index
// CHECK: %[[X:.*]] = vector.load %arg0[%[[C4]]] : memref<64xf32>, vector<16xf32>
// CHECK: vector.store %[[X]], %[[B:.*]][%[[C4]]] : memref<64xf32>, vector<16xf32>
// CHECK: %[[R:.*]] = vector.load %[[B]][%[[C4]]] : memref<64xf32>, vector<16xf32>
// CHECK: %[[D:.*]] = arith.addf %[[R]], %[[R]] : vector<16xf32>
// CHECK: vector.store %[[D]], %[[B]][%[[C4]]]
func.func @offset_and_reload(%x: memref<64xf32>) -> memref<64xf32> {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c20 = arith.constant 20 : index
  %b = memref.alloc() : memref<64xf32>
  scf.for %l = %c4 to %c20 step %c1 {
    %v = memref.load %x[%l] : memref<64xf32>
    memref.store %v, %b[%l] : memref<64xf32>
    %r = memref.load %b[%l] : memref<64xf32>
    %d = arith.addf %r, %r : f32
    memref.store %d, %b[%l] : memref<64xf32>
  }
  return %b : memref<64xf32>
}

// -----

// Left alone: a load of one element of the buffer the loop stores to (the
// first iteration changes what the others read); a buffer chosen by a select
// between a fresh allocation and an argument (it may be the allocation); an
// unsigned loop from -8 to 8 (it runs no iteration); i24 elements (vectors
// of them are packed tighter than the buffer); a float converted to i8 (out
// of range, vectors and scalars round differently).
// CHECK-LABEL: func.func @not_lanes_either
// CHECK-NOT: vector.
// CHECK: return
func.func @not_lanes_either(%x: memref<16xf32>, %o: memref<16xf32>, %c: i1, %w: memref<64xi24>) -> (memref<16xf32>, memref<64xi24>, memref<16xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %cm8 = arith.constant -8 : index
  %c8 = arith.constant 8 : index
  %a = memref.alloc() : memref<16xf32>
  memref.copy %x, %a : memref<16xf32> to memref<16xf32>
  scf.for %l = %c0 to %c16 step %c1 {
    %s = memref.load %a[%c0] : memref<16xf32>
    %v = memref.load %a[%l] : memref<16xf32>
    %d = arith.divf %v, %s : f32
    memref.store %d, %a[%l] : memref<16xf32>
  }
  %m = arith.select %c, %a, %o : memref<16xf32>
  scf.for %l = %c0 to %c16 step %c1 {
    %s = memref.load %m[%c0] : memref<16xf32>
    %v = memref.load %a[%l] : memref<16xf32>
    %d = arith.divf %v, %s : f32
    memref.store %d, %a[%l] : memref<16xf32>
  }
  scf.for unsigned %l = %cm8 to %c8 step %c1 {
    %v = memref.load %x[%l] : memref<16xf32>
    memref.store %v, %a[%l] : memref<16xf32>
  }
  %w2 = memref.alloc() : memref<64xi24>
  scf.for %l = %c0 to %c16 step %c1 {
    %v = memref.load %w[%l] : memref<64xi24>
    memref.store %v, %w2[%l] : memref<64xi24>
  }
  %q = memref.alloc() : memref<16xi8>
  scf.for %l = %c0 to %c16 step %c1 {
    %v = memref.load %x[%l] : memref<16xf32>
    %i = arith.fptosi %v : f32 to i8
    memref.store %i, %q[%l] : memref<16xi8>
  }
  return %a, %w2, %q : memref<16xf32>, memref<64xi24>, memref<16xi8>
}
