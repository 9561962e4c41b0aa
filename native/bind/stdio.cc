// Bindings for muting the process's standard error around a third-party native call:
//   muteStderr()    → true when fd 2 now points at /dev/null (the original is kept inside the
//                     addon); false when that failed or stderr is already muted (no change)
//   restoreStderr() → true when fd 2 was muted and now points back at the original; else false
// No arguments, so no caller can name a descriptor to close. Used once, around Dawn's first
// adapter enumeration, whose driver-limit warnings are not the user's concern
// (src/backend/webgpu/device.ts).
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>

#include "bind/bind.h"

namespace descent {
namespace bind {
namespace {

std::mutex mu;
int saved = -1;  // the original stderr while muted

}  // namespace

Napi::Value MuteStderr(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> lock(mu);
  if (saved >= 0) return Napi::Boolean::New(info.Env(), false);
  std::fflush(stderr);
  const int keep = ::dup(2);
  if (keep < 0) return Napi::Boolean::New(info.Env(), false);
  const int null_fd = ::open("/dev/null", O_WRONLY);
  if (null_fd < 0 || ::dup2(null_fd, 2) < 0) {
    if (null_fd >= 0) ::close(null_fd);
    ::close(keep);
    return Napi::Boolean::New(info.Env(), false);
  }
  ::close(null_fd);
  saved = keep;
  return Napi::Boolean::New(info.Env(), true);
}

Napi::Value RestoreStderr(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> lock(mu);
  if (saved < 0) return Napi::Boolean::New(info.Env(), false);
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  saved = -1;
  return Napi::Boolean::New(info.Env(), true);
}

}  // namespace bind
}  // namespace descent
