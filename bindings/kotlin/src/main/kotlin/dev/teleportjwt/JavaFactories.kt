package dev.teleportjwt

import java.time.Duration

// Java-friendly ways to build what the generated layer exposes with Kotlin default arguments
// only. Java cannot see default arguments, and UniFFI cannot emit @JvmOverloads or @JvmStatic,
// so from Java the generated API means `Verifier.Companion.teleportJwt(p, c, a, null)` and a
// 17-argument `new VerifierOptions(...)`. Here: static factories with overloads and builders,
// each a thin call of the generated code (no defaults of their own: an unset field is null,
// which the core reads as its default). Kotlin callers keep using named arguments.

/** Verifier constructors for Java: `Verifiers.teleportJwt(proxyUrl, clusterName, audience[, options])`. */
object Verifiers {
    /** [Verifier.teleportJwt]: classic Teleport JWTs of one cluster. */
    @JvmStatic
    @JvmOverloads
    @Throws(VerifyException::class)
    fun teleportJwt(proxyUrl: String, clusterName: String, audience: String, options: VerifierOptions? = null): Verifier =
        Verifier.teleportJwt(proxyUrl, clusterName, audience, options)

    /** [Verifier.teleportIdToken]: Teleport OIDC ID tokens. */
    @JvmStatic
    @JvmOverloads
    @Throws(VerifyException::class)
    fun teleportIdToken(proxyUrl: String, audience: String, options: VerifierOptions? = null): Verifier =
        Verifier.teleportIdToken(proxyUrl, audience, options)

    /** [Verifier.general]: one issuer of any kind. */
    @JvmStatic
    @JvmOverloads
    @Throws(VerifyException::class)
    fun general(issuer: String, audiences: List<String>, keys: KeysFrom, options: VerifierOptions? = null): Verifier =
        Verifier.general(issuer, audiences, keys, options)

    /** [Verifier.fromEntries]: several trusted issuers (see [TrustEntries]). */
    @JvmStatic
    @JvmOverloads
    @Throws(VerifyException::class)
    fun fromEntries(entries: List<TrustEntry>, options: VerifierOptions? = null): Verifier =
        Verifier.fromEntries(entries, options)

    /** A builder of [VerifierOptions]: `Verifiers.options().leeway(Duration.ofSeconds(30)).build()`. */
    @JvmStatic
    fun options(): VerifierOptionsBuilder = VerifierOptionsBuilder()
}

/** Trust entries for Java (`name` and `requireIat` optional, as in Kotlin). */
object TrustEntries {
    /** [TrustEntry.TeleportJwt]. */
    @JvmStatic
    @JvmOverloads
    fun teleportJwt(proxyUrl: String, clusterName: String, audience: String, name: String? = null, requireIat: Boolean? = null): TrustEntry =
        TrustEntry.TeleportJwt(proxyUrl, clusterName, audience, name, requireIat)

    /** [TrustEntry.TeleportIdToken]. */
    @JvmStatic
    @JvmOverloads
    fun teleportIdToken(proxyUrl: String, audience: String, name: String? = null, requireIat: Boolean? = null): TrustEntry =
        TrustEntry.TeleportIdToken(proxyUrl, audience, name, requireIat)

    /** [TrustEntry.General]. */
    @JvmStatic
    @JvmOverloads
    fun general(issuer: String, audiences: List<String>, keys: KeysFrom, name: String? = null, requireIat: Boolean? = null): TrustEntry =
        TrustEntry.General(issuer, audiences, keys, name, requireIat)
}

/**
 * Builds a [VerifierOptions] one setting at a time (Java has no named arguments); every
 * setting left out keeps the core's default. Starts empty or from [start].
 *
 * Each setter sets the [VerifierOptions] field of the same name, whose documentation is the
 * core's own (UniFFI copies the Rust docs of the option). ParityTest checks that there is a
 * setter for every option of the core's table (`apiVerifierOptions()`) and plug-in, and that
 * each sets its own field and no other.
 */
class VerifierOptionsBuilder @JvmOverloads constructor(start: VerifierOptions = VerifierOptions()) {
    private var o = start

    fun leeway(value: Duration) = apply { o = o.copy(leeway = value) }
    fun maxTokenBytes(value: Long) = apply { o = o.copy(maxTokenBytes = value) }
    fun headers(value: List<String>) = apply { o = o.copy(headers = value) }
    fun headers(vararg value: String) = headers(value.toList())
    fun cacheMaxAge(value: Duration) = apply { o = o.copy(cacheMaxAge = value) }
    fun cacheCooldown(value: Duration) = apply { o = o.copy(cacheCooldown = value) }
    fun cacheMaxStale(value: Duration) = apply { o = o.copy(cacheMaxStale = value) }
    fun cacheMaxKeys(value: Long) = apply { o = o.copy(cacheMaxKeys = value) }
    fun fetchTimeout(value: Duration) = apply { o = o.copy(fetchTimeout = value) }
    fun fetchMaxBodyBytes(value: Long) = apply { o = o.copy(fetchMaxBodyBytes = value) }
    fun caPem(value: String) = apply { o = o.copy(caPem = value) }
    fun allowInsecureHttpForLoopback(value: Boolean) = apply { o = o.copy(allowInsecureHttpForLoopback = value) }
    fun tokenCacheCapacity(value: Long) = apply { o = o.copy(tokenCacheCapacity = value) }
    fun tokenCacheMaxBytes(value: Long) = apply { o = o.copy(tokenCacheMaxBytes = value) }
    fun httpFetcher(value: HttpFetcher) = apply { o = o.copy(httpFetcher = value) }
    fun clock(value: VerifierClock) = apply { o = o.copy(clock = value) }
    fun permissionsFrom(value: PermissionsFrom) = apply { o = o.copy(permissionsFrom = value) }

    /** `permissionsFrom(PermissionsFrom.Policy(policy))`. */
    fun policy(policy: Policy) = permissionsFrom(PermissionsFrom.Policy(policy))

    /** `permissionsFrom(PermissionsFrom.Mapper(mapper))`. */
    fun permissionMapper(mapper: PermissionMapper) = permissionsFrom(PermissionsFrom.Mapper(mapper))
    fun keyEvents(value: KeyEventListener) = apply { o = o.copy(keyEvents = value) }

    /** The options set so far (the builder stays usable). */
    fun build(): VerifierOptions = o
}
