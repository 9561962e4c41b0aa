// Float64 vector math for the elementwise kernels: the codes of the library functions
// they call, and the lookup of glibc's libmvec vector variants (_ZGV<isa>N<lanes>v_<fn>,
// accurate to 4 float64 ulps). When libmvec is missing (a non-glibc system) the lookup
// returns null and the kernels fall back to scalar <cmath>.
#pragma once

namespace descent {
namespace ew {

enum Vm1 : int { kVmExp, kVmLog, kVmTanh, kVmSin, kVmCos, kVmLog1p, kVmExpm1, kVmErf, kVm1Count };
enum Vm2 : int { kVmPow, kVmAtan2, kVm2Count };

/** libmvec's symbol for `fn` with ISA letter (b = SSE, d = AVX2, e = AVX-512) and lane count, or null. */
void* libmvec_symbol(char isa, int lanes, const char* fn, int arity);

/** Whether glibc's libmvec could be loaded. */
bool libmvec_available();

extern const char* const kVm1Names[kVm1Count];
extern const char* const kVm2Names[kVm2Count];

}  // namespace ew
}  // namespace descent
