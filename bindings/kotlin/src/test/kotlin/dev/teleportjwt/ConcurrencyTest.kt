package dev.teleportjwt

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import java.util.concurrent.CountDownLatch
import java.util.concurrent.CyclicBarrier
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

/** One verifier shared by 8 JVM threads: correct answers, and one key fetch for a cold cache. */
class ConcurrencyTest {
    @Test
    fun `8 threads share one cold verifier and the keys are fetched once`() {
        val threads = 8
        MockTeleport.start(Algorithm.ES256).use { mock ->
            classicVerifier(mock).use { verifier ->
                val tokens = (0 until threads).map { mock.mint(MintSpec(username = "user$it")) }
                val bad = mock.mint(MintSpec(audience = listOf("https://elsewhere.example.com")))
                val pool = Executors.newFixedThreadPool(threads)
                val start = CyclicBarrier(threads)
                val done = CountDownLatch(threads)
                val results = arrayOfNulls<String>(threads)
                repeat(threads) { i ->
                    pool.execute {
                        try {
                            start.await()
                            val names = (1..50).map { verifier.verify(tokens[i]).username }.toSet()
                            val code = try {
                                verifier.verify(bad); "accepted"
                            } catch (e: VerifyException) {
                                e.code
                            }
                            results[i] = "${names.joinToString()}|$code"
                        } catch (e: Throwable) {
                            results[i] = "failed: $e"
                        } finally {
                            done.countDown()
                        }
                    }
                }
                done.await(60, TimeUnit.SECONDS)
                pool.shutdown()
                assertEquals((0 until threads).map { "user$it|audience_mismatch" }, results.toList())
                assertEquals(1L, mock.requestCountForPath(JWKS_PATH))
                assertEquals(1L, verifier.keyFetchCount())
            }
        }
    }
}
