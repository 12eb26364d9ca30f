package dev.teleportjwt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The binding as a Java program sees it: no Kotlin default argument is reachable from here, so
 * everything below goes through the factories and builders of JavaFactories.kt and
 * JavaMockFactories.kt (and would not compile if one of them lost its @JvmStatic or
 * @JvmOverloads).
 */
class JavaApiTest {
    private static final String AUD = "mcp+http://127.0.0.1:8000/mcp";

    @Test
    void mintsVerifiesAndRefusesWithCodeAndDetail() throws Exception {
        try (MockTeleport mock = MockTeleports.options().algorithm(Algorithm.ES256).start()) {
            VerifierOptions options = Verifiers.options()
                .caPem(mock.caPem())
                .leeway(Duration.ofSeconds(30))
                .tokenCacheCapacity(16)
                .build();
            assertEquals(Duration.ofSeconds(30), options.getLeeway());

            try (Verifier verifier = Verifiers.teleportJwt(mock.proxyUrl(), mock.clusterName(), AUD, options)) {
                String token = mock.mint(MockTeleports.mintSpec().username("alice").roles("mcp-user").build());
                Identity id = verifier.verify(token);
                assertEquals("alice", id.getUsername());
                assertEquals(List.of("mcp-user"), id.getRoles());
                assertEquals(Algorithm.ES256, id.getAlgorithm());

                // Expired 40 s ago: beyond the 30 s leeway set above (the default is 60 s).
                long now = System.currentTimeMillis() / 1000;
                String expired = mock.mint(MockTeleports.mintSpec().issuedAt(now - 100).ttl(Duration.ofSeconds(60)).build());
                VerifyException e = assertThrows(VerifyException.class, () -> verifier.verify(expired));
                assertTrue(e instanceof VerifyException.Expired, e.toString());
                assertEquals("expired", VerifyExceptions.getCode(e));
                assertTrue(VerifyExceptions.getDetail(e).startsWith("token expired"), VerifyExceptions.getDetail(e));
                assertEquals("expired: " + VerifyExceptions.getDetail(e), e.getMessage());
            }
        }
    }

    @Test
    void trustEntriesAndTheDefaultsOfEveryFactory() throws Exception {
        try (MockTeleport mock = MockTeleports.start(Algorithm.RS256)) {
            VerifierOptions options = new VerifierOptionsBuilder().caPem(mock.caPem()).build();
            List<TrustEntry> entries = List.of(
                TrustEntries.teleportJwt(mock.proxyUrl(), mock.clusterName(), AUD, "classic"),
                TrustEntries.teleportIdToken(mock.proxyUrl(), AUD));
            try (Verifier verifier = Verifiers.fromEntries(entries, options)) {
                Identity id = verifier.verify(mock.mint(MockTeleports.mintSpec().build()));
                assertEquals("classic", id.getTrustEntry());
                Identity idToken = verifier.verify(mock.mint(MockTeleports.mintSpec().kind(TokenKind.ID_TOKEN).build()));
                assertEquals(TokenKind.ID_TOKEN, idToken.getKind());
            }
            // Without options: the core's defaults, which do not trust the mock's CA.
            try (Verifier verifier = Verifiers.teleportJwt(mock.proxyUrl(), mock.clusterName(), AUD)) {
                VerifyException e = assertThrows(VerifyException.class,
                    () -> verifier.verify(mock.mint(MockTeleports.mintSpec().build())));
                assertEquals("key_source_unavailable", VerifyExceptions.getCode(e));
            }
            // A negative count is refused by the core, not clamped.
            VerifierOptions bad = Verifiers.options().cacheMaxKeys(-1).build();
            VerifyException e = assertThrows(VerifyException.class, () -> Verifiers.teleportIdToken(mock.proxyUrl(), AUD, bad));
            assertEquals("invalid_config", VerifyExceptions.getCode(e));
        }
    }
}
