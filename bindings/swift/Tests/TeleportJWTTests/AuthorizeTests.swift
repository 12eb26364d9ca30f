// Mirrors AuthorizeTest.kt: `Verifier.authorize`, verification plus a permission mapper (Swift or
// the built-in Policy).
import Foundation
import XCTest
@testable import TeleportJWT

/// `Authorized` holds a `Permissions` object, so UniFFI does not make it `Equatable`: compare
/// its parts (both are).
func assertSameAnswer(_ x: Authorized, _ y: Authorized, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(x.identity, y.identity, file: file, line: line)
    XCTAssertEqual(x.permissions, y.permissions, file: file, line: line)
}

/// A Swift mapper: `tool:<role>_*` per role, an own sandbox, a deny for contractors.
final class ByRole: PermissionMapper, @unchecked Sendable {
    private let lock = NSLock()
    private var _seen: [String] = []
    var seen: [String] { lock.lock(); defer { lock.unlock() }; return _seen }
    var calls: Int { seen.count }

    func permissions(identity: Identity) throws -> Permissions {
        lock.lock(); _seen.append(identity.username); lock.unlock()
        let granted = identity.roles.map { "tool:\($0)_*" } + ["sandbox:\(identity.username):*"]
        let contractor = (identity.traits["employment"] ?? []).contains("contractor")
        return Permissions(granted: granted, denied: contractor ? ["tool:*_secret"] : [])
    }
}

final class AuthorizeTests: XCTestCase {
    let tools = ["read_file", "list_files", "search", "write_file",
                 "create_issue", "delete_file", "admin_reindex", "query_warehouse"]

