// CPU feature detection: which instruction sets this CPU and its OS support. Read once
// (cpuid + xgetbv) and cached; native/runtime/dispatch.cc turns it into kernel tables.
#pragma once

namespace descent {

enum class Isa { ref = 0, avx2 = 1, avx512 = 2 };

struct CpuFeatures {
  bool avx2 = false;    // AVX2 + FMA3 + F16C, with the OS saving YMM state
  bool avx512 = false;  // AVX-512 F, DQ, BW, VL, with the OS saving opmask and ZMM state
};

const CpuFeatures& cpu_features();
/** The best ISA this CPU supports. */
Isa best_isa();
bool isa_supported(Isa isa);
const char* isa_name(Isa isa);

}  // namespace descent
