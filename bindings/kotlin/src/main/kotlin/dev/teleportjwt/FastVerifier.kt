package dev.teleportjwt

import com.sun.jna.NativeLibrary
import java.nio.ByteBuffer
import java.util.concurrent.locks.ReentrantReadWriteLock
import kotlin.concurrent.read
import kotlin.concurrent.write

/**
 * The JNI entry points of the native library (`bindings/teleport-jwt-ffi/src/jvm.rs`). The
 * library JNA already loaded is loaded for JNI too, from the same file.
 */
internal object JvmFastPath {
    init {
        System.load(NativeLibrary.getInstance("teleport_jwt_ffi").file.absolutePath)
    }

    @JvmStatic external fun verify(handle: Long, token: String): ByteArray

    @JvmStatic external fun authorize(handle: Long, token: String): ByteArray

    @JvmStatic external fun release(handle: Long)
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
