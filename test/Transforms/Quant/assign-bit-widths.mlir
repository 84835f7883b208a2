// qopt-assign-bit-widths: the exact choice of formats under a budget from a
// sensitivity/cost table (Inputs/bit-widths.json: two 32x32 layers, "q"
// losing 9 at w4g32 and 1 at w8g32, "k" 2 and 0.5, float losing nothing).
// bits=6: one layer may take 8 bits (4 + 8 = 12 of 2 x 6), the one whose
// upgrade buys more ("q": 9 - 1 > 2 - 0.5).
// RUN: qopt-opt %s --qopt-assign-bit-widths="table=%S/Inputs/bit-widths.json budget=bits=6" | FileCheck %s --check-prefix=BITS6
// (The first matmul is "q", the second "k".)
// BITS6: qopt.matmul {{.*}} {qopt.format = "w8g32"}
// BITS6: qopt.matmul {{.*}} {qopt.format = "w4g32"}
// bits=8: both at 8 bits; bits=20 affords one float layer (32 + 8), "q".
// RUN: qopt-opt %s --qopt-assign-bit-widths="table=%S/Inputs/bit-widths.json budget=bits=8" | FileCheck %s --check-prefix=BITS8
// BITS8-COUNT-2: {qopt.format = "w8g32"}
// RUN: qopt-opt %s --qopt-assign-bit-widths="table=%S/Inputs/bit-widths.json budget=bits=20" | FileCheck %s --check-prefix=BITS20
// BITS20: {qopt.format = "float"}
// BITS20: {qopt.format = "w8g32"}
// A size budget (bytes of the table): 1792 = 1152 + 640 as for bits=6;
// 2303 still (2304 would buy "k" 8 bits too); a latency budget of 0.75 ms:
// float "q" (0.5) + w8g32 "k" (0.2).
// RUN: qopt-opt %s --qopt-assign-bit-widths="table=%S/Inputs/bit-widths.json budget=size=2303" | FileCheck %s --check-prefix=BITS6
// RUN: qopt-opt %s --qopt-assign-bit-widths="table=%S/Inputs/bit-widths.json budget=size=2.25KB" | FileCheck %s --check-prefix=BITS8
// RUN: qopt-opt %s --qopt-assign-bit-widths="table=%S/Inputs/bit-widths.json budget=latency=0.75" | FileCheck %s --check-prefix=BITS20
// Latency outside the layers (base_latency_ms) comes off the budget: 1.0 ms
// less 0.25 chooses as 0.75 did, less 0.5 leaves 0.5 ms, both w8g32 (0.4).
// A relative budget is a factor of reference_latency_ms: 2x of 0.5 ms = 1.0.
// RUN: sed 's/^{"layers"/{"base_latency_ms": 0.25, "reference_latency_ms": 0.5, "layers"/' %S/Inputs/bit-widths.json > %t.base.json
// RUN: qopt-opt %s --qopt-assign-bit-widths="table=%t.base.json budget=latency=1.0ms" | FileCheck %s --check-prefix=BITS20
// RUN: qopt-opt %s --qopt-assign-bit-widths="table=%t.base.json budget=latency=2x" | FileCheck %s --check-prefix=BITS20
// RUN: sed 's/^{"layers"/{"base_latency_ms": 0.5, "layers"/' %S/Inputs/bit-widths.json > %t.base5.json
// RUN: qopt-opt %s --qopt-assign-bit-widths="table=%t.base5.json budget=latency=1.0" | FileCheck %s --check-prefix=BITS8
// A budget of exactly the base leaves nothing to spend: only zero-latency
// formats fit (the others cost "never" on the grid, whose sum over layers
// once overflowed the solver), both w4g32 here.
// RUN: sed -e 's/^{"layers"/{"base_latency_ms": 0.5, "layers"/' -e 's/"latency_ms": 0.1/"latency_ms": 0.0/' %S/Inputs/bit-widths.json > %t.zero.json
// RUN: qopt-opt %s --qopt-assign-bit-widths="table=%t.zero.json budget=latency=0.5" | FileCheck %s --check-prefix=ATBASE
// ATBASE-COUNT-2: {qopt.format = "w4g32"}
// Errors: a relative budget without a reference; a base above the budget.
// RUN: not qopt-opt %s --qopt-assign-bit-widths="table=%t.base5.json budget=latency=2x" 2>&1 | FileCheck %s --check-prefix=NOREF
// NOREF: error: qopt-assign-bit-widths: {{.*}}.json: a relative latency budget (latency=2x) needs "reference_latency_ms" in the table
// RUN: not qopt-opt %s --qopt-assign-bit-widths="table=%t.base5.json budget=latency=0.4" 2>&1 | FileCheck %s --check-prefix=BASE
// BASE: error: qopt-assign-bit-widths: no assignment within budget 'latency=0.4': the latency outside the layers alone (0.500 ms) exceeds it (0.400 ms)
// The choices are obeyed: qopt-quantize-weights gives "q" 8-bit and "k"
// 4-bit groups of 32 (its own default being 4 bits in groups of 128, which K
// = 32 could not take).
// RUN: qopt-opt %s --qopt-assign-bit-widths="table=%S/Inputs/bit-widths.json budget=bits=6" --qopt-quantize-weights | FileCheck %s --check-prefix=OBEY
// OBEY: !quant.uniform<u8:f32:{0:32, 1:1}
// OBEY: qopt.matmul
// OBEY: !quant.uniform<u4:f32:{0:32, 1:1}
// OBEY: qopt.matmul
// A float choice stays float ("q" at bits=20), the other layer quantized.
// RUN: qopt-opt %s --qopt-assign-bit-widths="table=%S/Inputs/bit-widths.json budget=bits=20" --qopt-quantize-weights | FileCheck %s --check-prefix=OBEY20
// OBEY20-NOT: qopt.quantize
// OBEY20: qopt.matmul {{.*}} {qopt.format = "float"}
// OBEY20: qopt.quantize {{.*}}!quant.uniform<u8:f32:{0:32, 1:1}
// Errors: a budget below the cheapest choice, an unknown budget, a layer
// the model does not have, a missing table.
// RUN: not qopt-opt %s --qopt-assign-bit-widths="table=%S/Inputs/bit-widths.json budget=bits=3" 2>&1 | FileCheck %s --check-prefix=LOW
// LOW: error: qopt-assign-bit-widths: no assignment within budget 'bits=3': the budget is below the cheapest assignment{{$}}
// RUN: not qopt-opt %s --qopt-assign-bit-widths="table=%S/Inputs/bit-widths.json budget=speed=2" 2>&1 | FileCheck %s --check-prefix=KIND
// KIND: error: qopt-assign-bit-widths: budget must be bits=B, size=N[KB|MB], latency=MS or latency=Fx with a positive value, got 'speed=2'
// RUN: sed 's/"k"/"v"/' %S/Inputs/bit-widths.json > %t.json
// RUN: not qopt-opt %s --qopt-assign-bit-widths="table=%t.json budget=bits=6" 2>&1 | FileCheck %s --check-prefix=LAYER
// LAYER: error: qopt-assign-bit-widths: {{.*}}.json: layer 'v' is not a quantizable layer of this model
// RUN: sed 's/"k"/"q"/' %S/Inputs/bit-widths.json > %t.twice.json
// RUN: not qopt-opt %s --qopt-assign-bit-widths="table=%t.twice.json budget=bits=6" 2>&1 | FileCheck %s --check-prefix=TWICE
// TWICE: error: qopt-assign-bit-widths: {{.*}}.json: layer 'q' appears twice
// RUN: sed 's/w4g32/w4g64/' %S/Inputs/bit-widths.json > %t.g64.json
// RUN: not qopt-opt %s --qopt-assign-bit-widths="table=%t.g64.json budget=bits=6" 2>&1 | FileCheck %s --check-prefix=GROUP
// GROUP: error: qopt-assign-bit-widths: {{.*}}.json: layer 'q' cannot take w4g64: its K is not a multiple of the group size
// RUN: not qopt-opt %s --qopt-assign-bit-widths="table=%t.missing budget=bits=6" 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: qopt-assign-bit-widths: {{.*}}.missing: cannot read it
// A group row (Inputs/bit-widths-group.json: "q" and "k" as one, 2048
// params): its choice goes on both members. bits=6 cannot afford the
// group's 8 bits (16384 of 12288 bits), which the two rows alone could
// split (BITS6 above); bits=8 can. A remark per member names the group.
// RUN: qopt-opt %s --qopt-assign-bit-widths="table=%S/Inputs/bit-widths-group.json budget=bits=6" | FileCheck %s --check-prefix=G6
// G6-COUNT-2: {qopt.format = "w4g32"}
// RUN: qopt-opt %s --qopt-assign-bit-widths="table=%S/Inputs/bit-widths-group.json budget=bits=8" 2>&1 | FileCheck %s --check-prefix=G8
// G8-DAG: remark: {{.*}}qopt-assign-bit-widths: 'q' -> w8g32 (group 'q', sensitivity 1.5{{0*}}e+00)
// G8-DAG: remark: {{.*}}qopt-assign-bit-widths: 'k' -> w8g32 (group 'q', sensitivity 1.5{{0*}}e+00)
// G8-COUNT-2: {qopt.format = "w8g32"}
// Errors: members without the row's layer, not an array, a member in two
// rows, a member the model lacks.
// RUN: sed 's/"members": \["q", "k"\]/"members": ["k"]/' %S/Inputs/bit-widths-group.json > %t.g1.json
// RUN: not qopt-opt %s --qopt-assign-bit-widths="table=%t.g1.json budget=bits=6" 2>&1 | FileCheck %s --check-prefix=GSELF
// GSELF: error: qopt-assign-bit-widths: {{.*}}.json: layer 'q': its "members" must include it
// RUN: sed 's/"members": \["q", "k"\]/"members": "q"/' %S/Inputs/bit-widths-group.json > %t.g2.json
// RUN: not qopt-opt %s --qopt-assign-bit-widths="table=%t.g2.json budget=bits=6" 2>&1 | FileCheck %s --check-prefix=GARRAY
// GARRAY: error: qopt-assign-bit-widths: {{.*}}.json: layer 'q': "members" must be a non-empty array of ids
// RUN: sed 's/"members": \["q", "k"\]/"members": ["q", "k", "q"]/' %S/Inputs/bit-widths-group.json > %t.g3.json
// RUN: not qopt-opt %s --qopt-assign-bit-widths="table=%t.g3.json budget=bits=6" 2>&1 | FileCheck %s --check-prefix=GTWICE
// GTWICE: error: qopt-assign-bit-widths: {{.*}}.json: layer 'q' appears twice
// RUN: sed 's/"members": \["q", "k"\]/"members": ["q", "v"]/' %S/Inputs/bit-widths-group.json > %t.g4.json
// RUN: not qopt-opt %s --qopt-assign-bit-widths="table=%t.g4.json budget=bits=6" 2>&1 | FileCheck %s --check-prefix=GLAYER
// GLAYER: error: qopt-assign-bit-widths: {{.*}}.json: layer 'v' is not a quantizable layer of this model
func.func @attention(%x: tensor<4x32xf32>) -> (tensor<4x32xf32>, tensor<4x32xf32>) {
  %wq = qopt.constant dense<0.5> : tensor<32x32xf32>
  %wk = qopt.constant dense<0.25> : tensor<32x32xf32>
  %q = qopt.matmul %x, %wq : (tensor<4x32xf32>, tensor<32x32xf32>) -> tensor<4x32xf32> loc(fused<"onnx.MatMul">["q"])
  %k = qopt.matmul %x, %wk : (tensor<4x32xf32>, tensor<32x32xf32>) -> tensor<4x32xf32> loc(fused<"onnx.MatMul">["k"])
  return %q, %k : tensor<4x32xf32>, tensor<4x32xf32>
}
