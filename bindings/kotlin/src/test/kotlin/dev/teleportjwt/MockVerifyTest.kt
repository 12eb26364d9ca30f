package dev.teleportjwt

import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.EnumSource
import org.junit.jupiter.api.Test

/** Real tokens minted by the mock Teleport, keys fetched over loopback HTTPS by the core. */
class MockVerifyTest {
    @ParameterizedTest
    @EnumSource(Algorithm::class)
    fun `classic JWT verifies with RS256 and ES256`(alg: Algorithm) {
        MockTeleport.start(alg).use { mock ->
            classicVerifier(mock).use { verifier ->
                val token = mock.mint(
                    MintSpec(
                        username = "bob",
                        roles = listOf("access", "mcp-reader"),
                        traits = mapOf("logins" to listOf("bob", "root")),
                    )
                )
                val id = verifier.verify(token)
                assertEquals("bob", id.username)
                assertEquals("bob", id.sub)
                assertEquals(listOf("access", "mcp-reader"), id.roles)
                assertEquals(mapOf("logins" to listOf("bob", "root")), id.traits)
                assertEquals(mock.clusterName(), id.issuer)
                assertEquals(listOf(AUD), id.audience)
                assertEquals(alg, id.algorithm)
                assertEquals(TokenKind.TELEPORT_JWT, id.kind)
                assertEquals(mock.signingKeyId(Ca.JWT), id.keyId)
                assertNotNull(id.jti)
                assertEquals(id.issuedAt!! - 10, id.notBefore)
                assertEquals(id.issuedAt!! + 300, id.expiresAt)
                assertEquals("bob", JSONObject(id.claimsJson).getString("username"))
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Algorithm::class)
    fun `ID token verifies through OIDC discovery with RS256 and ES256`(alg: Algorithm) {
        MockTeleport.startWith(MockOptions(idTokenAlgorithm = alg)).use { mock ->
            Verifier.teleportIdToken(mock.proxyUrl(), AUD, trusting(mock)).use { verifier ->
                val id = verifier.verify(mock.mint(MintSpec(kind = TokenKind.ID_TOKEN)))
                assertEquals("alice", id.username)
                assertEquals(mock.idTokenIssuer(), id.issuer)
                assertEquals(TokenKind.ID_TOKEN, id.kind)
                assertEquals(alg, id.algorithm)
                assertEquals(1L, mock.requestCountForPath("/.well-known/openid-configuration"))
                assertEquals(1L, mock.requestCountForPath("/.well-known/jwks-oidc"))
            }
        }
    }

    @Test
    fun `several trust entries side by side, the token's iss picks one`() {
        MockTeleport.start(Algorithm.ES256).use { mock ->
            val entries = listOf(
                TrustEntry.TeleportJwt(mock.proxyUrl(), mock.clusterName(), AUD, name = "root-jwt"),
                TrustEntry.TeleportIdToken(mock.proxyUrl(), AUD, name = "root-id"),
            )
            Verifier.fromEntries(entries, trusting(mock)).use { verifier ->
                assertEquals("root-jwt", verifier.verify(mock.mint(MintSpec())).trustEntry)
                val id = verifier.verify(mock.mint(MintSpec(kind = TokenKind.ID_TOKEN)))
                assertEquals("root-id", id.trustEntry)
                assertEquals(Algorithm.RS256, id.algorithm)
            }
        }
    }

    @Test
    fun `general form with a JWKS URL, and verifyHeaders with a list and a map`() {
        MockTeleport.start(Algorithm.RS256).use { mock ->
            val keys = KeysFrom.JwksUrl(mock.jwksUrl())
            Verifier.general(mock.clusterName(), listOf(AUD), keys, trusting(mock)).use { verifier ->
                val token = mock.mint(MintSpec())
                assertEquals(TokenKind.GENERIC, verifier.verifyHeaders(listOf(Header("Teleport-Jwt-Assertion", token))).kind)
                assertEquals("alice", verifier.verifyHeaders(listOf(Header("authorization", "Bearer $token"))).username)
                assertEquals("alice", verifier.verifyHeaderMap(mapOf("teleport-jwt-assertion" to token)).username)
                assertEquals(1L, verifier.keyFetchCount())
            }
        }
    }

    @Test
    fun `a rotation with no grace period is picked up on the next unknown kid`() {
        MockTeleport.start(Algorithm.RS256).use { mock ->
            classicVerifier(mock).use { verifier ->
                verifier.verify(mock.mint(MintSpec()))
                val before = mock.signingKeyId(Ca.JWT)
                mock.rotateNow(Ca.JWT)
                assertTrue(before != mock.signingKeyId(Ca.JWT))
                assertEquals(mock.signingKeyId(Ca.JWT), verifier.verify(mock.mint(MintSpec())).keyId)
                assertEquals(2L, mock.requestCountForPath(JWKS_PATH))
            }
        }
    }

    @Test
    fun `warmUp fetches the keys before the first request`() {
        MockTeleport.start(Algorithm.ES256).use { mock ->
            classicVerifier(mock).use { verifier ->
                verifier.warmUp()
                assertEquals(1L, mock.requestCountForPath(JWKS_PATH))
                verifier.verify(mock.mint(MintSpec()))
                assertEquals(1L, mock.requestCountForPath(JWKS_PATH))
            }
        }
    }

    @Test
    fun `defaults shown to Kotlin are the core's`() {
        val d = defaultVerifierOptions()
        assertEquals(java.time.Duration.ofSeconds(60), d.leeway)
        assertEquals(listOf("Teleport-Jwt-Assertion", "Authorization: Bearer"), d.headers)
        assertEquals(false, d.allowInsecureHttpForLoopback)
    }
}
