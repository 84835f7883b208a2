// qopt-gpu-emulate-on-host{teams}: a kernel whose threads cooperate (the
// tensor-core GEMM: shared-memory tiles, barriers, ldmatrix, mma.sync) runs
// each block as an OpenMP team of one thread per GPU thread; the tiles become
// host buffers, gpu.barrier omp.barrier. An ldmatrix is a deposit of the
// lane's row address, a barrier, the lane's words of the rows its warp
// addressed, a barrier; an mma.sync a deposit of the lane's fragments, a
// barrier, the runtime's lane result, a barrier. Consecutive ones of a kind
// that do not read each other's results share the two barriers, each in a
// slot of its own (per k-step of the GEMM: ldmatrix A, A, B; ldmatrix B,
// whose operands the next needs; the 8 mma.sync). A kernel without
// cooperation stays sequential loops.
// RUN: qopt-opt %s --split-input-file --qopt-gpu-mma-matmul --qopt-gpu-emulate-on-host="teams=true" --verify-diagnostics | FileCheck %s
// Nothing of the GPU dialects is left anywhere.
// RUN: qopt-opt %s --split-input-file --qopt-gpu-mma-matmul --qopt-gpu-emulate-on-host="teams=true" --verify-diagnostics | FileCheck %s --check-prefix=GONE
// Eight exchange slots of each kind (one per mma.sync of a k-step).
// RUN: qopt-opt %s --split-input-file --qopt-gpu-mma-matmul --qopt-gpu-emulate-on-host="teams=true" --verify-diagnostics | FileCheck %s --check-prefix=SLOTS
// SLOTS-COUNT-8: memref.alloc() {alignment = 64 : i64} : memref<2048xi8>
// SLOTS-NOT: memref.alloc() {alignment = 64 : i64} : memref<2048xi8>
// SLOTS: omp.parallel
// GONE-NOT: {{(nvgpu|gpu)\.[a-z_]+}}

