//===- NBitsPacking.h - Layout of packed low-bit weights --------*- C++ -*-===//
//
// The storage of block-quantized (group-wise) weights, shared by the
// compiler (qopt.matmul_nbits, its lowering and the weight quantizer) and
// the runtime (qopt_matmul_nbits_f32). It is ONNX Runtime's com.microsoft
// MatMulNBits layout, so imported MatMulNBits weights are used as they are
// and qopt's own weights export to it unchanged. Header-only and free of
// intrinsics so both sides build it.
//
// A weight W[N, K] (output channel n, input element k; the transpose of a
// MatMul's B[K, N]) is cut along K into kBlocks = ceil(K / blockSize)
// blocks, the last one padded with code 0:
//   B            u8 [N, kBlocks, blobBytes], blobBytes = blockSize * bits / 8;
//                a blob is its codes' bits end to end, least significant
//                first ("stored squeezely", ONNX Runtime's schema for bits 2
//                to 8): element i occupies bits [i * bits, (i + 1) * bits)
//                of the blob (bit b of byte j is bit 8j + b). 4 bits: byte j
//                holds element 2j in its low nibble and 2j + 1 in its high
//                nibble; 8 bits: one byte each; 3, 5, 6, 7 bits: a code may
//                straddle two bytes.
//   scales       f32 [N, kBlocks] (ONNX stores it flattened, [N * kBlocks]).
//   zero points  u8 [N, zeroPointBytes], zeroPointBytes = ceil(kBlocks * bits
//                / 8), packed like B along the blocks (4 bits: block 2j in
//                the low nibble of byte j). Absent means 2^(bits - 1).
// Codes are unsigned, in [0, 2^bits); w[n, k] = (code - zeroPoint) * scale.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_QUANT_NBITSPACKING_H
#define QOPT_QUANT_NBITSPACKING_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qopt::nbits {

/// The runtime's kernels for a MatMulNBits: C[M, N] += A[M, K] * W^T with A
/// f32, or with A signed 8-bit integers (W4A8: integer dot products per
/// block, scaled in f32).
constexpr const char *kKernelName = "qopt_matmul_nbits_f32";
constexpr const char *kKernelNameS8 = "qopt_matmul_nbits_s8";

/// The library_call of that generic: the kernel's name and the compiled K,
/// "qopt_matmul_nbits_f32:k=<K>" (or the s8 kernel's).
inline std::string libraryCall(int64_t k, bool s8 = false) {
  return std::string(s8 ? kKernelNameS8 : kKernelName) + ":k=" + std::to_string(k);
}

/// K from a library_call written by libraryCall, or nothing.
inline std::optional<int64_t> libraryCallK(std::string_view call) {
  std::string_view prefix = kKernelName;
  if (call.substr(0, prefix.size()) != prefix)
    prefix = kKernelNameS8;
  if (call.substr(0, prefix.size()) != prefix || call.substr(prefix.size(), 3) != ":k=")
    return std::nullopt;
  int64_t k = 0;
  std::string_view digits = call.substr(prefix.size() + 3);
  if (digits.empty() || digits.size() > 18)
    return std::nullopt;
  for (char c : digits) {
    if (c < '0' || c > '9')
      return std::nullopt;
    k = k * 10 + (c - '0');
  }
  return k > 0 ? std::optional<int64_t>(k) : std::nullopt;
}

/// Bit widths the layout and qopt_matmul_nbits_f32 support (ONNX Runtime
/// 1.30's CPU kernel runs 2, 4 and 8).
constexpr bool supportedBits(int64_t bits) { return bits >= 2 && bits <= 8; }

/// Bit widths ONNX Runtime 1.30's CPU MatMulNBits runs (an exported model's
/// other widths would be refused when loaded).
constexpr bool onnxRuntimeRunsBits(int64_t bits) { return bits == 2 || bits == 4 || bits == 8; }

/// Bit widths qopt_matmul_nbits_s8 (int8 activations) supports.
constexpr bool supportedBitsS8(int64_t bits) { return bits == 4 || bits == 8; }

/// Code `i` of a bit stream (codes of `bits` bits end to end, least
/// significant first).
inline uint8_t streamCode(const uint8_t *stream, int64_t i, int64_t bits) {
  int64_t bit = i * bits, byte = bit / 8, shift = bit % 8;
  unsigned v = stream[byte];
  if (shift + bits > 8)
    v |= unsigned(stream[byte + 1]) << 8;
  return uint8_t((v >> shift) & ((1u << bits) - 1));
}

