// CRC-32 (the gzip / zlib polynomial 0x04C11DB7, reflected; zlib's crc32() convention:
// crc32(crc32(0, a), b) is the CRC of a then b). Checkpoint files are checksummed with it as
// they are appended (src/cli/job.ts), 2 MB a Lanczos step. With PCLMULQDQ (x86-64 since
// 2010) the bytes are folded 64 at a time by carry-less multiplication (Gopal et al., "Fast
// CRC Computation for Generic Polynomials Using PCLMULQDQ Instruction", Intel, 2009), 256 at
// a time in 512-bit registers with VPCLMULQDQ where the kernels run AVX-512, and the last
// 16 bytes of the fold go through the byte table; under the ref ISA the table does it all.
#pragma once

#include <cstddef>
#include <cstdint>

namespace descent {

uint32_t crc32(uint32_t crc, const uint8_t* data, size_t len);

}  // namespace descent
