//===- TensorIO.h - .npy / .npz / ONNX TensorProto (.pb) tensors --*- C++ -*-===//
#ifndef QOPT_SUPPORT_TENSORIO_H
#define QOPT_SUPPORT_TENSORIO_H

#include "qopt-c/Runtime.h"

#include <cstdint>
#include <iosfwd>
#include <memory>
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
/// Parses a .npy header: fills t's dtype and shape (not its data) and the
/// offset of the data in `bytes`.
bool parseNpyHeader(const std::string &bytes, HostTensor &t, size_t &dataOffset,
                    std::string &error);

/// Reads an .npz whose members share a leading (sample) axis one slice at a
/// time, holding at most one slice per member in memory. Stored members are
/// read at their offset; compressed ones are inflated forward, from the start
/// again when an earlier slice is asked for.
class NpzSliceReader {
public:
  NpzSliceReader();
  ~NpzSliceReader();
  bool open(const std::string &path, std::string &error);
  /// Name, dtype and full shape (leading axis included) of each member; no data.
  std::vector<HostTensor> arrays() const;
  /// Slice `i` along the leading axis of every member.
  bool readSlice(size_t i, std::vector<HostTensor> &out, std::string &error);

private:
  struct Member;
  std::string path;
  std::unique_ptr<std::ifstream> file;
  std::vector<std::unique_ptr<Member>> members;
};

} // namespace qopt::io

#endif
