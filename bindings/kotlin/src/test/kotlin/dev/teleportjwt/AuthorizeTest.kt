package dev.teleportjwt

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.File
import java.util.Collections
import java.util.concurrent.CyclicBarrier
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger

/** A Kotlin mapper: `tool:<role>_*` per role, an own sandbox, a deny for contractors. */
class ByRole : PermissionMapper {
    val calls = AtomicInteger()
    val seen: MutableList<String> = Collections.synchronizedList(mutableListOf())

    override fun permissions(identity: Identity): Permissions {
        calls.incrementAndGet()
        seen += identity.username
        val granted = identity.roles.map { "tool:${it}_*" } + "sandbox:${identity.username}:*"
        val contractor = "contractor" in identity.traits["employment"].orEmpty()
        return Permissions(granted = granted, denied = if (contractor) listOf("tool:*_secret") else listOf())
    }
}

/** `Verifier.authorize`: verification plus a permission mapper (Kotlin or the built-in Policy). */
class AuthorizeTest {
    private val tools = listOf(
        "read_file", "list_files", "search", "write_file",
        "create_issue", "delete_file", "admin_reindex", "query_warehouse",
    )

    private fun examplePolicy(): Policy =
        Policy.fromFile(File(repoRoot(), "examples/policy/mcp-tools.yaml").path)

    @Test
    fun `a Kotlin mapper decides what authorize grants, once per token`() {
        MockTeleport.start(Algorithm.ES256).use { mock ->
            val mapper = ByRole()
            classicVerifier(mock) { it.copy(permissionsFrom = PermissionsFrom.Mapper(mapper)) }.use { v ->
                val token = mock.mint(MintSpec(username = "alice", roles = listOf("read", "search")))
                val a = v.authorize(token)
                assertEquals("alice", a.identity.username)
                assertEquals(listOf("sandbox:alice:*", "tool:read_*", "tool:search_*"), a.permissions.granted())
                assertEquals(listOf<String>(), a.permissions.denied())
                assertTrue(a.permissions.canCallTool("read_file"))
                assertFalse(a.permissions.canCallTool("write_file"))
                assertTrue(a.permissions.allows("sandbox:alice:notes"))
                assertFalse(a.permissions.allows("sandbox:bob:notes"))
                assertEquals(listOf("read_file", "search_docs"), a.permissions.filterTools(listOf("read_file", "write_file", "search_docs")))
                // The same token again, also from headers: neither verified nor mapped again.
                repeat(3) { assertEquals(a, v.authorize(token)) }
                assertEquals(a, v.authorizeHeaders(listOf(Header("Authorization", "Bearer $token"))))
                assertEquals(a, v.authorizeHeaderMap(mapOf("teleport-jwt-assertion" to token)))
                assertEquals(1, mapper.calls.get())

                // Deny patterns from a Kotlin mapper win over its grants.
                val bob = v.authorize(mock.mint(MintSpec(username = "bob", roles = listOf("read"), traits = mapOf("employment" to listOf("contractor")))))
                assertEquals(listOf("tool:*_secret"), bob.permissions.denied())
                assertTrue(bob.permissions.canCallTool("read_file"))
                assertFalse(bob.permissions.canCallTool("read_secret"))
                assertEquals(listOf("alice", "bob"), mapper.seen.toList())
            }
        }
    }

    @Test
    fun `authorizeAt pins time, and a refused token never reaches the mapper`() {
        MockTeleport.start(Algorithm.RS256).use { mock ->
            val mapper = ByRole()
            classicVerifier(mock) { it.copy(permissionsFrom = PermissionsFrom.Mapper(mapper)) }.use { v ->
                val issued = 1_700_000_000L
                val token = mock.mint(MintSpec(roles = listOf("read"), issuedAt = issued))
                val a = v.authorizeAt(token, issued + 60)
                assertEquals(issued, a.identity.issuedAt)
                assertTrue(a.permissions.canCallTool("read_file"))
                expectCode("expired") { v.authorizeAt(token, issued + 3600) }
                expectCode("expired") { v.authorize(token) }
                expectCode("audience_mismatch") { v.authorize(mock.mint(MintSpec(audience = listOf("https://elsewhere.example.com")))) }
                expectCode("missing_token") { v.authorizeHeaders(listOf(Header("X-Other", "x"))) }
                assertEquals(1, mapper.calls.get())
            }
        }
    }

