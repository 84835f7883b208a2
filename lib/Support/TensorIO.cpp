//===- TensorIO.cpp - .npy / .npz / ONNX TensorProto readers and writers ---===//
#include "qopt/Support/TensorIO.h"

#include "onnx/onnx_pb.h"

#include <cstring>
#include <fstream>
#include <sstream>
#include <zlib.h>

namespace qopt::io {

/// byteSize's answer for a negative dim or more than 2^62 bytes: readers
/// refuse such shapes before they allocate anything.
constexpr size_t kTooLarge = ~size_t(0);
/// Bytes of t's elements (its dtype and shape), or kTooLarge.
static size_t byteSize(const HostTensor &t);

namespace {

bool slurp(const std::string &path, std::string &bytes, std::string &error) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    error = "cannot open " + path;
    return false;
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  bytes = ss.str();
  return true;
}

struct NpyType {
  const char *descr;
  int32_t dtype;
};
const NpyType kNpyTypes[] = {
    {"f4", QOPT_DTYPE_F32}, {"f8", QOPT_DTYPE_F64}, {"f2", QOPT_DTYPE_F16},
    {"i1", QOPT_DTYPE_I8},  {"i2", QOPT_DTYPE_I16}, {"i4", QOPT_DTYPE_I32},
    {"i8", QOPT_DTYPE_I64}, {"u1", QOPT_DTYPE_U8},  {"u2", QOPT_DTYPE_U16},
    {"u4", QOPT_DTYPE_U32}, {"u8", QOPT_DTYPE_U64}, {"b1", QOPT_DTYPE_BOOL},
};

/// Value of 'key': in a numpy header dict (up to the next ',' or '}' at depth 0).
std::string headerField(const std::string &h, const std::string &key) {
  size_t p = h.find("'" + key + "'");
  if (p == std::string::npos)
    return "";
  p = h.find(':', p);
  if (p == std::string::npos)
    return "";
  ++p;
  int depth = 0;
  size_t q = p;
  for (; q < h.size(); ++q) {
    char c = h[q];
    if (c == '(')
      ++depth;
    else if (c == ')')
      --depth;
    else if ((c == ',' || c == '}') && depth == 0)
      break;
  }
  std::string v = h.substr(p, q - p);
  size_t a = v.find_first_not_of(" '\""), b = v.find_last_not_of(" '\"");
  return a == std::string::npos ? "" : v.substr(a, b - a + 1);
}

} // namespace

bool parseNpyHeader(const std::string &bytes, HostTensor &t, size_t &dataOffset,
                    std::string &error) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) {
    error = "not a .npy file";
    return false;
  }
  unsigned major = (unsigned char)bytes[6];
  size_t headerLen, start;
  if (major == 1) {
    headerLen = (unsigned char)bytes[8] | ((unsigned char)bytes[9] << 8);
    start = 10;
  } else {
    if (bytes.size() < 12) {
      error = "truncated .npy header";
      return false;
    }
    headerLen = 0;
    for (int i = 0; i < 4; ++i)
      headerLen |= (size_t)(unsigned char)bytes[8 + i] << (8 * i);
    start = 12;
  }
  if (start + headerLen > bytes.size()) {
    error = "truncated .npy header";
    return false;
  }
  std::string h = bytes.substr(start, headerLen);
  std::string descr = headerField(h, "descr");
  if (headerField(h, "fortran_order") == "True") {
    error = "Fortran-order .npy arrays are not supported";
    return false;
  }
  if (descr.size() < 3 || descr[0] == '>') {
    error = "unsupported .npy dtype '" + descr + "' (need little-endian numeric)";
    return false;
  }
  t.dtype = QOPT_DTYPE_INVALID;
  for (const auto &n : kNpyTypes)
    if (descr.substr(1) == n.descr)
      t.dtype = n.dtype;
  if (t.dtype == QOPT_DTYPE_INVALID) {
    error = "unsupported .npy dtype '" + descr + "'";
    return false;
  }
  std::string shape = headerField(h, "shape");
  t.shape.clear();
  for (size_t i = 0; i < shape.size();) {
    if (isdigit((unsigned char)shape[i])) {
      size_t j = i;
      while (j < shape.size() && isdigit((unsigned char)shape[j]))
        ++j;
      // At most 18 digits: every such dim fits in int64 (std::stoll would
      // throw on more); byteSize refuses products past 2^62.
      if (j - i > 18) {
        error = ".npy shape has a dimension too large: " + shape.substr(i, j - i);
        return false;
      }
      t.shape.push_back(std::stoll(shape.substr(i, j - i)));
      i = j;
    } else {
      ++i;
    }
  }
  if (byteSize(t) == kTooLarge) {
    error = ".npy shape " + shape + " has more bytes than qopt reads";
    return false;
  }
  dataOffset = start + headerLen;
  return true;
}

