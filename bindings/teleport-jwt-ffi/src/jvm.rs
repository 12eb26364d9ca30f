//! The JVM's fast path: `verify` and `authorize` in one JNI call each (feature `jvm`).
//!
//! Why it exists (measured with `make kotlin-bench`): through UniFFI's generated Kotlin every
//! call allocates JNA `Structure`s (the call status with its nested buffer, read and written
//! by reflection) and `verify` makes four such calls (clone the object handle, allocate the
//! argument buffer, the call itself, free the result buffer): 30-60 µs per verification,
//! 100-200x the core's 0.3 µs for a repeated token and 3.5x for a fresh RS256 one. UniFFI
//! offers no setting that avoids them.
//!
//! Here the Kotlin `FastVerifier` holds one cloned handle of a UniFFI `Verifier` and calls
//! these functions with it: one JNI call in, the token as a Java string, one byte array out:
//! a tag byte (0 = value, 1 = error) and then the value or the `VerifyError` in UniFFI's own
//! serialization, which the generated `FfiConverter`s read back. Every decision is still the
//! core's (through the same `Verifier` methods); no panic crosses the boundary (`jni`'s
//! `with_env` catches it, and the verifier call runs under `guarded`).

use std::sync::Arc;

use jni::objects::{JByteArray, JClass, JString};
use jni::sys::jlong;
use jni::EnvUnowned;
use uniffi::{Handle, Lower, LowerError};

use crate::{Verifier, VerifyError};

/// The verifier behind `handle`, shared (its strong count goes up by one for the call).
fn verifier_of(handle: jlong) -> Result<Arc<Verifier>, VerifyError> {
    let raw = u64::try_from(handle).unwrap_or(0);
    // Rust object handles are non-zero, aligned pointers (UniFFI's rule: the low bit marks a
    // foreign handle).
    if raw == 0 || raw & 1 == 1 {
        return Err(VerifyError::InternalError {
            message: "FastVerifier used after close (no verifier handle)".into(),
        });
    }
    // SAFETY: `raw` is a handle `Verifier.uniffiCloneHandle()` returned for an `Arc<Verifier>`;
    // `FastVerifier` owns that strong reference and releases it (`release` below) only after
    // every call that uses the handle has returned (a read/write lock), so the `Arc` is alive.
    Ok(unsafe { Handle::from_raw_unchecked(raw).into_arc_borrowed::<Verifier>() })
}

/// The tag byte and the value or error, in UniFFI's serialization.
fn encode<T: Lower<crate::UniFfiTag>>(result: Result<T, VerifyError>) -> Vec<u8> {
    match result {
        Ok(value) => {
            let mut out = vec![0u8];
            T::write(value, &mut out);
            out
        }
        Err(e) => {
            let mut out = vec![1u8];
            out.extend_from_slice(
                &<VerifyError as LowerError<crate::UniFfiTag>>::lower_error(e).destroy_into_vec(),
            );
            out
        }
    }
}

/// Runs `call` (an exported `Verifier` method, so guarded like every other call) with the
/// verifier and the token and returns the encoded answer as a Java `byte[]` (a JNI failure or
/// a panic becomes a Java `RuntimeException`).
fn answer<'c, T: Lower<crate::UniFfiTag>>(
    mut env: EnvUnowned<'c>,
    handle: jlong,
    token: JString<'c>,
    call: impl FnOnce(&Verifier, String) -> Result<T, VerifyError>,
) -> JByteArray<'c> {
    env.with_env(|env| -> Result<JByteArray<'c>, jni::errors::Error> {
        let result = verifier_of(handle).and_then(|v| {
            within_cap(env, &token, v.core().options().max_token_bytes)?;
            call(&v, token.to_string())
        });
        env.byte_array_from_slice(&encode(result))
    })
    .resolve::<jni::errors::ThrowRuntimeExAndDefault>()
}

