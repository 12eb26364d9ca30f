package dev.teleportjwt.example

import dev.teleportjwt.Algorithm
import dev.teleportjwt.FastVerifier
import dev.teleportjwt.MintSpec
import dev.teleportjwt.MockTeleport
import dev.teleportjwt.PermissionsFrom
import dev.teleportjwt.Policy
import dev.teleportjwt.Verifier
import dev.teleportjwt.VerifierOptions
import dev.teleportjwt.VerifyException
import dev.teleportjwt.code
import java.time.Duration
import kotlin.system.exitProcess

const val AUD = "mcp+http://127.0.0.1:8000/mcp"

fun check(what: String, ok: Boolean) {
    println((if (ok) "ok   " else "FAIL ") + what)
    if (!ok) exitProcess(1)
}

fun main() {
    val policy = Policy.fromJson("""{"rules":[{"match":{"roles_any":["mcp-user"]},"grant":["tool:read_*"]}]}""")
    MockTeleport.start(Algorithm.ES256).use { mock ->
        val options = VerifierOptions(caPem = mock.caPem(), permissionsFrom = PermissionsFrom.Policy(policy))
        Verifier.teleportJwt(mock.proxyUrl(), mock.clusterName(), AUD, options).use { verifier ->
            val token = mock.mint(MintSpec(username = "alice", roles = listOf("mcp-user")))
            check("verify: alice", verifier.verify(token).username == "alice")
            val caller = FastVerifier(verifier).use { it.authorize(token) }
            check("authorize: read_file only", caller.permissions.filterTools(listOf("read_file", "drop_db")) == listOf("read_file"))
            val expired = mock.mint(MintSpec(issuedAt = System.currentTimeMillis() / 1000 - 7200, ttl = Duration.ofMinutes(1)))
            val refused = try {
                verifier.verify(expired)
                null
            } catch (e: VerifyException) {
                e
            }
            check("an expired token is refused as expired: ${refused?.message}", refused?.code == "expired")
        }
    }
    println("consumer: the installed artifact works with no JVM flags")
}
