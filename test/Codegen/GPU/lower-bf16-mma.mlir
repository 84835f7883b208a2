// qopt-gpu-lower-bf16-mma: a bf16 mma.sync m16n8k16 (which upstream's
// convert-nvgpu-to-nvvm refuses) becomes nvvm.mma.sync on i32 registers
// (two bf16 each) and the accumulator's four f32; f16 and int8 mma.sync
// ops are left to upstream.
// RUN: qopt-opt %s --qopt-gpu-lower-bf16-mma | FileCheck %s
// RUN: qopt-opt %s --qopt-gpu-lower-bf16-mma --convert-nvgpu-to-nvvm | FileCheck %s --check-prefix=NVVM

// CHECK-LABEL: func.func @bf16
// CHECK: %[[R0:.*]] = vector.extract %arg0[0] : vector<2xbf16> from vector<4x2xbf16>
// CHECK: %[[W0:.*]] = vector.bitcast %[[R0]] : vector<2xbf16> to vector<1xi32>
// CHECK: %[[A0:.*]] = vector.extract %[[W0]][0] : i32 from vector<1xi32>
// CHECK: vector.extract %arg0[1]
// CHECK: %[[A1:.*]] = vector.extract %{{.*}}[0] : i32
// CHECK: vector.extract %arg0[2]
// CHECK: %[[A2:.*]] = vector.extract %{{.*}}[0] : i32
// CHECK: vector.extract %arg0[3]
// CHECK: %[[A3:.*]] = vector.extract %{{.*}}[0] : i32
// CHECK: vector.extract %arg1[0]
// CHECK: %[[B0:.*]] = vector.extract %{{.*}}[0] : i32
// CHECK: vector.extract %arg1[1]
// CHECK: %[[B1:.*]] = vector.extract %{{.*}}[0] : i32
// CHECK: %[[C0:.*]] = vector.extract %arg2[0, 0] : f32 from vector<2x2xf32>
// CHECK: %[[C1:.*]] = vector.extract %arg2[0, 1]
// CHECK: %[[C2:.*]] = vector.extract %arg2[1, 0]
// CHECK: %[[C3:.*]] = vector.extract %arg2[1, 1]
// CHECK: %[[D:.*]] = nvvm.mma.sync A[%[[A0]], %[[A1]], %[[A2]], %[[A3]]] B[%[[B0]], %[[B1]]] C[%[[C0]], %[[C1]], %[[C2]], %[[C3]]] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK: %[[E0:.*]] = llvm.extractvalue %[[D]][0]
// CHECK: %[[E1:.*]] = llvm.extractvalue %[[D]][1]
// CHECK: %[[E2:.*]] = llvm.extractvalue %[[D]][2]
// CHECK: %[[E3:.*]] = llvm.extractvalue %[[D]][3]
// CHECK: vector.from_elements %[[E0]], %[[E1]], %[[E2]], %[[E3]] : vector<2x2xf32>
// CHECK-NOT: nvgpu.mma.sync
func.func @bf16(%a: vector<4x2xbf16>, %b: vector<2x2xbf16>, %c: vector<2x2xf32>) -> vector<2x2xf32> {
  %d = nvgpu.mma.sync(%a, %b, %c) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
  return %d : vector<2x2xf32>
}

// CHECK-LABEL: func.func @f16
// CHECK: nvgpu.mma.sync
// NVVM-LABEL: func.func @f16
// NVVM: nvvm.mma.sync {{.*}} : (vector<2xf16>, vector<2xf16>, f32)
func.func @f16(%a: vector<4x2xf16>, %b: vector<2x2xf16>, %c: vector<2x2xf32>) -> vector<2x2xf32> {
  %d = nvgpu.mma.sync(%a, %b, %c) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
  return %d : vector<2x2xf32>
}
