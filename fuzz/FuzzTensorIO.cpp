//===- FuzzTensorIO.cpp - libFuzzer target: .npy / .npz / .pb readers -----===//
//
// The first byte picks the reader, the rest is the file: 0 .npy (readNpy),
// 1 .npz (readNpz), 2 ONNX TensorProto .pb (readTensorProto), 3 the .npz
// slice reader calibration streams samples with (open, arrays, slices 0-2).
// Corrupt files must give errors, never a crash, hang, leak or sanitizer
// report (what qopt-run, qoptc --calib and the Python package feed them).
//
//===----------------------------------------------------------------------===//
#include "FuzzFile.h"

#include "qopt/Support/TensorIO.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  int kind = data[0] % 4;
  ++data;
  --size;
  std::string error;
  if (kind == 0) {
    qopt::io::HostTensor t;
    qopt::io::readNpy(std::string(reinterpret_cast<const char *>(data), size), t, error);
    return 0;
  }
  qopt::fuzz::MemFile file(data, size);
  if (!file.ok())
    return 0;
  if (kind == 1) {
    std::vector<qopt::io::HostTensor> out;
    qopt::io::readNpz(file.path(), out, error);
  } else if (kind == 2) {
    qopt::io::HostTensor t;
    qopt::io::readTensorProto(file.path(), t, error);
  } else {
    qopt::io::NpzSliceReader reader;
    if (reader.open(file.path(), error)) {
      (void)reader.arrays();
      std::vector<qopt::io::HostTensor> slice;
      for (size_t i = 0; i < 3; ++i)
        if (!reader.readSlice(i, slice, error))
          break;
    }
  }
  return 0;
}
