// RUN: qopt-opt %s --qopt-model-interface | FileCheck %s
// The entry's names, dtypes and shapes become the runtime's metadata string.

// CHECK: func.func @main(%arg0: tensor<?x3xf32>, %arg1: tensor<4xui8>) -> tensor<?x3xf32>
// CHECK-SAME: llvm.emit_c_interface
// CHECK: llvm.mlir.global external constant @qopt_model_meta("in f32 2 -1 3 images\0Ain u8 1 4 mask\0Aout f32 2 -1 3 scores\0A\00")
func.func @main(%x: tensor<?x3xf32> {qopt.name = "images"}, %m: tensor<4xui8> {qopt.name = "mask"})
    -> (tensor<?x3xf32> {qopt.name = "scores"}) {
  return %x : tensor<?x3xf32>
}