static size_t byteSize(const HostTensor &t) {
  uint64_t n = qopt_dtype_size(t.dtype);
  for (int64_t d : t.shape)
    if (d < 0 || __builtin_mul_overflow(n, uint64_t(d), &n) || n > (uint64_t(1) << 62))
      return kTooLarge;
  return size_t(n);
}

bool readNpy(const std::string &bytes, HostTensor &t, std::string &error) {
  size_t off;
  if (!parseNpyHeader(bytes, t, off, error))
    return false;
  size_t n = byteSize(t);
  if (bytes.size() - off < n) {
    error = "truncated .npy data";
    return false;
  }
  t.data.assign(bytes.begin() + off, bytes.begin() + off + n);
  return true;
}


namespace {

struct ZipEntry {
  std::string name;
  uint32_t method = 0, csize = 0, usize = 0;
  uint64_t dataOffset = 0;
};

bool readAt(std::ifstream &f, uint64_t offset, char *dst, size_t n) {
  f.clear();
  f.seekg(std::streamoff(offset));
  f.read(dst, std::streamsize(n));
  return size_t(f.gcount()) == n;
}

/// The entries of a zip archive, from its central directory (only the end of
/// the file and the local headers are read).
bool listZip(std::ifstream &f, const std::string &path, std::vector<ZipEntry> &entries,
             std::string &error) {
  f.seekg(0, std::ios::end);
  uint64_t size = uint64_t(f.tellg());
  if (size < 22) {
    error = path + ": not a zip archive";
    return false;
  }
  uint64_t tailStart = size > 65536 + 22 ? size - (65536 + 22) : 0;
  std::string tail(size - tailStart, '\0');
  if (!readAt(f, tailStart, tail.data(), tail.size())) {
    error = "cannot read " + path;
    return false;
  }
  auto u16 = [](const char *p) {
    return (uint32_t)(unsigned char)p[0] | ((uint32_t)(unsigned char)p[1] << 8);
  };
  auto u32 = [&](const char *p) { return u16(p) | (u16(p + 2) << 16); };
  size_t eocd = std::string::npos;
  for (size_t p = tail.size() - 22 + 1; p-- > 0;)
    if (u32(&tail[p]) == 0x06054b50) {
      eocd = p;
      break;
    }
  if (eocd == std::string::npos) {
    error = path + ": not a zip archive";
    return false;
  }
  size_t count = u16(&tail[eocd + 10]);
  uint64_t cdSize = u32(&tail[eocd + 12]), cdOffset = u32(&tail[eocd + 16]);
  if (cdOffset == 0xFFFFFFFF || count == 0xFFFF || cdOffset + cdSize > size) {
    error = path + (cdOffset + cdSize > size && cdOffset != 0xFFFFFFFF
                        ? ": corrupt zip central directory"
                        : ": zip64 archives are not supported");
    return false;
  }
  std::string cd(cdSize, '\0');
  if (!readAt(f, cdOffset, cd.data(), cd.size())) {
    error = path + ": corrupt zip central directory";
    return false;
  }
  size_t p = 0;
  for (size_t e = 0; e < count; ++e) {
    if (p + 46 > cd.size() || u32(&cd[p]) != 0x02014b50) {
      error = path + ": corrupt zip central directory";
      return false;
    }
    ZipEntry z;
    z.method = u16(&cd[p + 10]);
    z.csize = u32(&cd[p + 20]);
    z.usize = u32(&cd[p + 24]);
    uint32_t nlen = u16(&cd[p + 28]), xlen = u16(&cd[p + 30]), clen = u16(&cd[p + 32]);
    uint32_t local = u32(&cd[p + 42]);
    if (p + 46 + nlen > cd.size()) {
      error = path + ": corrupt zip central directory";
      return false;
    }
    z.name = cd.substr(p + 46, nlen);
    p += 46 + nlen + xlen + clen;
    if (z.csize == 0xFFFFFFFF || z.usize == 0xFFFFFFFF || local == 0xFFFFFFFF) {
      error = path + ": zip64 archives are not supported";
      return false;
    }
    char lh[30];
    if (!readAt(f, local, lh, 30) || u32(lh) != 0x04034b50) {
      error = path + ": corrupt zip entry " + z.name;
      return false;
    }
    z.dataOffset = uint64_t(local) + 30 + u16(lh + 26) + u16(lh + 28);
    if (z.dataOffset + z.csize > size) {
      error = path + ": truncated zip entry " + z.name;
      return false;
    }
    if (z.method != 0 && z.method != 8) {
      error = path + ": unsupported zip compression for " + z.name;
      return false;
    }
    entries.push_back(std::move(z));
  }
  return true;
}

std::string memberName(const std::string &name) {
  return name.size() > 4 && name.substr(name.size() - 4) == ".npy"
             ? name.substr(0, name.size() - 4)
             : name;
}

} // namespace

