package dev.teleportjwt

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.time.Duration
import kotlin.coroutines.Continuation

/**
 * Parity with the core's description of the cross-language API (`teleport_jwt::api`): the
 * tables come from the native library, so an operation, option or reason the core lists and
 * Kotlin lacks fails here. Python checks the same tables (python/tests/test_parity.py).
 */
class ParityTest {
    private fun lowerCamel(snake: String): String =
        snake.split('_').mapIndexed { i, w -> if (i == 0) w else w.replaceFirstChar { it.uppercase() } }.joinToString("")

    @Test
    fun `every verifier operation exists, in lowerCamelCase`() {
        val methods = Verifier::class.java.methods.map { it.name }.toSet()
        val missing = apiVerifierOperations().map(::lowerCamel).filter { it !in methods }
        assertEquals(emptyList<String>(), missing, "Verifier lacks operations of the core's table")
    }

    /**
     * The operations of the core's table that never wait for a key fetch, so have no async form
     * (the core's `OPERATIONS_THAT_NEVER_WAIT`). The `_at` forms (replaying recorded tokens and
     * test vectors) have none either, as in Python.
     */
    private val neverWaits = apiOperationsThatNeverWait().toSet()

    @Test
    fun `every operation that may fetch keys has a suspend form, and no other has`() {
        // A Kotlin `suspend fun` is a JVM method whose last parameter is the Continuation.
        val suspending = Verifier::class.java.methods
            .filter { it.parameterTypes.lastOrNull() == Continuation::class.java }.map { it.name }.toSet()
        val operations = apiVerifierOperations()
        assertTrue(neverWaits.all { it in operations }, "the exemptions name operations of the core's table")
        val want = operations.filter { !it.endsWith("_at") && it !in neverWaits }
            // A header operation has its map form (`verify_headers` and `verify_header_map`).
            .flatMap { if (it.endsWith("_headers")) listOf(it, it.removeSuffix("_headers") + "_header_map") else listOf(it) }
            .map { lowerCamel(it + "_async") }
        assertTrue("verifyAsync" in want && "warmUpAsync" in want, want.toString())
        assertEquals(want.sorted(), suspending.sorted(), "Verifier's suspend funs")
        val blocking = Verifier::class.java.methods.map { it.name }.toSet()
        assertEquals(emptyList<String>(), want.map { it.removeSuffix("Async") }.filter { it !in blocking }, "each async form's blocking twin")
    }

    @Test
    fun `every mock operation exists, in lowerCamelCase`() {
        val methods = MockTeleport::class.java.methods.map { it.name }.toSet()
        val operations = apiMockOperations()
        assertTrue(operations.isNotEmpty(), "the core describes the mock's operations")
        val missing = operations.map(::lowerCamel).filter { it !in methods }
        assertEquals(emptyList<String>(), missing, "MockTeleport lacks operations of the core's table")
    }

    /** Kotlin spells a trailing `Error` as `Exception` (UniFFI's rule, as for `VerifyException`). */
    private fun kotlinName(typeName: String) =
        if (typeName.endsWith("Error")) typeName.removeSuffix("Error") + "Exception" else typeName

    @Test
    fun `one exception subclass per reason, named by the core`() {
        val reasons = apiReasons()
        assertEquals(reasonCodes(), reasons.map { it.code })
        val subclasses = VerifyException::class.java.declaredClasses
            .filter { VerifyException::class.java.isAssignableFrom(it) }
            .associateBy { it.simpleName }
        assertEquals(reasons.map { kotlinName(it.typeName) }.toSet(), subclasses.keys, "one subclass per reason")
        for (r in reasons) {
            val e = subclasses.getValue(kotlinName(r.typeName)).getConstructor(String::class.java).newInstance("why") as VerifyException
            assertEquals(r.code, e.code, r.typeName)
        }
    }

    @Test
    fun `every trust entry form has every option`() {
        val forms = listOf(TrustEntry.TeleportJwt::class.java, TrustEntry.TeleportIdToken::class.java, TrustEntry.General::class.java)
        for (form in forms) {
            val getters = form.methods.map { it.name }.toSet()
            for (option in apiTrustEntryOptions()) {
                val getter = "get" + lowerCamel(option).replaceFirstChar { it.uppercase() }
                assertTrue(getter in getters, "${form.simpleName} lacks $option")
            }
        }
    }

