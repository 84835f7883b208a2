// qopt-gpu-emulate-on-host{teams}: a kernel whose threads cooperate (the
// tensor-core GEMM: shared-memory tiles, barriers, ldmatrix, mma.sync) runs
// each block as an OpenMP team of one thread per GPU thread; the tiles become
// host buffers, gpu.barrier omp.barrier, each ldmatrix a deposit of the lane's
// row address, a barrier, the lane's words of the rows its warp addressed, a
// barrier, and each mma.sync a deposit of the lane's fragments, a barrier,
// the runtime's lane result, a barrier. A kernel without cooperation stays
// sequential loops.
// RUN: qopt-opt %s --split-input-file --qopt-gpu-mma-matmul --qopt-gpu-emulate-on-host="teams=true" --verify-diagnostics | FileCheck %s
// Nothing of the GPU dialects is left anywhere.
// RUN: qopt-opt %s --split-input-file --qopt-gpu-mma-matmul --qopt-gpu-emulate-on-host="teams=true" --verify-diagnostics | FileCheck %s --check-prefix=GONE
// GONE-NOT: {{(nvgpu|gpu)\.[a-z_]+}}

// CHECK-DAG: func.func private @qopt_emu_mma_m16n8k32_s8(memref<?xi8>, memref<?xi8>, memref<?xi32>, memref<?xi32>, index)
// CHECK-DAG: func.func private @qopt_emu_check_team(i64, i64)
// CHECK-DAG: func.func private @omp_get_thread_num() -> i32
// CHECK-LABEL: func.func @int8_gemm
// CHECK-DAG: %[[AS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<64x48xi8>
// CHECK-DAG: %[[BS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<64x48xi8>
// CHECK-DAG: %[[XA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2048xi8>
// CHECK-DAG: %[[XB:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1024xi8>
// CHECK-DAG: %[[XC:.*]] = memref.alloc() {alignment = 64 : i64} : memref<512xi32>
// CHECK-DAG: %[[XD:.*]] = memref.alloc() {alignment = 64 : i64} : memref<512xi32>
// CHECK-DAG: %[[XI:.*]] = memref.alloc() : memref<256xindex>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: omp.parallel num_threads(%{{.*}} : i32)
// CHECK: %[[T:.*]] = func.call @omp_get_thread_num()
// CHECK: %[[TID:.*]] = arith.index_cast %[[T]]
// CHECK: scf.if
// CHECK: scf.for
// CHECK: memref.store %{{.*}}, %[[AS]]
// The tile barrier (gpu.barrier), then the first ldmatrix's.
// CHECK: omp.barrier
// CHECK-NOT: omp.barrier
// CHECK: memref.store %{{.*}}, %[[XI]][%{{.*}}] : memref<256xindex>
// CHECK: memref.store %{{.*}}, %[[XI]][%{{.*}}] : memref<256xindex>
// CHECK-NEXT: omp.barrier
// Lane L reads the address lane 8j + L / 4 of its warp gave, at word L % 4.
// CHECK: %[[LANE:.*]] = arith.remui %[[TID]], %c32
// CHECK: %[[BASE:.*]] = arith.subi %[[TID]], %[[LANE]]
// CHECK: %[[ROW:.*]] = arith.divui %[[LANE]], %c4
// CHECK: %[[WORD:.*]] = arith.remui %[[LANE]], %c4
// CHECK: %[[INROW:.*]] = arith.muli %[[WORD]], %c4
// CHECK: %[[FROM0:.*]] = arith.addi %[[BASE]], %c0
// CHECK: %[[FROM:.*]] = arith.addi %[[FROM0]], %[[ROW]]
// CHECK: arith.muli %[[FROM]], %c2
// CHECK: %[[R:.*]] = memref.load %[[XI]]
// CHECK: %[[C:.*]] = memref.load %[[XI]]
// CHECK: %[[CW:.*]] = arith.addi %[[C]], %[[INROW]]
// CHECK: vector.load %[[AS]][%[[R]], %[[CW]]] : memref<64x48xi8>, vector<4xi8>
// CHECK: arith.addi %[[BASE]], %c8
// CHECK-COUNT-3: vector.load %[[AS]]
// CHECK: omp.barrier
// CHECK: %[[SLOT:.*]] = arith.muli %[[TID]], %c16
// CHECK: vector.store %{{.*}}, %[[XA]][%{{.*}}] : memref<2048xi8>, vector<4xi8>
// CHECK: vector.store %{{.*}}, %[[XB]][%{{.*}}] : memref<1024xi8>, vector<4xi8>
// CHECK: vector.store %{{.*}}, %[[XC]][%{{.*}}] : memref<512xi32>, vector<2xi32>
// CHECK: vector.store %{{.*}}, %[[XC]][%{{.*}}] : memref<512xi32>, vector<2xi32>
// CHECK-NEXT: omp.barrier
// CHECK-COUNT-4: memref.cast
// CHECK-NEXT: func.call @qopt_emu_mma_m16n8k32_s8(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[TID]])
// CHECK-NEXT: omp.barrier
// CHECK: vector.load %[[XD]][%{{.*}}] : memref<512xi32>, vector<2xi32>
// CHECK: omp.barrier
// CHECK: scf.yield
// CHECK: omp.terminator
// CHECK: call @qopt_emu_check_team(%{{.*}}, %c128_i64{{.*}})
// CHECK-DAG: memref.dealloc %[[AS]]
// CHECK-DAG: memref.dealloc %[[XD]]
func.func @int8_gemm(%a: memref<?x?xi8>, %b: memref<?x?xi8>, %c: memref<?x?xi32>) {
  linalg.matmul ins(%a, %b : memref<?x?xi8>, memref<?x?xi8>) outs(%c : memref<?x?xi32>)
  return
}