/// Stores code `i` of a bit stream (the other codes' bits are kept).
inline void setStreamCode(uint8_t *stream, int64_t i, int64_t bits, uint8_t code) {
  int64_t bit = i * bits, byte = bit / 8, shift = bit % 8;
  unsigned mask = ((1u << bits) - 1) << shift, v = unsigned(code) << shift;
  stream[byte] = uint8_t((stream[byte] & ~mask) | (v & mask));
  if (shift + bits > 8)
    stream[byte + 1] =
        uint8_t((stream[byte + 1] & ~(mask >> 8)) | ((v & mask) >> 8));
}

/// Codes [8g, 8g + 8) of a bit stream, from its `bits` bytes [g * bits,
/// (g + 1) * bits) (eight codes always end on a byte), into out[0..8).
inline void unpackEight(const uint8_t *stream, int64_t g, int64_t bits, uint8_t *out) {
  uint64_t v = 0;
  for (int64_t j = 0; j < bits; ++j)
    v |= uint64_t(stream[g * bits + j]) << (8 * j);
  const uint64_t mask = (uint64_t(1) << bits) - 1;
  for (int j = 0; j < 8; ++j)
    out[j] = uint8_t((v >> (j * bits)) & mask);
}

/// Block sizes the layout supports: a power of two, at least 16 (as ONNX
/// Runtime requires).
constexpr bool supportedBlockSize(int64_t blockSize) {
  return blockSize >= 16 && (blockSize & (blockSize - 1)) == 0;
}

struct Layout {
  int64_t k = 0, n = 0, bits = 4, blockSize = 32;

  int64_t kBlocks() const { return (k + blockSize - 1) / blockSize; }
  int64_t blobBytes() const { return blockSize * bits / 8; }
  int64_t weightBytes() const { return n * kBlocks() * blobBytes(); }
  int64_t zeroPointBytes() const { return (kBlocks() * bits + 7) / 8; }
  uint8_t maxCode() const { return uint8_t((1u << bits) - 1); }
  uint8_t defaultZeroPoint() const { return uint8_t(1u << (bits - 1)); }

  /// Why the layout is not one qopt supports, or nothing.
  std::optional<std::string> invalid() const {
    if (!supportedBits(bits))
      return "bits " + std::to_string(bits) + " is not supported (qopt supports 2 to 8)";
    if (!supportedBlockSize(blockSize))
      return "block_size " + std::to_string(blockSize) +
             " is not a power of two of at least 16";
    if (k <= 0 || n <= 0)
      return "K and N must be positive";
    return std::nullopt;
  }

  /// The blob of block `block` of row `row`.
  const uint8_t *blob(const uint8_t *b, int64_t row, int64_t block) const {
    return b + (row * kBlocks() + block) * blobBytes();
  }

  /// Code of W[n, k] in the packed weight `b`.
  uint8_t code(const uint8_t *b, int64_t row, int64_t col) const {
    return streamCode(blob(b, row, col / blockSize), col % blockSize, bits);
  }

  /// Stores the code of W[n, k] (the other codes are kept).
  void setCode(uint8_t *b, int64_t row, int64_t col, uint8_t code) const {
    setStreamCode(b + (row * kBlocks() + col / blockSize) * blobBytes(), col % blockSize, bits,
                  code);
  }

  /// Zero point of block `block` of row `row`; `zp` may be null (default).
  uint8_t zeroPoint(const uint8_t *zp, int64_t row, int64_t block) const {
    if (!zp)
      return defaultZeroPoint();
    return streamCode(zp + row * zeroPointBytes(), block, bits);
  }

  void setZeroPoint(uint8_t *zp, int64_t row, int64_t block, uint8_t value) const {
    setStreamCode(zp + row * zeroPointBytes(), block, bits, value);
  }

  /// W[n, k] as the kernels compute it: (code - zeroPoint) * scale in f32.
  float dequantize(const uint8_t *b, const float *scales, const uint8_t *zp, int64_t row,
                   int64_t col) const {
    int64_t block = col / blockSize;
    return float(int(code(b, row, col)) - int(zeroPoint(zp, row, block))) *
           scales[row * kBlocks() + block];
  }
};

} // namespace qopt::nbits

#endif
