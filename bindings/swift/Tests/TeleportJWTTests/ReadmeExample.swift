// The Swift README's example, word for word below this line (ReadmeExampleTests checks it).
import TeleportJWT

/// Once per process: the verifier caches keys and verified tokens (and permissions).
func teleportVerifier(policyFile: String) throws -> Verifier {
    try Verifier.teleportJwt(
        proxyUrl: "https://teleport.example.com",
        clusterName: "teleport.example.com",
        audience: "mcp+http://127.0.0.1:8000/mcp",
        options: VerifierOptions(permissionsFrom: .policy(policy: try Policy.fromFile(path: policyFile))))
}

/// Status and body for one request, from its headers.
func handle(_ verifier: Verifier, headers: [String: String], tools: [String]) -> (Int, String) {
    do {
        let caller = try verifier.authorizeHeaderMap(headers: headers)  // Teleport-Jwt-Assertion or Bearer
        return (200, "\(caller.identity.username) may call \(caller.permissions.filterTools(tools: tools))")
    } catch let e as VerifyError {
        return (401, e.code)                                            // "expired", "audience_mismatch", ...
    } catch {
        return (500, "\(error)")
    }
}
