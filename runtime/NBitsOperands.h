//===- NBitsOperands.h - operands of the n-bit weight kernels ---*- C++ -*-===//
//
// What qopt_matmul_nbits_f32 and qopt_matmul_nbits_s8 do with their memref
// arguments before computing: check them against the packed layout
// (qopt/Quant/NBitsPacking.h) and make the weight operands dense, and run
// A and C with strided columns one row at a time through dense copies.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_RUNTIME_NBITSOPERANDS_H
#define QOPT_RUNTIME_NBITSOPERANDS_H

#include "MemRefs.h"
#include "Threads.h"
#include "qopt/Quant/NBitsPacking.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace qopt::rt {

/// The rows kernel of `table` named `name` (any: empty) that can run
/// `layout` on this CPU, fastest first, or null.
template <typename Kernel, size_t N>
const Kernel *findRowsKernel(const Kernel (&table)[N], const std::string &name,
                             const qopt::nbits::Layout &layout) {
  for (const Kernel &k : table)
    if ((name.empty() || name == k.name) && k.available(layout))
      return &k;
  return nullptr;
}

/// The names of the kernels of `table` that can run `layout` here.
template <typename Kernel, size_t N>
void availableRowsKernels(const Kernel (&table)[N], const qopt::nbits::Layout &layout,
                          std::vector<std::string> &names) {
  for (const Kernel &k : table)
    if (k.available(layout))
      names.push_back(k.name);
}

/// The weight operands of one call, dense: pointers into the caller's
/// buffers, or into the copies held here.
struct NBitsWeights {
  qopt::nbits::Layout l;
  const uint8_t *b = nullptr;
  const float *scales = nullptr;
  const uint8_t *zp = nullptr; // null: 2^(bits - 1)
  std::vector<uint8_t> bCopy, zCopy;
  std::vector<float> sCopy;

  /// Checks B [N, blocks, blob], scales, zero points ([0, 0]: none) and C's
  /// shape against the layout {k, N, bits, blockSize} and the compiled K; on a
  /// mismatch records a kernel error naming `op` and returns false (a wrong
  /// layout would read past W).
  bool init(const char *op, int64_t m, int64_t k, int64_t compiledK, int64_t bits,
            int64_t blockSize, MemRefView<uint8_t, 3> bv, MemRefView<float, 2> sv,
            MemRefView<uint8_t, 2> zv, int64_t cRows, int64_t cCols) {
    int64_t n = bv.sizes[0], kBlocks = bv.sizes[1], blob = bv.sizes[2];
    l = qopt::nbits::Layout{k, n, bits, blockSize};
    bool zeroPoints = zv.sizes[0] != 0;
    if (l.invalid() || k != compiledK || l.kBlocks() != kBlocks || l.blobBytes() != blob ||
        cRows != m || cCols != n || sv.sizes[0] * sv.sizes[1] != n * kBlocks ||
        (zeroPoints && zv.sizes[0] * zv.sizes[1] != n * l.zeroPointBytes())) {
      kernelError((std::string(op) + ": A's inner dimension " + std::to_string(k) +
                   " (or the result's shape) does not match the packed weight: K = " +
                   std::to_string(compiledK) + ", " + std::to_string(n) + " x " +
                   std::to_string(kBlocks) + " blocks of " + std::to_string(blockSize))
                      .c_str());
      return false;
    }
    b = bv.data;
    scales = sv.data;
    zp = zeroPoints ? zv.data : nullptr;
    // The constants of the compiled model are dense; anything else is
    // copied dense first.
    if (!denseRowMajor(3, bv.sizes, bv.strides)) {
      bCopy.resize(size_t(n * kBlocks * blob));
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < kBlocks; ++j)
          for (int64_t t = 0; t < blob; ++t)
            bCopy[(i * kBlocks + j) * blob + t] =
                bv.data[i * bv.strides[0] + j * bv.strides[1] + t * bv.strides[2]];
      b = bCopy.data();
    }
    if (!denseRowMajor(2, sv.sizes, sv.strides)) {
      sCopy = copy2D(sv);
      scales = sCopy.data();
    }
    if (zeroPoints && !denseRowMajor(2, zv.sizes, zv.strides)) {
      zCopy = copy2D(zv);
      zp = zCopy.data();
    }
    return true;
  }

private:
  template <typename T>
  static std::vector<std::remove_const_t<T>> copy2D(MemRefView<T, 2> v) {
    std::vector<std::remove_const_t<T>> out(size_t(v.sizes[0] * v.sizes[1]));
    for (int64_t i = 0; i < v.sizes[0]; ++i)
      for (int64_t j = 0; j < v.sizes[1]; ++j)
        out[i * v.sizes[1] + j] = v.data[i * v.strides[0] + j * v.strides[1]];
    return out;
  }
};

/// Calls run(a, rows, lda, c, ldc) on A [m, k] and C [m, n] with unit
/// column strides: once when they have them, else row by row through dense
/// copies.
template <typename A, typename Run>
void withDenseRows(const A *a, int64_t m, int64_t k, int64_t as0, int64_t as1, float *c,
                   int64_t n, int64_t cs0, int64_t cs1, Run run) {
  if (as1 == 1 && cs1 == 1) {
    run(a, m, as0, c, cs0);
    return;
  }
  std::vector<A> rowA(static_cast<size_t>(k));
  std::vector<float> rowC(static_cast<size_t>(n));
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < k; ++j)
      rowA[j] = a[i * as0 + j * as1];
    for (int64_t j = 0; j < n; ++j)
      rowC[j] = c[i * cs0 + j * cs1];
    run(rowA.data(), 1, k, rowC.data(), n);
    for (int64_t j = 0; j < n; ++j)
      c[i * cs0 + j * cs1] = rowC[j];
  }
}

} // namespace qopt::rt

#endif