bool readNpz(const std::string &path, std::vector<HostTensor> &out,
             std::string &error) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    error = "cannot open " + path;
    return false;
  }
  std::vector<ZipEntry> entries;
  if (!listZip(f, path, entries, error))
    return false;
  f.clear();
  f.seekg(0, std::ios::end);
  const uint64_t fileSize = uint64_t(f.tellg());
  for (const ZipEntry &z : entries) {
    // Sizes from the headers are checked before anything is allocated for
    // them (qopt-fuzz-tensor-io: a 4 GB claim in a tiny file): the entry lies
    // in the file, and deflate expands at most 1032:1.
    if (z.dataOffset + z.csize > fileSize ||
        (z.method != 0 && uint64_t(z.usize) > uint64_t(z.csize) * 1032 + 64)) {
      error = path + ": corrupt zip entry " + z.name;
      return false;
    }
    std::string packed(z.csize, '\0');
    if (!readAt(f, z.dataOffset, packed.data(), packed.size())) {
      error = path + ": truncated zip entry " + z.name;
      return false;
    }
    std::string member;
    if (z.method == 0) {
      member = std::move(packed);
    } else {
      member.resize(z.usize);
      z_stream s{};
      s.next_in = reinterpret_cast<Bytef *>(packed.data());
      s.avail_in = z.csize;
      s.next_out = reinterpret_cast<Bytef *>(member.data());
      s.avail_out = z.usize;
      if (inflateInit2(&s, -MAX_WBITS) != Z_OK || inflate(&s, Z_FINISH) != Z_STREAM_END) {
        inflateEnd(&s);
        error = path + ": cannot inflate " + z.name;
        return false;
      }
      inflateEnd(&s);
    }
    HostTensor t;
    if (!readNpy(member, t, error)) {
      error = path + ":" + z.name + ": " + error;
      return false;
    }
    t.name = memberName(z.name);
    out.push_back(std::move(t));
  }
  return true;
}

/// One member read as a stream of uncompressed bytes.
struct NpzSliceReader::Member {
  ZipEntry entry;
  HostTensor info;
  size_t headerBytes = 0, sliceBytes = 0;
  size_t next = 0;          // the slice the stream is positioned at
  uint64_t consumed = 0;    // compressed bytes fed to zlib
  z_stream z{};
  bool zlib = false;
  std::vector<char> in;

