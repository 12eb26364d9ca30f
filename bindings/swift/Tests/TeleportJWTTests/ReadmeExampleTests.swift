// The README's Swift example is ReadmeExample.swift word for word (so it compiles), and it runs.
import Foundation
import XCTest
@testable import TeleportJWT

final class ReadmeExampleTests: XCTestCase {
    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../..").standardized
    private var policyFile: String { root.appendingPathComponent("examples/policy/mcp-tools.yaml").path }

    func testTheReadmeShowsReadmeExampleSwiftExactly() throws {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(
            contentsOf: root.appendingPathComponent("bindings/swift/Tests/TeleportJWTTests/ReadmeExample.swift"),
            encoding: .utf8)
        let example = source.components(separatedBy: "\n").dropFirst().joined(separator: "\n")
        XCTAssertTrue(readme.contains("```swift\n" + example + "```\n"), "README's Swift example differs from ReadmeExample.swift")
    }

    func testTheExampleRefusesARequestWithoutAToken() throws {
        let v = try teleportVerifier(policyFile: policyFile)
        XCTAssertEqual(handle(v, headers: [:], tools: ["read_file"]).1, "missing_token")
    }

    func testTheExampleAnswersWithThePolicyForASignedToken() throws {
        let mock = try MockTeleport.start(algorithm: .es256)
        let v = try Verifier.teleportJwt(
            proxyUrl: mock.proxyUrl(), clusterName: mock.clusterName(), audience: AUD,
            options: VerifierOptions(caPem: mock.caPem(), permissionsFrom: .policy(policy: try Policy.fromFile(path: policyFile))))
        let token = try mock.mint(spec: MintSpec(username: "alice", roles: ["mcp-user"]))
        let answer = handle(v, headers: ["Authorization": "Bearer \(token)"], tools: ["read_file", "delete_everything"])
        XCTAssertEqual(answer.0, 200)
        XCTAssertEqual(answer.1, "alice may call [\"read_file\"]")
        let expired = try mock.mint(spec: MintSpec(ttl: 60, issuedAt: nowSeconds() - 7200))
        XCTAssertEqual(handle(v, headers: ["Teleport-Jwt-Assertion": expired], tools: []).1, "expired")
    }
}