    /// bindings/swift/Tests/TeleportJWTTests/ -> repository root.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    private func withMapper(_ from: PermissionsFrom) -> VerifierOptions {
        VerifierOptions(permissionsFrom: from)
    }

    func testASwiftMapperDecidesWhatAuthorizeGrantsOncePerToken() throws {
        let mock = try MockTeleport.start(algorithm: .es256)
        let mapper = ByRole()
        let v = try classicVerifier(mock, withMapper(.mapper(mapper: mapper)))
        let token = try mock.mint(spec: MintSpec(username: "alice", roles: ["read", "search"]))
        let a = try v.authorize(token: token)
        XCTAssertEqual(a.identity.username, "alice")
        XCTAssertEqual(a.permissions.granted(), ["sandbox:alice:*", "tool:read_*", "tool:search_*"])
        XCTAssertEqual(a.permissions.denied(), [])
        XCTAssertTrue(a.permissions.canCallTool(tool: "read_file"))
        XCTAssertFalse(a.permissions.canCallTool(tool: "write_file"))
        XCTAssertTrue(a.permissions.allows(permission: "sandbox:alice:notes"))
        XCTAssertFalse(a.permissions.allows(permission: "sandbox:bob:notes"))
        XCTAssertEqual(a.permissions.filterTools(tools: ["read_file", "write_file", "search_docs"]), ["read_file", "search_docs"])
        for _ in 0..<3 { assertSameAnswer(try v.authorize(token: token), a) }
        assertSameAnswer(try v.authorizeHeaders(headers: [Header(name: "Authorization", value: "Bearer \(token)")]), a)
        assertSameAnswer(try v.authorizeHeaderMap(headers: ["teleport-jwt-assertion": token]), a)
        XCTAssertEqual(mapper.calls, 1)

        let bob = try v.authorize(token: mock.mint(spec: MintSpec(
            username: "bob", roles: ["read"], traits: ["employment": ["contractor"]])))
        XCTAssertEqual(bob.permissions.denied(), ["tool:*_secret"])
        XCTAssertTrue(bob.permissions.canCallTool(tool: "read_file"))
        XCTAssertFalse(bob.permissions.canCallTool(tool: "read_secret"))
        XCTAssertEqual(mapper.seen, ["alice", "bob"])
    }

    func testAuthorizeAtPinsTimeAndARefusedTokenNeverReachesTheMapper() throws {
        let mock = try MockTeleport.start(algorithm: .rs256)
        let mapper = ByRole()
        let v = try classicVerifier(mock, withMapper(.mapper(mapper: mapper)))
        let issued: Int64 = 1_700_000_000
        let token = try mock.mint(spec: MintSpec(roles: ["read"], issuedAt: issued))
        let a = try v.authorizeAt(token: token, unixSeconds: issued + 60)
        XCTAssertEqual(a.identity.issuedAt, issued)
        XCTAssertTrue(a.permissions.canCallTool(tool: "read_file"))
        expectCode("expired") { try v.authorizeAt(token: token, unixSeconds: issued + 3600) }
        expectCode("expired") { try v.authorize(token: token) }
        expectCode("audience_mismatch") {
            try v.authorize(token: mock.mint(spec: MintSpec(audience: ["https://elsewhere.example.com"])))
        }
        expectCode("missing_token") { try v.authorizeHeaders(headers: [Header(name: "X-Other", value: "x")]) }
        XCTAssertEqual(mapper.calls, 1)
    }

    func testTheBuiltInPolicyThroughAuthorizeGivesThePolicysOwnAnswer() throws {
        let mock = try MockTeleport.start(algorithm: .es256)
        let policy = try Policy.fromFile(path: Self.root.appendingPathComponent("examples/policy/mcp-tools.yaml").path)
        var options = trusting(mock)
        options.permissionsFrom = .policy(policy: policy)
        let v = try Verifier.fromEntries(entries: [
            .teleportJwt(proxyUrl: mock.proxyUrl(), clusterName: mock.clusterName(), audience: AUD, name: "root"),
        ], options: options)
        let cases: [([String], [String])] = [
            (["mcp-reader"], ["read_file", "list_files", "search"]),
            (["mcp-writer"], ["read_file", "list_files", "search", "write_file", "create_issue"]),
            (["mcp-admin"], tools),
            (["access"], []),
            ([], []),
        ]
        for (roles, visible) in cases {
            let a = try v.authorize(token: mock.mint(spec: MintSpec(roles: roles, traits: ["github_orgs": ["acme"]])))
            XCTAssertEqual(a.identity.roles, roles)
            XCTAssertEqual(try policy.permissions(identity: a.identity), a.permissions, "\(roles)")
            XCTAssertEqual(a.permissions.filterTools(tools: tools), visible, "\(roles)")
            XCTAssertTrue(a.permissions.allows(permission: "sandbox:alice:scratch"))
        }
        let contractor = try v.authorize(token: mock.mint(spec: MintSpec(
            username: "carol", roles: ["mcp-writer"], traits: ["employment": ["contractor"]])))
        XCTAssertFalse(contractor.permissions.canCallTool(tool: "write_file"))
        XCTAssertTrue(contractor.permissions.canCallTool(tool: "read_file"))
        XCTAssertEqual(contractor.permissions.denied(), ["repo:*:write", "tool:delete_*", "tool:write_*"])
    }

    func testAThrowingSwiftMapperIsAPluginErrorAndTheVerifierKeepsWorking() throws {
        final class Flaky: PermissionMapper, @unchecked Sendable {
            struct DirectoryDown: Error, CustomStringConvertible { var description: String { "directory down" } }
            func permissions(identity: Identity) throws -> Permissions {
                switch identity.username {
                case "mallory": throw DirectoryDown()
                case "eve": throw PluginFailure.Failed(code: "invalid_config", detail: "no such tenant")
                default: return Permissions(granted: ["tool:*"])
                }
            }
        }
        let mock = try MockTeleport.start(algorithm: .rs256)
        let v = try classicVerifier(mock, withMapper(.mapper(mapper: Flaky())))
        let mallory = try mock.mint(spec: MintSpec(username: "mallory"))
        let e = expectCode("plugin_error") { try v.authorize(token: mallory) }
        if case .PluginError(let message)? = e {
            XCTAssertTrue(message.hasPrefix("plugin_error: permission mapper failed: "), message)
            XCTAssertTrue(message.contains("directory down"), message)
        } else {
            XCTFail("expected VerifyError.PluginError, got \(String(describing: e))")
        }
        expectCode("plugin_error") { try v.authorize(token: mallory) }
        let eve = expectCode("plugin_error") { try v.authorize(token: mock.mint(spec: MintSpec(username: "eve"))) }
        XCTAssertTrue("\(String(describing: eve))".contains("invalid_config: no such tenant"))
        XCTAssertTrue(try v.authorize(token: mock.mint(spec: MintSpec(username: "alice"))).permissions.canCallTool(tool: "anything"))
        XCTAssertEqual(try v.verify(token: mallory).username, "mallory")
    }

    func testAuthorizeWithoutAMapperIsInvalidConfig() throws {
        let mock = try MockTeleport.start(algorithm: .es256)
        let v = try classicVerifier(mock)
        let token = try mock.mint(spec: MintSpec())
        expectCode("invalid_config") { try v.authorize(token: token) }
        expectCode("invalid_config") { try v.authorizeAt(token: token, unixSeconds: nowSeconds()) }
        XCTAssertEqual(try v.verify(token: token).username, "alice")
    }

    func testPermissionsIsPlainDataWhoseMethodsAskTheCore() {
        let p = Permissions(granted: ["tool:*", "docs:read"], denied: ["tool:delete_*"])
        XCTAssertTrue(p.allows(permission: "tool:read_file"))
        XCTAssertFalse(p.allows(permission: "tool:delete_repo"))
        XCTAssertTrue(p.allows(permission: "docs:read"))
        XCTAssertFalse(p.allows(permission: "docs:write"))
        XCTAssertEqual(p.filterTools(tools: ["read_file", "delete_repo"]), ["read_file"])
        XCTAssertEqual(Permissions(granted: ["a"]).denied(), [])
    }
}
