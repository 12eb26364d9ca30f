package dev.teleportjwt

import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.time.Duration
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

/** The Kotlin shape of the API: values, java.time, exceptions that say their code, coroutines. */
class KotlinApiTest {
    @Test
    fun `records are immutable values changed with copy`() {
        for (record in listOf(VerifierOptions::class.java, Identity::class.java, MintSpec::class.java, Header::class.java)) {
            val setters = record.methods.filter { it.name.startsWith("set") }.map { it.name }
            assertEquals(emptyList<String>(), setters, "${record.simpleName} has setters")
        }
        val base = VerifierOptions(leeway = Duration.ofSeconds(5))
        val changed = base.copy(cacheMaxKeys = 10L)
        assertEquals(Duration.ofSeconds(5), changed.leeway)
        assertEquals(null, base.cacheMaxKeys)
        assertEquals(VerifierOptions(leeway = Duration.ofSeconds(5)), base, "records compare by value")
    }

    @Test
    fun `durations are java time Durations and counts are Longs, reachable from Java`() {
        val d = defaultVerifierOptions()
        assertEquals(Duration.ofMinutes(10), d.cacheMaxAge)
        assertEquals(Duration.ofSeconds(5), d.fetchTimeout)
        assertEquals(16384L, d.maxTokenBytes)
        // No Kotlin inline class (ULong, UInt) in a constructor: Java sees a plain signature.
        val mangled = VerifierOptions::class.java.constructors.flatMap { it.parameterTypes.toList() }
            .filter { it.name.startsWith("kotlin.U") }
        assertEquals(emptyList<Class<*>>(), mangled)
        expectCode("invalid_config") { Verifier.teleportJwt("https://t.example.com", "t", AUD, VerifierOptions(cacheMaxKeys = -1L)) }
    }

    @Test
    fun `an exception says code and detail, in its message and toString`() {
        MockTeleport.start(Algorithm.ES256).use { mock ->
            classicVerifier(mock).use { v ->
                val token = mock.mint(MintSpec(audience = listOf("mcp+http://elsewhere/mcp")))
                val e = assertThrows<VerifyException> { v.verify(token) }
                assertTrue(e is VerifyException.AudienceMismatch)
                assertEquals("audience_mismatch", e.code)
                assertTrue(e.detail.isNotBlank() && !e.detail.startsWith("audience_mismatch"), e.detail)
                assertEquals("audience_mismatch: ${e.detail}", e.message)
                assertTrue(e.toString().endsWith("AudienceMismatch: audience_mismatch: ${e.detail}"), e.toString())
            }
        }
    }

    @Test
    fun `async (suspend) forms give the blocking calls' answers and errors from coroutines`() {
        MockTeleport.start(Algorithm.RS256).use { mock ->
            val policy = Policy.fromJson("""{"rules":[{"match":{"roles_any":["access"]},"grant":["tool:*"]}]}""")
            classicVerifier(mock) { it.copy(permissionsFrom = PermissionsFrom.Policy(policy)) }.use { v ->
                val tokens = (1..8).map { mock.mint(MintSpec(username = "user$it")) }
                val names = runBlocking(Dispatchers.Default) {
                    tokens.map { t -> async { v.verifyAsync(t).username } }.awaitAll()
                }
                assertEquals((1..8).map { "user$it" }, names)
                assertEquals(1L, v.keyFetchCount(), "eight verifications, one key fetch")
                runBlocking {
                    val authorized = v.authorizeHeadersAsync(listOf(Header("Teleport-Jwt-Assertion", tokens[0])))
                    assertTrue(authorized.permissions.canCallTool("anything"))
                    val e = assertThrows<VerifyException> { runBlocking { v.verifyAsync("not.a.token") } }
                    assertEquals("malformed", e.code)
                    withContext(Dispatchers.Default) { v.warmUpAsync() }
                }
            }
        }
    }

    @Test
    fun `a key fetch does not hold the caller's thread, a cached answer does not leave it`() {
        MockTeleport.start(Algorithm.ES256).use { mock ->
            val release = CountDownLatch(1)
            val fetchedOn = CompletableDeferred<String>()
            val source = object : KeySource {
                override fun fetchJwks(): String {
                    fetchedOn.complete(Thread.currentThread().name)
                    check(release.await(10, TimeUnit.SECONDS)) { "never released" }
                    return mock.jwksJson(Ca.JWT)
                }
            }
            val token = mock.mint(MintSpec())
            val one = Executors.newSingleThreadExecutor { r -> Thread(r, "caller") }
            Verifier.general(mock.clusterName(), listOf(AUD), KeysFrom.Source(source)).use { v ->
                one.asCoroutineDispatcher().use { caller ->
                    runBlocking(caller) {
                        withTimeout(10_000) {
                            val first = async { v.verifyAsync(token) }
                            // The fetch waits for this coroutine, on the same single thread: it
                            // can only run if the first one left the thread while fetching.
                            val fetcher = fetchedOn.await()
                            release.countDown()
                            assertEquals("alice", first.await().username)
                            assertTrue(fetcher != "caller", "fetched on $fetcher")
                            // Keys cached: answered at once, on the caller's thread.
                            assertEquals("alice", v.verifyAsync(token).username)
                        }
                    }
                }
            }
            one.shutdown()
        }
    }
}
