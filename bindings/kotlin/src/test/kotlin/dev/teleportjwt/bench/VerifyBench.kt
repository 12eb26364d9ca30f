package dev.teleportjwt.bench

import com.nimbusds.jose.JWSAlgorithm
import com.nimbusds.jose.jwk.JWKSet
import com.nimbusds.jose.jwk.source.ImmutableJWKSet
import com.nimbusds.jose.proc.JWSVerificationKeySelector
import com.nimbusds.jose.proc.SecurityContext
import com.nimbusds.jwt.JWTClaimsSet
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier
import com.nimbusds.jwt.proc.DefaultJWTProcessor
import dev.teleportjwt.AUD
import dev.teleportjwt.Algorithm
import dev.teleportjwt.Ca
import dev.teleportjwt.FastVerifier
import dev.teleportjwt.MintSpec
import dev.teleportjwt.MockTeleport
import dev.teleportjwt.Verifier
import dev.teleportjwt.VerifierOptions
import dev.teleportjwt.coreVerifyNanos

/**
 * Verification cost as a Kotlin caller sees it, beside the Rust core on the same token in the
 * same run and pure-Java Nimbus JOSE+JWT: `make kotlin-bench` (release library, not part of
 * `make test`).
 *
 * Each case is warmed up (JIT, caches) for [WARMUP_NANOS], then timed in [BATCHES] batches of
 * calls sized to about [BATCH_NANOS] each; it prints the median and the spread of the per-call
 * times over the batches. Medians, because the machines are noisy.
 */
private const val WARMUP_NANOS = 2_000_000_000L
private const val BATCH_NANOS = 100_000_000L
private const val BATCHES = 15

private class Result(val name: String, val medianNanos: Double, val lowNanos: Double, val highNanos: Double)

private fun measure(name: String, call: () -> Any?): Result {
    var sink = 0
    val warmEnd = System.nanoTime() + WARMUP_NANOS
    var calls = 0L
    while (System.nanoTime() < warmEnd) {
        sink += call().hashCode()
        calls++
    }
    val perBatch = maxOf(1L, calls * BATCH_NANOS / WARMUP_NANOS)
    val times = (1..BATCHES).map {
        val start = System.nanoTime()
        for (i in 0 until perBatch) sink += call().hashCode()
        (System.nanoTime() - start).toDouble() / perBatch
    }.sorted()
    if (sink == 42) println() // keeps the results alive
    return Result(name, times[BATCHES / 2], times.first(), times.last())
}

/** The Rust core's own time per verification, timed inside Rust, median of batches. */
private fun coreMeasure(name: String, verifier: Verifier, token: String): Result {
    val perBatch = 2_000u
    coreVerifyNanos(verifier, token, 20_000u)
    val times = (1..BATCHES).map { coreVerifyNanos(verifier, token, perBatch).toDouble() / perBatch.toDouble() }.sorted()
    return Result(name, times[BATCHES / 2], times.first(), times.last())
}

private fun nimbus(mock: MockTeleport, alg: Algorithm): DefaultJWTProcessor<SecurityContext> {
    val keys = ImmutableJWKSet<SecurityContext>(JWKSet.parse(mock.jwksJson(Ca.JWT)))
    val jwsAlg = if (alg == Algorithm.RS256) JWSAlgorithm.RS256 else JWSAlgorithm.ES256
    return DefaultJWTProcessor<SecurityContext>().apply {
        jwsKeySelector = JWSVerificationKeySelector(jwsAlg, keys)
        jwtClaimsSetVerifier = DefaultJWTClaimsVerifier(
            AUD,
            JWTClaimsSet.Builder().issuer(mock.clusterName()).build(),
            setOf("sub", "exp"),
        )
    }
}

private fun micros(n: Double) = "%.2f µs".format(n / 1000)

fun main() {
    val results = mutableListOf<Result>()
    val ratios = mutableListOf<String>()
    for (alg in listOf(Algorithm.RS256, Algorithm.ES256)) {
        MockTeleport.start(alg).use { mock ->
            val token = mock.mint(MintSpec(ttl = java.time.Duration.ofHours(1)))
            val cached = Verifier.teleportJwt(mock.proxyUrl(), mock.clusterName(), AUD, VerifierOptions(caPem = mock.caPem()))
            // Token cache off: every call is a full verification (a distinct token's cost).
            val fresh = Verifier.teleportJwt(
                mock.proxyUrl(), mock.clusterName(), AUD,
                VerifierOptions(caPem = mock.caPem(), tokenCacheCapacity = 0L),
            )
            cached.verify(token)
            fresh.verify(token)
            val processor = nimbus(mock, alg)
            processor.process(token, null)
            val fastFresh = FastVerifier(fresh)
            val fastCached = FastVerifier(cached)
            val kFresh = measure("$alg kotlin fresh token", { fresh.verify(token) })
            val fFresh = measure("$alg kotlin FastVerifier fresh token", { fastFresh.verify(token) })
            val rFresh = coreMeasure("$alg rust core fresh token", fresh, token)
            val nFresh = measure("$alg nimbus (pure Java)", { processor.process(token, null) })
            val kRepeat = measure("$alg kotlin repeated token", { cached.verify(token) })
            val fRepeat = measure("$alg kotlin FastVerifier repeated token", { fastCached.verify(token) })
            val rRepeat = coreMeasure("$alg rust core repeated token", cached, token)
            results += listOf(kFresh, fFresh, rFresh, nFresh, kRepeat, fRepeat, rRepeat)
            ratios += ("$alg fresh: FastVerifier/rust %.2fx, FastVerifier/nimbus %.2fx, generated/rust %.2fx; " +
                "repeated: FastVerifier %s, generated %s").format(
                fFresh.medianNanos / rFresh.medianNanos,
                fFresh.medianNanos / nFresh.medianNanos,
                kFresh.medianNanos / rFresh.medianNanos,
                micros(fRepeat.medianNanos),
                micros(kRepeat.medianNanos),
            )
            fastFresh.close()
            fastCached.close()
            if (alg == Algorithm.RS256) {
                results += measure("kotlin keyFetchCount() (a call doing nothing)", { cached.keyFetchCount() })
            }
            cached.close()
            fresh.close()
        }
    }
    println("median per call (min..max of $BATCHES batches)")
    for (r in results) println("  %-48s %12s  (%s..%s)".format(r.name, micros(r.medianNanos), micros(r.lowNanos), micros(r.highNanos)))
    ratios.forEach { println("  $it") }
}
