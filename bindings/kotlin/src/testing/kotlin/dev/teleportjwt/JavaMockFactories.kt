package dev.teleportjwt

import java.time.Duration

// The mock's Java-friendly builders (see JavaFactories.kt for why). Compiled only into the
// testing flavour, the one whose native library has MockTeleport (pom.xml, profile
// `testing-flavour`): the release jar has neither the mock nor these.

/** `MockTeleport` for Java: `MockTeleports.start(Algorithm.ES256)`, or a [MockOptionsBuilder]. */
object MockTeleports {
    /** [MockTeleport.start]. */
    @JvmStatic
    @Throws(MockException::class)
    fun start(algorithm: Algorithm): MockTeleport = MockTeleport.start(algorithm)

    /** [MockTeleport.startWith]. */
    @JvmStatic
    @Throws(MockException::class)
    fun startWith(options: MockOptions): MockTeleport = MockTeleport.startWith(options)

    /** A builder of [MockOptions]. */
    @JvmStatic
    fun options(): MockOptionsBuilder = MockOptionsBuilder()

    /** A builder of [MintSpec]: `mock.mint(MockTeleports.mintSpec().username("alice").build())`. */
    @JvmStatic
    fun mintSpec(): MintSpecBuilder = MintSpecBuilder()
}

/** Builds a [MockOptions]; what is left out keeps the core's default. */
class MockOptionsBuilder @JvmOverloads constructor(start: MockOptions = MockOptions()) {
    private var o = start

    fun algorithm(value: Algorithm) = apply { o = o.copy(algorithm = value) }
    fun idTokenAlgorithm(value: Algorithm) = apply { o = o.copy(idTokenAlgorithm = value) }
    fun clusterName(value: String) = apply { o = o.copy(clusterName = value) }
    fun kidInTokens(value: Boolean) = apply { o = o.copy(kidInTokens = value) }
    fun publishBlankKidTwin(value: Boolean) = apply { o = o.copy(publishBlankKidTwin = value) }
    fun ecShortCoordinate(value: Boolean) = apply { o = o.copy(ecShortCoordinate = value) }

    fun build(): MockOptions = o

    /** Starts a mock with these options. */
    @Throws(MockException::class)
    fun start(): MockTeleport = MockTeleport.startWith(o)
}

/** Builds a [MintSpec]; what is left out keeps the core's default (alice, role access, 5 min). */
class MintSpecBuilder @JvmOverloads constructor(start: MintSpec = MintSpec()) {
    private var s = start

    fun username(value: String) = apply { s = s.copy(username = value) }
    fun roles(value: List<String>) = apply { s = s.copy(roles = value) }
    fun roles(vararg value: String) = roles(value.toList())
    fun traits(value: Map<String, List<String>>) = apply { s = s.copy(traits = value) }
    fun audience(value: List<String>) = apply { s = s.copy(audience = value) }
    fun audience(vararg value: String) = audience(value.toList())
    fun ttl(value: Duration) = apply { s = s.copy(ttl = value) }
    fun kind(value: TokenKind) = apply { s = s.copy(kind = value) }
    fun jwtClaims(value: JwtClaims) = apply { s = s.copy(jwtClaims = value) }
    fun issuedAt(unixSeconds: Long) = apply { s = s.copy(issuedAt = unixSeconds) }
    fun includeKid(value: Boolean) = apply { s = s.copy(includeKid = value) }
    fun claimOverridesJson(value: String) = apply { s = s.copy(claimOverridesJson = value) }
    fun removeClaims(value: List<String>) = apply { s = s.copy(removeClaims = value) }
    fun headerOverridesJson(value: String) = apply { s = s.copy(headerOverridesJson = value) }
    fun removeHeaders(value: List<String>) = apply { s = s.copy(removeHeaders = value) }

    fun build(): MintSpec = s
}
