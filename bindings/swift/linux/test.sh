#!/bin/sh
# Builds the Swift package and runs its XCTest suite on Linux, against the Rust library that
# `make swift-generate` copied into linux/lib (with the generated sources and header).
set -eu
cd "$(dirname "$0")/.."
lib="$(pwd)/linux/lib"
test -f "$lib/libteleport_jwt_ffi.so" || { echo "run make swift-generate first" >&2; exit 1; }
swift build --build-tests -Xlinker -L"$lib" -Xlinker -rpath -Xlinker "$lib" 2>&1 | grep -v 'warning:' | grep -E 'error|Compiling|Build' || true
log="$(mktemp)"
status=0
LD_LIBRARY_PATH="$lib" swift test --skip-build -Xlinker -L"$lib" >"$log" 2>&1 || status=$?
grep -E "error:|failed \(" "$log" || true
summary="$(grep -E "^\s*Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -1)"
rm -f "$log"
echo "swift (Linux, $(swift --version 2>/dev/null | head -1)):${summary:- no test summary}"
exit "$status"
