package dev.teleportjwt

import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.io.File

/**
 * tests/vectors/policy_cases.json, read exactly as core/tests/it/policy.rs reads it (every case,
 * every expectation, every load error): the same policies give the same permissions,
 * decisions and explanations in Rust, Python and Kotlin.
 */
class PolicyVectorsTest {
    private val root = repoRoot()
    private val doc = JSONObject(File(root, "tests/vectors/policy_cases.json").readText())

    private fun strings(a: JSONArray): List<String> = (0 until a.length()).map { a.getString(it) }

    private fun load(format: String, text: String): Policy = when (format) {
        "yaml" -> Policy.fromYaml(text)
        "toml" -> Policy.fromToml(text)
        "json" -> Policy.fromJson(text)
        else -> error("unknown policy format $format")
    }

    /** An identity as the vectors describe it; every other field is irrelevant to policies. */
    private fun identity(v: JSONObject): Identity {
        val traits = v.getJSONObject("traits")
        return Identity(
            username = v.getString("username"),
            sub = v.getString("username"),
            roles = strings(v.getJSONArray("roles")),
            traits = traits.keySet().associateWith { strings(traits.getJSONArray(it)) },
            issuer = v.getString("trust_entry"),
            audience = listOf("aud"),
            expiresAt = 0,
            issuedAt = null,
            notBefore = null,
            jti = null,
            keyId = null,
            algorithm = Algorithm.RS256,
            trustEntry = v.getString("trust_entry"),
            kind = TokenKind.TELEPORT_JWT,
            claimsJson = "{}",
        )
    }

    @Test
    fun `every shared policy case gives the expected permissions, decisions and explanations`() {
        assertTrue(doc.getString("description").contains("Kotlin"))
        val tools = strings(doc.getJSONArray("tools"))
        val specs = doc.getJSONObject("policies")
        val policies = specs.keySet().associateWith { name ->
            val p = specs.getJSONObject(name)
            val text = when {
                p.has("text") -> p.getString("text")
                p.has("file") -> File(root, p.getString("file")).readText()
                else -> error("policy $name has neither text nor file")
            }
            load(p.getString("format"), text)
        }
        val cases = doc.getJSONArray("cases")
        assertTrue(cases.length() >= 14, "the file lost cases")
        var checked = 0
        for (i in 0 until cases.length()) {
            val case = cases.getJSONObject(i)
            val name = case.getString("name")
            val policy = policies.getValue(case.getString("policy"))
            val id = identity(case.getJSONObject("identity"))
            val expect = case.getJSONObject("expect")
            val p = policy.permissions(id)
            assertEquals(strings(expect.getJSONArray("permissions")), p.granted(), "$name: permissions")
            assertEquals(strings(expect.getJSONArray("denied")), p.denied(), "$name: denied")
            val allows = expect.getJSONObject("allows")
            for (perm in allows.keySet()) {
                val want = allows.getBoolean(perm)
                assertEquals(want, policy.allows(id, perm), "$name: allows $perm")
                assertEquals(want, policy.explanation(id, perm).allowed, "$name: explanation $perm")
                assertEquals(want, p.allows(perm), "$name: Permissions.allows $perm")
            }
            val visible = strings(expect.getJSONArray("tools_visible"))
            assertEquals(visible, policy.filterTools(id, tools), "$name: tools_visible")
            assertEquals(visible, p.filterTools(tools), "$name: Permissions.filterTools")
            if (expect.has("capped_rules")) {
                val want = (0 until expect.getJSONArray("capped_rules").length())
                    .map { expect.getJSONArray("capped_rules").getLong(it) }
                val got = policy.explanation(id, "tool:${tools.first()}").cappedRules.map { it.index.toLong() }
                assertEquals(want, got, "$name: capped_rules")
            }
            if (expect.has("explain")) {
                val explains = expect.getJSONObject("explain")
                for (perm in explains.keySet()) {
                    val want = explains.getJSONObject(perm)
                    val e = policy.explanation(id, perm)
                    assertEquals(want.getString("decision"), e.decision.code(), "$name: explain $perm")
                    assertEquals(want.optString("rule", null), e.decidedBy?.rule?.name, "$name: explain $perm: ${e.text}")
                    assertEquals(want.optString("pattern", null), e.decidedBy?.pattern, "$name: explain $perm")
                    if (want.has("overrides_rule")) {
                        assertEquals(want.optString("overrides_rule", null), e.overriddenGrant?.rule?.name, "$name: explain $perm: ${e.text}")
                    }
                    assertEquals(policy.explain(id, perm), e.text)
                }
            }
            checked++
        }
        assertEquals(cases.length(), checked)

        val errors = doc.getJSONArray("load_errors")
        for (i in 0 until errors.length()) {
            val case = errors.getJSONObject(i)
            val name = case.getString("name")
            val e = assertThrows<PolicyException.Invalid>(name) { load(case.getString("format"), case.getString("text")) }
            if (!case.isNull("line")) {
                assertNotNull(e.line, "$name: ${e.detail}")
                assertEquals(case.getLong("line"), e.line!!.toLong(), "$name: ${e.detail}")
            }
            assertTrue(e.reason.contains(case.getString("reason_contains")), "$name: ${e.detail}")
            assertTrue(e.detail.endsWith(e.reason), "$name: ${e.detail}")
        }
    }
}
