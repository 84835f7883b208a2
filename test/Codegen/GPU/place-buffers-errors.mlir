// qopt-gpu-place-buffers refuses what it cannot place: host code writing a
// buffer that lives on the device (a model input here).
// RUN: qopt-opt %s --qopt-gpu-place-buffers --verify-diagnostics
func.func @host_writes_input(%a: memref<4xf32>, %f: f32) {
  %c0 = arith.constant 0 : index
  // expected-error @below {{qopt-gpu-place-buffers: the host writes into a device buffer}}
  memref.store %f, %a[%c0] : memref<4xf32>
  return
}