  ~Member() {
    if (zlib)
      inflateEnd(&z);
  }
  bool restart(std::string &error) {
    consumed = 0;
    if (entry.method == 8) {
      if (!zlib) {
        if (inflateInit2(&z, -MAX_WBITS) != Z_OK) {
          error = "cannot inflate " + entry.name;
          return false;
        }
        zlib = true;
        in.resize(1 << 16);
      } else {
        inflateReset(&z);
      }
      z.avail_in = 0;
    }
    return true;
  }
  /// The next `n` uncompressed bytes into `dst` (discarded when null).
  bool read(std::ifstream &f, char *dst, size_t n, std::string &error) {
    if (entry.method == 0) {
      if (consumed + n > entry.csize) {
        error = "truncated " + entry.name;
        return false;
      }
      if (dst && !readAt(f, entry.dataOffset + consumed, dst, n)) {
        error = "cannot read " + entry.name;
        return false;
      }
      consumed += n;
      return true;
    }
    std::vector<char> scratch(dst ? 0 : std::min<size_t>(n, 1 << 16));
    while (n > 0) {
      size_t chunk = dst ? n : std::min(n, scratch.size());
      z.next_out = reinterpret_cast<Bytef *>(dst ? dst : scratch.data());
      z.avail_out = uInt(chunk);
      while (z.avail_out > 0) {
        if (z.avail_in == 0) {
          size_t want = std::min<uint64_t>(in.size(), entry.csize - consumed);
          if (want == 0 || !readAt(f, entry.dataOffset + consumed, in.data(), want)) {
            error = "truncated " + entry.name;
            return false;
          }
          consumed += want;
          z.next_in = reinterpret_cast<Bytef *>(in.data());
          z.avail_in = uInt(want);
        }
        int r = inflate(&z, Z_NO_FLUSH);
        if (r == Z_STREAM_END && z.avail_out > 0) {
          error = "truncated " + entry.name;
          return false;
        }
        if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR) {
          error = "cannot inflate " + entry.name;
          return false;
        }
      }
      if (dst)
        dst += chunk;
      n -= chunk;
    }
    return true;
  }
};

NpzSliceReader::NpzSliceReader() = default;
NpzSliceReader::~NpzSliceReader() = default;

bool NpzSliceReader::open(const std::string &p, std::string &error) {
  path = p;
  file = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*file) {
    error = "cannot open " + path;
    return false;
  }
  std::vector<ZipEntry> entries;
  if (!listZip(*file, path, entries, error))
    return false;
  for (ZipEntry &z : entries) {
    auto m = std::make_unique<Member>();
    m->entry = std::move(z);
    m->info.name = memberName(m->entry.name);
    // The .npy header: magic, version and length, then the dict.
    std::string header(12, '\0');
    std::string what = path + ":" + m->entry.name + ": ";
    if (!m->restart(error) || !m->read(*file, header.data(), 10, error)) {
      error = what + error;
      return false;
    }
    size_t lengthBytes = (unsigned char)header[6] == 1 ? 2 : 4;
    if (lengthBytes == 4 && !m->read(*file, &header[10], 2, error)) {
      error = what + error;
      return false;
    }
    header.resize(8 + lengthBytes);
    size_t dictLen = 0;
    for (size_t i = 0; i < lengthBytes; ++i)
      dictLen |= size_t((unsigned char)header[8 + i]) << (8 * i);
    if (header.compare(0, 6, "\x93NUMPY") != 0 || dictLen > (1 << 20)) {
      error = what + "not a .npy file";
      return false;
    }
    header.resize(8 + lengthBytes + dictLen);
    if (!m->read(*file, &header[8 + lengthBytes], dictLen, error) ||
        !parseNpyHeader(header, m->info, m->headerBytes, error)) {
      error = what + error;
      return false;
    }
    if (m->info.shape.empty()) {
      error = what + "has no leading sample axis";
      return false;
    }
    size_t total = byteSize(m->info); // parseNpyHeader refused kTooLarge
    // The member's uncompressed size bounds the array (a compressed one's
    // also bounded by deflate's ratio), so a header cannot make a slice
    // allocate more than the archive holds.
    uint64_t holds = m->entry.method == 0 ? m->entry.csize : m->entry.usize;
    if ((m->entry.method != 0 &&
         uint64_t(m->entry.usize) > uint64_t(m->entry.csize) * 1032 + 64) ||
        uint64_t(m->headerBytes) + total > holds) {
      error = what + "truncated .npy data";
      return false;
    }
    m->sliceBytes = m->info.shape[0] ? total / size_t(m->info.shape[0]) : 0;
    members.push_back(std::move(m));
  }
  return true;
}

