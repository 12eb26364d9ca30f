package dev.teleportjwt

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The core's permission policy, from Kotlin: verified identity in, permissions out. */
class PolicyTest {
    private val yaml = """
        rules:
          - name: developers
            match: {roles_any: ["mcp-*"]}
            grant: ["tool:read_*", "repo:{{traits.github_orgs}}:read"]
          - name: nobody-deletes
            match: {}
            deny: ["tool:delete_*"]
    """.trimIndent()

    @Test
    fun `a policy maps a verified identity to permissions`() {
        MockTeleport.start(Algorithm.ES256).use { mock ->
            classicVerifier(mock).use { verifier ->
                val token = mock.mint(MintSpec(roles = listOf("mcp-dev"), traits = mapOf("github_orgs" to listOf("acme"))))
                val id = verifier.verify(token)
                Policy.fromYaml(yaml).use { policy ->
                    assertTrue(policy.allows(id, "repo:acme:read"))
                    assertFalse(policy.allows(id, "repo:other:read"))
                    assertTrue(policy.canCallTool(id, "read_file"))
                    assertFalse(policy.canCallTool(id, "delete_repo"))
                    assertEquals(listOf("read_file"), policy.filterTools(id, listOf("read_file", "delete_repo")))
                    val p = policy.permissions(id)
                    assertTrue("repo:acme:read" in p.granted(), p.toString())
                    assertEquals(listOf("tool:delete_*"), p.denied())
                    assertTrue(policy.explain(id, "tool:delete_repo").contains("nobody-deletes"))
                }
                // Someone without an mcp-* role gets nothing.
                val other = verifier.verify(mock.mint(MintSpec(roles = listOf("access"))))
                Policy.fromJson("""{"rules":[{"match":{"roles_any":["mcp-*"]},"grant":["tool:*"]}]}""").use { policy ->
                    assertFalse(policy.canCallTool(other, "read_file"))
                    assertTrue(policy.canCallTool(id, "read_file"))
                }
            }
        }
    }

    @Test
    fun `a policy mistake is a PolicyException naming its line`() {
        val e = assertThrows<PolicyException.Invalid> { Policy.fromYaml("rules:\n  - name: x\n    grnt: [a]\n") }
        assertTrue(e.detail.contains("line 3"), e.detail)
        assertEquals(3, e.line)
        assertTrue(e.reason.contains("grnt"), e.reason)
        assertThrows<PolicyException.Invalid> { Policy.fromFile("/nonexistent/policy.yaml") }
    }
}
