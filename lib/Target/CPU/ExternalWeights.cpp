//===- ExternalWeights.cpp - large weights as an object file of their own ---===//
//
// A model's weights reach the library without ever becoming LLVM IR: each
// constant LLVM global of at least `minBytes` is replaced by an offset into
// the hidden symbol `qopt_weights`, and the bytes are streamed from the MLIR
// blobs into a relocatable ELF object holding that symbol in a read-only
// section of its own, linked beside the model's code. LLVM's constants, its
// optimizer, its object writer and an assembler never hold them; the loader
// maps them like any read-only data. (The compile held them three times
// before: the MLIR blob, the LLVM constant, the object file's section.)
//
//===----------------------------------------------------------------------===//
#include "qopt/Target/CPU/CPUTarget.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/BinaryFormat/ELF.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;

namespace qopt {

namespace {
constexpr const char *kSymbol = "qopt_weights";
constexpr const char *kTableSymbol = "qopt_weight_table";
constexpr const char *kTableSizeSymbol = "qopt_weight_table_size";
constexpr uint64_t kAlign = 64;

/// The bytes of a global's initializer as LLVM would lay them out, or
/// nothing when they are not simply the attribute's raw data.
std::optional<ArrayRef<char>> initializerBytes(LLVM::GlobalOp g) {
  auto value = dyn_cast_or_null<ElementsAttr>(g.getValueOrNull());
  if (!value)
    return std::nullopt;
  auto type = dyn_cast<ShapedType>(value.getType());
  Type elt = type ? type.getElementType() : Type();
  if (!elt || !elt.isIntOrFloat() || elt.getIntOrFloatBitWidth() % 8 != 0)
    return std::nullopt;
  uint64_t expect = uint64_t(type.getNumElements()) * (elt.getIntOrFloatBitWidth() / 8);
  std::optional<RawElements> data = rawElementData(value);
  if (!data || data->splat || data->bytes.size() != expect)
    return std::nullopt;
  return data->bytes;
}

void pad(llvm::raw_ostream &os, uint64_t &at, uint64_t align) {
  uint64_t next = (at + align - 1) / align * align;
  os.write_zeros(next - at);
  at = next;
}

/// Writes an x86-64 relocatable ELF object whose one allocated section,
/// .lrodata.qopt_weights (aligned to `align`), holds the initializers
/// `contents` at `offsets`, and whose one symbol, the hidden global
/// `qopt_weights`, marks its start.
LogicalResult writeWeightsObject(StringRef path, ArrayRef<ArrayRef<char>> contents,
                                 ArrayRef<uint64_t> offsets, uint64_t size, uint64_t align,
                                 std::string &error) {
  namespace E = llvm::ELF;
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = "cannot write " + path.str() + ": " + ec.message();
    return failure();
  }
  // Layout: header | section data | .symtab | .strtab | .shstrtab | headers.
  // (String tables start with an empty name: build them with their sizes.)
  static const char kStr[] = "\0qopt_weights";
  static const char kShStr[] =
      "\0.lrodata.qopt_weights\0.note.GNU-stack\0.symtab\0.strtab\0.shstrtab";
  const std::string strtab(kStr, sizeof(kStr));
  const std::string shstrtab(kShStr, sizeof(kShStr));
  auto name = [&](StringRef n) { return uint32_t(StringRef(shstrtab).find(n)); };
  static_assert(sizeof(kStr) == 14, "a leading and a trailing NUL around the name");
  uint64_t at = 0;
  E::Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, E::ElfMagic, 4);
  eh.e_ident[E::EI_CLASS] = E::ELFCLASS64;
  eh.e_ident[E::EI_DATA] = E::ELFDATA2LSB;
  eh.e_ident[E::EI_VERSION] = E::EV_CURRENT;
  eh.e_type = E::ET_REL;
  eh.e_machine = E::EM_X86_64;
  eh.e_version = E::EV_CURRENT;
  eh.e_ehsize = sizeof(E::Elf64_Ehdr);
  eh.e_shentsize = sizeof(E::Elf64_Shdr);
  eh.e_shnum = 6;
  eh.e_shstrndx = 5;
  // The header is rewritten at the end, once e_shoff is known.
  os.write(reinterpret_cast<const char *>(&eh), sizeof(eh));
  at = sizeof(eh);
  pad(os, at, align);
  const uint64_t dataOffset = at;
  for (auto [bytes, off] : llvm::zip(contents, offsets)) {
    os.write_zeros(dataOffset + off - at);
    os.write(bytes.data(), bytes.size());
    at = dataOffset + off + bytes.size();
  }
  os.write_zeros(dataOffset + size - at);
  at = dataOffset + size;
  pad(os, at, 8);
  const uint64_t symOffset = at;
  E::Elf64_Sym syms[2]{};
  syms[1].st_name = 1;
  syms[1].setBindingAndType(E::STB_GLOBAL, E::STT_OBJECT);
  syms[1].st_other = E::STV_HIDDEN;
  syms[1].st_shndx = 1;
  syms[1].st_size = size;
  os.write(reinterpret_cast<const char *>(syms), sizeof(syms));
  at += sizeof(syms);
  const uint64_t strOffset = at;
  os << strtab;
  at += strtab.size();
  const uint64_t shstrOffset = at;
  os << shstrtab;
  at += shstrtab.size();
  pad(os, at, 8);
  eh.e_shoff = at;
  E::Elf64_Shdr sh[6]{};
  // A large section (x86-64 medium/large code models): the linker places it
  // apart from .text and .rodata, which stay within 2 GiB of each other
  // however large the weights are; the code reaches it with 64-bit offsets
  // (qopt_weights has the large code model, CPUTarget.cpp).
  sh[1] = {name(".lrodata.qopt_weights"), E::SHT_PROGBITS, E::SHF_ALLOC | E::SHF_X86_64_LARGE,
           0, dataOffset, size, 0, 0, align, 0};
  sh[2] = {name(".note.GNU-stack"), E::SHT_PROGBITS, 0, 0, dataOffset, 0, 0, 0, 1, 0};
  sh[3] = {name(".symtab"), E::SHT_SYMTAB, 0, 0, symOffset, sizeof(syms), 4, 1, 8,
           sizeof(E::Elf64_Sym)};
  sh[4] = {name(".strtab"), E::SHT_STRTAB, 0, 0, strOffset, strtab.size(), 0, 0, 1, 0};
  sh[5] = {name(".shstrtab"), E::SHT_STRTAB, 0, 0, shstrOffset, shstrtab.size(), 0, 0, 1, 0};
  os.write(reinterpret_cast<const char *>(sh), sizeof(sh));
  os.seek(0);
  os.write(reinterpret_cast<const char *>(&eh), sizeof(eh));
  os.close();
  if (os.has_error()) {
    error = "cannot write " + path.str() + ": " + os.error().message();
    os.clear_error();
    return failure();
  }
  return success();
}
} // namespace

