// The Swift README's example is ReadmeExample.swift word for word, the root README's short one
// RootReadmeExample.swift (so both compile), and they run.
import Foundation
import XCTest
@testable import TeleportJWT

final class ReadmeExampleTests: XCTestCase {
    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../..").standardized
    private var policyFile: String { root.appendingPathComponent("examples/policy/mcp-tools.yaml").path }

    /// `file` below its first line (the comment), as a Markdown ```swift block.
    private func block(_ file: String) throws -> String {
        let source = try String(
            contentsOf: root.appendingPathComponent("bindings/swift/Tests/TeleportJWTTests/\(file)"), encoding: .utf8)
        return "```swift\n" + source.components(separatedBy: "\n").dropFirst().joined(separator: "\n") + "```\n"
    }

    private func page(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    func testTheSwiftReadmeShowsReadmeExampleSwiftExactly() throws {
        XCTAssertTrue(
            try page("bindings/swift/README.md").contains(try block("ReadmeExample.swift")),
            "bindings/swift/README.md's Swift example differs from ReadmeExample.swift")
    }

    func testTheRootReadmeShowsRootReadmeExampleSwiftExactly() throws {
        XCTAssertTrue(
            try page("README.md").contains(try block("RootReadmeExample.swift")),
            "README.md's Swift example differs from RootReadmeExample.swift")
    }

    func testTheRootExampleRefusesARequestWithoutAToken() throws {
        let v = try teleport()
        expectCode("missing_token") { try whoami(v, headers: [:]) }
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
