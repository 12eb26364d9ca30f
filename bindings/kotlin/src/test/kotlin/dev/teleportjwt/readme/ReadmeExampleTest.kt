package dev.teleportjwt.readme

import dev.teleportjwt.AUD
import dev.teleportjwt.Algorithm
import dev.teleportjwt.FastVerifier
import dev.teleportjwt.MintSpec
import dev.teleportjwt.MockTeleport
import dev.teleportjwt.PermissionsFrom
import dev.teleportjwt.Policy
import dev.teleportjwt.Verifier
import dev.teleportjwt.VerifierOptions
import dev.teleportjwt.repoRoot
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import java.io.File

/**
 * The README's Kotlin example is [ReadmeExample.kt] word for word (so it compiles), and it
 * runs: refused without a token, and the policy's answer for a token the mock signed.
 */
class ReadmeExampleTest {
    private val policyFile = File(repoRoot(), "examples/policy/mcp-tools.yaml").path

    @Test
    fun `the README shows ReadmeExample_kt exactly`() {
        val readme = File(repoRoot(), "README.md").readText()
        val block = Regex("```kotlin\n(import dev\\.teleportjwt\\.\\*\n.*?)```", RegexOption.DOT_MATCHES_ALL)
            .find(readme)?.groupValues?.get(1) ?: error("README has no Kotlin example starting with the import")
        val source = File(repoRoot(), "bindings/kotlin/src/test/kotlin/dev/teleportjwt/readme/ReadmeExample.kt")
            .readText().substringAfter("package dev.teleportjwt.readme\n\n")
        assertEquals(source, block)
    }

    @Test
    fun `the example refuses a request without a token`() {
        teleportVerifier(policyFile).use { v ->
            FastVerifier(v).use { fast -> assertEquals(401 to "missing_token", handle(fast, emptyMap(), listOf("read_file"))) }
        }
    }

    @Test
    fun `the example answers with the policy for a signed token`() {
        MockTeleport.start(Algorithm.ES256).use { mock ->
            val options = VerifierOptions(caPem = mock.caPem(), permissionsFrom = PermissionsFrom.Policy(Policy.fromFile(policyFile)))
            Verifier.teleportJwt(mock.proxyUrl(), mock.clusterName(), AUD, options).use { v ->
                FastVerifier(v).use { fast ->
                    val token = mock.mint(MintSpec(username = "alice", roles = listOf("mcp-user")))
                    val answer = handle(fast, mapOf("Authorization" to "Bearer $token"), listOf("read_file", "delete_everything"))
                    assertEquals(200 to "alice may call [read_file]", answer)
                    val expired = mock.mint(MintSpec(issuedAt = System.currentTimeMillis() / 1000 - 7200, ttl = java.time.Duration.ofSeconds(60)))
                    assertEquals(401 to "expired", handle(fast, mapOf("Teleport-Jwt-Assertion" to expired), emptyList()))
                }
            }
        }
    }
}
