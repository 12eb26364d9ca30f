package dev.teleportjwt

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.IOException
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse as JHttpResponse
import java.security.KeyStore
import java.security.cert.CertificateFactory
import java.time.Duration
import java.util.Collections
import java.util.concurrent.atomic.AtomicInteger
import javax.net.ssl.SSLContext
import javax.net.ssl.TrustManagerFactory

/** An [HttpFetcher] on java.net.http that trusts exactly the given CA (the mock's). */
class JdkFetcher(caPem: String) : HttpFetcher {
    val urls: MutableList<String> = Collections.synchronizedList(mutableListOf())
    private val client: HttpClient

    init {
        val cert = CertificateFactory.getInstance("X.509").generateCertificate(caPem.byteInputStream())
        val store = KeyStore.getInstance(KeyStore.getDefaultType()).apply {
            load(null, null)
            setCertificateEntry("mock-teleport-ca", cert)
        }
        val tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm()).apply { init(store) }
        val tls = SSLContext.getInstance("TLS").apply { init(null, tmf.trustManagers, null) }
        client = HttpClient.newBuilder()
            .sslContext(tls)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5))
            .build()
    }

    override fun get(url: String, timeout: Duration, maxBodyBytes: Long): HttpResponse {
        urls += url
        val request = HttpRequest.newBuilder(URI.create(url))
            .timeout(timeout)
            .GET()
            .build()
        val response = client.send(request, JHttpResponse.BodyHandlers.ofByteArray())
        val body = response.body()
        val cap = (maxBodyBytes + 1).coerceAtMost(Int.MAX_VALUE.toLong()).toInt()
        return HttpResponse(response.statusCode(), if (body.size > cap) body.copyOf(cap) else body)
    }
}

/** Kotlin implementations of the plug-in points, used for real verifications. */
class PluginTest {
    @Test
    fun `a Kotlin HTTP fetcher fetches the keys for classic and ID tokens`() {
        MockTeleport.start(Algorithm.ES256).use { mock ->
            val fetcher = JdkFetcher(mock.caPem())
            val entries = listOf(
                TrustEntry.TeleportJwt(mock.proxyUrl(), mock.clusterName(), AUD),
                TrustEntry.TeleportIdToken(mock.proxyUrl(), AUD),
            )
            // No caPem: only the Kotlin client, which trusts the mock's CA, talks to the mock.
            Verifier.fromEntries(entries, VerifierOptions(httpFetcher = fetcher)).use { v ->
                assertEquals(Algorithm.ES256, v.verify(mock.mint(MintSpec())).algorithm)
                assertEquals(TokenKind.ID_TOKEN, v.verify(mock.mint(MintSpec(kind = TokenKind.ID_TOKEN))).kind)
            }
            assertEquals(
                listOf(mock.jwksUrl(), mock.discoveryUrl(), mock.jwksOidcUrl()),
                fetcher.urls.toList(),
            )
        }
    }

    @Test
    fun `the core still checks what a Kotlin fetcher returns`() {
        MockTeleport.start(Algorithm.RS256).use { mock ->
            val notFound = object : HttpFetcher {
                override fun get(url: String, timeout: Duration, maxBodyBytes: Long) =
                    HttpResponse(404, "{}".toByteArray())
            }
            Verifier.teleportJwt(mock.proxyUrl(), mock.clusterName(), AUD, VerifierOptions(httpFetcher = notFound)).use { v ->
                val e = expectCode("key_source_unavailable") { v.verify(mock.mint(MintSpec())) }
                assertTrue(e.message!!.contains("HTTP 404"), e.message)
            }
        }
    }

    @Test
    fun `a throwing Kotlin fetcher is a key_source_unavailable error with its message`() {
        MockTeleport.start(Algorithm.RS256).use { mock ->
            val calls = AtomicInteger()
            val throwing = object : HttpFetcher {
                override fun get(url: String, timeout: Duration, maxBodyBytes: Long): HttpResponse {
                    calls.incrementAndGet()
                    throw IOException("corporate proxy said no")
                }
            }
            Verifier.teleportJwt(mock.proxyUrl(), mock.clusterName(), AUD, VerifierOptions(httpFetcher = throwing)).use { v ->
                val e = expectCode("key_source_unavailable") { v.verify(mock.mint(MintSpec())) }
                assertTrue(e is VerifyException.KeySourceUnavailable)
                assertTrue(e.message!!.contains("java.io.IOException: corporate proxy said no"), e.message)
                // Still usable afterwards (and the cooldown spares the failing client).
                expectCode("key_source_unavailable") { v.verify(mock.mint(MintSpec())) }
                assertEquals(1, calls.get())
            }
        }
    }

    @Test
    fun `a Kotlin key source provides the keys`() {
        MockTeleport.start(Algorithm.ES256).use { mock ->
            val calls = AtomicInteger()
            val source = object : KeySource {
                override fun fetchJwks(): String {
                    calls.incrementAndGet()
                    return mock.jwksJson(Ca.JWT)
                }
            }
            Verifier.general(mock.clusterName(), listOf(AUD), KeysFrom.Source(source)).use { v ->
                repeat(3) { assertEquals("alice", v.verify(mock.mint(MintSpec())).username) }
            }
            assertEquals(1, calls.get())
            assertEquals(0L, mock.requestCount(), "no HTTP: the keys came from Kotlin")
        }
    }

    @Test
    fun `a key source may report an outage with the reason of its choice`() {
        MockTeleport.start(Algorithm.ES256).use { mock ->
            val down = object : KeySource {
                override fun fetchJwks(): String = throw PluginFailure.Failed("key_source_unavailable", "vault unreachable")
            }
            Verifier.general(mock.clusterName(), listOf(AUD), KeysFrom.Source(down)).use { v ->
                val e = expectCode("key_source_unavailable") { v.verify(mock.mint(MintSpec())) }
                assertTrue(e is VerifyException.KeySourceUnavailable)
                assertEquals("vault unreachable", e.detail)
                assertEquals("key_source_unavailable: vault unreachable", e.message)
            }
        }
    }

    @Test
    fun `a key source returning garbage is refused by the core`() {
        MockTeleport.start(Algorithm.ES256).use { mock ->
            val garbage = object : KeySource {
                override fun fetchJwks(): String = "{\"keys\": 42}"
            }
            Verifier.general(mock.clusterName(), listOf(AUD), KeysFrom.Source(garbage)).use { v ->
                expectCode("key_source_unavailable") { v.verify(mock.mint(MintSpec())) }
            }
        }
    }

    @Test
    fun `a Kotlin clock pins time, and a throwing clock is a plugin_error, not a crash`() {
        MockTeleport.start(Algorithm.RS256).use { mock ->
            val issued = 1_700_000_000L
            val token = mock.mint(MintSpec(issuedAt = issued))
            val pinned = object : VerifierClock {
                override fun nowUnixMillis() = (issued + 60) * 1000
            }
            classicVerifier(mock) { it.copy(clock = pinned) }.use { v ->
                assertEquals(issued, v.verifyHeaders(listOf(Header("Teleport-Jwt-Assertion", token))).issuedAt)
            }
            val broken = object : VerifierClock {
                override fun nowUnixMillis(): Long = throw IllegalStateException("no time")
            }
            classicVerifier(mock) { it.copy(clock = broken) }.use { v ->
                val e = expectCode("plugin_error") { v.verify(token) }
                assertTrue(e is VerifyException.PluginException)
                assertTrue(e.message!!.contains("java.lang.IllegalStateException: no time"), e.message)
                expectCode("plugin_error") { v.verify(token) }
            }
        }
    }
}