// -----

// f16 operands: exchanges of f16 fragments and f32 accumulators.
// CHECK-LABEL: func.func @f16_mma
// CHECK-DAG: memref.alloc() {alignment = 64 : i64} : memref<256xf16>
// CHECK-DAG: memref.alloc() {alignment = 64 : i64} : memref<128xf16>
// CHECK: omp.parallel
// CHECK: func.call @qopt_emu_mma_m16n8k16_f16
func.func @f16_mma(%o: memref<2x2xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %a = arith.constant dense<1.0> : vector<4x2xf16>
    %b = arith.constant dense<1.0> : vector<2x2xf16>
    %acc = arith.constant dense<0.0> : vector<2x2xf32>
    %d = nvgpu.mma.sync(%a, %b, %acc) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
    %c0 = arith.constant 0 : index
    %v = vector.extract %d[0, 0] : f32 from vector<2x2xf32>
    memref.store %v, %o[%c0, %c0] : memref<2x2xf32>
    gpu.terminator
  }
  return
}

// -----

// Without cooperation: loops over blocks and threads, no team.
// CHECK-LABEL: func.func @simt
// CHECK-NOT: omp.parallel
// CHECK-COUNT-6: scf.for
// CHECK-NOT: omp.parallel
func.func @simt(%a: memref<?xf32>, %g: index) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%x = %g, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %f = arith.constant 1.0 : f32
    memref.store %f, %a[%tx] : memref<?xf32>
    gpu.terminator
  }
  return
}

// -----

func.func @shuffle(%g: index) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%x = %g, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %f = arith.constant 1.0 : f32
    %i = arith.constant 1 : i32
    %w = arith.constant 32 : i32
    // expected-error @below {{qopt-gpu-emulate-on-host{teams}: cannot emulate gpu.shuffle in a cooperating kernel}}
    %r, %ok = gpu.shuffle xor %f, %i, %w : f32
    gpu.terminator
  }
  return
}

// -----

func.func @dynamic_block(%n: index) {
  %c1 = arith.constant 1 : index
  // expected-error @below {{qopt-gpu-emulate-on-host{teams}: a cooperating kernel needs a constant block size}}
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%sx = %n, %sy = %c1, %sz = %c1) {
    gpu.barrier
    gpu.terminator
  }
  return
}

// -----

// An mma.sync shape the runtime does not emulate.
func.func @other_shape(%o: memref<2x2xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %a = arith.constant dense<1.0> : vector<2x2xf16>
    %b = arith.constant dense<1.0> : vector<1x2xf16>
    %acc = arith.constant dense<0.0> : vector<2x2xf32>
    // expected-error @below {{qopt-gpu-emulate-on-host{teams}: cannot emulate nvgpu.mma.sync in a cooperating kernel}}
    %d = nvgpu.mma.sync(%a, %b, %acc) {mmaShape = [16, 8, 8]} : (vector<2x2xf16>, vector<1x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
    gpu.terminator
  }
  return
}

// -----

// A barrier some threads could skip would hang the team: refused.
func.func @divergent(%g: index, %p: i1) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%x = %g, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    scf.if %p {
      // expected-error @below {{qopt-gpu-emulate-on-host{teams}: gpu.barrier under control flow other than scf.for: its threads may not all reach it}}
      gpu.barrier
    }
    gpu.terminator
  }
  return
}
