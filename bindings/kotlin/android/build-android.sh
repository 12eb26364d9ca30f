#!/usr/bin/env bash
# Builds the native library for each Android ABI with cargo-ndk and generates the Android
# flavour of the Kotlin sources, laid out for an Android library module (src/main/jniLibs and
# src/main/kotlin):
#
#   ANDROID_NDK_HOME=/path/to/ndk bindings/kotlin/android/build-android.sh OUT_DIR
#
# Needs the Android NDK (r26 or newer) and `cargo install cargo-ndk`. NOT RUN YET: no NDK
# exists on the machines this was written on; the steps are the ones the JVM build uses, per ABI.
# The module then depends on net.java.dev.jna:jna:<version>@aar (JNA's Android build) and
# kotlinx-coroutines-core.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="${1:?usage: build-android.sh OUT_DIR}"
: "${ANDROID_NDK_HOME:?set ANDROID_NDK_HOME to the Android NDK}"
abis=(arm64-v8a armeabi-v7a x86_64)
targets=(aarch64-linux-android armv7-linux-androideabi x86_64-linux-android)

rustup target add "${targets[@]}"
cd "$root"
# API 24: the oldest Android JNA and rustls-platform-verifier support.
cargo ndk --platform 24 $(for a in "${abis[@]}"; do printf -- '-t %s ' "$a"; done) \
  -o "$out/src/main/jniLibs" build --release -p teleport-jwt-ffi --features jvm
cargo run --quiet -p uniffi-bindgen -- generate --no-format --language kotlin \
  --config "$here/uniffi-android.toml" --out-dir "$out/src/main/kotlin" \
  "$out/src/main/jniLibs/arm64-v8a/libteleport_jwt_ffi.so"
cp "$root"/bindings/kotlin/src/main/kotlin/dev/teleportjwt/*.kt "$out/src/main/kotlin/dev/teleportjwt/"
echo "android: $out/src/main/{jniLibs,kotlin} ready for an Android library module"
