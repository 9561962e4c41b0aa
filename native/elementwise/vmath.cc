// libmvec lookup (baseline ISA): dlopen once, dlsym by the x86-64 vector-function ABI name.
#include "elementwise/vmath.h"

#include <dlfcn.h>

#include <string>

namespace descent {
namespace ew {

const char* const kVm1Names[kVm1Count] = {"exp", "log", "tanh", "sin", "cos", "log1p", "expm1", "erf"};
const char* const kVm2Names[kVm2Count] = {"pow", "atan2"};

namespace {
void* library() {
  static void* lib = dlopen("libmvec.so.1", RTLD_NOW | RTLD_LOCAL);
  return lib;
}
}  // namespace

bool libmvec_available() { return library() != nullptr; }

void* libmvec_symbol(char isa, int lanes, const char* fn, int arity) {
  void* lib = library();
  if (!lib) return nullptr;
  const std::string name = std::string("_ZGV") + isa + "N" + std::to_string(lanes) + (arity == 2 ? "vv_" : "v_") + fn;
  return dlsym(lib, name.c_str());
}

}  // namespace ew
}  // namespace descent
