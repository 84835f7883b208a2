// RUN: qopt-opt %s --split-input-file --verify-diagnostics

// A valid one: 4 bits, K = 40 in two blocks of 32 (the last one padded).
func.func @ok(%a: tensor<?x40xf32>, %b: tensor<3x2x16xui8>, %s: tensor<6xf32>, %z: tensor<3xui8>) -> tensor<?x3xf32> {
  %n = qopt.none
  %y = qopt.matmul_nbits %a, %b, %s, %z, %n, %n {K = 40 : i64, N = 3 : i64, block_size = 32 : i64} : (tensor<?x40xf32>, tensor<3x2x16xui8>, tensor<6xf32>, tensor<3xui8>, none, none) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

func.func @block_size(%a: tensor<2x40xf32>, %b: tensor<3x2x12xui8>, %s: tensor<6xf32>) -> tensor<2x3xf32> {
  %n = qopt.none
  // expected-error @+1 {{block_size 24 is not a power of two of at least 16}}
  %y = qopt.matmul_nbits %a, %b, %s, %n, %n, %n {K = 40 : i64, N = 3 : i64, block_size = 24 : i64} : (tensor<2x40xf32>, tensor<3x2x12xui8>, tensor<6xf32>, none, none, none) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @b_shape(%a: tensor<2x40xf32>, %b: tensor<3x1x16xui8>, %s: tensor<6xf32>) -> tensor<2x3xf32> {
  %n = qopt.none
  // expected-error @+1 {{B must be ui8 [N, ceil(K / block_size), block_size * bits / 8] = [3, 2, 16], got 'tensor<3x1x16xui8>'}}
  %y = qopt.matmul_nbits %a, %b, %s, %n, %n, %n {K = 40 : i64, N = 3 : i64, block_size = 32 : i64} : (tensor<2x40xf32>, tensor<3x1x16xui8>, tensor<6xf32>, none, none, none) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @k_mismatch(%a: tensor<2x48xf32>, %b: tensor<3x2x16xui8>, %s: tensor<6xf32>) -> tensor<2x3xf32> {
  %n = qopt.none
  // expected-error @+1 {{A's last dimension must be K = 40, got 'tensor<2x48xf32>'}}
  %y = qopt.matmul_nbits %a, %b, %s, %n, %n, %n {K = 40 : i64, N = 3 : i64, block_size = 32 : i64} : (tensor<2x48xf32>, tensor<3x2x16xui8>, tensor<6xf32>, none, none, none) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @scales_count(%a: tensor<2x40xf32>, %b: tensor<3x2x16xui8>, %s: tensor<3xf32>) -> tensor<2x3xf32> {
  %n = qopt.none
  // expected-error @+1 {{scales must be [N * blocks] or [N, blocks] with N = 3, blocks = ceil(K / block_size) = 2, got 'tensor<3xf32>'}}
  %y = qopt.matmul_nbits %a, %b, %s, %n, %n, %n {K = 40 : i64, N = 3 : i64, block_size = 32 : i64} : (tensor<2x40xf32>, tensor<3x2x16xui8>, tensor<3xf32>, none, none, none) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @float_zero_points(%a: tensor<2x40xf32>, %b: tensor<3x2x16xui8>, %s: tensor<6xf32>, %z: tensor<6xf32>) -> tensor<2x3xf32> {
  %n = qopt.none
  // expected-error @+1 {{zero points must be packed ui8 (float zero points are not supported), got 'f32'}}
  %y = qopt.matmul_nbits %a, %b, %s, %z, %n, %n {K = 40 : i64, N = 3 : i64, block_size = 32 : i64} : (tensor<2x40xf32>, tensor<3x2x16xui8>, tensor<6xf32>, tensor<6xf32>, none, none) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @zero_point_bytes(%a: tensor<2x40xf32>, %b: tensor<3x2x16xui8>, %s: tensor<6xf32>, %z: tensor<6xui8>) -> tensor<2x3xf32> {
  %n = qopt.none
  // expected-error @+1 {{zero points must be [N * bytes] or [N, bytes] with N = 3, bytes = ceil(blocks * bits / 8) = 1, got 'tensor<6xui8>'}}
  %y = qopt.matmul_nbits %a, %b, %s, %z, %n, %n {K = 40 : i64, N = 3 : i64, block_size = 32 : i64} : (tensor<2x40xf32>, tensor<3x2x16xui8>, tensor<6xf32>, tensor<6xui8>, none, none) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @g_idx(%a: tensor<2x40xf32>, %b: tensor<3x2x16xui8>, %s: tensor<6xf32>, %g: tensor<40xi32>) -> tensor<2x3xf32> {
  %n = qopt.none
  // expected-error @+1 {{g_idx (a permuted block order) is not supported}}
  %y = qopt.matmul_nbits %a, %b, %s, %n, %g, %n {K = 40 : i64, N = 3 : i64, block_size = 32 : i64} : (tensor<2x40xf32>, tensor<3x2x16xui8>, tensor<6xf32>, none, tensor<40xi32>, none) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @bias(%a: tensor<2x40xf32>, %b: tensor<3x2x16xui8>, %s: tensor<6xf32>, %bias: tensor<4xf32>) -> tensor<2x3xf32> {
  %n = qopt.none
  // expected-error @+1 {{bias must be f32 [N = 3], got 'tensor<4xf32>'}}
  %y = qopt.matmul_nbits %a, %b, %s, %n, %n, %bias {K = 40 : i64, N = 3 : i64, block_size = 32 : i64} : (tensor<2x40xf32>, tensor<3x2x16xui8>, tensor<6xf32>, none, none, tensor<4xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @eight_bits(%a: tensor<2x40xf32>, %b: tensor<3x3x16xui8>, %s: tensor<9xf32>, %z: tensor<9xui8>) -> tensor<2x3xf32> {
  %n = qopt.none
  // 8 bits, blocks of 16: three blocks, one zero-point byte each.
  %y = qopt.matmul_nbits %a, %b, %s, %z, %n, %n {K = 40 : i64, N = 3 : i64, bits = 8 : i64, block_size = 16 : i64} : (tensor<2x40xf32>, tensor<3x3x16xui8>, tensor<9xf32>, tensor<9xui8>, none, none) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @scales_transposed(%a: tensor<2x64xf32>, %b: tensor<3x2x16xui8>, %s: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %n = qopt.none
  // Rank-2 scales are [N, blocks]: [blocks, N] has the right count but would be read transposed.
  // expected-error @+1 {{scales must be [N * blocks] or [N, blocks] with N = 3, blocks = ceil(K / block_size) = 2, got 'tensor<2x3xf32>'}}
  %y = qopt.matmul_nbits %a, %b, %s, %n, %n, %n {K = 64 : i64, N = 3 : i64, block_size = 32 : i64} : (tensor<2x64xf32>, tensor<3x2x16xui8>, tensor<2x3xf32>, none, none, none) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @dequantize_rows(%p: tensor<4x16xui8>, %s: tensor<4x2xf32>) -> tensor<4x32xf32> {
  %n = qopt.none
  // 32 values in blocks of 32 take 16 bytes and 1 scale per row, not 2.
  // expected-error @+1 {{rows must hold 16 packed bytes, 1 scales and 1 zero-point bytes for D = 32}}
  %y = qopt.dequantize_nbits %p, %s, %n {D = 32 : i64, block_size = 32 : i64} : (tensor<4x16xui8>, tensor<4x2xf32>, none) -> tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// -----

// i8 A (W4A8 codes) is valid, with an f32 result; other integer A is not.
func.func @a_i8(%a: tensor<2x40xi8>, %b: tensor<3x2x16xui8>, %s: tensor<6xf32>) -> tensor<2x3xf32> {
  %n = qopt.none
  %y = qopt.matmul_nbits %a, %b, %s, %n, %n, %n {K = 40 : i64, N = 3 : i64, block_size = 32 : i64} : (tensor<2x40xi8>, tensor<3x2x16xui8>, tensor<6xf32>, none, none, none) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @a_i16(%a: tensor<2x40xi16>, %b: tensor<3x2x16xui8>, %s: tensor<6xf32>) -> tensor<2x3xf32> {
  %n = qopt.none
  // expected-error @+1 {{A must be f32 (or i8 codes), got 'i16'}}
  %y = qopt.matmul_nbits %a, %b, %s, %n, %n, %n {K = 40 : i64, N = 3 : i64, block_size = 32 : i64} : (tensor<2x40xi16>, tensor<3x2x16xui8>, tensor<6xf32>, none, none, none) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
