// qopt-gpu-place-buffers: shape code stays on the host, tensors go to the
// device, copies where they cross, device allocations become gpu.alloc.
// RUN: qopt-opt %s --qopt-gpu-place-buffers --split-input-file | FileCheck %s

// An elementwise op on an input: device; the result is a gpu.alloc, the
// dealloc of a temporary a gpu.dealloc.
// CHECK-LABEL: func.func @device_only
// CHECK: %[[T:.*]] = gpu.alloc (%{{.*}}) : memref<?xf32>
// CHECK: linalg.generic
// CHECK-NOT: qopt.host
// CHECK: %[[R:.*]] = gpu.alloc (%{{.*}}) : memref<?xf32>
// CHECK: linalg.generic
// CHECK: gpu.dealloc %[[T]]
// CHECK: return %[[R]]
#id = affine_map<(d0) -> (d0)>
func.func @device_only(%a: memref<?xf32>) -> memref<?xf32> {
  %c0 = arith.constant 0 : index
  %n = memref.dim %a, %c0 : memref<?xf32>
  %t = memref.alloc(%n) : memref<?xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : memref<?xf32>) outs(%t : memref<?xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.negf %x : f32
    linalg.yield %y : f32
  }
  %r = memref.alloc(%n) : memref<?xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%t : memref<?xf32>) outs(%r : memref<?xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.addf %x, %x : f32
    linalg.yield %y : f32
  }
  memref.dealloc %t : memref<?xf32>
  return %r : memref<?xf32>
}

// -----

// A shape tensor computed on the device from an input and read by host
// code: the op that writes it runs on the host (qopt.host), its input is
// copied to a host buffer first (gpu.memcpy), the host buffer stays a
// memref.alloc.
// CHECK-LABEL: func.func @shape_on_host
// CHECK: %[[S:.*]] = memref.alloc() : memref<2xi64>
// CHECK: %[[H:.*]] = memref.alloc() : memref<2xi64>
// CHECK: gpu.memcpy %[[H]], %arg1 : memref<2xi64>, memref<2xi64>
// CHECK: linalg.generic {{.*}} ins(%[[H]] : memref<2xi64>) outs(%[[S]] : memref<2xi64>) attrs = {qopt.host}
// CHECK: memref.dealloc %[[H]]
// CHECK: memref.load %[[S]]
#id = affine_map<(d0) -> (d0)>
func.func @shape_on_host(%a: memref<?xf32>, %shape: memref<2xi64>) -> index {
  %s = memref.alloc() : memref<2xi64>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%shape : memref<2xi64>) outs(%s : memref<2xi64>) {
  ^bb0(%x: i64, %o: i64):
    %y = arith.addi %x, %x : i64
    linalg.yield %y : i64
  }
  %c0 = arith.constant 0 : index
  %v = memref.load %s[%c0] : memref<2xi64>
  %i = arith.index_cast %v : i64 to index
  return %i : index
}

// -----

// A host-computed buffer read by a device op is copied to the device, and
// a returned host buffer is returned as a fresh device copy, the host one freed.
// CHECK-LABEL: func.func @host_to_device
// CHECK: %[[S:.*]] = memref.alloc() : memref<4xf32>
// CHECK: memref.store {{.*}}, %[[S]]
// CHECK: %[[OUT:.*]] = gpu.alloc () : memref<4xf32>
// CHECK: %[[D:.*]] = gpu.alloc () : memref<4xf32>
// CHECK: gpu.memcpy %[[D]], %[[S]]
// CHECK: linalg.generic {{.*}} ins(%[[D]] : memref<4xf32>) outs(%[[OUT]] : memref<4xf32>)
// CHECK-NOT: qopt.host
// CHECK: gpu.dealloc %[[D]]
// CHECK: %[[R:.*]] = gpu.alloc () : memref<4xf32>
// CHECK: gpu.memcpy %[[R]], %[[S]]
// CHECK: memref.dealloc %[[S]]
// CHECK: return %[[OUT]], %[[R]]
#id = affine_map<(d0) -> (d0)>
func.func @host_to_device(%f: f32) -> (memref<4xf32>, memref<4xf32>) {
  %c1 = arith.constant 1 : index
  %s = memref.alloc() : memref<4xf32>
  memref.store %f, %s[%c1] : memref<4xf32>
  %r = memref.alloc() : memref<4xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%s : memref<4xf32>) outs(%r : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  return %r, %s : memref<4xf32>, memref<4xf32>
}
