// The kernel tables of the current instruction set, filled once at load (best ISA the CPU
// supports, or DESCENT_ISA=ref|avx2|avx512 to ask for a lower one) and switchable with
// set_isa() so tests can run every kernel family on one machine.
#pragma once

#include "elementwise/elementwise.h"
#include "gemm/gemm.h"
#include "runtime/cpu_features.h"

namespace descent {

struct Dispatch {
  Isa isa = Isa::ref;
  gemm::Kernels gemm;
  ew::Kernels ew;
};

const Dispatch& dispatch();
/** Switches every table to `isa`; returns false (and changes nothing) when the CPU lacks it. */
bool set_isa(Isa isa);

}  // namespace descent
