package dev.teleportjwt

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

/** [FastVerifier] (one JNI call) answers exactly as the UniFFI [Verifier] it wraps. */
class FastVerifierTest {
    @Test
    fun `same identities and same errors as the verifier it wraps`() {
        MockTeleport.start(Algorithm.ES256).use { mock ->
            classicVerifier(mock).use { v ->
                FastVerifier(v).use { fast ->
                    val token = mock.mint(MintSpec(username = "alice", roles = listOf("access"), traits = mapOf("logins" to listOf("root"))))
                    assertEquals(v.verify(token), fast.verify(token))
                    assertEquals("alice", fast.verify(token).username)
                    for ((code, bad) in listOf(
                        "malformed" to "not-a-jwt",
                        "expired" to mock.mint(MintSpec(issuedAt = nowSeconds() - 7200, ttl = java.time.Duration.ofSeconds(60))),
                        "audience_mismatch" to mock.mint(MintSpec(audience = listOf("other"))),
                    )) {
                        val slow = expectCode(code) { v.verify(bad) }
                        val quick = expectCode(code) { fast.verify(bad) }
                        assertEquals(slow::class, quick::class)
                        assertEquals(slow.message, quick.message)
                    }
                    expectCode("invalid_config") { fast.authorize(token) } // no mapper configured
                    // Over the cap by its UTF-16 length: refused before the string is copied
                    // into Rust, with the same reason the core gives.
                    val huge = "a".repeat(64 * 1024)
                    assertEquals(expectCode("token_too_large") { v.verify(huge) }::class, expectCode("token_too_large") { fast.verify(huge) }::class)
                    assertTrue(expectCode("token_too_large") { fast.authorize(huge) }.message!!.contains("at least 65536 bytes"))
                }
                assertEquals("alice", v.verify(mock.mint(MintSpec(username = "alice"))).username, "the wrapped verifier outlives close()")
            }
        }
    }

    @Test
    fun `authorize through the fast path runs the policy`() {
        val policy = Policy.fromYaml("version: 1\nrules:\n  - match: { roles_any: [access] }\n    grant: [\"tool:read_*\"]\n")
        MockTeleport.start(Algorithm.RS256).use { mock ->
            classicVerifier(mock) { it.copy(permissionsFrom = PermissionsFrom.Policy(policy)) }.use { v ->
                FastVerifier(v).use { fast ->
                    val token = mock.mint(MintSpec(roles = listOf("access")))
                    val got = fast.authorize(token)
                    assertEquals(v.authorize(token), got)
                    assertTrue(got.permissions.allows("tool:read_file"))
                }
            }
        }
    }

    @Test
    fun `withPermissions adds a mapper to a built verifier and shares its keys`() {
        val policy = Policy.fromYaml("version: 1\nrules:\n  - match: { roles_any: [access] }\n    grant: [\"tool:read_*\"]\n")
        MockTeleport.start(Algorithm.RS256).use { mock ->
            classicVerifier(mock).use { plain ->
                val token = mock.mint(MintSpec(roles = listOf("access")))
                plain.verify(token)
                assertTrue(!plain.hasPermissions())
                plain.withPermissions(PermissionsFrom.Policy(policy)).use { mapped ->
                    assertTrue(mapped.hasPermissions())
                    assertTrue(mapped.authorize(token).permissions.allows("tool:read_file"))
                    assertEquals(1L, mapped.keyFetchCount(), "the key cache is shared: no second fetch")
                }
                expectCode("invalid_config") { plain.authorize(token) }
            }
        }
    }

    @Test
    fun `a Kotlin mapper that throws is plugin_error through the fast path too`() {
        val throwing = object : PermissionMapper {
            override fun permissions(identity: Identity): Permissions =
                if (identity.username == "mallory") throw IllegalStateException("directory down") else Permissions(granted = listOf("tool:x"))
        }
        MockTeleport.start(Algorithm.ES256).use { mock ->
            classicVerifier(mock) { it.copy(permissionsFrom = PermissionsFrom.Mapper(throwing)) }.use { v ->
                FastVerifier(v).use { fast ->
                    assertTrue(fast.authorize(mock.mint(MintSpec(username = "alice"))).permissions.allows("tool:x"))
                    val e = expectCode("plugin_error") { fast.authorize(mock.mint(MintSpec(username = "mallory"))) }
                    assertTrue(e.message!!.contains("directory down"), e.message)
                }
            }
        }
    }

    @Test
    fun `closed is an IllegalStateException and concurrent calls are safe`() {
        MockTeleport.start(Algorithm.ES256).use { mock ->
            classicVerifier(mock).use { v ->
                val fast = FastVerifier(v)
                val token = mock.mint(MintSpec())
                val pool = Executors.newFixedThreadPool(8)
                val results = (1..200).map { pool.submit<String> { fast.verify(token).username } }
                assertTrue(results.all { it.get(30, TimeUnit.SECONDS) == "alice" })
                pool.shutdown()
                fast.close()
                fast.close() // idempotent
                assertThrows<IllegalStateException> { fast.verify(token) }
            }
        }
    }
}
