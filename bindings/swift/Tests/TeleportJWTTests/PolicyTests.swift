// Mirrors PolicyTest.kt: the core's permission policy from Swift.
import XCTest
@testable import TeleportJWT

final class PolicyTests: XCTestCase {
    let yaml = """
    rules:
      - name: developers
        match: {roles_any: ["mcp-*"]}
        grant: ["tool:read_*", "repo:{{traits.github_orgs}}:read"]
      - name: nobody-deletes
        match: {}
        deny: ["tool:delete_*"]
    """

    func testAPolicyMapsAVerifiedIdentityToPermissions() throws {
        let mock = try MockTeleport.start(algorithm: .es256)
        let verifier = try classicVerifier(mock)
        let id = try verifier.verify(token: mock.mint(spec: MintSpec(roles: ["mcp-dev"], traits: ["github_orgs": ["acme"]])))
        let policy = try Policy.fromYaml(text: yaml)
        XCTAssertTrue(try policy.allows(identity: id, permission: "repo:acme:read"))
        XCTAssertTrue(try policy.canCallTool(identity: id, tool: "read_file"))
        XCTAssertFalse(try policy.canCallTool(identity: id, tool: "delete_repo"))
        XCTAssertEqual(try policy.filterTools(identity: id, tools: ["read_file", "delete_repo"]), ["read_file"])
        XCTAssertEqual(try policy.permissions(identity: id).denied(), ["tool:delete_*"])
        XCTAssertTrue(try policy.explain(identity: id, permission: "tool:delete_repo").contains("nobody-deletes"))
    }

    func testAPolicyMistakeNamesItsLine() {
        XCTAssertThrowsError(try Policy.fromYaml(text: "rules:\n  - name: x\n    grnt: [a]\n")) { error in
            XCTAssertTrue("\(error)".contains("line 3"))
        }
    }
}
