//===- TensorIO.h - .npy / .npz / ONNX TensorProto (.pb) tensors --*- C++ -*-===//
#ifndef QOPT_SUPPORT_TENSORIO_H
#define QOPT_SUPPORT_TENSORIO_H

#include "qopt-c/Runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace qopt::io {

struct HostTensor {
  std::string name;          // npz member / TensorProto name (may be empty)
  int32_t dtype = QOPT_DTYPE_INVALID;
  std::vector<int64_t> shape;
  std::vector<char> data;    // row-major
};

/// Each returns false with `error` set on failure.
bool readNpy(const std::string &bytes, HostTensor &t, std::string &error);
bool readNpz(const std::string &path, std::vector<HostTensor> &out,
             std::string &error);
bool readTensorProto(const std::string &path, HostTensor &t, std::string &error);
/// Reads .npy, .npz (first array) or .pb by extension.
bool readFile(const std::string &path, std::vector<HostTensor> &out,
              std::string &error);
bool writeNpy(const std::string &path, const HostTensor &t, std::string &error);

} // namespace qopt::io

#endif
