package dev.teleportjwt

import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.Test
import java.io.File

/**
 * tests/vectors/verify_cases.json, read exactly as core/tests/it/shared_vectors.rs reads it: the
 * same tokens give the same identities and reason codes in Rust, Python and Kotlin.
 */
class SharedVectorsTest {
    private val path = System.getProperty("teleportjwt.vectors")
        ?: error("system property teleportjwt.vectors is not set (see pom.xml)")

    /** JSON values as plain Kotlin values, numbers as Long, so both sides compare alike. */
    private fun plain(v: Any?): Any? = when (v) {
        null, JSONObject.NULL -> null
        is JSONObject -> v.keySet().associateWith { plain(v.get(it)) }
        is JSONArray -> (0 until v.length()).map { plain(v.get(it)) }
        is Number -> v.toLong()
        else -> v
    }

    private fun fields(id: Identity): Map<String, Any?> = mapOf(
        "username" to id.username, "sub" to id.sub, "roles" to id.roles,
        "traits" to id.traits, "issuer" to id.issuer, "audience" to id.audience,
        "expires_at" to id.expiresAt, "issued_at" to id.issuedAt,
        "not_before" to id.notBefore, "key_id" to id.keyId,
        "algorithm" to id.algorithm.name,
    )

    @Test
    fun `shared vectors give the expected identity or reason`() {
        val doc = JSONObject(File(path).readText())
        val issuer = doc.getString("issuer")
        val audience = doc.getString("audience")
        val now = doc.getLong("now")
        val pinnedClock = object : VerifierClock {
            override fun nowUnixMillis() = now * 1000
        }
        fun verifierFor(keys: String, clock: VerifierClock? = null) = Verifier.general(
            issuer, listOf(audience),
            KeysFrom.StaticJwks(doc.getJSONObject("keys").getJSONObject(keys).toString()),
            VerifierOptions(clock = clock),
        )
        val plainVerifiers = mapOf("rs256" to verifierFor("rs256"), "es256" to verifierFor("es256"))
        // Header cases carry tokens valid at `now`; verifyHeaders uses the verifier's clock,
        // so they go through verifiers on a pinned clock.
        val pinnedVerifiers = mapOf(
            "rs256" to verifierFor("rs256", pinnedClock),
            "es256" to verifierFor("es256", pinnedClock),
        )
        val cases = doc.getJSONArray("cases")
        assertTrue(cases.length() >= 37, "the file lost cases")
        val reasonsSeen = sortedSetOf<String>()
        for (i in 0 until cases.length()) {
            val case = cases.getJSONObject(i)
            val name = case.getString("name")
            val keys = case.getString("keys")
            val result: Result<Identity> = runCatching {
                when {
                    case.has("token") -> plainVerifiers.getValue(keys).verifyAt(case.getString("token"), now)
                    case.has("headers") -> {
                        val hs = case.getJSONArray("headers")
                        val headers = (0 until hs.length()).map {
                            val h = hs.getJSONArray(it)
                            Header(h.getString(0), h.getString(1))
                        }
                        pinnedVerifiers.getValue(keys).verifyHeaders(headers)
                    }
                    else -> fail("$name: no token and no headers")
                }
            }
            val expect = case.getJSONObject("expect")
            val error = result.exceptionOrNull()
            when {
                expect.has("ok") && error == null -> {
                    val got = fields(result.getOrThrow())
                    val want = expect.getJSONObject("ok")
                    for (k in want.keySet()) {
                        assertEquals(plain(want.get(k)), plain(got[k]), "$name: field $k")
                    }
                }
                expect.has("error") && error is VerifyException -> {
                    assertEquals(expect.getString("error"), error.code, "$name: ${error.message}")
                    reasonsSeen += error.code
                }
                else -> fail("$name: expected $expect, got ${result.getOrNull() ?: error}")
            }
        }
        assertTrue(reasonsSeen.size >= 13, "reason codes covered: $reasonsSeen")
        (plainVerifiers.values + pinnedVerifiers.values).forEach { it.close() }
    }
}
