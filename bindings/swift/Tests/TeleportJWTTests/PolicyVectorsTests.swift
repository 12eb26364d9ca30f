// Mirrors PolicyVectorsTest.kt and core/tests/it/policy.rs: tests/vectors/policy_cases.json gives the
// same permissions, decisions and explanations in every language.
import Foundation
import XCTest
@testable import TeleportJWT

final class PolicyVectorsTests: XCTestCase {
    /// bindings/swift/Tests/TeleportJWTTests/ -> repository root.
    private let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    private func load(_ format: String, _ text: String) throws -> Policy {
        switch format {
        case "yaml": return try Policy.fromYaml(text: text)
        case "toml": return try Policy.fromToml(text: text)
        case "json": return try Policy.fromJson(text: text)
        default: throw NSError(domain: "unknown policy format \(format)", code: 1)
        }
    }

    /// An identity as the vectors describe it; every other field is irrelevant to policies.
    private func identity(_ v: [String: Any]) -> Identity {
        let username = v["username"] as! String
        let trust = v["trust_entry"] as! String
        return Identity(
            username: username, sub: username, roles: v["roles"] as! [String],
            traits: v["traits"] as! [String: [String]], issuer: trust, audience: ["aud"],
            expiresAt: 0, issuedAt: nil, notBefore: nil, jti: nil, keyId: nil,
            algorithm: .rs256, trustEntry: trust, kind: .teleportJwt, claimsJson: "{}")
    }

    func testEverySharedPolicyCase() throws {
        let path = root.appendingPathComponent("tests/vectors/policy_cases.json")
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: path)) as! [String: Any]
        let tools = doc["tools"] as! [String]
        var policies: [String: Policy] = [:]
        for (name, spec) in doc["policies"] as! [String: [String: Any]] {
            let text: String
            if let t = spec["text"] as? String {
                text = t
            } else {
                text = try String(contentsOf: root.appendingPathComponent(spec["file"] as! String), encoding: .utf8)
            }
            policies[name] = try load(spec["format"] as! String, text)
        }
        let cases = doc["cases"] as! [[String: Any]]
        XCTAssertGreaterThanOrEqual(cases.count, 14, "the file lost cases")
        for c in cases {
            let name = c["name"] as! String
            let policy = policies[c["policy"] as! String]!
            let id = identity(c["identity"] as! [String: Any])
            let expect = c["expect"] as! [String: Any]
            let p = try policy.permissions(identity: id)
            XCTAssertEqual(p.granted(), expect["permissions"] as! [String], "\(name): permissions")
            XCTAssertEqual(p.denied(), expect["denied"] as! [String], "\(name): denied")
            for (perm, want) in expect["allows"] as! [String: Bool] {
                XCTAssertEqual(try policy.allows(identity: id, permission: perm), want, "\(name): allows \(perm)")
                XCTAssertEqual(try policy.explanation(identity: id, permission: perm).allowed, want, "\(name): \(perm)")
                XCTAssertEqual(p.allows(permission: perm), want, "\(name): Permissions.allows \(perm)")
            }
            let visible = expect["tools_visible"] as! [String]
            XCTAssertEqual(try policy.filterTools(identity: id, tools: tools), visible, "\(name): tools_visible")
            XCTAssertEqual(p.filterTools(tools: tools), visible, "\(name): Permissions.filterTools")
            if let capped = expect["capped_rules"] as? [NSNumber] {
                let got = try policy.explanation(identity: id, permission: "tool:\(tools[0])").cappedRules.map { Int64($0.index) }
                XCTAssertEqual(got, capped.map { $0.int64Value }, "\(name): capped_rules")
            }
            for (perm, want) in (expect["explain"] as? [String: [String: Any]]) ?? [:] {
                let e = try policy.explanation(identity: id, permission: perm)
                XCTAssertEqual(e.decision.code(), want["decision"] as? String, "\(name): explain \(perm)")
                XCTAssertEqual(e.decidedBy?.rule.name, want["rule"] as? String, "\(name): explain \(perm): \(e.text)")
                XCTAssertEqual(e.decidedBy?.pattern, want["pattern"] as? String, "\(name): explain \(perm)")
                if want.keys.contains("overrides_rule") {
                    XCTAssertEqual(e.overriddenGrant?.rule.name, want["overrides_rule"] as? String, "\(name): \(e.text)")
                }
                XCTAssertEqual(try policy.explain(identity: id, permission: perm), e.text)
            }
        }
        for c in doc["load_errors"] as! [[String: Any]] {
            let name = c["name"] as! String
            XCTAssertThrowsError(try load(c["format"] as! String, c["text"] as! String), name) { error in
                guard case PolicyError.Invalid(let message, let line, _, let reason) = error else {
                    return XCTFail("\(name): expected PolicyError.Invalid, got \(error)")
                }
                if let want = c["line"] as? NSNumber {
                    XCTAssertEqual(line.map { Int64($0) }, want.int64Value, "\(name): \(message)")
                }
                // "".contains is false in Foundation on Linux (true on Apple platforms).
                let want = c["reason_contains"] as! String
                XCTAssertTrue(want.isEmpty || reason.contains(want), "\(name): \(message)")
            }
        }
    }
}