ExternalWeights::~ExternalWeights() {
  if (!objectPath.empty())
    llvm::sys::fs::remove(objectPath);
}

/// Replaces every use of the address of `globals[i]` by what `address`
/// builds at that use for i, then erases the globals.
static void redirectGlobals(ModuleOp module, ArrayRef<LLVM::GlobalOp> globals,
                            function_ref<Value(OpBuilder &, Location, size_t)> address) {
  llvm::StringMap<size_t> indexOf;
  for (auto [i, g] : llvm::enumerate(globals))
    indexOf[LLVM::GlobalOp(g).getSymName()] = i;
  SmallVector<LLVM::AddressOfOp> uses;
  module.walk([&](LLVM::AddressOfOp a) {
    if (indexOf.count(a.getGlobalName()))
      uses.push_back(a);
  });
  OpBuilder b(module.getContext());
  for (LLVM::AddressOfOp a : uses) {
    b.setInsertionPoint(a);
    a.getResult().replaceAllUsesWith(address(b, a.getLoc(), indexOf.lookup(a.getGlobalName())));
    a.erase();
  }
  for (LLVM::GlobalOp g : globals)
    g.erase();
}

/// Borrowed mode: uses of `borrowed` globals (whose initializers are
/// `bytes`) load their address from the exported table `qopt_weight_table`
/// (entry i for borrowed[i]).
static void borrowGlobals(ModuleOp module, ArrayRef<LLVM::GlobalOp> borrowed,
                          ArrayRef<ArrayRef<char>> bytes, ExternalWeights &out) {
  MLIRContext *ctx = module.getContext();
  OpBuilder b(ctx);
  b.setInsertionPointToStart(module.getBody());
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto i64 = IntegerType::get(ctx, 64);
  Location loc = module.getLoc();
  auto tableType = LLVM::LLVMArrayType::get(ptr, borrowed.size());
  // Protected: exported for dlsym, but this library's code always reads its
  // own table, whatever another loaded object defines under the name.
  auto table = LLVM::GlobalOp::create(b, loc, tableType, /*isConstant=*/false,
                                      LLVM::Linkage::External, kTableSymbol, Attribute(),
                                      /*alignment=*/8);
  table.setVisibility_(LLVM::Visibility::Protected);
  {
    OpBuilder::InsertionGuard guard(b);
    b.createBlock(&table.getInitializerRegion());
    Value zero = LLVM::ZeroOp::create(b, loc, tableType);
    LLVM::ReturnOp::create(b, loc, zero);
  }
  auto size = LLVM::GlobalOp::create(b, loc, i64, /*isConstant=*/true, LLVM::Linkage::External,
                                     kTableSizeSymbol,
                                     b.getI64IntegerAttr(int64_t(borrowed.size())),
                                     /*alignment=*/8);
  size.setVisibility_(LLVM::Visibility::Protected);
  for (ArrayRef<char> data : bytes) {
    out.borrowed.push_back(data.data());
    out.bytes += data.size();
  }
  redirectGlobals(module, borrowed, [&](OpBuilder &b, Location at, size_t i) -> Value {
    Value base = LLVM::AddressOfOp::create(b, at, ptr, kTableSymbol);
    Value slot = LLVM::GEPOp::create(b, at, ptr, tableType, base,
                                     ArrayRef<LLVM::GEPArg>{0, int32_t(i)},
                                     LLVM::GEPNoWrapFlags::inbounds);
    auto load = LLVM::LoadOp::create(b, at, ptr, slot, /*alignment=*/8);
    load.setInvariant(true);
    return load;
  });
}

