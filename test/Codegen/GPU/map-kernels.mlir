// qopt-gpu-map-kernels: one thread per point of a linalg op's parallel
// space (linearized, guarded), reductions as loops in each thread with the
// output carried in registers, linalg.index from the thread's indices,
// constants read inside the kernel; qopt.host ops are left alone.
// RUN: qopt-opt %s --qopt-gpu-map-kernels="block-size=128" --split-input-file | FileCheck %s
// RUN: qopt-opt %s --qopt-gpu-map-kernels --qopt-gpu-emulate-on-host --split-input-file | FileCheck %s --check-prefix=EMU

// A 2-D elementwise op: grid = max(ceil(M*N / 128), 1) blocks of 128, the
// linear index split into (i, j) by N.
// CHECK-LABEL: func.func @elementwise
// CHECK: %[[M:.*]] = memref.dim %arg0, %c0
// CHECK: %[[N:.*]] = memref.dim %arg0, %c1
// CHECK: %[[TOTAL:.*]] = arith.muli %{{.*}}, %[[M]]
// CHECK: %[[TOT:.*]] = arith.muli %[[TOTAL]], %[[N]]
// CHECK: %[[C128:.*]] = arith.constant 128 : index
// CHECK: %[[G:.*]] = arith.ceildivui %[[TOT]], %[[C128]]
// CHECK: %[[GRID:.*]] = arith.maxui %[[G]], %c1
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[GRID]], {{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C128]]
// CHECK: %[[B:.*]] = arith.muli %[[BX]], %[[C128]]
// CHECK: %[[ID:.*]] = arith.addi %[[B]], %[[TX]]
// CHECK: %[[IN:.*]] = arith.cmpi ult, %[[ID]], %[[TOT]]
// CHECK: scf.if %[[IN]]
// CHECK: %[[J:.*]] = arith.remui %[[ID]], %[[N]] : index
// CHECK: %[[I:.*]] = arith.divui %[[ID]], %[[N]] : index
// CHECK: %[[X:.*]] = memref.load %arg0[%[[I]], %[[J]]]
// CHECK: %[[Y:.*]] = math.exp %[[X]]
// CHECK: memref.store %[[Y]], %arg1[%[[I]], %[[J]]]
// CHECK: gpu.terminator
// CHECK-NOT: linalg.generic
// EMU-LABEL: func.func @elementwise
// EMU-NOT: gpu.
// EMU: scf.for
// EMU: scf.for
// EMU: scf.for
// EMU: scf.for
// EMU: scf.for
// EMU: scf.for
// EMU: math.exp
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @elementwise(%a: memref<?x?xf32>, %b: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<?x?xf32>) outs(%b : memref<?x?xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = math.exp %x : f32
    linalg.yield %y : f32
  }
  return
}

// -----

// A matmul (named op, generalized): each thread loops over k with C[i, j]
// in a register, loaded once before and stored once after.
// CHECK-LABEL: func.func @matmul
// CHECK: gpu.launch
// CHECK: %[[C0:.*]] = memref.load %arg2[%[[I:.*]], %[[J:.*]]] : memref<8x16xf32>
// CHECK: %[[SUM:.*]] = scf.for %[[K:.*]] = %c0{{.*}} to %c32 step %c1{{.*}} iter_args(%[[ACC:.*]] = %[[C0]]) -> (f32)
// CHECK: memref.load %arg0[%[[I]], %[[K]]]
// CHECK: memref.load %arg1[%[[K]], %[[J]]]
// CHECK: arith.mulf
// CHECK: %[[NEXT:.*]] = arith.addf %[[ACC]]
// CHECK: scf.yield %[[NEXT]]
// CHECK: memref.store %[[SUM]], %arg2[%[[I]], %[[J]]]
func.func @matmul(%a: memref<8x32xf32>, %b: memref<32x16xf32>, %c: memref<8x16xf32>) {
  linalg.matmul ins(%a, %b : memref<8x32xf32>, memref<32x16xf32>) outs(%c : memref<8x16xf32>)
  return
}

// -----

// A constant read by a kernel is re-read inside the launch (the device copy
// of the global); linalg.index is the thread's index; a qopt.host op stays.
// CHECK-LABEL: func.func @global_and_index
// CHECK: gpu.launch
// CHECK: %[[W:.*]] = memref.get_global @w : memref<4xf32>
// CHECK: %[[I:.*]] = arith.addi
// CHECK: scf.if
// CHECK: memref.load %[[W]][%[[I]]]
// CHECK: arith.index_cast %[[I]]
// CHECK: linalg.generic {{.*}} attrs = {qopt.host}
memref.global "private" constant @w : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
#id = affine_map<(d0) -> (d0)>
func.func @global_and_index(%b: memref<4xf32>, %h: memref<4xi64>) {
  %w = memref.get_global @w : memref<4xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%w : memref<4xf32>) outs(%b : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %i = linalg.index 0 : index
    %ii = arith.index_cast %i : index to i64
    %f = arith.sitofp %ii : i64 to f32
    %y = arith.addf %x, %f : f32
    linalg.yield %y : f32
  }
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]} outs(%h : memref<4xi64>)
      attrs = {qopt.host} {
  ^bb0(%o: i64):
    linalg.yield %o : i64
  }
  return
}