// CHECK-DAG: func.func private @qopt_emu_mma_m16n8k32_s8(memref<?xi8>, memref<?xi8>, memref<?xi32>, memref<?xi32>, index)
// CHECK-DAG: func.func private @qopt_emu_check_team(i64, i64)
// CHECK-DAG: func.func private @omp_get_thread_num() -> i32
// CHECK-LABEL: func.func @int8_gemm
// CHECK-DAG: %[[AS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<64x48xi8>
// CHECK-DAG: %[[BS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<64x48xi8>
// Address slots for three ldmatrix, exchanges for eight mma.sync.
// CHECK-DAG: %[[XI0:.*]] = memref.alloc() {alignment = 64 : i64} : memref<256xindex>
// CHECK-DAG: %[[XI1:.*]] = memref.alloc() {alignment = 64 : i64} : memref<256xindex>
// CHECK-DAG: %[[XI2:.*]] = memref.alloc() {alignment = 64 : i64} : memref<256xindex>
// CHECK-DAG: %[[XA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2048xi8>
// CHECK-DAG: %[[XB:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1024xi8>
// CHECK-DAG: %[[XC:.*]] = memref.alloc() {alignment = 64 : i64} : memref<512xi32>
// CHECK-DAG: %[[XD:.*]] = memref.alloc() {alignment = 64 : i64} : memref<512xi32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: omp.parallel num_threads(%{{.*}} : i32)
// CHECK: %[[T:.*]] = func.call @omp_get_thread_num()
// CHECK: %[[TID:.*]] = arith.index_cast %[[T]]
// CHECK: scf.if
// CHECK: scf.for
// CHECK: memref.store %{{.*}}, %[[AS]]
// The tile barrier (gpu.barrier), then three ldmatrix deposit their row
// addresses, each in its slot, before one barrier.
// CHECK: omp.barrier
// CHECK-NOT: omp.barrier
// CHECK: memref.store %{{.*}}, %[[XI0]][%{{.*}}] : memref<256xindex>
// CHECK: memref.store %{{.*}}, %[[XI0]][%{{.*}}] : memref<256xindex>
// CHECK-NOT: omp.barrier
// CHECK: memref.store %{{.*}}, %[[XI1]][%{{.*}}] : memref<256xindex>
// CHECK: memref.store %{{.*}}, %[[XI1]][%{{.*}}] : memref<256xindex>
// CHECK-NOT: omp.barrier
// CHECK: memref.store %{{.*}}, %[[XI2]][%{{.*}}] : memref<256xindex>
// CHECK: memref.store %{{.*}}, %[[XI2]][%{{.*}}] : memref<256xindex>
// CHECK-NOT: vector.load
// CHECK: omp.barrier
// Lane L reads the address lane 8j + L / 4 of its warp gave, at word L % 4.
// CHECK: %[[LANE:.*]] = arith.remui %[[TID]], %c32
// CHECK: %[[BASE:.*]] = arith.subi %[[TID]], %[[LANE]]
// CHECK: %[[ROW:.*]] = arith.divui %[[LANE]], %c4
// CHECK: %[[WORD:.*]] = arith.remui %[[LANE]], %c4
// CHECK: %[[INROW:.*]] = arith.muli %[[WORD]], %c4
// CHECK: %[[FROM0:.*]] = arith.addi %[[BASE]], %c0
// CHECK: %[[FROM:.*]] = arith.addi %[[FROM0]], %[[ROW]]
// CHECK: arith.muli %[[FROM]], %c2
// CHECK: %[[R:.*]] = memref.load %[[XI0]]
// CHECK: %[[C:.*]] = memref.load %[[XI0]]
// CHECK: %[[CW:.*]] = arith.addi %[[C]], %[[INROW]]
// CHECK: vector.load %[[AS]][%[[R]], %[[CW]]] : memref<64x48xi8>, vector<4xi8>
// CHECK: arith.addi %[[BASE]], %c8
// CHECK-COUNT-3: vector.load %[[AS]]
// CHECK-COUNT-4: vector.load %[[AS]]
// CHECK-COUNT-4: vector.load %[[BS]]
// CHECK-NEXT: vector.insert
// CHECK-NEXT: omp.barrier
// The fourth (B's second pair of tiles) alone: the vector ops after the
// third read its result.
// CHECK-COUNT-2: memref.store %{{.*}}, %[[XI0]][%{{.*}}] : memref<256xindex>
// CHECK-NOT: vector.load
// CHECK: omp.barrier
// CHECK-COUNT-4: vector.load %[[BS]]
// CHECK-NEXT: vector.insert
// CHECK-NEXT: omp.barrier
// The eight mma.sync: deposits, one barrier, eight exchanges, one barrier.
// CHECK-NOT: omp.barrier
// CHECK: %[[SLOT:.*]] = arith.muli %[[TID]], %c16
// CHECK: vector.store %{{.*}}, %[[XA]][%{{.*}}] : memref<2048xi8>, vector<4xi8>
// CHECK: vector.store %{{.*}}, %[[XB]][%{{.*}}] : memref<1024xi8>, vector<4xi8>
// CHECK: vector.store %{{.*}}, %[[XC]][%{{.*}}] : memref<512xi32>, vector<2xi32>
// CHECK: vector.store %{{.*}}, %[[XC]][%{{.*}}] : memref<512xi32>, vector<2xi32>
// CHECK-NOT: omp.barrier
// CHECK-COUNT-28: vector.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<2048xi8>, vector<4xi8>
// CHECK-NOT: vector.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<2048xi8>, vector<4xi8>
// CHECK: omp.barrier
// CHECK-COUNT-4: memref.cast
// CHECK-NEXT: func.call @qopt_emu_mma_m16n8k32_s8(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[TID]])
// CHECK-COUNT-7: func.call @qopt_emu_mma_m16n8k32_s8
// CHECK-NEXT: omp.barrier
// CHECK: vector.load %[[XD]][%{{.*}}] : memref<512xi32>, vector<2xi32>
// CHECK-NOT: omp.barrier
// CHECK-COUNT-15: vector.load %{{.*}}[%{{.*}}] : memref<512xi32>, vector<2xi32>
// The tile barrier before the next k-step.
// CHECK: omp.barrier
// CHECK-NEXT: scf.yield
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

