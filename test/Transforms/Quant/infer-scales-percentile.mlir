// RUN: qopt-opt %s --qopt-infer-scales="method=percentile=99" | FileCheck %s --check-prefix=PCT
// RUN: qopt-opt %s --qopt-infer-scales="method=entropy" | FileCheck %s --check-prefix=KL

// Percentile from the histogram: 8 bins over [-4, 4] holding 50 values in
// [0, 1), 49 in [1, 2) and one outlier in [3, 4). The 99th percentile is the
// upper edge 2.0, so the range is [0, 2]: scale 2/255, zero point 0.
// PCT-LABEL: func.func @percentile
// PCT: !quant.uniform<u8:f32, 0.0078431372549019607>
// Entropy keeps the whole range (max 3.9) when the histogram has fewer bins
// than quantization levels: scale 3.9/255.
// KL: !quant.uniform<u8:f32, 0.015294117647058823>
func.func @percentile(%x: tensor<100xf32>) -> tensor<100xf32> {
  %o = qopt.observer %x {id = "x", min = 0.0 : f64, max = 3.9 : f64,
                         histogram = array<i64: 0, 0, 0, 0, 50, 49, 0, 1>,
                         hist_min = -4.0 : f64, hist_max = 4.0 : f64} : tensor<100xf32>
  %r = qopt.relu %o : (tensor<100xf32>) -> tensor<100xf32>
  return %r : tensor<100xf32>
}

// The same statistics feeding a Softmax (through a reshape) keep the full
// range with every method: scale 3.9/255.
// PCT-LABEL: func.func @logits
// PCT: !quant.uniform<u8:f32, 0.015294117647058823>
func.func @logits(%x: tensor<100xf32>) -> tensor<10x10xf32> {
  %o = qopt.observer %x {id = "x", min = 0.0 : f64, max = 3.9 : f64,
                         histogram = array<i64: 0, 0, 0, 0, 50, 49, 0, 1>,
                         hist_min = -4.0 : f64, hist_max = 4.0 : f64} : tensor<100xf32>
  %s = qopt.constant dense<10> : tensor<2xi64>
  %r = qopt.reshape %o, %s : (tensor<100xf32>, tensor<2xi64>) -> tensor<10x10xf32>
  %p = qopt.softmax %r : (tensor<10x10xf32>) -> tensor<10x10xf32>
  return %p : tensor<10x10xf32>
}
