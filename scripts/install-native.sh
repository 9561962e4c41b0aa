#!/usr/bin/env bash
# npm install's build of the native addon (package.json "install"): cmake-js when cmake is on
# PATH, else — or when cmake-js fails — the node-gyp fallback (binding.gyp, scripts/build-gyp.sh),
# which needs only python3, make and g++. One line says which build ran.
# DESCENT_BUILD=cmake|gyp forces one.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

gyp() {
  echo "descent: building the native addon with node-gyp (binding.gyp)${1:+: $1}"
  bash scripts/build-gyp.sh
}

case "${DESCENT_BUILD:-auto}" in
  gyp) gyp "DESCENT_BUILD=gyp"; exit $? ;;
  cmake|auto) ;;
  *) echo "descent: expected DESCENT_BUILD to be cmake, gyp or unset but received '${DESCENT_BUILD}'" >&2; exit 2 ;;
esac

if ! command -v cmake >/dev/null 2>&1; then
  [ "${DESCENT_BUILD:-auto}" = cmake ] && { echo "descent: DESCENT_BUILD=cmake but cmake is not on PATH" >&2; exit 1; }
  gyp "cmake is not installed"
  exit $?
fi
echo "descent: building the native addon with cmake-js ($(cmake --version | head -n 1))"
if cmake-js compile; then exit 0; fi
[ "${DESCENT_BUILD:-auto}" = cmake ] && exit 1
gyp "cmake-js failed"