std::vector<HostTensor> NpzSliceReader::arrays() const {
  std::vector<HostTensor> out;
  for (const auto &m : members)
    out.push_back(m->info);
  return out;
}

bool NpzSliceReader::readSlice(size_t i, std::vector<HostTensor> &out, std::string &error) {
  out.clear();
  for (auto &m : members) {
    std::string what = path + ":" + m->entry.name + ": ";
    if (i >= size_t(m->info.shape[0])) {
      error = what + "has no sample " + std::to_string(i);
      return false;
    }
    // Compressed members are read forward only: going back starts over.
    if (i < m->next) {
      if (!m->restart(error) || !m->read(*file, nullptr, m->headerBytes, error)) {
        error = what + error;
        return false;
      }
      m->next = 0;
    }
    if (!m->read(*file, nullptr, (i - m->next) * m->sliceBytes, error)) {
      error = what + error;
      return false;
    }
    HostTensor t;
    t.name = m->info.name;
    t.dtype = m->info.dtype;
    t.shape.assign(m->info.shape.begin() + 1, m->info.shape.end());
    t.data.resize(m->sliceBytes);
    if (!m->read(*file, t.data.data(), m->sliceBytes, error)) {
      error = what + error;
      return false;
    }
    m->next = i + 1;
    out.push_back(std::move(t));
  }
  return true;
}

bool readTensorProto(const std::string &path, HostTensor &t, std::string &error) {
  std::string bytes;
  if (!slurp(path, bytes, error))
    return false;
  onnx::TensorProto p;
  if (!p.ParseFromString(bytes)) {
    error = path + ": not an ONNX TensorProto";
    return false;
  }
  struct Map {
    int onnx;
    int32_t dtype;
  };
  const Map kMap[] = {{1, QOPT_DTYPE_F32},  {2, QOPT_DTYPE_U8},  {3, QOPT_DTYPE_I8},
                      {4, QOPT_DTYPE_U16},  {5, QOPT_DTYPE_I16}, {6, QOPT_DTYPE_I32},
                      {7, QOPT_DTYPE_I64},  {9, QOPT_DTYPE_BOOL}, {10, QOPT_DTYPE_F16},
                      {11, QOPT_DTYPE_F64}, {12, QOPT_DTYPE_U32}, {13, QOPT_DTYPE_U64},
                      {16, QOPT_DTYPE_BF16}};
  t.dtype = QOPT_DTYPE_INVALID;
  for (const auto &m : kMap)
    if (m.onnx == p.data_type())
      t.dtype = m.dtype;
  if (t.dtype == QOPT_DTYPE_INVALID) {
    error = path + ": unsupported TensorProto data type " + std::to_string(p.data_type());
    return false;
  }
  t.name = p.name();
  t.shape.assign(p.dims().begin(), p.dims().end());
  size_t esize = qopt_dtype_size(t.dtype), nbytes = byteSize(t);
  if (nbytes == kTooLarge) {
    error = path + ": dims with a negative or too large size";
    return false;
  }
  size_t n = nbytes / esize;
  // The data must be there before anything is allocated for it.
  size_t stored = p.has_raw_data() ? p.raw_data().size() / esize
                  : t.dtype == QOPT_DTYPE_F32 ? size_t(p.float_data_size())
                  : t.dtype == QOPT_DTYPE_F64 ? size_t(p.double_data_size())
                  : t.dtype == QOPT_DTYPE_I64 ? size_t(p.int64_data_size())
                  : t.dtype == QOPT_DTYPE_U32 || t.dtype == QOPT_DTYPE_U64
                      ? size_t(p.uint64_data_size())
                      : size_t(p.int32_data_size());
  if (p.has_raw_data() && p.raw_data().size() != nbytes) {
    error = path + ": raw_data has the wrong size";
    return false;
  }
  if (stored != n) {
    error = path + ": expected " + std::to_string(n) + " elements, found " +
            std::to_string(stored);
    return false;
  }
  t.data.assign(nbytes, 0);
  if (p.has_raw_data()) {
    if (nbytes)
      std::memcpy(t.data.data(), p.raw_data().data(), nbytes);
    return true;
  }
  auto put = [&](size_t i, auto v) {
    using V = decltype(v);
    switch (t.dtype) {
    case QOPT_DTYPE_F32: { float x = (float)v; std::memcpy(&t.data[i * 4], &x, 4); break; }
    case QOPT_DTYPE_F64: { double x = (double)v; std::memcpy(&t.data[i * 8], &x, 8); break; }
    default: { int64_t x = (int64_t)(V)v; std::memcpy(&t.data[i * esize], &x, esize); break; }
    }
  };
  size_t count = 0;
  if (t.dtype == QOPT_DTYPE_F32)
    for (float v : p.float_data()) { if (count < n) put(count, v); ++count; }
  else if (t.dtype == QOPT_DTYPE_F64)
    for (double v : p.double_data()) { if (count < n) put(count, v); ++count; }
  else if (t.dtype == QOPT_DTYPE_I64)
    for (int64_t v : p.int64_data()) { if (count < n) put(count, v); ++count; }
  else if (t.dtype == QOPT_DTYPE_U32 || t.dtype == QOPT_DTYPE_U64)
    for (uint64_t v : p.uint64_data()) { if (count < n) put(count, v); ++count; }
  else if (t.dtype == QOPT_DTYPE_F16 || t.dtype == QOPT_DTYPE_BF16)
    for (int32_t v : p.int32_data()) {
      if (count < n) { uint16_t h = (uint16_t)v; std::memcpy(&t.data[count * 2], &h, 2); }
      ++count;
    }
  else
    for (int32_t v : p.int32_data()) { if (count < n) put(count, (int64_t)v); ++count; }
  if (count != n) {
    error = path + ": expected " + std::to_string(n) + " elements, found " +
            std::to_string(count);
    return false;
  }
  return true;
}

