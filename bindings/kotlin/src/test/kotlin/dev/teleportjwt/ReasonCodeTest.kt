package dev.teleportjwt

import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.util.Base64

/**
 * Every reason code of the core reaches Kotlin as its own [VerifyException] subclass, with
 * `code` giving the stable string. One test per code, named after it; `internal_error` (a
 * library bug: a Rust panic caught at the FFI boundary) has no way to be provoked, so it is
 * only checked to exist.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReasonCodeTest {
    private val mock = MockTeleport.start(Algorithm.ES256)
    private val verifier = classicVerifier(mock)
    private val seen = mutableSetOf<String>()

    private fun expect(code: String, block: () -> Unit): VerifyException =
        expectCode(code, block).also { seen += it.code }

    private fun mint(spec: MintSpec) = mock.mint(spec)

    private fun b64(json: String) =
        Base64.getUrlEncoder().withoutPadding().encodeToString(json.toByteArray())

    @AfterAll
    fun `every reason code was reached`() {
        assertEquals(reasonCodes().toSet() - "internal_error", seen, "reason codes not reached from Kotlin")
        verifier.close()
        mock.close()
    }

    @Test fun malformed() {
        expect("malformed") { verifier.verify("not-a-jwt") }
        expect("malformed") { verifier.verify(mint(MintSpec(headerOverridesJson = """{"typ":"JOSE+JSON"}"""))) }
        val e = expect("malformed") { verifier.verifyHeaders(listOf(Header("Authorization", "Basic dXNlcg=="))) }
        assertTrue(e is VerifyException.Malformed)
    }

    @Test fun token_too_large() {
        expect("token_too_large") { verifier.verify("a".repeat(20_000)) }
        classicVerifier(mock) { it.copy(maxTokenBytes = 64L) }.use { small ->
            expect("token_too_large") { small.verify(mint(MintSpec())) }
        }
    }

    @Test fun missing_token() {
        val e = expect("missing_token") { verifier.verifyHeaders(listOf(Header("Accept", "*/*"))) }
        assertTrue(e is VerifyException.MissingToken)
    }

    @Test fun unsupported_header() {
        expect("unsupported_header") { verifier.verify(mint(MintSpec(headerOverridesJson = """{"crit":["exp"]}"""))) }
        expect("unsupported_header") {
            verifier.verify(mint(MintSpec(headerOverridesJson = """{"jku":"https://evil.example.com/jwks"}""")))
        }
    }

    @Test fun unsupported_algorithm() {
        val payload = """{"iss":"${mock.clusterName()}","aud":"$AUD","sub":"a","exp":${nowSeconds() + 300}}"""
        expect("unsupported_algorithm") { verifier.verify(b64("""{"alg":"none","typ":"JWT"}""") + "." + b64(payload) + ".") }
        val hs = mock.signRaw(Ca.JWT, """{"alg":"HS256","typ":"JWT","kid":"${mock.signingKeyId(Ca.JWT)}"}""", payload)
        expect("unsupported_algorithm") { verifier.verify(hs) }
        // The key says ES256; an RS256 header is refused whatever the signature.
        val rs = mock.signRaw(Ca.JWT, """{"alg":"RS256","typ":"JWT","kid":"${mock.signingKeyId(Ca.JWT)}"}""", payload)
        expect("unsupported_algorithm") { verifier.verify(rs) }
    }

    @Test fun bad_signature() {
        val (h, _, s) = mint(MintSpec()).split(".")
        val other = mint(MintSpec(username = "mallory")).split(".")[1]
        val e = expect("bad_signature") { verifier.verify("$h.$other.$s") }
        assertTrue(e is VerifyException.BadSignature)
    }

    @Test fun unknown_key() {
        expect("unknown_key") { verifier.verify(mint(MintSpec(headerOverridesJson = """{"kid":"no-such-key"}"""))) }
    }

    @Test fun expired() {
        val e = expect("expired") { verifier.verify(mint(MintSpec(issuedAt = nowSeconds() - 3600))) }
        assertTrue(e is VerifyException.Expired)
        assertTrue(e.message!!.startsWith("expired: "), e.message)
        assertEquals(e.message, "${e.code}: ${e.detail}")
        assertTrue(e.toString().contains("expired: "), "toString shows the code: $e")
    }

    @Test fun not_yet_valid() {
        expect("not_yet_valid") { verifier.verify(mint(MintSpec(claimOverridesJson = """{"nbf":${nowSeconds() + 3600}}"""))) }
    }

    @Test fun issued_in_future() {
        expect("issued_in_future") { verifier.verify(mint(MintSpec(claimOverridesJson = """{"iat":${nowSeconds() + 3600}}"""))) }
    }

    @Test fun issuer_mismatch() {
        expect("issuer_mismatch") { verifier.verify(mint(MintSpec(claimOverridesJson = """{"iss":"evil.example.com"}"""))) }
    }

    @Test fun audience_mismatch() {
        val e = expect("audience_mismatch") { verifier.verify(mint(MintSpec(audience = listOf("https://other.example.com")))) }
        assertTrue(e is VerifyException.AudienceMismatch)
    }

    @Test fun missing_claim() {
        expect("missing_claim") { verifier.verify(mint(MintSpec(removeClaims = listOf("exp")))) }
    }

    @Test fun invalid_claim() {
        expect("invalid_claim") { verifier.verify(mint(MintSpec(claimOverridesJson = """{"exp":"soon"}"""))) }
        expect("invalid_claim") { verifier.verify(mint(MintSpec(claimOverridesJson = """{"roles":"admin"}"""))) }
    }

    @Test fun key_source_unavailable() {
        MockTeleport.start(Algorithm.RS256).use { down ->
            val token = down.mint(MintSpec())
            down.setFailure(Failure.Status(500))
            classicVerifier(down).use { cold ->
                val e = expect("key_source_unavailable") { cold.verify(token) }
                assertTrue(e.message!!.contains("500"), e.message)
            }
            down.setFailure(Failure.Garbage)
            classicVerifier(down).use { cold -> expect("key_source_unavailable") { cold.verify(token) } }
        }
    }

    @Test fun insecure_transport() {
        val e = expect("insecure_transport") {
            Verifier.teleportJwt("http://127.0.0.1:3080", "teleport.example.com", AUD)
        }
        assertTrue(e is VerifyException.InsecureTransport)
        expect("insecure_transport") {
            Verifier.general("i", listOf(AUD), KeysFrom.JwksUrl("http://teleport.example.com/jwks"),
                VerifierOptions(allowInsecureHttpForLoopback = true))
        }
    }

    @Test fun invalid_config() {
        expect("invalid_config") { Verifier.teleportJwt(mock.proxyUrl(), mock.clusterName(), "") }
        expect("invalid_config") { Verifier.fromEntries(emptyList()) }
        expect("invalid_config") { classicVerifier(mock) { it.copy(caPem = "not a certificate") } }
        expect("invalid_config") { classicVerifier(mock) { it.copy(headers = listOf("not a header")) } }
    }

    @Test fun internal_error() {
        assertTrue("internal_error" in reasonCodes())
        val e: VerifyException = VerifyException.InternalException("for the type check only")
        assertEquals("internal_error", e.code)
    }

    @Test fun plugin_error() {
        // A Kotlin key source that throws something other than a VerifyException.
        val broken = object : KeySource {
            override fun fetchJwks(): String = throw IllegalStateException("vault sealed")
        }
        Verifier.general(mock.clusterName(), listOf(AUD), KeysFrom.Source(broken)).use { v ->
            val e = expect("plugin_error") { v.verify(mint(MintSpec())) }
            assertTrue(e.message!!.contains("IllegalStateException: vault sealed"), e.message)
            assertTrue(e is VerifyException.PluginException)
        }
    }
}
