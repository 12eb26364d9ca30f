// The root README's Swift example, word for word below this line (ReadmeExampleTests checks it).
import TeleportJWT

func teleport() throws -> Verifier {
    try Verifier.teleportJwt(proxyUrl: "https://teleport.example.com",
        clusterName: "teleport.example.com", audience: "mcp+http://127.0.0.1:8000/mcp") }
func whoami(_ verifier: Verifier, headers: [String: String]) throws -> String {
    try verifier.verifyHeaderMap(headers: headers).username }  // throws VerifyError.Expired, ...
