//===- Passes.td - quantization passes -------------------------*- tablegen -*-===//
//
// Calibration-driven INT8 (observers → statistics → scales → integer graph),
// pre-quantized models (QDQ and QOperator formats), and the lowering of
// quantized types to integer arithmetic.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_TRANSFORMS_QUANT_PASSES
#define QOPT_TRANSFORMS_QUANT_PASSES

include "mlir/Pass/PassBase.td"

def InsertObservers : Pass<"qopt-insert-observers", "::mlir::func::FuncOp"> {
  let summary = "Observe every float tensor that the integer graph will quantize";
  let description = [{
    For each Conv, MatMul and Gemm on f32 tensors (the ops with an integer
    form), inserts a `qopt.observer` on each non-constant input and, when a
    consumer runs on quantized values (an op with an integer form or a
    pass-through op), on the output. When the output's only use is a chain of
    Relu/Clip(constant bounds), the end of the chain is observed instead, so
    that the activation folds into the quantized output range. An output
    whose consumers are all float is not quantized: the integer op produces
    it in f32 from its accumulator. Constant operands are weights: they
    are quantized from their own values later, not observed.

    Observer ids are stable and unique: the producing ONNX node's name (with
    `#k` for its k-th result) or `input:<name>` for a graph input. Ops named in
    `keep-float` (ONNX node names or op types such as `Conv`) are skipped.
  }];
  let options = [
    ListOption<"keepFloat", "keep-float", "std::string",
               "ONNX node names or op types to leave in float">
  ];
  let dependentDialects = ["::qopt::QOptDialect"];
}

def RecognizeNorms : Pass<"qopt-recognize-norms", "::mlir::func::FuncOp"> {
  let summary = "Turn decomposed LayerNorm / RMSNorm chains into one op";
  let description = [{
    Exporters write normalizations out: RMSNorm as
    `x / sqrt(mean(x^2) + eps) * gamma` (Pow or Mul for the square; Div, or
    Mul by a Reciprocal or by `1 / sqrt`), LayerNorm (before opset 17) as the
    same on `x - mean(x)`, then `* gamma + beta`. Each becomes
    `qopt.rms_normalization` / `qopt.layer_normalization` over the last axis;
    a constant last-axis Mul after a norm becomes its Scale, a constant Add
    after a LayerNorm its B (also for the LayerNormalization op the importer
    produces). Intermediate values must have no other use, means must reduce
    only the last axis with keepdims, eps must be a scalar constant. The
    outlier passes (`qopt-smooth`, `qopt-rotate`) fold scales into gamma/beta
    and rotate through RMS norms, so they need the norms whole.
  }];
  let dependentDialects = ["::qopt::QOptDialect"];
}

