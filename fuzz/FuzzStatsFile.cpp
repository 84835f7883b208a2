//===- FuzzStatsFile.cpp - libFuzzer target: calibration statistics files --===//
//
// Reads the input as a statistics file (qoptc --load-calib-stats): corrupt
// or hostile files must give errors, never a crash, hang, leak or sanitizer
// report. A file that reads is written back and read again (the writer must
// accept whatever the reader accepted, and the round trip must read).
//
//===----------------------------------------------------------------------===//
#include "FuzzFile.h"

#include "qopt/Quant/StatsFile.h"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  qopt::fuzz::MemFile file(data, size);
  if (!file.ok())
    return 0;
  qopt::quant::CalibrationStats stats;
  std::string error;
  if (!qopt::quant::readStatsFile(file.path(), stats, error))
    return 0;
  char path[] = "/tmp/qopt-fuzz-stats-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0)
    return 0;
  close(fd);
  qopt::quant::CalibrationStats again;
  if (qopt::quant::writeStatsFile(path, stats, error) &&
      !qopt::quant::readStatsFile(path, again, error)) {
    std::fprintf(stderr, "a statistics file qopt wrote does not read back: %s\n",
                 error.c_str());
    std::abort();
  }
  std::remove(path);
  return 0;
}
