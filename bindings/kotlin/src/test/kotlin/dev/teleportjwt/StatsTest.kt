package dev.teleportjwt

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.time.Duration

/** Verifier.stats(): exact counts after a scripted sequence, as the Rust and Python suites. */
class StatsTest {
    @Test
    fun `counters follow an outage, a recovery, refusals and a rotation`() {
        MockTeleport.start(Algorithm.ES256).use { mock ->
            classicVerifier(mock) { it.copy(cacheCooldown = Duration.ofSeconds(1)) }.use { v ->
                val token = mock.mint(MintSpec())
                mock.setFailure(Failure.Status(500))
                expectCode("key_source_unavailable") { v.verify(token) }
                var source = v.stats().keySources.single()
                assertEquals(0L to 1L, source.fetchesOk to source.fetchesFailed)
                assertTrue(source.lastFetchError!!.startsWith("key_source_unavailable: "))
                assertFalse(source.servingStale, "no keys yet: nothing stale to serve")

                mock.setFailure(Failure.None)
                Thread.sleep(1100)
                repeat(3) { assertEquals("alice", v.verify(token).username) }
                expectCode("expired") { v.verify(mock.mint(MintSpec(issuedAt = nowSeconds() - 3600))) }
                expectCode("missing_token") { v.verifyHeaders(emptyList()) }
                mock.rotateNow(Ca.JWT)
                assertEquals("bob", v.verify(mock.mint(MintSpec(username = "bob"))).username)

                val s = v.stats()
                assertEquals(4L, s.accepted)
                assertEquals(mapOf("key_source_unavailable" to 1L, "expired" to 1L, "missing_token" to 1L), s.refused.filterValues { it > 0 })
                assertEquals(reasonCodes().toSet(), s.refused.keys)
                assertEquals(2L to 4L, s.tokenCacheHits to s.tokenCacheMisses)
                source = s.keySources.single()
                assertEquals(2L to 1L, source.fetchesOk to source.fetchesFailed)
                assertEquals(1L, source.unknownKidRefetches)
                assertNull(source.failingSince)
                assertTrue(source.keys.any { it.kid == mock.signingKeyId(Ca.JWT) && it.algorithm == Algorithm.ES256 })
                assertEquals(fetchBucketBounds().size + 1, source.fetchDurationBuckets.size)
                assertEquals(3L, source.fetchDurationBuckets.last())
                assertTrue(v.prometheusText().contains("teleport_jwt_verifications_total{outcome=\"accepted\"} 4\n"))
            }
        }
    }

    @Test
    fun `a Kotlin listener hears the outage, the first key set with the recovery, and a rotation`() {
        MockTeleport.start(Algorithm.RS256).use { mock ->
            val events = java.util.Collections.synchronizedList(mutableListOf<KeyEvent>())
            val listener = object : KeyEventListener {
                override fun onEvent(event: KeyEvent) { events += event }
            }
            classicVerifier(mock) { it.copy(cacheCooldown = Duration.ofSeconds(1), keyEvents = listener) }.use { v ->
                mock.setFailure(Failure.Status(500))
                expectCode("key_source_unavailable") { v.verify(mock.mint(MintSpec())) }
                val failed = events.single() as KeyEvent.FetchFailed
                assertEquals("key_source_unavailable", failed.code)
                assertFalse(failed.servingStale)
                events.clear()
                mock.setFailure(Failure.None)
                Thread.sleep(1100)
                val first = mock.signingKeyId(Ca.JWT)
                repeat(5) { v.verify(mock.mint(MintSpec())) }
                val (changed, recovered) = events.toList()
                assertTrue(first in (changed as KeyEvent.KeySetChanged).added)
                assertEquals(KeyEvent.FetchRecovered(mock.clusterName(), 1L), recovered)
                assertEquals(2, events.size, "nothing more on the request path of cached keys")
                events.clear()
                mock.rotateNow(Ca.JWT)
                v.verify(mock.mint(MintSpec(username = "bob")))
                assertTrue(first in (events.single() as KeyEvent.KeySetChanged).removed)
            }
        }
    }

    @Test
    fun `stale serving starts, passes max stale, and recovers, each heard once`() {
        MockTeleport.start(Algorithm.RS256).use { mock ->
            val events = java.util.Collections.synchronizedList(mutableListOf<KeyEvent>())
            val listener = object : KeyEventListener {
                override fun onEvent(event: KeyEvent) { events += event }
            }
            val options = { o: VerifierOptions ->
                o.copy(
                    cacheCooldown = Duration.ofSeconds(1),
                    cacheMaxAge = Duration.ofSeconds(1),
                    cacheMaxStale = Duration.ofSeconds(2),
                    keyEvents = listener,
                )
            }
            classicVerifier(mock, options).use { v ->
                val token = mock.mint(MintSpec())
                v.verify(token)
                events.clear()
                mock.setFailure(Failure.Status(500))
                // The refresher fails at 0.75 s (stale serving starts), then each second until
                // the keys are past 2 s old.
                waitFor("MaxStaleExceeded") { events.toList().any { it is KeyEvent.MaxStaleExceeded } }
                val seen = events.toList()
                assertTrue(seen[0] is KeyEvent.FetchFailed && (seen[0] as KeyEvent.FetchFailed).servingStale, "$seen")
                val started = seen[1] as KeyEvent.ServingStaleStarted
                assertTrue(started.keysAge < Duration.ofSeconds(2) && !started.remaining.isNegative, "$started")
                assertTrue(seen[seen.size - 2] is KeyEvent.ServingStaleEnded, "$seen")
                val exceeded = seen.last() as KeyEvent.MaxStaleExceeded
                assertEquals(Duration.ofSeconds(2), exceeded.maxStale)
                expectCode("key_source_unavailable") { v.verify(token) }
                val source = v.stats().keySources.single()
                assertFalse(source.servingStale)
                assertTrue(source.keysUnavailable, "past max_stale: tokens are refused, and the gauge says so")
                assertTrue(source.keysAge!! >= Duration.ofSeconds(2), "${source.keysAge}")

                mock.setFailure(Failure.None)
                waitFor("FetchRecovered") { events.toList().last() is KeyEvent.FetchRecovered }
                assertEquals("alice", v.verify(token).username)
            }
        }
    }

    @Test
    fun `permission checks on authorize's answers are counted`() {
        MockTeleport.start(Algorithm.RS256).use { mock ->
            val policy = Policy.fromYaml("rules:\n  - match: { roles_any: [access] }\n    grant: [\"tool:read_*\"]\n")
            classicVerifier(mock) { it.copy(permissionsFrom = PermissionsFrom.Policy(policy)) }.use { v ->
                val token = mock.mint(MintSpec())
                val caller = v.authorize(token)
                assertTrue(caller.permissions.canCallTool("read_file"))
                assertFalse(caller.permissions.allows("tool:write_file"))
                assertEquals(listOf("read_a"), v.authorize(token).permissions.filterTools(listOf("read_a", "drop_b")))
                val s = v.stats()
                assertEquals(1L, s.permissionMappings, "a repeated token reuses its permissions")
                assertEquals(2L to 2L, s.permissionChecksAllowed to s.permissionChecksDenied)
                assertEquals(0L, s.policyCappedRules)
            }
        }
    }

    private fun waitFor(what: String, done: () -> Boolean) {
        val deadline = System.nanoTime() + 15_000_000_000L
        while (!done()) {
            check(System.nanoTime() < deadline) { "timed out waiting for $what" }
            Thread.sleep(20)
        }
    }
}