bool readFile(const std::string &path, std::vector<HostTensor> &out,
              std::string &error) {
  auto endsWith = [&](const char *s) {
    size_t n = strlen(s);
    return path.size() >= n && path.compare(path.size() - n, n, s) == 0;
  };
  if (endsWith(".npz"))
    return readNpz(path, out, error);
  HostTensor t;
  if (endsWith(".pb")) {
    if (!readTensorProto(path, t, error))
      return false;
  } else {
    std::string bytes;
    if (!slurp(path, bytes, error))
      return false;
    if (!readNpy(bytes, t, error)) {
      error = path + ": " + error;
      return false;
    }
  }
  out.push_back(std::move(t));
  return true;
}

bool writeNpy(const std::string &path, const HostTensor &t, std::string &error) {
  const char *descr = nullptr;
  for (const auto &n : kNpyTypes)
    if (n.dtype == t.dtype)
      descr = n.descr;
  if (!descr) {
    error = "cannot write dtype " + std::string(qopt_dtype_name(t.dtype)) + " to .npy";
    return false;
  }
  std::string shape = "(";
  for (size_t i = 0; i < t.shape.size(); ++i)
    shape += std::to_string(t.shape[i]) + (t.shape.size() == 1 ? "," : (i + 1 < t.shape.size() ? ", " : ""));
  shape += ")";
  std::string prefix = t.dtype == QOPT_DTYPE_BOOL || t.dtype == QOPT_DTYPE_I8 ||
                               t.dtype == QOPT_DTYPE_U8
                           ? "|"
                           : "<";
  std::string h = "{'descr': '" + prefix + descr +
                  "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h.push_back('\n');
  std::ofstream f(path, std::ios::binary);
  if (!f) {
    error = "cannot write " + path;
    return false;
  }
  f.write("\x93NUMPY\x01\x00", 8);
  uint16_t len = (uint16_t)h.size();
  char lenBytes[2] = {(char)(len & 0xFF), (char)(len >> 8)};
  f.write(lenBytes, 2);
  f.write(h.data(), h.size());
  f.write(t.data.data(), t.data.size());
  if (!f) {
    error = "cannot write " + path;
    return false;
  }
  return true;
}

} // namespace qopt::io
