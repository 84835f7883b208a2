// qopt-bufferization-pipeline (buildBufferizationPipeline): tensors to
// buffers with identity-layout function boundaries and owned results.
// RUN: qopt-opt %s --qopt-bufferization-pipeline --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=PIPE
// RUN: qopt-opt %s --qopt-bufferization-pipeline | FileCheck %s
// PIPE: Pass Manager with 12 passes:
// PIPE-NEXT: builtin.module(
// PIPE-NEXT: one-shot-bufferize{{.*}}bufferize-function-boundaries=true{{.*}}function-boundary-type-conversion=identity-layout-map{{.*}},
// PIPE-NEXT: qopt-own-results,
// PIPE-NEXT: canonicalize{{.*}},
// PIPE-NEXT: expand-realloc{emit-deallocs=false},
// PIPE-NEXT: canonicalize{{.*}},
// PIPE-NEXT: ownership-based-buffer-deallocation{private-function-dynamic-ownership=false},
// PIPE-NEXT: canonicalize{{.*}},
// PIPE-NEXT: buffer-deallocation-simplification,
// PIPE-NEXT: bufferization-lower-deallocations,
// PIPE-NEXT: cse,
// PIPE-NEXT: canonicalize{{.*}},
// PIPE-NEXT: qopt-strided-copy-to-linalg
// PIPE-NEXT: )

// CHECK-LABEL: func.func @main(%arg0: memref<4xf32>) -> memref<4xf32>
// CHECK: %[[A:.*]] = memref.alloc() {{.*}} : memref<4xf32>
// CHECK: linalg.generic {{.*}} ins(%arg0 : memref<4xf32>) outs(%[[A]] : memref<4xf32>)
// CHECK: return %[[A]] : memref<4xf32>
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
         ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
