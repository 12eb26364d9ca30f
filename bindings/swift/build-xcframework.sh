#!/usr/bin/env bash
# Builds TeleportJWTFFI.xcframework (static libraries for iOS, the iOS simulator and macOS) and
# generates the Swift API into Sources/TeleportJWT/. macOS with Xcode and rustup only.
#
#   bindings/swift/build-xcframework.sh            # release build
#   PROFILE=debug bindings/swift/build-xcframework.sh
#
# Then: cd bindings/swift && swift test   (runs the XCTest suite against the macOS slice)
#
# Not run yet: written on Linux without Xcode; the generation step it uses is the one
# `make test` runs on Linux.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
profile="${PROFILE:-release}"
cargo_profile_flag=$([ "$profile" = release ] && echo --release || echo "")
target_dir="${CARGO_TARGET_DIR:-$root/target}"
build="$here/build"
lib=libteleport_jwt_ffi.a

if [ "$(uname)" != Darwin ]; then
  echo "build-xcframework.sh needs macOS with Xcode (xcodebuild, lipo)" >&2
  exit 1
fi

ios=(aarch64-apple-ios)
ios_sim=(aarch64-apple-ios-sim x86_64-apple-ios)
macos=(aarch64-apple-darwin x86_64-apple-darwin)
export IPHONEOS_DEPLOYMENT_TARGET=13.0 MACOSX_DEPLOYMENT_TARGET=10.15

rustup target add "${ios[@]}" "${ios_sim[@]}" "${macos[@]}"
for t in "${ios[@]}" "${ios_sim[@]}" "${macos[@]}"; do
  (cd "$root" && cargo build $cargo_profile_flag -p teleport-jwt-ffi --target "$t")
done

# Swift sources, header and module map, generated from the host (macOS) library.
host="$(rustc -vV | sed -n 's/^host: //p')"
(cd "$root" && cargo run --quiet -p uniffi-bindgen -- generate --no-format --language swift \
  --out-dir "$build/generated" "$target_dir/$host/$profile/libteleport_jwt_ffi.a")
cp "$build/generated/TeleportJWT.swift" "$here/Sources/TeleportJWT/TeleportJWT.swift"
# Header and module map in a folder named after the module: an app that links two UniFFI
# XCFrameworks would otherwise get two `Headers/module.modulemap` that clash.
rm -rf "$build/headers" && mkdir -p "$build/headers/TeleportJWTFFI"
cp "$build/generated/TeleportJWTFFI.h" "$build/headers/TeleportJWTFFI/"
cp "$build/generated/TeleportJWTFFI.modulemap" "$build/headers/TeleportJWTFFI/module.modulemap"

# One (fat) static library per platform.
fat() { # out, targets...
  local out="$1"; shift
  mkdir -p "$(dirname "$out")"
  lipo -create $(for t in "$@"; do echo "$target_dir/$t/$profile/$lib"; done) -output "$out"
}
fat "$build/ios/$lib" "${ios[@]}"
fat "$build/ios-sim/$lib" "${ios_sim[@]}"
fat "$build/macos/$lib" "${macos[@]}"

rm -rf "$build/TeleportJWTFFI.xcframework"
xcodebuild -create-xcframework \
  -library "$build/ios/$lib" -headers "$build/headers" \
  -library "$build/ios-sim/$lib" -headers "$build/headers" \
  -library "$build/macos/$lib" -headers "$build/headers" \
  -output "$build/TeleportJWTFFI.xcframework"
echo "built $build/TeleportJWTFFI.xcframework and Sources/TeleportJWT/TeleportJWT.swift"
