//===- TensorIO.cpp - .npy / .npz / ONNX TensorProto readers and writers ---===//
#include "qopt/Support/TensorIO.h"

#include "onnx/onnx_pb.h"

#include <cstring>
#include <fstream>
#include <sstream>
#include <zlib.h>

namespace qopt::io {

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

bool readNpy(const std::string &bytes, HostTensor &t, std::string &error) {
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
      t.shape.push_back(std::stoll(shape.substr(i, j - i)));
      i = j;
    } else {
      ++i;
    }
  }
  size_t n = qopt_dtype_size(t.dtype);
  for (int64_t d : t.shape)
    n *= (size_t)d;
  size_t off = start + headerLen;
  if (bytes.size() - off < n) {
    error = "truncated .npy data";
    return false;
  }
  t.data.assign(bytes.begin() + off, bytes.begin() + off + n);
  return true;
}

bool readNpz(const std::string &path, std::vector<HostTensor> &out,
             std::string &error) {
  std::string z;
  if (!slurp(path, z, error))
    return false;
  auto u16 = [&](size_t p) { return (uint32_t)(unsigned char)z[p] | ((uint32_t)(unsigned char)z[p + 1] << 8); };
  auto u32 = [&](size_t p) { return u16(p) | (u16(p + 2) << 16); };
  // End of central directory record: scan back from the end.
  if (z.size() < 22) {
    error = path + ": not a zip archive";
    return false;
  }
  size_t eocd = std::string::npos;
  for (size_t p = z.size() - 22 + 1; p-- > 0 && z.size() - p < 65536 + 22;)
    if (u32(p) == 0x06054b50) {
      eocd = p;
      break;
    }
  if (eocd == std::string::npos) {
    error = path + ": not a zip archive";
    return false;
  }
  size_t entries = u16(eocd + 10), cd = u32(eocd + 16);
  for (size_t e = 0; e < entries; ++e) {
    if (cd + 46 > z.size() || u32(cd) != 0x02014b50) {
      error = path + ": corrupt zip central directory";
      return false;
    }
    uint32_t method = u16(cd + 10), csize = u32(cd + 20), usize = u32(cd + 24);
    uint32_t nlen = u16(cd + 28), xlen = u16(cd + 30), clen = u16(cd + 32);
    uint32_t local = u32(cd + 42);
    std::string name = z.substr(cd + 46, nlen);
    cd += 46 + nlen + xlen + clen;
    if (csize == 0xFFFFFFFF || usize == 0xFFFFFFFF || local == 0xFFFFFFFF) {
      error = path + ": zip64 archives are not supported";
      return false;
    }
    if (local + 30 > z.size() || u32(local) != 0x04034b50) {
      error = path + ": corrupt zip entry " + name;
      return false;
    }
    size_t dataOff = local + 30 + u16(local + 26) + u16(local + 28);
    if (dataOff + csize > z.size()) {
      error = path + ": truncated zip entry " + name;
      return false;
    }
    std::string member;
    if (method == 0) {
      member = z.substr(dataOff, csize);
    } else if (method == 8) {
      member.resize(usize);
      z_stream s{};
      s.next_in = reinterpret_cast<Bytef *>(&z[dataOff]);
      s.avail_in = csize;
      s.next_out = reinterpret_cast<Bytef *>(member.data());
      s.avail_out = usize;
      if (inflateInit2(&s, -MAX_WBITS) != Z_OK || inflate(&s, Z_FINISH) != Z_STREAM_END) {
        inflateEnd(&s);
        error = path + ": cannot inflate " + name;
        return false;
      }
      inflateEnd(&s);
    } else {
      error = path + ": unsupported zip compression for " + name;
      return false;
    }
    HostTensor t;
    if (!readNpy(member, t, error)) {
      error = path + ":" + name + ": " + error;
      return false;
    }
    t.name = name.size() > 4 && name.substr(name.size() - 4) == ".npy"
                 ? name.substr(0, name.size() - 4)
                 : name;
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
  size_t esize = qopt_dtype_size(t.dtype), n = 1;
  for (int64_t d : t.shape)
    n *= (size_t)d;
  t.data.assign(n * esize, 0);
  if (p.has_raw_data()) {
    if (p.raw_data().size() != n * esize) {
      error = path + ": raw_data has the wrong size";
      return false;
    }
    std::memcpy(t.data.data(), p.raw_data().data(), n * esize);
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