    @Test
    fun `every verifier option of the core is a VerifierOptions field`() {
        val fields = VerifierOptions::class.java.declaredFields
            .filter { !java.lang.reflect.Modifier.isStatic(it.modifiers) }.map { it.name }.toSet()
        for (o in apiVerifierOptions()) {
            val name = lowerCamel(o.name)
            assertTrue(name in fields, "VerifierOptions lacks ${o.name} (as $name)")
            val type = VerifierOptions::class.java.getDeclaredField(name).genericType.typeName
            val want = when (o.kind) {
                "duration" -> "java.time.Duration"
                "count" -> "java.lang.Long"
                "flag" -> "java.lang.Boolean"
                "text" -> "java.lang.String"
                else -> "java.util.List<java.lang.String>"
            }
            assertEquals(want, type, "type of VerifierOptions.$name (${o.kind})")
        }
        val plugins = setOf("httpFetcher", "clock", "permissionsFrom", "keyEvents")
        val known = apiVerifierOptions().map { lowerCamel(it.name) }.toSet()
        assertEquals(emptySet<String>(), fields - known - plugins, "VerifierOptions fields the core does not list")
    }

    /** A value of each option kind, and the JVM type of the builder's setter that takes it. */
    private fun sample(kind: String): Pair<Any, Class<*>> = when (kind) {
        "duration" -> Duration.ofSeconds(7) to Duration::class.java
        "count" -> 7L to Long::class.javaPrimitiveType!!
        "flag" -> true to Boolean::class.javaPrimitiveType!!
        "text" -> "x" to String::class.java
        else -> listOf("Authorization: Bearer") to List::class.java
    }

    @Test
    fun `the Java options builder sets every option of the core, each its own field`() {
        val fields = VerifierOptions::class.java.declaredFields
            .filter { !java.lang.reflect.Modifier.isStatic(it.modifiers) }.onEach { it.isAccessible = true }
        for (o in apiVerifierOptions()) {
            val name = lowerCamel(o.name)
            val (value, type) = sample(o.kind)
            val setter = runCatching { VerifierOptionsBuilder::class.java.getMethod(name, type) }.getOrNull()
            assertNotNull(setter, "VerifierOptionsBuilder lacks $name(${type.simpleName}) for the core's ${o.name}")
            val built = (setter!!.invoke(VerifierOptionsBuilder(), value) as VerifierOptionsBuilder).build()
            for (f in fields) {
                if (f.name == name) assertEquals(value, f.get(built), "$name sets VerifierOptions.$name")
                else assertNull(f.get(built), "$name leaves VerifierOptions.${f.name} unset")
            }
        }
        val plugins = mapOf(
            "httpFetcher" to HttpFetcher::class.java, "clock" to VerifierClock::class.java,
            "permissionsFrom" to PermissionsFrom::class.java, "keyEvents" to KeyEventListener::class.java,
        )
        for ((name, type) in plugins) {
            assertNotNull(runCatching { VerifierOptionsBuilder::class.java.getMethod(name, type) }.getOrNull(), "VerifierOptionsBuilder lacks $name")
        }
        // Every field of VerifierOptions is an option of the core or a plug-in (checked above), so
        // this covers the whole record.
        assertEquals(fields.map { it.name }.toSet(), apiVerifierOptions().map { lowerCamel(it.name) }.toSet() + plugins.keys)
    }

    @Test
    fun `Policy, Permissions and Explanation have everything the core lists`() {
        val policy = Policy::class.java.methods.map { it.name } + Policy.Companion::class.java.methods.map { it.name }
        assertEquals(emptyList<String>(), apiPolicyOperations().map(::lowerCamel).filter { it !in policy }, "Policy")
        val permissions = Permissions::class.java.methods.map { it.name }.toSet()
        assertEquals(emptyList<String>(), apiPermissionsOperations().map(::lowerCamel).filter { it !in permissions }, "Permissions")
        val fields = Explanation::class.java.declaredFields
            .filter { !java.lang.reflect.Modifier.isStatic(it.modifiers) }.map { it.name }
        assertEquals(apiExplanationFields().map(::lowerCamel), fields, "Explanation's fields, in order")
    }

    @Test
    fun `tokenFromHeaders picks the token verifyHeaders would verify`() {
        MockTeleport.start(Algorithm.RS256).use { mock ->
            classicVerifier(mock).use { v ->
                val token = mock.mint(MintSpec())
                val headers = listOf(Header("Authorization", "Bearer $token"))
                assertEquals(token, v.tokenFromHeaders(headers))
                assertEquals(token, v.tokenFromHeaderMap(mapOf("Teleport-Jwt-Assertion" to token)))
                assertEquals(v.verifyHeaders(headers).username, v.verify(token).username)
                expectCode("missing_token") { v.tokenFromHeaders(emptyList()) }
                expectCode("malformed") { v.tokenFromHeaders(listOf(Header("Authorization", "Basic dXNlcg=="))) }
            }
        }
    }
}
