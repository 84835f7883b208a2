// qopt-gpu-module-to-binary: PTX without a toolkit (an empty stand-in for
// libdevice), and an error naming the op when a kernel still needs
// libdevice and there is none.
// RUN: qopt-opt %s --qopt-gpu-module-to-binary="format=isa" --split-input-file --verify-diagnostics | FileCheck %s
// RUN: not qopt-opt %s --qopt-gpu-module-to-binary="format=bin" --split-input-file 2>&1 | FileCheck %s --check-prefix=BIN
// BIN: error: qopt-gpu-module-to-binary: format bin needs a CUDA toolkit (ptxas), none was given
// CHECK: gpu.binary @ok [#gpu.object<#nvvm.target<chip = "sm_80">, properties = {{.*}}, assembly = "
// CHECK-SAME: .target sm_80
module attributes {gpu.container_module} {
  gpu.module @ok [#nvvm.target<chip = "sm_80">] {
    llvm.func @k(%p: !llvm.ptr) attributes {gpu.kernel, nvvm.kernel} {
      %0 = llvm.mlir.constant(1.0 : f32) : f32
      llvm.store %0, %p : f32, !llvm.ptr
      llvm.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @needs [#nvvm.target<chip = "sm_80">] {
    llvm.func @__nv_sinhf(f32) -> f32
    llvm.func @k(%p: !llvm.ptr, %x: f32) attributes {gpu.kernel, nvvm.kernel} {
      // expected-error @below {{a GPU kernel needs libdevice's __nv_sinhf, and no CUDA toolkit with nvvm/libdevice/libdevice.10.bc was found}}
      %0 = llvm.call @__nv_sinhf(%x) : (f32) -> f32
      llvm.store %0, %p : f32, !llvm.ptr
      llvm.return
    }
  }
}

