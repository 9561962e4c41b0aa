// Binding for CRC-32 (native/runtime/crc32.h):
//   crc32(data, crc) → the CRC-32 of data's bytes continuing from crc (0 to start), as
//   zlib.crc32(data, crc) gives it; data: any typed array (its bytes, in memory order).
#include "bind/args.h"
#include "bind/bind.h"
#include "runtime/crc32.h"

namespace descent {
namespace bind {

Napi::Value Crc32(const Napi::CallbackInfo& info) {
  Args in(info, "crc32");
  const Napi::Value v = info[0];
  if (!v.IsTypedArray()) in.type_error("data", "a typed array (Uint8Array, Buffer, Float32Array, …)", v);
  const Napi::TypedArray a = v.As<Napi::TypedArray>();
  const int64_t crc = in.integer(1, "crc", 0, 0xffffffffll);
  const size_t bytes = a.ByteLength();
  // A detached or empty view has no bytes to read.
  const uint8_t* p = bytes > 0 ? static_cast<const uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset() : nullptr;
  const uint32_t out = p ? crc32(static_cast<uint32_t>(crc), p, bytes) : static_cast<uint32_t>(crc);
  return Napi::Number::New(info.Env(), out);
}

}  // namespace bind
}  // namespace descent
