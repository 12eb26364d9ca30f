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
import dev.teleportjwt.VerifyException
import dev.teleportjwt.repoRoot
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.io.File

/**
 * The Kotlin README's example is [ReadmeExample.kt] word for word, and the root README's short
 * one is RootReadmeExample.kt (so both compile), and they run: refused without a token, and the
 * policy's answer for a token the mock signed.
 */
class ReadmeExampleTest {
    private val policyFile = File(repoRoot(), "examples/policy/mcp-tools.yaml").path

    /** The Kotlin examples of a Markdown page: every ```kotlin block starting with the import. */
    private fun examples(page: String): List<String> =
        Regex("```kotlin\n(import dev\\.teleportjwt\\.\\*\n.*?)```", RegexOption.DOT_MATCHES_ALL)
            .findAll(File(repoRoot(), page).readText()).map { it.groupValues[1] }.toList()

    private fun source(name: String): String =
        File(repoRoot(), "bindings/kotlin/src/test/kotlin/dev/teleportjwt/readme/$name")
            .readText().substringAfter("package dev.teleportjwt.readme\n\n")

    @Test
    fun `the Kotlin README shows ReadmeExample_kt exactly`() {
        assertEquals(listOf(source("ReadmeExample.kt")), examples("bindings/kotlin/README.md"))
    }

    @Test
    fun `the root README shows RootReadmeExample_kt exactly`() {
        assertEquals(listOf(source("RootReadmeExample.kt")), examples("README.md"))
    }

    @Test
    fun `the root example refuses a request without a token`() {
        teleport().use { v -> assertThrows<VerifyException.MissingToken> { whoami(v, emptyMap()) } }
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
