//===- CpuFeatures.h - the library's instruction set against this CPU -----===//
#ifndef QOPT_RUNTIME_CPUFEATURES_H
#define QOPT_RUNTIME_CPUFEATURES_H

#include <string>

namespace qopt::rt {
/// False, with `error` naming them, if this CPU lacks any instruction-set
/// feature the library's code was compiled for (CpuFeatures.cpp).
bool checkCpuFeatures(std::string &error);
} // namespace qopt::rt

#endif