def Smooth : Pass<"qopt-smooth", "::mlir::func::FuncOp"> {
  let summary = "SmoothQuant: move activation channel outliers into the weights";
  let description = [{
    For each observed activation X whose observer carries per-channel ranges
    on the last axis (`qopt-insert-observers` puts the channel axis of a
    MatMul/Gemm input there; `qopt-attach-calibration-stats` attaches them)
    and whose every consumer is a linear layer with a constant weight:
    `s_j = max|X_j|^alpha / max|W_j|^(1 - alpha)` (W_j: row j of all
    consumers' weights, one s shared by them), `diag(s)` folded into the
    weights and `1/s` into the producer: a LayerNormalization's Scale and B,
    an RMSNormalization's Scale, a linear layer's output columns (and its
    constant bias), else a per-channel Mul inserted before the observer.
    The float function is unchanged.

    `alpha` in [0, 1] smooths every such activation with that alpha. A
    negative alpha (the quantization driver's default) searches 0.05, 0.10,
    ..., 0.95 and "no smoothing" per activation for the least error of the
    quantized product on rows of X sampled during calibration (so it needs
    the driver; see qopt/Quant/Smoothing.h). The observer records the
    choice as `qopt.smooth_alpha` (-1: left as it was) and its statistics
    are rescaled; histograms are dropped (calibrate again for range methods
    that need them, as the driver does).
  }];
  let options = [
    Option<"alpha", "alpha", "double", "0.5",
           "Migration strength in [0, 1]; negative: search per activation">,
    Option<"activationType", "activation-type", "std::string", "\"u8\"",
           "Activation quantization the search measures (u8 or s8)">,
    Option<"perTensorWeights", "per-tensor-weights", "bool", "false",
           "Weight quantization the search measures">,
    Option<"perToken", "per-token", "bool", "false",
           "The search measures per-token activation quantization">,
    ListOption<"keepFloat", "keep-float", "std::string",
               "ONNX node names or op types left in float (not smoothed)">
  ];
  let dependentDialects = ["::qopt::QOptDialect"];
}

def Rotate : Pass<"qopt-rotate", "::mlir::func::FuncOp"> {
  let summary = "Rotate residual streams (QuaRot) and insert online Hadamard transforms";
  let description = [{
    Exact rewrites of the float model that spread channel outliers over all
    channels. (1) Residual rotation: a stream of Adds written by a constant
    Gather table, linear layers and constant biases and read only by RMS
    norms over the last axis that feed only linear layers is rotated by an
    orthogonal R: gamma is folded into the readers, writers get `. R`,
    readers `R^T .`; a stream that anything else touches (graph input or
    output, LayerNorm, other ops) is left as it is, with a remark naming the
    op. (2) Online Hadamard (`online`): every other linear layer's
    activation input of a supported width (m * 2^k, m in 1, 12, 20, 28) gets
    a `qopt.hadamard` and `H^T` folded into its weight.

    R is the randomized Hadamard matrix of `seed`, or the n x n orthogonal
    matrix in `matrix` (.npy, f32/f64, checked to 1e-5). Run on the float
    model after `qopt-recognize-norms`, before observers.
  }];
  let options = [
    Option<"seed", "seed", "uint64_t", "0", "Seed of the randomized Hadamard rotation">,
    Option<"matrix", "matrix", "std::string", "\"\"",
           "An orthogonal n x n rotation (.npy) instead of the randomized Hadamard">,
    Option<"residual", "residual", "bool", "true", "Rotate residual streams">,
    Option<"online", "online", "bool", "true",
           "Insert online Hadamard transforms before the other linear layers">,
    ListOption<"keepFloat", "keep-float", "std::string",
               "ONNX node names or op types left in float (no online transform)">
  ];
  let dependentDialects = ["::qopt::QOptDialect"];
}

def ExposeObservers : Pass<"qopt-expose-observers", "::mlir::ModuleOp"> {
  let summary = "Turn observers into extra function results or runtime calls (for calibration)";
  let description = [{
    Replaces each `qopt.observer` by its input. A function-level observer's
    tensor becomes an extra result named `qopt.observe:<id>`, after the
    model's own results. An observer inside control flow (an `scf.if` branch,
    an `scf.while`/`scf.for` body), which sees one value per branch taken or
    per iteration, becomes a call of the model runtime's
    `qopt_observe_f32(i64 index, tensor<*xf32>)` (declared by the pass),
    through a private function per observed type that casts the value to
    unranked (so the descriptor is not allocated on a loop's stack at every
    iteration); the
    module attribute `qopt.region_observers` lists those observers' ids, the
    call's index being the position in it. The calibration driver compiles
    the result with the float CPU path and collects statistics from the extra
    outputs and from every call.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::tensor::TensorDialect"];
}

def AttachCalibrationStats : Pass<"qopt-attach-calibration-stats", "::mlir::ModuleOp"> {
  let summary = "Attach calibration statistics to the observers";
  let description = [{
    Sets each `qopt.observer`'s statistics from a calibration statistics file
    (`stats`, as `qoptc --save-calib-stats` writes it; the quantization
    driver passes the statistics it just computed instead): `min`, `max`,
    the histogram (`histogram`, `hist_min`, `hist_max`) and, when every
    channel was seen and the observed type has that many along the
    observer's `channel_axis`, `channel_min`/`channel_max`.

    The statistics must be for this model: their fingerprint (observer ids
    and types, the bytes of every constant) must match the module's, every
    observer must have an entry, and every entry must have seen data. Each
    failure is an error naming the statistics, and the module is left as it
    was. Run after `qopt-insert-observers`, before `qopt-infer-scales`.

    The fingerprint hashes every constant's bytes; `check-fingerprint=false`
    skips it where the statistics were computed for this very module (the
    quantization driver right after calibrating it).
  }];
  let options = [
    Option<"statsFile", "stats", "std::string", "\"\"",
           "Calibration statistics file (JSON)">,
    Option<"checkFingerprint", "check-fingerprint", "bool", "true",
           "Check that the statistics are for this model">
  ];
  let dependentDialects = ["::qopt::QOptDialect"];
}

def Awq : Pass<"qopt-awq", "::mlir::func::FuncOp"> {
  let summary = "AWQ: scale the input channels of linear layers by activation magnitude";
  let description = [{
    Activation-aware weight scaling for weight-only quantization (see
    qopt/Quant/Awq.h). Per observed activation X (per-channel statistics on
    its last axis, as qopt-insert-observers leaves a linear layer's input)
    whose every consumer is a linear layer with a constant weight not left
    float: s_j = mean|X_j|^alpha (normalized), diag(s) folded into the
    consumers' weights and 1/s into X's producer (a LayerNormalization's or
    RMSNormalization's scale, a linear layer's output columns) or, when none
    produces X alone, a per-channel Mul in front of the observer. The float
    model computes the same function. alpha is searched (`alpha` < 0, the
    default; grid 0, 0.05, ..., 1, where 0 leaves X alone) by the error of
    the product with the weights quantized as qopt-quantize-weights will
    (`bits`, `group-size`, `symmetric`, round to nearest with the clip
    search), on rows of X sampled during calibration; the quantization
    driver (`qoptc --weight-only --awq`) samples them. With `gptq`, the
    weights will be rounded by GPTQ: the nearest-rounding choice a and a / 2
    are then compared with 0 by the product error on half of the sampled
    rows with the weights rounded by group-wise GPTQ on the other half's
    Hessian, and kept only for a gain of 5% (kAwqGptqMinGain). `alpha=A` applies A everywhere without rows.
    Observers get `qopt.awq_alpha`.
  }];
  let options = [
    Option<"alpha", "alpha", "double", "-1.0",
           "Scaling exponent in [0, 1]; negative: search per activation">,
    Option<"bits", "bits", "int64_t", "4", "Weight bits the search assumes">,
    Option<"groupSize", "group-size", "int64_t", "128", "Group size the search assumes">,
    Option<"symmetric", "symmetric", "bool", "false", "Symmetric weight codes">,
    Option<"gptq", "gptq", "bool", "false",
           "The weights will be rounded by GPTQ: settle alpha by GPTQ's error">,
    ListOption<"keepFloat", "keep-float", "std::string",
               "ONNX node names or op types left in float">
  ];
  let dependentDialects = ["::qopt::QOptDialect"];
}

def AssignBitWidths : Pass<"qopt-assign-bit-widths", "::mlir::ModuleOp"> {
  let summary = "Choose each layer's format from a sensitivity/cost table under a budget";
  let description = [{
    Mixed precision: reads a table (JSON, `table`) of candidate formats per
    quantizable layer, each with its sensitivity (what quantizing that layer
    to the format costs in accuracy; lower is better) and its costs, solves
    the multiple-choice knapsack problem exactly (qopt/Quant/BitWidths.h:
    least total sensitivity with the total cost within `budget`) and writes
    the chosen format on each layer as `qopt.format`, which
    `qopt-quantize-weights`, `qopt-insert-observers` and `qopt-quantize-ops`
    obey: `float`, `int8` (INT8 per-channel weights; not group-wise), or
    `w<bits>g<group>` (4- or 8-bit weights in groups, e.g. `w4g128`).

        {"layers": [{"layer": "<layer id>", "params": <weights>,
                     "formats": [{"format": "w4g128", "sensitivity": 0.8,
                                  "bytes": 8704, "latency_ms": 0.02}, ...]}, ...],
         "base_latency_ms": 2.7, "reference_latency_ms": 2.7}

    Layer ids are the quantizable layers' (their ONNX node names, with "~N"
    for repeats, as reports and statistics files name them). A row may
    stand for a group of layers that take one format together:
    `"members": ["<id>", ...]` (the row's `layer` among them) lists them,
    its `params` and costs are the group's totals, and its choice goes on
    every member; no layer may appear in two rows. `budget`:
    `bits=B` (average nominal bits per weight over the table's layers: 32,
    8 or the group format's bits, times `params`), `size=N[KB|MB]` (the sum
    of `bytes`, 1 KB = 1024 bytes) or `latency=T[ms]` (milliseconds: `base_latency_ms`, the latency no layer's
    choice changes, 0 if absent, plus the sum of `latency_ms`, on a grid of
    10000 steps rounded up) or `latency=Fx` (F times `reference_latency_ms`,
    which the table must give; qoptc writes the all-INT8 model's measured
    latency there). Layers not in the table keep the pipeline's default. A
    remark per layer (each member of a group) names its choice.
  }];
  let options = [
    Option<"table", "table", "std::string", "", "Sensitivity/cost table (JSON)">,
    Option<"budget", "budget", "std::string", "",
           "bits=B, size=N[KB|MB], latency=MS or latency=Fx">
  ];
}

def SwitchTrials : Pass<"qopt-switch-trials", "::mlir::ModuleOp"> {
  let summary = "One model for every mixed-precision trial: quantized copies selected at run time";
  let description = [{
    Mixed precision measures each candidate layer quantized alone (every
    other layer float) on the calibration samples. Instead of compiling one
    model per trial, this pass builds one model that holds them all: each
    entry `<layer id>=<format>` of `trials` (trial number = its position,
    or the entry's number in `trial-numbers`, which lets one trial switch
    several layers: a group of layers that take one format together)
    adds a copy of the layer, with the Relu/Clip chain that folds into its
    output, carrying `qopt.format = <format>` and `qopt.layer_id = <layer
    id>` (so statistics and GPTQ codes keyed by the layer's id find it), next
    to the layer itself, which becomes `qopt.format = "float"`. A
    `qopt.where` on `qopt.equal(trial, t)` passes the copy's output on when
    the new last function argument `trial` (tensor<1xi64>, named
    `qopt.trial`) is t, else the float one; any other number runs the float
    model.

    Observers: the pass removes those of the calibrated model and observes,
    with the same attributes (id, channel axis), only what a trial of an
    `int8` copy quantizes: the copy's activation inputs and, when the
    layer's output (after the folded chain) feeds a pass-through op
    (MaxPool, a shape op, Concat), its output. Everything else runs float,
    as in the trial; quantizable layers no trial names become `float`.
    Group-wise formats (`w<bits>g<group>`) quantize weights
    only and get no observers (W4A16 trials of weight-only mixed
    precision), unless `group-activations` is set: then their copies are
    observed as `int8` ones are (W4A8 trials of INT8 mixed precision).

    With `reverse`, the trials are the other way round (each layer restored
    to float in the quantized model, to capture interactions): every trial
    is `<layer id>=float`, the layers and the calibrated observers stay as
    they are (the model quantizes as without the pass when no trial runs),
    and each copy is `float`, reading the layer's unobserved inputs; the
    selected output goes on to the layer's users and observers as the
    layer's did. With `group-activations`, a reverse trial may also switch
    a layer to a group-wise format (`<layer id>=w<bits>g<group>`, the
    all-INT8 model with that layer W4A8): that copy reads the layer's
    observed inputs.

    Errors: a trial naming no quantizable layer (`keep-float` honoured), a
    format that is not `int8` or `w<bits>g<group>` (only `float` with
    `reverse`, or `float` and `w<bits>g<group>` with `reverse` and
    `group-activations`), a quantized copy whose input the calibrated model
    did not observe, a layer named twice with one format, a module without exactly
    one public function, `trial-numbers` not one non-negative number per
    entry, a layer named twice in one trial.
  }];
  let options = [
    ListOption<"trials", "trials", "std::string",
               "<layer id>=<format> per trial, in trial-number order">,
    ListOption<"trialNumbers", "trial-numbers", "int64_t",
               "The trial number of each entry of trials (default: its position)">,
    Option<"reverse", "reverse", "bool", /*default=*/"false",
           "Each trial restores its layer to float in the quantized model">,
    Option<"groupActivations", "group-activations", "bool", /*default=*/"false",
           "Group-wise copies quantize their activations as int8 copies do (W4A8); "
           "reverse trials may switch a layer to a group-wise format">,
    ListOption<"keepFloat", "keep-float", "std::string",
               "ONNX node names or op types left in float">
  ];
  let dependentDialects = ["::qopt::QOptDialect"];
}

def QuantizeWeights : Pass<"qopt-quantize-weights", "::mlir::ModuleOp"> {
  let summary = "Weight-only quantization: group-wise 4- or 8-bit weights of MatMul/Gemm layers";
  let description = [{
    W4A16 / W8A16 (`qoptc --weight-only`): the weight of every quantizable
    MatMul or Gemm (qopt/Transforms/Quant/QuantizableLayers.h, `keep-float`
    honoured) that is a static f32 constant, whose input dimension K is a
    multiple of `group-size`, and (Gemm) has transA = 0, alpha = 1 and no C
    or a bias C of [N] with beta = 1, becomes
    `qopt.dequantize(qopt.quantize(W'))` with a sub-channel
    `!quant.uniform<i4|u4|i8|u8:f32:{...}>` type: one scale (and, unless
    `symmetric`, one zero point) per output channel and group of
    `group-size` inputs. W' holds the quantized values, so quantizing it
    gives back the codes exactly. Activations stay float;
    `qopt-lower-quantized` turns each such layer into `qopt.matmul_nbits`.

    Codes are rounded to nearest with each group's clip ratio searched
    (`clip-search`, the MSE-optimal ratio on a grid from 1.00 to 0.50), or
    taken from GPTQ (`createQuantizeWeights` with the group-wise GPTQ result
    of calibration, by layer id). Other layers stay float, each with a
    remark saying why. With `embeddings`, the table [V, D] of a Gather on
    axis 0 is quantized the same way per row (groups along D; D a multiple
    of `group-size`); qopt-lower-quantized then gathers its packed rows and
    dequantizes only those (`qopt.dequantize_nbits`).

    A layer's `qopt.format` (qopt-assign-bit-widths) wins over `bits` and
    `group-size` (`w<bits>g<group>`; GPTQ codes under
    `<layer>@w<bits>g<group>` first), keeps it float (`float`) or leaves
    it to INT8 (`int8`). With `formatted-only` (INT8 with group-wise
    formats: W4A8 mixed precision), only layers with a group-wise format
    are touched, and one that cannot take its format is an error.
  }];
  let options = [
    Option<"bits", "bits", "int64_t", "4",
           "Weight bits, 2 to 8 (4 or 8 with int8 activations)">,
    Option<"groupSize", "group-size", "int64_t", "128",
           "Inputs per group (a power of two, at least 16)">,
    Option<"symmetric", "symmetric", "bool", "false",
           "Symmetric codes (no zero points) instead of asymmetric">,
    Option<"clipSearch", "clip-search", "bool", "true",
           "Search each group's clip ratio (round to nearest only)">,
    Option<"embeddings", "embeddings", "bool", "false",
           "Also embedding tables: a Gather (axis 0) of a static 2-D f32 constant, "
           "per row and group, rounded to nearest with the clip search">,
    Option<"formattedOnly", "formatted-only", "bool", "false",
           "Only layers whose qopt.format is group-wise (w<bits>g<group>); the others "
           "are left as they are, without remarks (INT8 mixed precision, where they "
           "are INT8 or float)">,
    ListOption<"keepFloat", "keep-float", "std::string",
               "ONNX node names or op types left in float">
  ];
  let dependentDialects = ["::qopt::QOptDialect", "::mlir::quant::QuantDialect"];
}

def ApplyRoundedWeights : Pass<"qopt-apply-rounded-weights", "::mlir::ModuleOp"> {
  let summary = "Replace weights by their GPTQ-rounded values";
  let description = [{
    GPTQ (`qoptc --weight-rounding=gptq`, the default) rounds each layer's
    weights during calibration and saves them as int8 codes and scales in
    the statistics (`stats`). This pass writes them back: the weight of
    every layer GPTQ rounds (a quantizable Conv/MatMul/Gemm with an observed
    input and a static f32 constant weight, see
    qopt/Transforms/Quant/QuantizableLayers.h) becomes code x scale, which
    `qopt-quantize-ops` quantizes back to exactly those codes. Layers are
    found by their stable id (the ONNX node name), not by position. A layer
    whose `qopt.format` is group-wise (`w<bits>g<group>`, INT8 mixed
    precision's W4A8 choices) is left alone: `qopt-quantize-weights` gives
    it that format's codes.

    Errors, each naming the statistics: a fingerprint of another model,
    statistics without rounded weights (calibrated with
    `--weight-rounding=nearest`), a layer without an entry, an entry of
    another shape, or weights rounded per channel for a per-tensor
    compilation (`per-tensor-weights`) or the other way round. Run after
    `qopt-insert-observers` with the same `keep-float`; `check-fingerprint=false`
    skips the fingerprint where `qopt-attach-calibration-stats` has just
    checked the same statistics (qopt-quantize-pipeline).
  }];
  let options = [
    Option<"statsFile", "stats", "std::string", "\"\"",
           "Calibration statistics file (JSON) with rounded weights">,
    Option<"checkFingerprint", "check-fingerprint", "bool", "true",
           "Check that the statistics are for this model">,
    Option<"perTensorWeights", "per-tensor-weights", "bool", "false",
           "The compilation quantizes weights per tensor">,
    ListOption<"keepFloat", "keep-float", "std::string",
               "ONNX node names or op types left in float">,
    Option<"recordOriginals", "record-originals", "bool", "false",
           "Keep each replaced weight's original values on its new constant "
           "(discardable attribute qopt.rounded_from; the report's weight SQNR "
           "compares the quantized weights with them)">
  ];
  let dependentDialects = ["::qopt::QOptDialect"];
}

def SelectOnlineHadamard : Pass<"qopt-select-online-hadamard", "::mlir::func::FuncOp"> {
  let summary = "Keep each online Hadamard transform only where it lowers the quantized error";
  let description = [{
    For every `qopt.hadamard` (inserted by `qopt-rotate`) whose output is
    observed and feeds only linear layers with constant weights: the error
    of the quantized product of those layers, measured on rows of the
    transform's output sampled during calibration, with the transform (X H,
    H^T W) and without it (X, W), cross-validated as the SmoothQuant alpha
    search measures it, with this compilation's activation quantization. A
    transform that does not lower it is removed and the weights restored;
    the observer records `qopt.online_hadamard`. Needs the quantization
    driver's sampled rows (run by `qoptc --rotate` when calibrating).
  }];
  let options = [
    Option<"activationType", "activation-type", "std::string", "\"u8\"",
           "Activation quantization measured (u8 or s8)">,
    Option<"perTensorWeights", "per-tensor-weights", "bool", "false",
           "Weight quantization measured">,
    Option<"perToken", "per-token", "bool", "false",
           "Measure per-token activation quantization">
  ];
  let dependentDialects = ["::qopt::QOptDialect"];
}

def PerTokenActivations : Pass<"qopt-per-token-activations", "::mlir::func::FuncOp"> {
  let summary = "Quantize linear-layer inputs per token, with scales computed at run time";
  let description = [{
    For every MatMul with a constant [K, N] weight (and Gemm without C)
    whose activation input is observed: each row x of the input (a token)
    gets a symmetric scale `s = max|x| / 127` computed when the model runs,
    the codes `round(x / s)` enter the integer layer as
    `!quant.uniform<i8:f32, 1.0>`, and the layer's f32 output is multiplied
    by s. The static observer is dropped where the layer was its only user.
    A Gemm with a bias stays per tensor. The layer gets `qopt.per_token`.
    Run after `qopt-attach-calibration-stats` (and GPTQ's rounded weights),
    before `qopt-infer-scales`; `qoptc --activation-granularity=per-token`.
  }];
  let options = [
    ListOption<"keepFloat", "keep-float", "std::string",
               "ONNX node names or op types left in float">
  ];
  let dependentDialects = ["::qopt::QOptDialect", "::mlir::quant::QuantDialect"];
}

def InferScales : Pass<"qopt-infer-scales", "::mlir::func::FuncOp"> {
  let summary = "Turn calibration statistics into !quant.uniform types";
  let description = [{
    Every `qopt.observer` must carry statistics (`min`, `max`, `histogram`,
    `hist_min`, `hist_max`; attached by the driver from calibration). The
    range method (`minmax`, `percentile=P`, `mse`, `entropy`) picks the range;
    activations become per-tensor `u8` (asymmetric, range widened to contain
    0) or `i8` (symmetric, zero point 0). The observer is replaced by
    `qopt.quantize` → `qopt.dequantize` of that type; the quantize keeps the
    observer's id in a `qopt.observed` attribute. The output of a
    Conv/MatMul/Gemm (or its Relu/Clip) is quantized for all its users; any
    other tensor only for the users that run on quantized values (integer
    ops and pass-through ops), so that float users such as a residual Add
    keep full precision; the former carry a `qopt.all_users` attribute. A
    Conv/MatMul/Gemm left float (`keep-float`, or `qopt.format = "float"`
    from mixed precision) is a float op here, as producer and as user.

    Tensors that reach a Softmax, LogSoftmax, ArgMax/ArgMin or a graph output
    through shape ops only keep their full (min/max) range with every method:
    clipping logits merges the largest values and changes the winning class.

    Scales are shared where the integer math requires it: all observers that
    feed a Concat directly, and the observer of its output, get the union of
    their ranges, so the Concat runs on quantized values unchanged.

    With `per-channel-depthwise`, depthwise inputs are quantized per channel
    (axis 1) when the observer has `channel_min`/`channel_max`: a tensor
    produced by a float op (not an accumulator; a layer left float
    included), shared with no Concat,
    whose quantized users are all depthwise Convs. Output channel c of a
    depthwise Conv reads only input channel c, so the accumulator scale
    sx[c]·sw[c] costs nothing extra. Channel c covers [-a, a] for its
    largest magnitude a, within the tensor's chosen range.
  }];
  let options = [
    Option<"method", "method", "std::string", "\"minmax\"",
           "Range method: minmax, percentile=P, mse or entropy">,
    Option<"activationType", "activation-type", "std::string", "\"u8\"",
           "u8 (asymmetric) or s8 (symmetric)">,
    Option<"perChannelDepthwise", "per-channel-depthwise", "bool", "false",
           "Quantize depthwise Conv inputs per channel">,
    ListOption<"keepFloat", "keep-float", "std::string",
               "ONNX node names or op types left in float (as qopt-quantize-ops is told)">
  ];
  let dependentDialects = ["::qopt::QOptDialect", "::mlir::quant::QuantDialect"];
}

def QuantizeOps : Pass<"qopt-quantize-ops", "::mlir::func::FuncOp"> {
  let summary = "Form the integer graph from quantize/dequantize pairs";
  let description = [{
    Rewrites, to a fixed point:
    - `quantize(dequantize(x))` → `x` (same type) or `requantize(x)`;
    - pass-through ops (Reshape, Flatten, Transpose, Squeeze, Unsqueeze,
      Slice, Identity, MaxPool, Relu, and Concat of one shared type) applied
      to `dequantize(x)` run on the quantized tensor, and the dequantize moves
      below them (Relu becomes max(q, zero point));
    - `quantize(act(conv(dequantize(x), W, B)))` with constant W and B, `act`
      a chain of Relu/Clip, becomes a Conv on quantized tensors (with an f32
      result when the output is not quantized): W is
      quantized symmetric per output channel (`i8` in [-127, 127]; per tensor
      with `per-tensor-weights`), B becomes i32 with scale sx·sw[c], and the
      activation runs on the output's quantized values. MatMul and Gemm
      (alpha = 1, beta = 1, transA = 0) likewise, with per-column weights.
    Ops named in `keep-float` stay in float.
  }];
  let options = [
    Option<"perTensorWeights", "per-tensor-weights", "bool", "false",
           "Quantize weights per tensor instead of per output channel">,
    ListOption<"keepFloat", "keep-float", "std::string",
               "ONNX node names or op types to leave in float">
  ];
  let dependentDialects = ["::qopt::QOptDialect", "::mlir::quant::QuantDialect"];
}

def LowerQuantized : Pass<"qopt-lower-quantized", "::mlir::func::FuncOp"> {
  let summary = "Quantized tensors → storage integers and integer arithmetic";
  let description = [{
    Replaces every !quant.uniform tensor by its storage type (`ui8` for u8,
    `i8` for i8) and the quantized ops by qopt arithmetic on integers, so the
    float lowering handles the rest:
    - quantize: `cast(clip(round(x / s) + z))`, folded to a constant for
      constant inputs (weights);
    - dequantize: `(cast(q) - z) * s`; requantize: dequantize then quantize;
    - Conv/MatMul/Gemm: i32 operands `q - z`, i32 accumulation with the i32
      bias, then the requantization epilogue
      `saturate(round(f32(acc) * M) + zy)`, `M = sx·sw/sy` per output channel
      (float requantization, the one rule qopt uses everywhere);
    - Relu/Clip/MaxPool/Concat and shape ops: the same op on storage values;
    - first, a float MatMul/Gemm whose weight is dequantize(quantize(constant))
      with a sub-channel type (weight-only, qopt-quantize-weights) becomes
      `qopt.matmul_nbits` with the codes packed as qopt/Quant/NBitsPacking.h
      lays them out (lib/Transforms/Quant/LowerWeightOnly.cpp), and a Gather
      (axis 0) of such a table becomes gathers of its packed rows, scales and
      zero points and `qopt.dequantize_nbits` of the gathered rows; a
      sub-channel type anywhere else is an error.
    Rounding is half to even everywhere.
  }];
  let dependentDialects = ["::qopt::QOptDialect"];
}

def ImportQDQ : Pass<"qopt-import-qdq", "::mlir::func::FuncOp"> {
  let summary = "ONNX QuantizeLinear/DequantizeLinear pairs → qopt quantize/dequantize";
  let description = [{
    For models quantized by other tools (ONNX Runtime's or TensorRT's QDQ
    format): `DequantizeLinear(QuantizeLinear(x))` with constant scales and
    zero points becomes `qopt.dequantize(qopt.quantize(x))` of the matching
    `!quant.uniform` type (per tensor or per axis), and `DequantizeLinear` of
    a constant integer tensor (quantized weights) becomes
    `qopt.dequantize(qopt.quantize(w))` with `w` the dequantized constant, so
    that re-quantizing at compile time gives back exactly the stored
    integers. `qopt-quantize-ops` then forms the same integer graph as for a
    model qopt calibrated itself, keeping the model's own weight scales.
    Blocked (block_size > 0) quantization and pairs with run-time scales are
    left as they are (`qopt-lower-quantize-linear` computes them in float).
    Run `qopt-expand-qoperator` first so that QLinearConv/QLinearMatMul
    models form pairs too.
  }];
  let dependentDialects = ["::qopt::QOptDialect", "::mlir::quant::QuantDialect"];
}

def ExpandQOperator : Pass<"qopt-expand-qoperator", "::mlir::func::FuncOp"> {
  let summary = "ONNX QOperator-format ops → QDQ pairs and integer ops";
  let description = [{
    Rewrites the quantized ONNX operators into ops qopt already handles, so
    that a model in ONNX Runtime's QOperator format compiles to the same
    integer graph as a QDQ model:
    - `QLinearConv` → `QuantizeLinear(Conv(DequantizeLinear(x),
      DequantizeLinear(w), DequantizeLinear(B, x_scale·w_scale)))`, and
      `QLinearMatMul` likewise with `MatMul` (per-row `a`/`y` and per-column
      `b` scales become per-axis pairs). `qopt-import-qdq` then turns the
      pairs with constant scales into `!quant.uniform` types.
    - `MatMulInteger` / `ConvInteger` → `MatMul` / `Conv` on i32 operands
      `q - zero_point` (exact i32 accumulation, as ONNX defines them).
    - `DynamicQuantizeLinear` → its defining arithmetic: the u8 scale
      `(max(x, 0) - min(x, 0)) / 255`, zero point `saturate(round(-min / scale))`
      and `saturate(round(x / scale) + zero_point)`.
  }];
  let dependentDialects = ["::qopt::QOptDialect"];
}

def LowerQuantizeLinear : Pass<"qopt-lower-quantize-linear", "::mlir::func::FuncOp"> {
  let summary = "ONNX QuantizeLinear/DequantizeLinear left in the graph → arithmetic";
  let description = [{
    The QuantizeLinear/DequantizeLinear ops that `qopt-import-qdq` did not
    turn into quantized types (run-time scales, integer graph outputs, or
    when it did not run) become the arithmetic ONNX defines, with
    run-time scales and zero points:
    - QuantizeLinear: `cast(clip(round_half_even(x / scale) + zero_point,
      qmin, qmax))` with the division in f32 (as ONNX Runtime does);
    - DequantizeLinear: `f32(i32(x) - i32(zero_point)) * scale`.
    Per-axis scales broadcast along `axis`. Blocked quantization
    (block_size > 0), non-f32 scales and non-integer storage types are
    errors naming the ONNX node.
  }];
  let dependentDialects = ["::qopt::QOptDialect"];
}

#endif
