package dev.teleportjwt

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.assertThrows
import java.io.File

/** The audience the mock mints by default: the app's `uri` as configured in Teleport. */
const val AUD = "mcp+http://127.0.0.1:8000/mcp"

const val JWKS_PATH = "/.well-known/jwks.json"

fun nowSeconds(): Long = System.currentTimeMillis() / 1000

/** The repository root (system property `teleportjwt.root`, set by pom.xml). */
fun repoRoot(): File = File(
    System.getProperty("teleportjwt.root")
        ?: error("system property teleportjwt.root is not set (see pom.xml)")
).canonicalFile

/** Options that trust the mock's own TLS CA (and nothing else changed). */
fun trusting(mock: MockTeleport, more: (VerifierOptions) -> VerifierOptions = { it }): VerifierOptions =
    more(VerifierOptions(caPem = mock.caPem()))

/** A classic-JWT verifier for `mock` over loopback HTTPS. */
fun classicVerifier(mock: MockTeleport, more: (VerifierOptions) -> VerifierOptions = { it }): Verifier =
    Verifier.teleportJwt(mock.proxyUrl(), mock.clusterName(), AUD, trusting(mock, more))

/** Runs `block`, expects a [VerifyException] with reason `code`, and returns it. */
fun expectCode(code: String, block: () -> Unit): VerifyException {
    val e = assertThrows<VerifyException> { block() }
    assertEquals(code, e.code, "wrong reason; detail: ${e.message}")
    assertTrue(e.message!!.isNotBlank(), "an error always says what went wrong")
    return e
}
