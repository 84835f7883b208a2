//===- ShapeUtils.h - broadcasting and constant-shape helpers -----*- C++ -*-===//
//
// Pure helpers shared by result-type inference, folders and the importer.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_DIALECT_QOPT_IR_SHAPEUTILS_H
#define QOPT_DIALECT_QOPT_IR_SHAPEUTILS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>

namespace qopt {

/// Numpy (multidirectional) broadcast of two shapes; dynamic dims are
/// mlir::ShapedType::kDynamic. Returns std::nullopt when the static dims
/// conflict (neither is 1 and they differ).
std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

/// Normalizes an axis in [-rank, rank) to [0, rank); nullopt if out of range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

/// Integer contents of a constant tensor value (qopt.constant of any integer
/// type), or nullopt when the value is not a constant.
std::optional<llvm::SmallVector<int64_t>> getConstantInts(mlir::Value v);
/// Float contents of a constant tensor value (qopt.constant of float type).
std::optional<llvm::SmallVector<double>> getConstantFloats(mlir::Value v);
/// Integer contents of an elements attribute (dense or dense resource).
std::optional<llvm::SmallVector<int64_t>> getIntValues(mlir::ElementsAttr attr);
std::optional<llvm::SmallVector<double>> getFloatValues(mlir::ElementsAttr attr);

/// The stored bytes of a dense or dense-resource constant (row-major; one
/// element when `splat`), or nothing for other attributes or a released blob.
struct RawElements {
  llvm::ArrayRef<char> bytes;
  bool splat = false;
};
std::optional<RawElements> rawElementData(mlir::ElementsAttr attr);

/// The product of the static dims of `shape` (dynamic ones skipped; any 0
/// makes it 0), or nullopt when it does not fit in int64 (a malformed
/// model's shape).
std::optional<int64_t> staticElementCount(llvm::ArrayRef<int64_t> shape);

/// Output spatial size of a convolution / pooling window along one dim, using
/// explicit pads; kDynamic if the input is dynamic.
int64_t convOutputSize(int64_t in, int64_t kernel, int64_t stride,
                       int64_t dilation, int64_t padBegin, int64_t padEnd,
                       bool ceilMode);

} // namespace qopt

#endif