    @Test
    fun `the built-in Policy through authorize gives the policy's own answer`() {
        MockTeleport.start(Algorithm.ES256).use { mock ->
            val policy = examplePolicy()
            val entries = listOf(TrustEntry.TeleportJwt(mock.proxyUrl(), mock.clusterName(), AUD, name = "root"))
            val options = trusting(mock) { it.copy(permissionsFrom = PermissionsFrom.Policy(policy)) }
            Verifier.fromEntries(entries, options).use { v ->
                val cases = mapOf(
                    listOf("mcp-reader") to listOf("read_file", "list_files", "search"),
                    listOf("mcp-writer") to listOf("read_file", "list_files", "search", "write_file", "create_issue"),
                    listOf("mcp-admin") to tools,
                    listOf("access") to listOf(),
                    listOf<String>() to listOf(),
                )
                for ((roles, visible) in cases) {
                    val a = v.authorize(mock.mint(MintSpec(roles = roles, traits = mapOf("github_orgs" to listOf("acme")))))
                    assertEquals(roles, a.identity.roles)
                    assertEquals(policy.permissions(a.identity), a.permissions, "$roles")
                    assertEquals(visible, a.permissions.filterTools(tools), "$roles")
                    assertEquals(policy.filterTools(a.identity, tools), a.permissions.filterTools(tools))
                    assertTrue(a.permissions.allows("sandbox:alice:scratch"), "own-sandbox applies to everyone")
                }
                val writer = v.authorize(mock.mint(MintSpec(roles = listOf("mcp-writer"), traits = mapOf("github_orgs" to listOf("acme")))))
                assertTrue(writer.permissions.allows("repo:acme:write"))
                assertFalse(writer.permissions.allows("repo:other:write"))
                // A contractor writer stays read-only: the policy's deny wins.
                val contractor = v.authorize(
                    mock.mint(MintSpec(username = "carol", roles = listOf("mcp-writer"), traits = mapOf("employment" to listOf("contractor"))))
                )
                assertFalse(contractor.permissions.canCallTool("write_file"))
                assertTrue(contractor.permissions.canCallTool("read_file"))
                assertEquals(listOf("repo:*:write", "tool:delete_*", "tool:write_*"), contractor.permissions.denied())
                // The verifier holds its own reference: closing the Kotlin handle changes nothing.
                policy.close()
                assertTrue(v.authorize(mock.mint(MintSpec(roles = listOf("mcp-reader")))).permissions.canCallTool("search"))
            }
        }
    }

    @Test
    fun `a throwing Kotlin mapper is a plugin_error, and the verifier keeps working`() {
        MockTeleport.start(Algorithm.RS256).use { mock ->
            val calls = AtomicInteger()
            val flaky = object : PermissionMapper {
                override fun permissions(identity: Identity): Permissions {
                    calls.incrementAndGet()
                    when (identity.username) {
                        "mallory" -> throw IllegalStateException("directory down")
                        "eve" -> throw PluginFailure.Failed("invalid_config", "no such tenant")
                    }
                    return Permissions(granted = listOf("tool:*"))
                }
            }
            classicVerifier(mock) { it.copy(permissionsFrom = PermissionsFrom.Mapper(flaky)) }.use { v ->
                val mallory = mock.mint(MintSpec(username = "mallory"))
                val e = expectCode("plugin_error") { v.authorize(mallory) }
                assertTrue(e is VerifyException.PluginException)
                val detail = e.detail
                assertTrue(detail.startsWith("permission mapper failed: "), detail)
                assertTrue(detail.contains("java.lang.IllegalStateException: directory down"), detail)
                // A failure is not cached: the mapper is asked again next time.
                expectCode("plugin_error") { v.authorize(mallory) }
                assertEquals(2, calls.get())
                // A VerifyException of another reason is still the mapper's failure.
                val eve = expectCode("plugin_error") { v.authorize(mock.mint(MintSpec(username = "eve"))) }
                assertTrue(eve.message!!.contains("invalid_config: no such tenant"), eve.message)
                // Still usable: other callers are authorized, and verify is unaffected.
                assertTrue(v.authorize(mock.mint(MintSpec(username = "alice"))).permissions.canCallTool("anything"))
                assertEquals("mallory", v.verify(mallory).username)
            }
        }
    }

    @Test
    fun `authorize without a mapper is invalid_config, verify is unaffected`() {
        MockTeleport.start(Algorithm.ES256).use { mock ->
            classicVerifier(mock).use { v ->
                val token = mock.mint(MintSpec())
                val e = expectCode("invalid_config") { v.authorize(token) }
                assertTrue(e.message!!.contains("permission mapper"), e.message)
                expectCode("invalid_config") { v.authorizeAt(token, nowSeconds()) }
                assertEquals("alice", v.verify(token).username)
            }
        }
    }

    @Test
    fun `Permissions is plain data whose methods ask the core`() {
        val p = Permissions(granted = listOf("tool:*", "docs:read"), denied = listOf("tool:delete_*"))
        assertTrue(p.allows("tool:read_file"))
        assertFalse(p.allows("tool:delete_repo"), "a deny wins over a granted glob")
        assertTrue(p.allows("docs:read"))
        assertFalse(p.allows("docs:write"))
        assertTrue(p.canCallTool("search"))
        assertEquals(listOf("read_file"), p.filterTools(listOf("read_file", "delete_repo")))
        assertEquals(listOf<String>(), Permissions(granted = listOf("a")).denied())
        assertFalse(Permissions(granted = listOf()).allows(""))
    }

    @Test
    fun `8 threads authorize through one Kotlin mapper, each token mapped once`() {
        val threads = 8
        MockTeleport.start(Algorithm.ES256).use { mock ->
            val mapper = ByRole()
            classicVerifier(mock) { it.copy(permissionsFrom = PermissionsFrom.Mapper(mapper)) }.use { v ->
                val tokens = (0 until threads).map { mock.mint(MintSpec(username = "user$it", roles = listOf("read"))) }
                val pool = Executors.newFixedThreadPool(threads)
                val start = CyclicBarrier(threads)
                val results = Collections.synchronizedList(mutableListOf<String>())
                repeat(threads) { i ->
                    pool.execute {
                        start.await()
                        repeat(20) {
                            val a = v.authorize(tokens[i])
                            check(a.identity.username == "user$i" && a.permissions.allows("sandbox:user$i:x"))
                        }
                        results += "user$i"
                    }
                }
                pool.shutdown()
                assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS))
                assertEquals((0 until threads).map { "user$it" }.toSet(), results.toSet())
                assertEquals(threads, mapper.calls.get())
            }
        }
    }
}
