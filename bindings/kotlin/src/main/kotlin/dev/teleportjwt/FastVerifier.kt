package dev.teleportjwt

import com.sun.jna.JNIEnv
import com.sun.jna.Library
import com.sun.jna.Native
import com.sun.jna.NativeLibrary
import java.nio.ByteBuffer
import java.util.concurrent.locks.ReentrantReadWriteLock
import kotlin.concurrent.read
import kotlin.concurrent.write

/**
 * The JNI entry points of the native library (`bindings/teleport-jwt-ffi/src/jvm.rs`), bound
 * with `RegisterNatives` in the library instance the generated code already loaded through JNA
 * (the same class loader option, so JNA's cache hands back that very instance): a library JNA
 * unpacked from the jar is deleted once loaded, and loading it again would be a second copy.
 */
internal object JvmFastPath {
    init {
        val library = NativeLibrary.getInstance(
            "teleport_jwt_ffi",
            mapOf(Library.OPTION_CLASSLOADER to JvmFastPath::class.java.classLoader),
        )
        Native.register(Registrar::class.java, library)
        val status = Registrar.teleport_jwt_jvm_register_natives(JNIEnv.CURRENT)
        check(status == 0) { "teleport-jwt: binding the JNI fast path failed (JNI status $status)" }
    }

    @JvmStatic external fun verify(handle: Long, token: String): ByteArray

    @JvmStatic external fun authorize(handle: Long, token: String): ByteArray

    @JvmStatic external fun release(handle: Long)

    /** JNA direct mapping of the one registration call. */
    private object Registrar {
        @JvmStatic external fun teleport_jwt_jvm_register_natives(env: JNIEnv): Int
    }
}

/**
 * [Verifier.verify] and [Verifier.authorize] in one JNI call each, for request paths: the
 * generated UniFFI call costs tens of microseconds on the JVM (several JNA calls, each with
 * reflected structures), this one about what the Rust core costs. Same answers and the same
 * exceptions as the [Verifier] it wraps, which it shares (its keys, caches and options); close
 * it when done (the wrapped verifier stays usable). Thread-safe.
 *
 * ```
 * val fast = FastVerifier(Verifier.teleportJwt(proxyUrl, cluster, audience))
 * val identity = fast.verify(token)
 * ```
 */
class FastVerifier(val verifier: Verifier) : AutoCloseable {
    // A strong reference of our own to the Rust verifier, given back in close().
    private var handle: Long = verifier.uniffiCloneHandle()
    private val lock = ReentrantReadWriteLock()

    init {
        JvmFastPath // loads the library for JNI before the first call
    }

    /** Verifies one token: [Verifier.verify]. */
    @Throws(VerifyException::class)
    fun verify(token: String): Identity = lock.read { decode(JvmFastPath.verify(live(), token), FfiConverterTypeIdentity::read) }

    /** Verifies one token and maps it to permissions: [Verifier.authorize]. */
    @Throws(VerifyException::class)
    fun authorize(token: String): Authorized =
        lock.read { decode(JvmFastPath.authorize(live(), token), FfiConverterTypeAuthorized::read) }

    override fun close() {
        lock.write {
            if (handle != 0L) {
                JvmFastPath.release(handle)
                handle = 0L
            }
        }
    }

    private fun live(): Long = handle.also { if (it == 0L) throw IllegalStateException("FastVerifier is closed") }

    private fun <T> decode(answer: ByteArray, read: (ByteBuffer) -> T): T {
        val buf = ByteBuffer.wrap(answer)
        return when (buf.get().toInt()) {
            0 -> read(buf)
            else -> throw FfiConverterTypeVerifyError.read(buf)
        }
    }
}