/// Refuses a token whose UTF-16 length alone is over the verifier's cap, before it is copied
/// into Rust: its UTF-8 form, which the core measures, is at least that long. Shorter ones
/// are copied and the core applies the cap itself, as for every other caller.
fn within_cap(
    env: &jni::Env<'_>,
    token: &JString<'_>,
    max_bytes: usize,
) -> Result<(), VerifyError> {
    if token.is_null() {
        return Ok(()); // the core refuses it as `malformed`, as before
    }
    let raw = env.get_raw();
    // SAFETY: `raw` is the calling thread's live `JNIEnv*` (borrowed from `env` for this call)
    // and `token` a live local reference to a `java.lang.String` (the native method's
    // argument); `GetStringLength` only reads it.
    let utf16_len = unsafe { ((**raw).v1_1.GetStringLength)(raw, token.as_raw()) };
    match usize::try_from(utf16_len) {
        Ok(n) if n > max_bytes => Err(VerifyError::TokenTooLarge {
            message: format!("token of at least {n} bytes is over the limit of {max_bytes}"),
        }),
        _ => Ok(()),
    }
}

/// `FastVerifier.verify`: [`Verifier::verify`], one call.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_teleportjwt_JvmFastPath_verify<'c>(
    env: EnvUnowned<'c>,
    _class: JClass<'c>,
    handle: jlong,
    token: JString<'c>,
) -> JByteArray<'c> {
    answer(env, handle, token, Verifier::verify)
}

/// `FastVerifier.authorize`: [`Verifier::authorize`], one call.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_teleportjwt_JvmFastPath_authorize<'c>(
    env: EnvUnowned<'c>,
    _class: JClass<'c>,
    handle: jlong,
    token: JString<'c>,
) -> JByteArray<'c> {
    answer(env, handle, token, Verifier::authorize)
}

/// `FastVerifier.close`: gives back the strong reference the handle holds.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_teleportjwt_JvmFastPath_release<'c>(
    _env: EnvUnowned<'c>,
    _class: JClass<'c>,
    handle: jlong,
) {
    let raw = u64::try_from(handle).unwrap_or(0);
    if raw != 0 && raw & 1 == 0 {
        // SAFETY: as in `verifier_of`; `FastVerifier.close` calls this once, after every call.
        drop(unsafe { Handle::from_raw_unchecked(raw).into_arc::<Verifier>() });
    }
}

/// Binds the three `JvmFastPath` natives to the functions above, in the library instance JNA
/// already loaded: called through JNA (direct mapping passes the `JNIEnv*` and the class). A
/// library JNA unpacked from the jar is deleted from disk once loaded, so `System.load` could
/// only load a second copy (a second core, whose handles are not this one's); `RegisterNatives`
/// needs no path. Returns JNI's status (0 = bound).
///
/// # Safety
/// `env` is the calling thread's `JNIEnv*` (JNA's direct mapping passes it), called from a
/// native method of a class whose loader sees `dev.teleportjwt.JvmFastPath` (JNI's
/// `FindClass` then uses that loader).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn teleport_jwt_jvm_register_natives(
    env: *mut jni::sys::JNIEnv,
) -> jni::sys::jint {
    const BYTES_SIG: &std::ffi::CStr = c"(JLjava/lang/String;)[B";
    let method =
        |name: &'static std::ffi::CStr, sig: &'static std::ffi::CStr, f: *mut std::ffi::c_void| {
            jni::sys::JNINativeMethod {
                name: name.as_ptr().cast_mut(),
                signature: sig.as_ptr().cast_mut(),
                fnPtr: f,
            }
        };
    let methods = [
        method(
            c"verify",
            BYTES_SIG,
            Java_dev_teleportjwt_JvmFastPath_verify as *mut _,
        ),
        method(
            c"authorize",
            BYTES_SIG,
            Java_dev_teleportjwt_JvmFastPath_authorize as *mut _,
        ),
        method(
            c"release",
            c"(J)V",
            Java_dev_teleportjwt_JvmFastPath_release as *mut _,
        ),
    ];
    if env.is_null() {
        return jni::sys::JNI_ERR;
    }
    // SAFETY: the caller's contract (above) for `env`.
    let class = unsafe { ((**env).v1_1.FindClass)(env, c"dev/teleportjwt/JvmFastPath".as_ptr()) };
    if class.is_null() {
        return jni::sys::JNI_ERR; // FindClass left a NoClassDefFoundError pending
    }
    // SAFETY: `class` is a live local reference; the method table outlives the call (JNI copies what it needs) and each entry
    // is a function with exactly the JNI signature it is registered under.
    unsafe {
        ((**env).v1_1.RegisterNatives)(
            env,
            class,
            methods.as_ptr(),
            methods.len() as jni::sys::jint,
        )
    }
}
