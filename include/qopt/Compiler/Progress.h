//===- Progress.h - progress of long compiler steps on stderr ---*- C++ -*-===//
#ifndef QOPT_COMPILER_PROGRESS_H
#define QOPT_COMPILER_PROGRESS_H

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <string>
#include <unistd.h>

namespace qopt {

/// Progress on stderr: a bar redrawn in place on a terminal, a line every
/// 10% otherwise.
struct ProgressBar {
  std::string what;
  size_t total;
  bool enabled;
  bool tty = isatty(2);
  int lastTenth = -1;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();

  void update(size_t done) {
    if (!enabled || total == 0)
      return;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    int tenth = int(done * 10 / total);
    if (!tty && tenth == lastTenth && done != total)
      return;
    lastTenth = tenth;
    size_t width = 30, filled = done * width / total;
    std::string bar(filled, '=');
    bar.resize(width, ' ');
    llvm::errs() << llvm::formatv("{0}qoptc: {1} [{2}] {3}/{4} ({5:f1}s){6}",
                                  tty ? "\r" : "", what, bar, done, total, s,
                                  tty && done != total ? "" : "\n");
    llvm::errs().flush();
  }
};

} // namespace qopt

#endif