LogicalResult externalizeWeights(ModuleOp module, StringRef stem, uint64_t minBytes,
                                 ExternalWeights &out, std::string &error, bool borrow) {
  SmallVector<LLVM::GlobalOp> moved, borrowed;
  SmallVector<ArrayRef<char>> movedBytes, borrowedBytes;
  // Globals whose address some op outside a function takes (another
  // global's initializer) cannot load it from the table.
  llvm::StringSet<> usedOutsideFunctions;
  if (borrow)
    module.walk([&](LLVM::AddressOfOp a) {
      if (!a->getParentOfType<LLVM::LLVMFuncOp>())
        usedOutsideFunctions.insert(a.getGlobalName());
    });
  for (auto g : module.getOps<LLVM::GlobalOp>()) {
    if (!g.getConstant() || !g.getInitializerRegion().empty())
      continue;
    std::optional<ArrayRef<char>> bytes = initializerBytes(g);
    if (!bytes || bytes->size() < minBytes)
      continue;
    uint64_t align = g.getAlignment().value_or(1);
    if (borrow && !usedOutsideFunctions.contains(g.getSymName()) &&
        reinterpret_cast<uintptr_t>(bytes->data()) % std::max<uint64_t>(align, 1) == 0) {
      borrowed.push_back(g);
      borrowedBytes.push_back(*bytes);
    } else {
      moved.push_back(g);
      movedBytes.push_back(*bytes);
    }
  }
  if (!borrowed.empty())
    borrowGlobals(module, borrowed, borrowedBytes, out);
  if (moved.empty())
    return success();

  // Offsets: each global at its alignment, at least 64 bytes.
  SmallVector<uint64_t> offsets;
  uint64_t offset = 0, maxAlign = kAlign;
  for (auto [g, data] : llvm::zip(moved, movedBytes)) {
    uint64_t align = std::max<uint64_t>(kAlign, LLVM::GlobalOp(g).getAlignment().value_or(kAlign));
    maxAlign = std::max(maxAlign, align);
    uint64_t start = (offset + align - 1) / align * align;
    offsets.push_back(start);
    offset = start + data.size();
  }
  out.objectPath = (stem + ".weights.o").str();
  if (failed(writeWeightsObject(out.objectPath, movedBytes, offsets, offset, maxAlign, error)))
    return failure();
  out.bytes += offset;

  // Every use of a moved global's address becomes qopt_weights + offset.
  MLIRContext *ctx = module.getContext();
  OpBuilder b(ctx);
  b.setInsertionPointToStart(module.getBody());
  auto i8 = IntegerType::get(ctx, 8);
  auto decl = LLVM::GlobalOp::create(b, module.getLoc(), LLVM::LLVMArrayType::get(i8, 0),
                                     /*isConstant=*/true, LLVM::Linkage::External, kSymbol,
                                     Attribute(), /*alignment=*/maxAlign);
  decl.setVisibility_(LLVM::Visibility::Hidden);
  decl.setDsoLocal(true);
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  redirectGlobals(module, moved, [&](OpBuilder &b, Location at, size_t i) -> Value {
    Value base = LLVM::AddressOfOp::create(b, at, ptr, kSymbol);
    Value off = LLVM::ConstantOp::create(b, at, b.getI64Type(), b.getI64IntegerAttr(offsets[i]));
    return LLVM::GEPOp::create(b, at, ptr, i8, base, ValueRange{off},
                               LLVM::GEPNoWrapFlags::inbounds);
  });

  return success();
}

} // namespace qopt
