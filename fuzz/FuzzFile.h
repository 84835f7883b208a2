//===- FuzzFile.h - fuzz bytes as a file for readers that take paths ------===//
#ifndef QOPT_FUZZ_FUZZFILE_H
#define QOPT_FUZZ_FUZZFILE_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

namespace qopt::fuzz {

/// The bytes in an anonymous in-memory file (memfd), for readers that take a
/// path ("/proc/self/fd/N"; no extension, so the targets call each reader
/// directly instead of dispatching on one).
class MemFile {
public:
  MemFile(const uint8_t *data, size_t size) {
    fd = memfd_create("qopt-fuzz", 0);
    if (fd >= 0 && size)
      for (size_t done = 0; done < size;) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0)
          break;
        done += size_t(n);
      }
  }
  ~MemFile() {
    if (fd >= 0)
      close(fd);
  }
  MemFile(const MemFile &) = delete;
  MemFile &operator=(const MemFile &) = delete;
  bool ok() const { return fd >= 0; }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd); }

private:
  int fd = -1;
};

} // namespace qopt::fuzz

#endif
