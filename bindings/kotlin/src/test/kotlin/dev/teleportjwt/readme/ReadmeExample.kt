package dev.teleportjwt.readme

import dev.teleportjwt.*

/** Once per process: the verifier caches keys and verified tokens (and permissions). */
fun teleportVerifier(policyFile: String): Verifier = Verifier.teleportJwt(
    proxyUrl = "https://teleport.example.com",
    clusterName = "teleport.example.com",
    audience = "mcp+http://127.0.0.1:8000/mcp",
    options = VerifierOptions(permissionsFrom = PermissionsFrom.Policy(Policy.fromFile(policyFile))),
)

/** Status and body for one request, from its headers. */
fun handle(verifier: FastVerifier, headers: Map<String, String>, tools: List<String>): Pair<Int, String> = try {
    val token = verifier.verifier.tokenFromHeaderMap(headers)   // Teleport-Jwt-Assertion or Bearer
    val caller = verifier.authorize(token)                      // one JNI call on the request path
    200 to "${caller.identity.username} may call ${caller.permissions.filterTools(tools)}"
} catch (e: VerifyException) {
    401 to e.code                                               // "expired", "audience_mismatch", ...
}