// Two independent mma.sync share one barrier pair (two exchange slots); one
// that reads the other's result waits for it: a pair of its own.
// CHECK-LABEL: func.func @mma_groups
// CHECK: omp.parallel
// CHECK: omp.barrier
// CHECK-NEXT: memref.cast
// CHECK: func.call @qopt_emu_mma_m16n8k16_f16
// CHECK-NOT: omp.barrier
// CHECK: func.call @qopt_emu_mma_m16n8k16_f16
// CHECK-NEXT: omp.barrier
// CHECK: omp.barrier
// CHECK-NOT: omp.barrier
// CHECK: func.call @qopt_emu_mma_m16n8k16_f16
// CHECK-NEXT: omp.barrier
// CHECK-NOT: func.call @qopt_emu_mma
// CHECK: omp.terminator
func.func @mma_groups(%o: memref<2x2xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %a = arith.constant dense<1.0> : vector<4x2xf16>
    %b = arith.constant dense<1.0> : vector<2x2xf16>
    %acc = arith.constant dense<0.0> : vector<2x2xf32>
    %d0 = nvgpu.mma.sync(%a, %b, %acc) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
    %d1 = nvgpu.mma.sync(%a, %b, %acc) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
    %d2 = nvgpu.mma.sync(%a, %b, %d0) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
    %c0 = arith.constant 0 : index
    %v = vector.extract %d1[0, 0] : f32 from vector<2x2xf32>
    %w = vector.extract %d2[0, 0] : f32 from vector<2x2xf32>
    %s = arith.addf %v, %w : f32
    memref.store %s, %o[%c0, %c0] : memref<2x2xf32>
    gpu.terminator
  }
  return
}

// -----

// A store to the tile between two ldmatrix: the first completes before it
// (two barrier pairs), so the second reads the stored value. The last group
// completes at the block's end even when nothing reads its result (it was
// left unlowered before).
// CHECK-LABEL: func.func @ldmatrix_store_between
// CHECK: omp.parallel
// CHECK: omp.barrier
// CHECK: vector.load %[[TILE:.*]][%{{.*}}, %{{.*}}] : memref<64x48xi8>, vector<4xi8>
// CHECK: omp.barrier
// CHECK-NEXT: memref.store %{{.*}}, %[[TILE]]
// The next two share a pair: nothing between them writes.
// CHECK: omp.barrier
// CHECK-COUNT-8: vector.load %[[TILE]]
// CHECK-NOT: vector.load %[[TILE]]
// CHECK: omp.barrier
// CHECK: vector.store %{{.*}}, %arg0
// The last, unread: completed before the block's end.
// CHECK: omp.barrier
// CHECK-COUNT-4: vector.load %[[TILE]]
// CHECK: omp.barrier
// CHECK-NEXT: }
// CHECK-NEXT: omp.terminator
func.func @ldmatrix_store_between(%o: memref<32x4xi8>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1)
             workgroup(%t : memref<64x48xi8, #gpu.address_space<workgroup>>) {
    %c0 = arith.constant 0 : index
    %v7 = arith.constant 7 : i8
    %l0 = nvgpu.ldmatrix %t[%tx, %c0] {numTiles = 4 : i32, transpose = false} : memref<64x48xi8, #gpu.address_space<workgroup>> -> vector<4x4xi8>
    memref.store %v7, %t[%c0, %c0] : memref<64x48xi8, #gpu.address_space<workgroup>>
    %l1 = nvgpu.ldmatrix %t[%tx, %c0] {numTiles = 4 : i32, transpose = false} : memref<64x48xi8, #gpu.address_space<workgroup>> -> vector<4x4xi8>
    %l2 = nvgpu.ldmatrix %t[%tx, %c0] {numTiles = 4 : i32, transpose = false} : memref<64x48xi8, #gpu.address_space<workgroup>> -> vector<4x4xi8>
    %a = vector.extract %l0[0] : vector<4xi8> from vector<4x4xi8>
    %b = vector.extract %l1[0] : vector<4xi8> from vector<4x4xi8>
    %s = arith.addi %a, %b : vector<4xi8>
    vector.store %s, %o[%tx, %c0] : memref<32x4xi8>, vector<4xi8>
    %l3 = nvgpu.ldmatrix %t[%tx, %c0] {numTiles = 4 : i32, transpose = false} : memref<64x48xi8, #gpu.address_space<workgroup>> -> vector<4x4xi8>
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
